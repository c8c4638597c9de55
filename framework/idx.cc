#include "framework/idx.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "framework/atomic_file.h"
#include "framework/error.h"

namespace qdm {
namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

/// Reads the whole (decompressed) file.
std::vector<uint8_t> read_all(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw DataError(fmt::format("data file '{}' does not exist or is not a file", path.string()));
  }
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) throw DataError(fmt::format("cannot open data file '{}'", path.string()));
  std::vector<uint8_t> out;
  uint8_t buffer[1 << 16];
  for (;;) {
    const int n = gzread(f.get(), buffer, sizeof buffer);
    if (n < 0) {
      int code = 0;
      throw DataError(
          fmt::format("data file '{}' is corrupt: {}", path.string(), gzerror(f.get(), &code)));
    }
    if (n == 0) break;
    out.insert(out.end(), buffer, buffer + n);
    if (out.size() > kMaxIdxBytes) {  // a gzip bomb or not an image set: stop before memory ends
      throw DataError(
          fmt::format("data file '{}' holds more than {} MiB; IDX image sets here are "
                      "smaller",
                      path.string(), kMaxIdxBytes >> 20));
    }
  }
  int code = Z_OK;
  const char* message = gzerror(f.get(), &code);
  if (code != Z_OK) {  // a truncated gzip stream ends without an error from gzread
    throw DataError(fmt::format("data file '{}' is corrupt: {}", path.string(), message));
  }
  return out;
}

uint32_t big_endian(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

}  // namespace

IdxArray read_idx(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = read_all(path);
  const std::string name = path.string();
  if (bytes.size() < 4) {
    throw DataError(fmt::format("'{}' is not an IDX file: {} bytes, shorter than the header", name,
                                bytes.size()));
  }
  if (bytes[0] != 0 || bytes[1] != 0) {
    throw DataError(
        fmt::format("'{}' is not an IDX file: magic number {:02x}{:02x}{:02x}{:02x} "
                    "does not start with 0000",
                    name, bytes[0], bytes[1], bytes[2], bytes[3]));
  }
  if (bytes[2] != 0x08) {
    throw DataError(fmt::format(
        "'{}' holds IDX type 0x{:02x}; only unsigned bytes (0x08) are supported", name, bytes[2]));
  }
  const int ndims = bytes[3];
  if (ndims < 1 || ndims > 4) {
    throw DataError(fmt::format("'{}' has {} dimensions; IDX files here have 1 to 4", name, ndims));
  }
  const size_t header = 4 + 4 * size_t(ndims);
  if (bytes.size() < header) {
    throw DataError(fmt::format("'{}' is truncated inside its header ({} of {} bytes)", name,
                                bytes.size(), header));
  }
  IdxArray a;
  size_t expected = 1;
  for (int d = 0; d < ndims; ++d) {
    a.dims.push_back(big_endian(&bytes[4 + 4 * d]));
    if (__builtin_mul_overflow(expected, size_t(a.dims.back()), &expected)) {
      throw DataError(fmt::format("'{}' has impossible dimensions {}: more bytes than memory holds",
                                  name, fmt::join(a.dims, " x ")));
    }
  }
  const size_t found = bytes.size() - header;
  if (found != expected) {
    throw DataError(fmt::format("'{}' is {}: its header promises {} data bytes, the file holds {}",
                                name, found < expected ? "truncated" : "too long", expected,
                                found));
  }
  a.data.assign(bytes.begin() + header, bytes.end());
  return a;
}

void write_idx(const std::filesystem::path& path, const IdxArray& array) {
  require(!array.dims.empty() && array.dims.size() <= 4,
          "IDX arrays have 1 to 4 dimensions, got {}", array.dims.size());
  size_t expected = 1;
  for (uint32_t d : array.dims) expected *= d;
  require(expected == array.data.size(), "IDX dimensions promise {} bytes but the data holds {}",
          expected, array.data.size());
  std::vector<uint8_t> bytes = {0, 0, 0x08, static_cast<uint8_t>(array.dims.size())};
  for (uint32_t d : array.dims) {
    for (int shift : {24, 16, 8, 0}) bytes.push_back(static_cast<uint8_t>(d >> shift));
  }
  bytes.insert(bytes.end(), array.data.begin(), array.data.end());

  write_file_atomically(path, bytes);
}

LabelledImages read_idx_images(const std::filesystem::path& images,
                               const std::filesystem::path& labels) {
  const IdxArray im = read_idx(images);
  const IdxArray lb = read_idx(labels);
  if (im.dims.size() != 3) {
    throw DataError(fmt::format("'{}' should hold images (3 dimensions: count, rows, cols), has {}",
                                images.string(), im.dims.size()));
  }
  if (lb.dims.size() != 1) {
    throw DataError(fmt::format("'{}' should hold labels (1 dimension), has {}", labels.string(),
                                lb.dims.size()));
  }
  if (im.dims[0] != lb.dims[0]) {
    throw DataError(fmt::format("'{}' holds {} images but '{}' holds {} labels", images.string(),
                                im.dims[0], labels.string(), lb.dims[0]));
  }
  return {static_cast<int>(im.dims[1]), static_cast<int>(im.dims[2]), im.data, lb.data};
}

}  // namespace qdm
