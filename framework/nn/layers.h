#pragma once
/// Layers of the classical networks (the reference autoencoder and its lighter MLP cousin), with
/// forward and backward passes over a whole batch. Layers hold no parameters: a network keeps them
/// in one flat vector (so the QDM's Adam trains it unchanged) and hands each layer its slice.
///
/// A batch of activations is a matrix with one row per channel and one column per (image, y, x),
/// image-major, so a convolution is one GEMM over the whole batch and a flat feature vector is the
/// special case h = w = 1.

#include <Eigen/Dense>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "framework/rng.h"

namespace qdm::nn {

struct Shape {
  int c = 1, h = 1, w = 1;
  int pixels() const { return h * w; }
  int size() const { return c * h * w; }
  bool operator==(const Shape&) const = default;
};

struct Batch {
  Shape shape;
  int n = 0;
  Eigen::MatrixXd m;  ///< shape.c x (n * h * w)
};
/// Images or vectors (n x shape.size(), each in (c, y, x) order) as a Batch, and back.
Batch to_batch(std::span<const double> items, int n, Shape shape);
std::vector<double> from_batch(const Batch& batch);

/// What a forward pass keeps for its backward pass.
struct Saved {
  std::vector<Eigen::MatrixXd> m;
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string describe() const = 0;
  virtual Shape input_shape() const = 0;
  virtual Shape output_shape() const = 0;
  virtual int num_params() const { return 0; }
  /// Non-trained state carried between batches (batch norm's running statistics).
  virtual int num_buffers() const { return 0; }
  virtual void init(std::span<double> params, std::span<double> buffers, Rng& rng) const;
  /// `training` selects batch statistics over running ones and updates `buffers`; `saved` may be
  /// null when no backward pass follows.
  virtual Batch forward(const Batch& in, std::span<const double> params, std::span<double> buffers,
                        bool training, Saved* saved) const = 0;
  /// Gradient with respect to the input; adds the parameter gradient to `grad_params`.
  virtual Batch backward(const Batch& grad_out, std::span<const double> params, const Saved& saved,
                         std::span<double> grad_params) const = 0;
};

/// How a k x k kernel with stride and padding maps a large (h, w) grid onto a small one.
struct Window {
  int k = 3, stride = 1, pad = 0;
};

std::unique_ptr<Layer> linear(int in, int out);
/// Conv2d: (c_in, h, w) -> (c_out, (h + 2 pad - k) / stride + 1, ...).
std::unique_ptr<Layer> conv2d(Shape in, int out_channels, Window window);
/// ConvTranspose2d: (c_in, h, w) -> (c_out, (h - 1) stride - 2 pad + k + output_padding, ...).
std::unique_ptr<Layer> conv_transpose2d(Shape in, int out_channels, Window window,
                                        int output_padding);
/// BatchNorm2d (momentum 0.1, eps 1e-5) over every pixel of each channel.
std::unique_ptr<Layer> batch_norm(Shape in);
std::unique_ptr<Layer> relu(Shape in);
std::unique_ptr<Layer> sigmoid(Shape in);
/// MaxPool2d(k): (c, h, w) -> (c, h / k, w / k), windows of k x k with stride k.
std::unique_ptr<Layer> max_pool2d(Shape in, int k);
/// (c, h, w) -> (c h w) features in (c, y, x) order, and back.
std::unique_ptr<Layer> flatten(Shape in);
std::unique_ptr<Layer> unflatten(Shape out);
/// abs(z / |z|) per item: the reference encoder's last step, a unit-norm non-negative latent.
std::unique_ptr<Layer> normalise_abs(int features);

}  // namespace qdm::nn
