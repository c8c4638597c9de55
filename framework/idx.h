#pragma once
/// Standard IDX files (the MNIST format), plain or gzip-compressed: unsigned-byte arrays of 1 to 4
/// dimensions. Every malformed file is a DataError naming the file and what is wrong with it.

#include <cstdint>
#include <filesystem>
#include <vector>

namespace qdm {

struct IdxArray {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;  ///< row-major, product(dims) bytes
};

/// The largest (decompressed) IDX file read: MNIST's largest is 47 MiB.
inline constexpr size_t kMaxIdxBytes = size_t(1) << 30;

/// Reads `path` (gzip or not; zlib tells). Validates the magic number (0x0000 08 nd, unsigned
/// bytes only), the dimensions, and that the data holds exactly product(dims) bytes.
IdxArray read_idx(const std::filesystem::path& path);

/// Writes uncompressed IDX atomically: a temporary file in the same folder, fsync, rename.
void write_idx(const std::filesystem::path& path, const IdxArray& array);

/// Images (n, rows, cols) with their labels (n), checked against each other.
struct LabelledImages {
  int rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  ///< n * rows * cols, row-major, 0..255
  std::vector<uint8_t> labels;  ///< n
  size_t size() const { return labels.size(); }
};

LabelledImages read_idx_images(const std::filesystem::path& images,
                               const std::filesystem::path& labels);

}  // namespace qdm
