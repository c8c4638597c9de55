#include "framework/nn/layers.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "framework/error.h"

namespace qdm::nn {
namespace {

using Eigen::MatrixXd;
using ConstMap = Eigen::Map<const MatrixXd>;
using Map = Eigen::Map<MatrixXd>;
using VecMap = Eigen::Map<Eigen::VectorXd>;
using ConstVecMap = Eigen::Map<const Eigen::VectorXd>;

void fill_uniform(std::span<double> values, double bound, Rng& rng) {
  for (double& v : values) v = bound * (2 * rng.uniform() - 1);
}

Batch like(const Batch& in, Shape shape, MatrixXd m) { return {shape, in.n, std::move(m)}; }

/// The geometry of a convolution: a large grid (c, h, w) seen through a window, one column of
/// k * k * c values per position of the small grid (rows ordered (ky, kx, c)).
struct Patches {
  Shape big;
  int small_h, small_w;
  Window win;

  MatrixXd gather(const MatrixXd& big_m, int n) const {
    MatrixXd cols = MatrixXd::Zero(static_cast<Eigen::Index>(win.k) * win.k * big.c,
                                   static_cast<Eigen::Index>(n) * small_h * small_w);
    for_each_tap(n, [&](Eigen::Index col, Eigen::Index row, Eigen::Index pixel) {
      cols.col(col).segment(row, big.c) = big_m.col(pixel);
    });
    return cols;
  }

  /// The adjoint of gather: every patch value added back to its pixel.
  MatrixXd scatter(const MatrixXd& cols, int n) const {
    MatrixXd big_m = MatrixXd::Zero(big.c, static_cast<Eigen::Index>(n) * big.pixels());
    for_each_tap(n, [&](Eigen::Index col, Eigen::Index row, Eigen::Index pixel) {
      big_m.col(pixel) += cols.col(col).segment(row, big.c);
    });
    return big_m;
  }

 private:
  /// f(patch column, first row of the tap in it, large-grid pixel column) for every kernel tap
  /// that lands inside the large grid. Images run in parallel: their columns are disjoint.
  template <typename F>
  void for_each_tap(int n, F&& f) const {
    const int k = win.k;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; ++i) {
      for (int oy = 0; oy < small_h; ++oy) {
        for (int ox = 0; ox < small_w; ++ox) {
          const Eigen::Index col = (static_cast<Eigen::Index>(i) * small_h + oy) * small_w + ox;
          for (int ky = 0; ky < k; ++ky) {
            const int y = oy * win.stride - win.pad + ky;
            if (y < 0 || y >= big.h) continue;
            for (int kx = 0; kx < k; ++kx) {
              const int x = ox * win.stride - win.pad + kx;
              if (x < 0 || x >= big.w) continue;
              f(col, static_cast<Eigen::Index>(ky * k + kx) * big.c,
                (static_cast<Eigen::Index>(i) * big.h + y) * big.w + x);
            }
          }
        }
      }
    }
  }
};

class Linear : public Layer {
 public:
  Linear(int in, int out) : in_(in), out_(out) {
    require(in > 0 && out > 0, "linear layer {} -> {}: sizes must be positive", in, out);
  }
  std::string describe() const override { return fmt::format("Linear({}->{})", in_, out_); }
  Shape input_shape() const override { return {in_, 1, 1}; }
  Shape output_shape() const override { return {out_, 1, 1}; }
  int num_params() const override { return out_ * in_ + out_; }
  void init(std::span<double> p, std::span<double>, Rng& rng) const override {
    fill_uniform(p, 1 / std::sqrt(static_cast<double>(in_)), rng);
  }
  Batch forward(const Batch& in, std::span<const double> p, std::span<double>, bool,
                Saved* saved) const override {
    MatrixXd out = weights(p) * in.m;
    out.colwise() += bias(p);
    if (saved) saved->m = {in.m};
    return like(in, output_shape(), std::move(out));
  }
  Batch backward(const Batch& g, std::span<const double> p, const Saved& saved,
                 std::span<double> gp) const override {
    Map(gp.data(), out_, in_).noalias() += g.m * saved.m[0].transpose();
    VecMap(gp.data() + out_ * in_, out_) += g.m.rowwise().sum();
    return like(g, input_shape(), weights(p).transpose() * g.m);
  }

 private:
  ConstMap weights(std::span<const double> p) const { return ConstMap(p.data(), out_, in_); }
  ConstVecMap bias(std::span<const double> p) const {
    return ConstVecMap(p.data() + out_ * in_, out_);
  }
  int in_, out_;
};

Shape conv_output(Shape in, int out_channels, Window w) {
  require(in.h + 2 * w.pad >= w.k && in.w + 2 * w.pad >= w.k,
          "a {}x{} kernel does not fit a {}x{} input with padding {}", w.k, w.k, in.h, in.w, w.pad);
  return {out_channels, (in.h + 2 * w.pad - w.k) / w.stride + 1,
          (in.w + 2 * w.pad - w.k) / w.stride + 1};
}

class Conv2d : public Layer {
 public:
  Conv2d(Shape in, int out_channels, Window w)
      : in_(in), out_(conv_output(in, out_channels, w)), patches_{in, out_.h, out_.w, w} {}
  std::string describe() const override {
    return fmt::format("Conv2d({}->{}, k{}, s{}, p{}) {}x{} -> {}x{}", in_.c, out_.c,
                       patches_.win.k, patches_.win.stride, patches_.win.pad, in_.h, in_.w, out_.h,
                       out_.w);
  }
  Shape input_shape() const override { return in_; }
  Shape output_shape() const override { return out_; }
  int num_params() const override { return out_.c * taps() + out_.c; }
  void init(std::span<double> p, std::span<double>, Rng& rng) const override {
    fill_uniform(p, 1 / std::sqrt(static_cast<double>(taps())), rng);
  }
  Batch forward(const Batch& in, std::span<const double> p, std::span<double>, bool,
                Saved* saved) const override {
    MatrixXd cols = patches_.gather(in.m, in.n);
    MatrixXd out = ConstMap(p.data(), out_.c, taps()) * cols;
    out.colwise() += ConstVecMap(p.data() + out_.c * taps(), out_.c);
    if (saved) saved->m = {std::move(cols)};
    return like(in, out_, std::move(out));
  }
  Batch backward(const Batch& g, std::span<const double> p, const Saved& saved,
                 std::span<double> gp) const override {
    Map(gp.data(), out_.c, taps()).noalias() += g.m * saved.m[0].transpose();
    VecMap(gp.data() + out_.c * taps(), out_.c) += g.m.rowwise().sum();
    const MatrixXd cols = ConstMap(p.data(), out_.c, taps()).transpose() * g.m;
    return like(g, in_, patches_.scatter(cols, g.n));
  }

 private:
  int taps() const { return patches_.win.k * patches_.win.k * in_.c; }
  Shape in_, out_;
  Patches patches_;
};

class ConvTranspose2d : public Layer {
 public:
  ConvTranspose2d(Shape in, int out_channels, Window w, int output_padding)
      : in_(in),
        out_{out_channels, (in.h - 1) * w.stride - 2 * w.pad + w.k + output_padding,
             (in.w - 1) * w.stride - 2 * w.pad + w.k + output_padding},
        patches_{out_, in.h, in.w, w} {
    require(output_padding >= 0 && output_padding < w.stride,
            "output padding {} must be in 0..{} (below the stride)", output_padding, w.stride - 1);
    require(out_.h > 0 && conv_output(out_, in.c, w) == in_,
            "ConvTranspose2d geometry does not invert to a {}x{} input", in.h, in.w);
  }
  std::string describe() const override {
    return fmt::format("ConvTranspose2d({}->{}, k{}, s{}, p{}) {}x{} -> {}x{}", in_.c, out_.c,
                       patches_.win.k, patches_.win.stride, patches_.win.pad, in_.h, in_.w, out_.h,
                       out_.w);
  }
  Shape input_shape() const override { return in_; }
  Shape output_shape() const override { return out_; }
  int num_params() const override { return taps() * in_.c + out_.c; }
  void init(std::span<double> p, std::span<double>, Rng& rng) const override {
    // torch's fan-in of a transposed convolution counts output channels.
    fill_uniform(p, 1 / std::sqrt(static_cast<double>(taps())), rng);
  }
  Batch forward(const Batch& in, std::span<const double> p, std::span<double>, bool,
                Saved* saved) const override {
    const MatrixXd cols = ConstMap(p.data(), taps(), in_.c) * in.m;
    MatrixXd out = patches_.scatter(cols, in.n);
    out.colwise() += ConstVecMap(p.data() + taps() * in_.c, out_.c);
    if (saved) saved->m = {in.m};
    return like(in, out_, std::move(out));
  }
  Batch backward(const Batch& g, std::span<const double> p, const Saved& saved,
                 std::span<double> gp) const override {
    const MatrixXd cols = patches_.gather(g.m, g.n);
    Map(gp.data(), taps(), in_.c).noalias() += cols * saved.m[0].transpose();
    VecMap(gp.data() + taps() * in_.c, out_.c) += g.m.rowwise().sum();
    return like(g, in_, ConstMap(p.data(), taps(), in_.c).transpose() * cols);
  }

 private:
  int taps() const { return patches_.win.k * patches_.win.k * out_.c; }
  Shape in_, out_;
  Patches patches_;
};

class BatchNorm : public Layer {
 public:
  explicit BatchNorm(Shape in) : in_(in) {}
  std::string describe() const override { return fmt::format("BatchNorm2d({})", in_.c); }
  Shape input_shape() const override { return in_; }
  Shape output_shape() const override { return in_; }
  int num_params() const override { return 2 * in_.c; }
  int num_buffers() const override { return 2 * in_.c; }
  void init(std::span<double> p, std::span<double> b, Rng&) const override {
    std::fill(p.begin(), p.begin() + in_.c, 1.0);
    std::fill(p.begin() + in_.c, p.end(), 0.0);
    std::fill(b.begin(), b.begin() + in_.c, 0.0);
    std::fill(b.begin() + in_.c, b.end(), 1.0);
  }
  Batch forward(const Batch& in, std::span<const double> p, std::span<double> b, bool training,
                Saved* saved) const override {
    const int c = in_.c;
    VecMap running_mean(b.data(), c), running_var(b.data() + c, c);
    Eigen::VectorXd mean, var;
    const double count = static_cast<double>(in.m.cols());
    if (training) {
      require(count > 1, "batch norm in training needs more than one value per channel");
      mean = in.m.rowwise().mean();
      var = (in.m.colwise() - mean).array().square().rowwise().mean();
      running_mean = (1 - kMomentum) * running_mean + kMomentum * mean;
      running_var = (1 - kMomentum) * running_var + kMomentum * var * (count / (count - 1));
    } else {
      mean = running_mean;
      var = running_var;
    }
    const Eigen::VectorXd inv_std = (var.array() + kEps).rsqrt();
    MatrixXd xhat = (in.m.colwise() - mean).array().colwise() * inv_std.array();
    MatrixXd out = (xhat.array().colwise() * ConstVecMap(p.data(), c).array()).matrix();
    out.colwise() += ConstVecMap(p.data() + c, c);
    if (saved) saved->m = {std::move(xhat), inv_std, MatrixXd::Constant(1, 1, training ? 1 : 0)};
    return like(in, in_, std::move(out));
  }
  Batch backward(const Batch& g, std::span<const double> p, const Saved& saved,
                 std::span<double> gp) const override {
    const int c = in_.c;
    const MatrixXd& xhat = saved.m[0];
    const Eigen::ArrayXd inv_std = saved.m[1].col(0).array();
    VecMap(gp.data(), c) += (g.m.array() * xhat.array()).rowwise().sum().matrix();
    VecMap(gp.data() + c, c) += g.m.rowwise().sum();
    const Eigen::ArrayXd gamma = ConstVecMap(p.data(), c).array();
    const MatrixXd dxhat = g.m.array().colwise() * gamma;
    if (saved.m[2](0, 0) == 0) return like(g, in_, dxhat.array().colwise() * inv_std);
    // Batch statistics depend on every input: the standard batch-norm backward.
    const double count = static_cast<double>(g.m.cols());
    const Eigen::ArrayXd sum = dxhat.rowwise().sum().array();
    const Eigen::ArrayXd dot = (dxhat.array() * xhat.array()).rowwise().sum();
    MatrixXd dx =
        ((count * dxhat.array()).colwise() - sum - xhat.array().colwise() * dot).colwise() *
        (inv_std / count);
    return like(g, in_, std::move(dx));
  }

 private:
  static constexpr double kMomentum = 0.1, kEps = 1e-5;
  Shape in_;
};

/// Element-wise activations; the backward pass needs only the output.
template <typename F, typename DF>
class Elementwise : public Layer {
 public:
  Elementwise(const char* name, Shape in, F f, DF df) : name_(name), in_(in), f_(f), df_(df) {}
  std::string describe() const override { return name_; }
  Shape input_shape() const override { return in_; }
  Shape output_shape() const override { return in_; }
  Batch forward(const Batch& in, std::span<const double>, std::span<double>, bool,
                Saved* saved) const override {
    MatrixXd out = in.m.unaryExpr(f_);
    if (saved) saved->m = {out};
    return like(in, in_, std::move(out));
  }
  Batch backward(const Batch& g, std::span<const double>, const Saved& saved,
                 std::span<double>) const override {
    return like(g, in_, g.m.cwiseProduct(saved.m[0].unaryExpr(df_)));
  }

 private:
  const char* name_;
  Shape in_;
  F f_;
  DF df_;
};

template <typename F, typename DF>
std::unique_ptr<Layer> elementwise(const char* name, Shape in, F f, DF df) {
  return std::make_unique<Elementwise<F, DF>>(name, in, f, df);
}

/// (c, n * h * w) <-> (c * h * w, n), keeping (c, y, x) order within an item.
MatrixXd to_flat(const MatrixXd& m, Shape s, int n) {
  MatrixXd out(s.size(), n);
  for (int i = 0; i < n; ++i) {
    for (int p = 0; p < s.pixels(); ++p) {
      for (int c = 0; c < s.c; ++c) {
        out(static_cast<Eigen::Index>(c) * s.pixels() + p, i) =
            m(c, static_cast<Eigen::Index>(i) * s.pixels() + p);
      }
    }
  }
  return out;
}
MatrixXd from_flat(const MatrixXd& m, Shape s, int n) {
  MatrixXd out(s.c, static_cast<Eigen::Index>(n) * s.pixels());
  for (int i = 0; i < n; ++i) {
    for (int p = 0; p < s.pixels(); ++p) {
      for (int c = 0; c < s.c; ++c) {
        out(c, static_cast<Eigen::Index>(i) * s.pixels() + p) =
            m(static_cast<Eigen::Index>(c) * s.pixels() + p, i);
      }
    }
  }
  return out;
}

class Reshape : public Layer {
 public:
  Reshape(Shape image, bool to_features) : image_(image), to_features_(to_features) {}
  std::string describe() const override {
    return fmt::format("{}({}x{}x{})", to_features_ ? "Flatten" : "Unflatten", image_.c, image_.h,
                       image_.w);
  }
  Shape input_shape() const override { return to_features_ ? image_ : features(); }
  Shape output_shape() const override { return to_features_ ? features() : image_; }
  Batch forward(const Batch& in, std::span<const double>, std::span<double>, bool,
                Saved*) const override {
    return like(in, output_shape(), convert(in.m, in.n, to_features_));
  }
  Batch backward(const Batch& g, std::span<const double>, const Saved&,
                 std::span<double>) const override {
    return like(g, input_shape(), convert(g.m, g.n, !to_features_));
  }

 private:
  Shape features() const { return {image_.size(), 1, 1}; }
  MatrixXd convert(const MatrixXd& m, int n, bool flat) const {
    return flat ? to_flat(m, image_, n) : from_flat(m, image_, n);
  }
  Shape image_;
  bool to_features_;
};

/// MaxPool2d with a k x k window and stride k (floor: a ragged edge is dropped, as torch does).
/// The backward pass routes each gradient to the input that won its window.
class MaxPool : public Layer {
 public:
  MaxPool(Shape in, int k) : in_(in), k_(k), out_{in.c, in.h / k, in.w / k} {
    require(k >= 1 && out_.h >= 1 && out_.w >= 1, "a {}x{} pool does not fit a {}x{} input", k, k,
            in.h, in.w);
  }
  std::string describe() const override { return fmt::format("MaxPool2d({})", k_); }
  Shape input_shape() const override { return in_; }
  Shape output_shape() const override { return out_; }
  Batch forward(const Batch& in, std::span<const double>, std::span<double>, bool,
                Saved* saved) const override {
    MatrixXd out(in_.c, static_cast<Eigen::Index>(in.n) * out_.pixels());
    // The winner's column in the input, stored as a double so it travels in Saved.
    MatrixXd winner(out.rows(), out.cols());
#pragma omp parallel for schedule(static)
    for (int i = 0; i < in.n; ++i) {
      for (int oy = 0; oy < out_.h; ++oy) {
        for (int ox = 0; ox < out_.w; ++ox) {
          const Eigen::Index o = (static_cast<Eigen::Index>(i) * out_.h + oy) * out_.w + ox;
          for (int c = 0; c < in_.c; ++c) {
            double best = -std::numeric_limits<double>::infinity();
            Eigen::Index at = 0;
            for (int ky = 0; ky < k_; ++ky) {
              for (int kx = 0; kx < k_; ++kx) {
                const Eigen::Index p =
                    (static_cast<Eigen::Index>(i) * in_.h + oy * k_ + ky) * in_.w + ox * k_ + kx;
                if (in.m(c, p) > best) {
                  best = in.m(c, p);
                  at = p;
                }
              }
            }
            out(c, o) = best;
            winner(c, o) = static_cast<double>(at);
          }
        }
      }
    }
    if (saved) saved->m = {std::move(winner)};
    return like(in, out_, std::move(out));
  }
  Batch backward(const Batch& g, std::span<const double>, const Saved& saved,
                 std::span<double>) const override {
    MatrixXd grad = MatrixXd::Zero(in_.c, static_cast<Eigen::Index>(g.n) * in_.pixels());
    const MatrixXd& winner = saved.m[0];
    for (Eigen::Index o = 0; o < g.m.cols(); ++o) {
      for (int c = 0; c < in_.c; ++c) {
        grad(c, static_cast<Eigen::Index>(winner(c, o))) += g.m(c, o);
      }
    }
    return like(g, in_, std::move(grad));
  }

 private:
  Shape in_;
  int k_;
  Shape out_;
};

class NormaliseAbs : public Layer {
 public:
  explicit NormaliseAbs(int features) : features_(features) {}
  std::string describe() const override { return "abs(normalize)"; }
  Shape input_shape() const override { return {features_, 1, 1}; }
  Shape output_shape() const override { return {features_, 1, 1}; }
  Batch forward(const Batch& in, std::span<const double>, std::span<double>, bool,
                Saved* saved) const override {
    MatrixXd out(in.m.rows(), in.m.cols());
    for (Eigen::Index i = 0; i < in.m.cols(); ++i) {
      out.col(i) = in.m.col(i).cwiseAbs() / norm(in.m.col(i));
    }
    if (saved) saved->m = {in.m};
    return like(in, output_shape(), std::move(out));
  }
  Batch backward(const Batch& g, std::span<const double>, const Saved& saved,
                 std::span<double>) const override {
    const MatrixXd& z = saved.m[0];
    MatrixXd dz(z.rows(), z.cols());
    for (Eigen::Index i = 0; i < z.cols(); ++i) {
      const double r = norm(z.col(i));
      const Eigen::VectorXd u = z.col(i) / r;
      const Eigen::VectorXd du = g.m.col(i).cwiseProduct(z.col(i).cwiseSign());
      dz.col(i) = (du - u * u.dot(du)) / r;
    }
    return like(g, input_shape(), std::move(dz));
  }

 private:
  // F.normalize's eps keeps an all-zero latent finite.
  static double norm(const Eigen::VectorXd& v) { return std::max(v.norm(), 1e-12); }
  int features_;
};

}  // namespace

Batch to_batch(std::span<const double> items, int n, Shape shape) {
  require(items.size() == static_cast<size_t>(n) * shape.size(),
          "{} values do not make {} items of {}x{}x{}", items.size(), n, shape.c, shape.h, shape.w);
  const MatrixXd flat = ConstMap(items.data(), shape.size(), n);
  return {shape, n, from_flat(flat, shape, n)};
}

std::vector<double> from_batch(const Batch& b) {
  const MatrixXd flat = to_flat(b.m, b.shape, b.n);
  return {flat.data(), flat.data() + flat.size()};
}

void Layer::init(std::span<double>, std::span<double>, Rng&) const {}

std::unique_ptr<Layer> linear(int in, int out) { return std::make_unique<Linear>(in, out); }
std::unique_ptr<Layer> conv2d(Shape in, int out_channels, Window window) {
  return std::make_unique<Conv2d>(in, out_channels, window);
}
std::unique_ptr<Layer> conv_transpose2d(Shape in, int out_channels, Window window,
                                        int output_padding) {
  return std::make_unique<ConvTranspose2d>(in, out_channels, window, output_padding);
}
std::unique_ptr<Layer> batch_norm(Shape in) { return std::make_unique<BatchNorm>(in); }
std::unique_ptr<Layer> relu(Shape in) {
  return elementwise(
      "ReLU", in, [](double x) { return x > 0 ? x : 0.0; },
      [](double y) { return y > 0 ? 1.0 : 0.0; });
}
std::unique_ptr<Layer> sigmoid(Shape in) {
  return elementwise(
      "Sigmoid", in, [](double x) { return 1 / (1 + std::exp(-x)); },
      [](double y) { return y * (1 - y); });
}
std::unique_ptr<Layer> flatten(Shape in) { return std::make_unique<Reshape>(in, true); }
std::unique_ptr<Layer> unflatten(Shape out) { return std::make_unique<Reshape>(out, false); }
std::unique_ptr<Layer> max_pool2d(Shape in, int k) { return std::make_unique<MaxPool>(in, k); }
std::unique_ptr<Layer> normalise_abs(int features) {
  return std::make_unique<NormaliseAbs>(features);
}

}  // namespace qdm::nn
