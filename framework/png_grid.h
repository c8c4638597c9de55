#pragma once
/// Grayscale PNG grids of images, written with libpng.

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace qdm {

struct GridOptions {
  int columns = 0;  ///< 0: ceil(sqrt(count))
  int scale = 4;    ///< each image pixel becomes scale x scale output pixels
  int padding = 2;  ///< output pixels between tiles (mid grey)
};

/// Writes `count` images of rows x cols (row-major, non-negative) as one PNG. Each image is
/// scaled so its brightest pixel is white, as one would look at abs() of amplitudes. Atomic: the
/// target appears complete or not at all. DataError or std::invalid_argument on failure.
void write_png_grid(const std::filesystem::path& path, std::span<const double> images, int count,
                    int rows, int cols, const GridOptions& options = {});

/// Reads a grayscale 8-bit PNG (for tests and tools): width, height and pixels row-major.
struct GrayImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;
};
GrayImage read_png_gray(const std::filesystem::path& path);

}  // namespace qdm
