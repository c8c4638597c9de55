#include "framework/nn/network.h"

#include <fmt/format.h>

#include <cmath>
#include <span>

#include "framework/error.h"

namespace qdm::nn {

Network& Network::add(std::unique_ptr<Layer> layer) {
  if (!layers_.empty()) {
    const Shape have = output_shape(), want = layer->input_shape();
    require(have == want, "layer {} takes {}x{}x{} but the network gives {}x{}x{}",
            layer->describe(), want.c, want.h, want.w, have.c, have.h, have.w);
  }
  param_offsets_.push_back(num_params_);
  buffer_offsets_.push_back(num_buffers_);
  num_params_ += layer->num_params();
  num_buffers_ += layer->num_buffers();
  layers_.push_back(std::move(layer));
  return *this;
}

Shape Network::input_shape() const { return layers_.front()->input_shape(); }
Shape Network::output_shape() const { return layers_.back()->output_shape(); }

std::string Network::describe() const {
  std::string s;
  for (const auto& layer : layers_) s += (s.empty() ? "" : " -> ") + layer->describe();
  return s;
}

void Network::init(std::span<double> params, std::span<double> buffers, Rng& rng) const {
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->init(params.subspan(param_offsets_[i], layers_[i]->num_params()),
                     buffers.subspan(buffer_offsets_[i], layers_[i]->num_buffers()), rng);
  }
}

Batch Network::forward(const Batch& in, std::span<const double> params, std::span<double> buffers,
                       bool training, Tape* tape) const {
  require(in.shape == input_shape(), "network input is {}x{}x{}; it takes {}x{}x{}", in.shape.c,
          in.shape.h, in.shape.w, input_shape().c, input_shape().h, input_shape().w);
  if (tape) tape->saved.assign(layers_.size(), {});
  Batch x = in;
  for (size_t i = 0; i < layers_.size(); ++i) {
    x = layers_[i]->forward(x, params.subspan(param_offsets_[i], layers_[i]->num_params()),
                            buffers.subspan(buffer_offsets_[i], layers_[i]->num_buffers()),
                            training, tape ? &tape->saved[i] : nullptr);
  }
  return x;
}

Batch Network::backward(const Batch& grad_out, std::span<const double> params, const Tape& tape,
                        std::span<double> grad_params) const {
  Batch g = grad_out;
  for (size_t i = layers_.size(); i-- > 0;) {
    const auto slice = [&](auto span) {
      return span.subspan(param_offsets_[i], layers_[i]->num_params());
    };
    g = layers_[i]->backward(g, slice(params), tape.saved[i], slice(grad_params));
  }
  return g;
}

double huber_loss(const Eigen::MatrixXd& prediction, const Eigen::MatrixXd& target, double delta,
                  Eigen::MatrixXd* grad) {
  const Eigen::ArrayXXd d = (prediction - target).array();
  const Eigen::ArrayXXd a = d.abs();
  const double count = static_cast<double>(d.size());
  const double loss =
      (a <= delta).select(0.5 * d.square(), delta * (a - 0.5 * delta)).sum() / count;
  if (grad) *grad = ((a <= delta).select(d, delta * d.sign()) / count).matrix();
  return loss;
}

Eigen::MatrixXd softmax(const Eigen::MatrixXd& logits) {
  // Shifting by the column maximum keeps exp() finite for any logits.
  // std::exp per element: GCC 12 warns inside Eigen's AVX-512 vectorised exp.
  Eigen::MatrixXd p = (logits.rowwise() - logits.colwise().maxCoeff()).unaryExpr([](double v) {
    return std::exp(v);
  });
  p.array().rowwise() /= p.colwise().sum().array();
  return p;
}

double cross_entropy(const Eigen::MatrixXd& logits, std::span<const int> labels,
                     Eigen::MatrixXd* grad) {
  require(static_cast<Eigen::Index>(labels.size()) == logits.cols(),
          "cross entropy: {} labels for {} items", labels.size(), logits.cols());
  const Eigen::MatrixXd p = softmax(logits);
  const double n = static_cast<double>(labels.size());
  double loss = 0;
  for (Eigen::Index i = 0; i < logits.cols(); ++i) {
    require(labels[i] >= 0 && labels[i] < logits.rows(), "label {} is outside 0..{}", labels[i],
            logits.rows() - 1);
    loss -= std::log(std::max(p(labels[i], i), 1e-300));
  }
  if (grad) {
    *grad = p;
    for (Eigen::Index i = 0; i < logits.cols(); ++i) (*grad)(labels[i], i) -= 1;
    *grad /= n;
  }
  return loss / n;
}

double mse_loss(const Eigen::MatrixXd& prediction, const Eigen::MatrixXd& target,
                Eigen::MatrixXd* grad) {
  const double count = static_cast<double>(prediction.size());
  if (grad) *grad = 2 * (prediction - target) / count;
  return (prediction - target).squaredNorm() / count;
}

namespace {

Network conv_encoder(int latent) {
  const Window down{3, 2, 1};
  Network n;
  n.add(conv2d({1, 28, 28}, 64, down)).add(relu({64, 14, 14}));
  n.add(conv2d({64, 14, 14}, 128, down)).add(batch_norm({128, 7, 7})).add(relu({128, 7, 7}));
  n.add(conv2d({128, 7, 7}, 256, {3, 2, 0})).add(relu({256, 3, 3}));
  n.add(flatten({256, 3, 3})).add(linear(2304, 128)).add(relu({128, 1, 1}));
  n.add(linear(128, latent)).add(normalise_abs(latent));
  return n;
}

Network conv_decoder(int latent) {
  Network n;
  n.add(linear(latent, 128)).add(relu({128, 1, 1}));
  n.add(linear(128, 2304)).add(relu({2304, 1, 1})).add(unflatten({256, 3, 3}));
  n.add(conv_transpose2d({256, 3, 3}, 128, {3, 2, 0}, 0));
  n.add(batch_norm({128, 7, 7})).add(relu({128, 7, 7}));
  n.add(conv_transpose2d({128, 7, 7}, 64, {3, 2, 1}, 1));
  n.add(batch_norm({64, 14, 14})).add(relu({64, 14, 14}));
  n.add(conv_transpose2d({64, 14, 14}, 1, {3, 2, 1}, 1)).add(sigmoid({1, 28, 28}));
  return n;
}

Network mlp_encoder(const AutoencoderSpec& s) {
  Network n;
  n.add(flatten(s.image));
  int width = s.image.size();
  for (int h : s.mlp_hidden) {
    n.add(linear(width, h)).add(relu({h, 1, 1}));
    width = h;
  }
  n.add(linear(width, s.latent)).add(normalise_abs(s.latent));
  return n;
}

Network mlp_decoder(const AutoencoderSpec& s) {
  Network n;
  int width = s.latent;
  for (auto h = s.mlp_hidden.rbegin(); h != s.mlp_hidden.rend(); ++h) {
    n.add(linear(width, *h)).add(relu({*h, 1, 1}));
    width = *h;
  }
  n.add(linear(width, s.image.size())).add(sigmoid({s.image.size(), 1, 1}));
  n.add(unflatten(s.image));
  return n;
}

}  // namespace

Autoencoder::Autoencoder(const AutoencoderSpec& spec) : spec_(spec) {
  require_in_range("autoencoder latent size", spec.latent, 1, 4096);
  if (spec.architecture == "conv") {
    require(spec.image == Shape{1, 28, 28},
            "the conv autoencoder takes 28x28 single-channel images, not {}x{}x{} (use mlp)",
            spec.image.c, spec.image.h, spec.image.w);
    encoder_ = conv_encoder(spec.latent);
    decoder_ = conv_decoder(spec.latent);
  } else if (spec.architecture == "mlp") {
    for (int h : spec.mlp_hidden) require_in_range("mlp hidden width", h, 1, 1 << 16);
    encoder_ = mlp_encoder(spec);
    decoder_ = mlp_decoder(spec);
  } else {
    throw std::invalid_argument(fmt::format(
        "autoencoder architecture '{}' is not known: conv or mlp expected", spec.architecture));
  }
}

void Autoencoder::init(std::span<double> params, std::span<double> buffers, Rng& rng) const {
  encoder_.init(params.first(encoder_.num_params()), buffers.first(encoder_.num_buffers()), rng);
  decoder_.init(params.subspan(encoder_.num_params()), buffers.subspan(encoder_.num_buffers()),
                rng);
}

std::vector<double> Autoencoder::encode(std::span<const double> images, int n,
                                        std::span<const double> params,
                                        std::span<const double> buffers) const {
  // Inference leaves the running statistics alone, so a private copy is safe to hand over.
  std::vector<double> b(buffers.begin(), buffers.begin() + encoder_.num_buffers());
  return from_batch(encoder_.forward(to_batch(images, n, spec_.image),
                                     params.first(encoder_.num_params()), b, false, nullptr));
}

std::vector<double> Autoencoder::decode(std::span<const double> latents, int n,
                                        std::span<const double> params,
                                        std::span<const double> buffers) const {
  std::vector<double> b(buffers.begin() + encoder_.num_buffers(), buffers.end());
  return from_batch(decoder_.forward(to_batch(latents, n, {spec_.latent, 1, 1}),
                                     params.subspan(encoder_.num_params()), b, false, nullptr));
}

double Autoencoder::train_batch(std::span<const double> images, int n,
                                std::span<const double> params, std::span<double> buffers,
                                double huber_delta, std::span<double> grad) const {
  const int ep = encoder_.num_params(), eb = encoder_.num_buffers();
  const Batch x = to_batch(images, n, spec_.image);
  Network::Tape enc_tape, dec_tape;
  const Batch z = encoder_.forward(x, params.first(ep), buffers.first(eb), true, &enc_tape);
  const Batch y = decoder_.forward(z, params.subspan(ep), buffers.subspan(eb), true, &dec_tape);
  Eigen::MatrixXd dy;
  const double loss = huber_loss(y.m, x.m, huber_delta, &dy);
  const Batch dz = decoder_.backward({y.shape, n, std::move(dy)}, params.subspan(ep), dec_tape,
                                     grad.subspan(ep));
  encoder_.backward(dz, params.first(ep), enc_tape, grad.first(ep));
  return loss;
}

double Autoencoder::evaluate(std::span<const double> images, int n, std::span<const double> params,
                             std::span<const double> buffers, double huber_delta) const {
  const std::vector<double> latents = encode(images, n, params, buffers);
  const std::vector<double> out = decode(latents, n, params, buffers);
  const Eigen::Map<const Eigen::MatrixXd> a(out.data(), spec_.image.size(), n),
      b(images.data(), spec_.image.size(), n);
  return huber_loss(a, b, huber_delta, nullptr);
}

}  // namespace qdm::nn
