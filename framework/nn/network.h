#pragma once
/// A sequential network over one flat parameter vector, the Huber loss, and the two autoencoders
/// of the latent QDMs: the reference convolutional one and a lighter MLP.

#include <memory>
#include <string>
#include <vector>

#include "framework/nn/layers.h"

namespace qdm::nn {

class Network {
 public:
  /// Appends a layer; its input must be the current output shape.
  Network& add(std::unique_ptr<Layer> layer);

  Shape input_shape() const;
  Shape output_shape() const;
  int num_params() const { return num_params_; }
  int num_buffers() const { return num_buffers_; }
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }
  std::string describe() const;

  void init(std::span<double> params, std::span<double> buffers, Rng& rng) const;
  /// The forward pass; with a tape it keeps what backward needs.
  struct Tape {
    std::vector<Saved> saved;
  };
  Batch forward(const Batch& in, std::span<const double> params, std::span<double> buffers,
                bool training, Tape* tape) const;
  /// Gradient with respect to the input; adds the parameter gradient to `grad_params`.
  Batch backward(const Batch& grad_out, std::span<const double> params, const Tape& tape,
                 std::span<double> grad_params) const;

 private:
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<int> param_offsets_, buffer_offsets_;
  int num_params_ = 0, num_buffers_ = 0;
};

/// torch.nn.HuberLoss (mean over every element); writes d loss / d prediction into `grad`.
double huber_loss(const Eigen::MatrixXd& prediction, const Eigen::MatrixXd& target, double delta,
                  Eigen::MatrixXd* grad);

/// Column-wise softmax of (classes x n) logits.
Eigen::MatrixXd softmax(const Eigen::MatrixXd& logits);
/// torch.nn.CrossEntropyLoss (mean over items) of (classes x n) logits; writes d loss / d logits.
double cross_entropy(const Eigen::MatrixXd& logits, std::span<const int> labels,
                     Eigen::MatrixXd* grad);
/// torch.nn.MSELoss (mean over every element); writes d loss / d prediction into `grad`.
double mse_loss(const Eigen::MatrixXd& prediction, const Eigen::MatrixXd& target,
                Eigen::MatrixXd* grad);

struct AutoencoderSpec {
  std::string architecture = "conv";  ///< conv (the reference's, 28x28 only) or mlp
  int latent = 8;
  Shape image{1, 28, 28};
  std::vector<int> mlp_hidden{256, 64};
};

/// Encoder then decoder; parameters and buffers are the encoder's followed by the decoder's.
/// The encoder ends in abs(normalize(z)), so latents are unit-norm and non-negative, ready to be
/// amplitude-encoded.
class Autoencoder {
 public:
  explicit Autoencoder(const AutoencoderSpec& spec);
  const AutoencoderSpec& spec() const { return spec_; }
  const Network& encoder() const { return encoder_; }
  const Network& decoder() const { return decoder_; }
  int num_params() const { return encoder_.num_params() + decoder_.num_params(); }
  int num_buffers() const { return encoder_.num_buffers() + decoder_.num_buffers(); }
  void init(std::span<double> params, std::span<double> buffers, Rng& rng) const;

  /// Inference (running batch-norm statistics): n images -> n latents, and back.
  std::vector<double> encode(std::span<const double> images, int n, std::span<const double> params,
                             std::span<const double> buffers) const;
  std::vector<double> decode(std::span<const double> latents, int n, std::span<const double> params,
                             std::span<const double> buffers) const;
  /// Reconstruction loss of a batch in training mode; adds its gradient to `grad` and updates the
  /// buffers' running statistics.
  double train_batch(std::span<const double> images, int n, std::span<const double> params,
                     std::span<double> buffers, double huber_delta, std::span<double> grad) const;
  /// Mean reconstruction loss in inference mode.
  double evaluate(std::span<const double> images, int n, std::span<const double> params,
                  std::span<const double> buffers, double huber_delta) const;

 private:
  AutoencoderSpec spec_;
  Network encoder_, decoder_;
};

}  // namespace qdm::nn
