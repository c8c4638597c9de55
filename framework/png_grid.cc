#include "framework/png_grid.h"

#include <fmt/format.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <memory>

#include "framework/atomic_file.h"
#include "framework/error.h"

namespace qdm {
namespace {

void append_bytes(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + length);
}

void no_flush(png_structp) {}

// libpng reports errors by longjmp to png_jmpbuf; these helpers hold only trivially destructible
// locals so that the jump skips no destructor.
bool encode(png_structp png, png_infop info, const uint8_t* pixels, int width, int height) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < height; ++y) {
    png_write_row(png, const_cast<uint8_t*>(pixels) + static_cast<size_t>(y) * width);
  }
  png_write_end(png, nullptr);
  return true;
}

bool read_header(png_structp png, png_infop info, FILE* file, int* width, int* height,
                 bool* gray8) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_init_io(png, file);
  png_read_info(png, info);
  *width = static_cast<int>(png_get_image_width(png, info));
  *height = static_cast<int>(png_get_image_height(png, info));
  *gray8 =
      png_get_color_type(png, info) == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) == 8;
  return true;
}

bool read_rows(png_structp png, uint8_t* pixels, int width, int height) {
  if (setjmp(png_jmpbuf(png))) return false;
  for (int y = 0; y < height; ++y)
    png_read_row(png, pixels + static_cast<size_t>(y) * width, nullptr);
  return true;
}

}  // namespace

void write_png_grid(const std::filesystem::path& path, std::span<const double> images, int count,
                    int rows, int cols, const GridOptions& o) {
  require(count > 0 && rows > 0 && cols > 0, "a PNG grid needs at least one image, got {}", count);
  require(images.size() == static_cast<size_t>(count) * rows * cols,
          "{} images of {}x{} need {} values, got {}", count, rows, cols,
          static_cast<size_t>(count) * rows * cols, images.size());
  require_in_range("PNG scale", o.scale, 1, 64);
  const int columns = o.columns > 0 ? o.columns : static_cast<int>(std::ceil(std::sqrt(count)));
  const int grid_rows = (count + columns - 1) / columns;
  const int tile_w = cols * o.scale, tile_h = rows * o.scale;
  const int width = columns * tile_w + (columns + 1) * o.padding;
  const int height = grid_rows * tile_h + (grid_rows + 1) * o.padding;
  std::vector<uint8_t> pixels(static_cast<size_t>(width) * height, 128);
  for (int k = 0; k < count; ++k) {
    const double* image = images.data() + static_cast<size_t>(k) * rows * cols;
    const double peak = *std::max_element(image, image + rows * cols);
    const int x0 = o.padding + (k % columns) * (tile_w + o.padding);
    const int y0 = o.padding + (k / columns) * (tile_h + o.padding);
    for (int y = 0; y < tile_h; ++y) {
      for (int x = 0; x < tile_w; ++x) {
        const double v = image[(y / o.scale) * cols + x / o.scale];
        const double level = peak > 0 ? std::clamp(v / peak, 0.0, 1.0) : 0.0;
        pixels[static_cast<size_t>(y0 + y) * width + x0 + x] =
            static_cast<uint8_t>(std::lround(255 * level));
      }
    }
  }

  std::vector<uint8_t> bytes;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (info) png_set_write_fn(png, &bytes, append_bytes, no_flush);
  const bool ok = info && encode(png, info, pixels.data(), width, height);
  png_destroy_write_struct(&png, &info);
  if (!ok) throw DataError(fmt::format("libpng could not encode '{}'", path.string()));
  write_file_atomically(path, bytes);
}

GrayImage read_png_gray(const std::filesystem::path& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!file) throw DataError(fmt::format("cannot open PNG '{}'", path.string()));
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  GrayImage out;
  bool gray8 = false;
  bool ok = info && read_header(png, info, file.get(), &out.width, &out.height, &gray8);
  if (ok && gray8) {
    out.pixels.resize(static_cast<size_t>(out.width) * out.height);
    ok = read_rows(png, out.pixels.data(), out.width, out.height);
  }
  png_destroy_read_struct(&png, &info, nullptr);
  if (!ok) throw DataError(fmt::format("'{}' is not a readable PNG", path.string()));
  if (!gray8) throw DataError(fmt::format("PNG '{}' is not 8-bit grayscale", path.string()));
  return out;
}

}  // namespace qdm
