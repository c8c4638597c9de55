#pragma once
/// Image preprocessing of REFERENCE.md: class filter, L2 normalisation and PyTorch-compatible
/// bilinear resizing, giving the real vectors that are amplitude-encoded into states.

#include <cstdint>
#include <span>
#include <vector>

#include "framework/idx.h"

namespace qdm {

/// Bilinear resize of one row-major image, as torch.nn.functional.interpolate(mode="bilinear",
/// align_corners=False, antialias=False): output pixel o samples the input at (o + 0.5) * in/out -
/// 0.5, clamped at 0, between its two neighbours.
std::vector<double> resize_bilinear(std::span<const double> image, int rows, int cols, int out_rows,
                                    int out_cols);

/// Divides by the L2 norm; throws DataError naming `what` when the norm is zero.
void l2_normalise(std::span<double> v, const char* what);

struct ImagePreprocess {
  std::vector<int> classes;  ///< keep these labels; empty keeps all
  int size = 16;             ///< output side length
  size_t max_images = 0;     ///< keep the first this many after filtering; 0 keeps all
  /// The reference code normalises the 28x28 image before resizing, so its vectors have norm
  /// ~0.57 afterwards; true renormalises them to 1.
  bool renormalise_after_resize = false;
  /// False keeps pixels / 255 as they are (the autoencoder's input), with no normalisation.
  bool l2_normalise = true;
};

/// Pixels / 255, flattened, L2-normalised, resized to size x size (and optionally renormalised).
struct PreprocessedImages {
  int size = 0;
  std::vector<double> vectors;  ///< n * size * size, row-major
  std::vector<int> labels;
  size_t count() const { return labels.size(); }
  std::span<const double> vector(size_t k) const {
    return {vectors.data() + k * size * size, static_cast<size_t>(size * size)};
  }
};
PreprocessedImages preprocess_images(const LabelledImages& images, const ImagePreprocess& how);

}  // namespace qdm
