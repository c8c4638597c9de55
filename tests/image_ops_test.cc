#include "framework/image_ops.h"

#include <gtest/gtest.h>

#include <cmath>

#include "framework/error.h"

namespace qdm {
namespace {

// Halving with align_corners = false samples exactly between each 2x2 block: block means.
TEST(ResizeBilinear, HalvingAveragesBlocks) {
  std::vector<double> in(16);
  for (int i = 0; i < 16; ++i) in[i] = i * i;
  const auto out = resize_bilinear(in, 4, 4, 2, 2);
  const auto mean = [&](int r, int c) {
    return (in[r * 4 + c] + in[r * 4 + c + 1] + in[(r + 1) * 4 + c] + in[(r + 1) * 4 + c + 1]) / 4;
  };
  EXPECT_DOUBLE_EQ(out[0], mean(0, 0));
  EXPECT_DOUBLE_EQ(out[1], mean(0, 2));
  EXPECT_DOUBLE_EQ(out[2], mean(2, 0));
  EXPECT_DOUBLE_EQ(out[3], mean(2, 2));
}

// Doubling 1x2 -> 1x4: sources at -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to the edge),
// the values torch.nn.functional.interpolate gives: [a, 0.75a + 0.25b, 0.25a + 0.75b, b].
TEST(ResizeBilinear, DoublingMatchesTorchSemantics) {
  const std::vector<double> in{1.0, 5.0};
  const auto out = resize_bilinear(in, 1, 2, 1, 4);
  EXPECT_EQ(out, (std::vector<double>{1.0, 2.0, 4.0, 5.0}));
  EXPECT_EQ(resize_bilinear(in, 1, 2, 1, 2), in);
}

TEST(Preprocess, FiltersNormalisesAndResizes) {
  LabelledImages images;
  images.rows = images.cols = 4;
  images.labels = {3, 1, 0, 1};
  for (int k = 0; k < 4; ++k) {
    for (int i = 0; i < 16; ++i) images.pixels.push_back(static_cast<uint8_t>(10 * k + i));
  }
  ImagePreprocess how;
  how.classes = {0, 1};
  how.size = 2;
  auto out = preprocess_images(images, how);
  ASSERT_EQ(out.count(), 3u);
  EXPECT_EQ(out.labels, (std::vector<int>{1, 0, 1}));
  // Normalised at 4x4, then block averages: the norm drops below 1 (the reference behaviour).
  double norm = 0;
  for (double v : out.vector(0)) norm += v * v;
  EXPECT_LT(std::sqrt(norm), 1.0);
  how.renormalise_after_resize = true;
  how.max_images = 2;
  out = preprocess_images(images, how);
  ASSERT_EQ(out.count(), 2u);
  norm = 0;
  for (double v : out.vector(1)) norm += v * v;
  EXPECT_NEAR(norm, 1.0, 1e-12);
}

TEST(Preprocess, AllZeroImageIsADataError) {
  LabelledImages images;
  images.rows = images.cols = 2;
  images.labels = {0};
  images.pixels.assign(4, 0);
  EXPECT_THROW(preprocess_images(images, {{}, 2, 0, false}), DataError);
}

}  // namespace
}  // namespace qdm
