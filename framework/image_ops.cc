#include "framework/image_ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "framework/error.h"

namespace qdm {
namespace {

/// Source index pair and weight of output coordinate `o` (PyTorch's area_pixel_compute_source_index
/// for align_corners = false).
struct Tap {
  int lo, hi;
  double w_hi;
};
Tap tap(int o, int in, int out) {
  const double scale = static_cast<double>(in) / out;
  const double src = std::max(0.0, (o + 0.5) * scale - 0.5);
  const int lo = static_cast<int>(src);
  const int hi = lo < in - 1 ? lo + 1 : lo;
  return {lo, hi, src - lo};
}

}  // namespace

std::vector<double> resize_bilinear(std::span<const double> image, int rows, int cols, int out_rows,
                                    int out_cols) {
  require(rows > 0 && cols > 0 && out_rows > 0 && out_cols > 0,
          "image sizes must be positive, got {}x{} -> {}x{}", rows, cols, out_rows, out_cols);
  require(image.size() == static_cast<size_t>(rows) * cols, "image has {} pixels, not {}x{}",
          image.size(), rows, cols);
  std::vector<double> out(static_cast<size_t>(out_rows) * out_cols);
  for (int r = 0; r < out_rows; ++r) {
    const Tap y = tap(r, rows, out_rows);
    for (int c = 0; c < out_cols; ++c) {
      const Tap x = tap(c, cols, out_cols);
      const auto at = [&](int yy, int xx) { return image[static_cast<size_t>(yy) * cols + xx]; };
      const double top = (1 - x.w_hi) * at(y.lo, x.lo) + x.w_hi * at(y.lo, x.hi);
      const double bottom = (1 - x.w_hi) * at(y.hi, x.lo) + x.w_hi * at(y.hi, x.hi);
      out[static_cast<size_t>(r) * out_cols + c] = (1 - y.w_hi) * top + y.w_hi * bottom;
    }
  }
  return out;
}

void l2_normalise(std::span<double> v, const char* what) {
  double sum = 0;
  for (double x : v) sum += x * x;
  if (sum == 0) throw DataError(fmt::format("{} is all zero and cannot be normalised", what));
  const double inv = 1.0 / std::sqrt(sum);
  for (double& x : v) x *= inv;
}

PreprocessedImages preprocess_images(const LabelledImages& images, const ImagePreprocess& how) {
  require_in_range("image size", how.size, 1, 1024);
  PreprocessedImages out;
  out.size = how.size;
  const size_t pixels = static_cast<size_t>(images.rows) * images.cols;
  std::vector<double> flat(pixels);
  for (size_t k = 0; k < images.size(); ++k) {
    const int label = images.labels[k];
    if (!how.classes.empty() &&
        std::find(how.classes.begin(), how.classes.end(), label) == how.classes.end()) {
      continue;
    }
    if (how.max_images > 0 && out.count() == how.max_images) break;
    for (size_t i = 0; i < pixels; ++i) flat[i] = images.pixels[k * pixels + i] / 255.0;
    const std::string what = fmt::format("image {}", k);
    if (how.l2_normalise) l2_normalise(flat, what.c_str());
    auto resized = resize_bilinear(flat, images.rows, images.cols, how.size, how.size);
    if (how.l2_normalise && how.renormalise_after_resize) l2_normalise(resized, what.c_str());
    out.vectors.insert(out.vectors.end(), resized.begin(), resized.end());
    out.labels.push_back(label);
  }
  return out;
}

}  // namespace qdm
