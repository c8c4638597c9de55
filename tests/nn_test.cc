// The classical layers against finite differences and against textbook loops.
#include <gtest/gtest.h>

#include <functional>

#include "framework/nn/network.h"

namespace qdm::nn {
namespace {

std::vector<double> random_vector(Rng& rng, size_t n, double scale = 1.0) {
  std::vector<double> v(n);
  for (double& x : v) x = scale * rng.normal();
  return v;
}

/// L = sum(weights .* network(x)) so every output element carries a distinct cotangent. Checks
/// d L / d params and d L / d x by central differences (h = 1e-6) with tolerance
/// 1e-6 * max(|fd|, 1).
void check_gradients(const Network& net, int n, uint64_t seed, bool training) {
  Rng rng(seed);
  const Shape in_shape = net.input_shape(), out_shape = net.output_shape();
  std::vector<double> params(net.num_params()), buffers(net.num_buffers());
  net.init(params, buffers, rng);
  for (double& p : params) p += 0.1 * rng.normal();  // batch norm starts at gamma 1, beta 0
  const std::vector<double> x = random_vector(rng, static_cast<size_t>(n) * in_shape.size());
  const std::vector<double> w = random_vector(rng, static_cast<size_t>(n) * out_shape.size());
  const auto loss = [&](const std::vector<double>& p, const std::vector<double>& input) {
    std::vector<double> b = buffers;
    const auto out = from_batch(net.forward(to_batch(input, n, in_shape), p, b, training, nullptr));
    double s = 0;
    for (size_t i = 0; i < out.size(); ++i) s += w[i] * out[i];
    return s;
  };
  std::vector<double> b = buffers, grad(params.size(), 0.0);
  Network::Tape tape;
  const Batch out = net.forward(to_batch(x, n, in_shape), params, b, training, &tape);
  const Batch dx = net.backward(to_batch(w, n, out_shape), params, tape, grad);
  const std::vector<double> grad_x = from_batch(dx);

  const double h = 1e-6;
  double worst = 0;
  const auto compare = [&](double analytic, std::vector<double>& v, size_t i, bool is_param) {
    const double keep = v[i];
    v[i] = keep + h;
    const double up = is_param ? loss(v, x) : loss(params, v);
    v[i] = keep - h;
    const double down = is_param ? loss(v, x) : loss(params, v);
    v[i] = keep;
    const double fd = (up - down) / (2 * h);
    const double err = std::abs(analytic - fd) / std::max(std::abs(fd), 1.0);
    worst = std::max(worst, err);
    EXPECT_LT(err, 1e-6) << net.describe() << (is_param ? " param " : " input ") << i
                         << ": adjoint " << analytic << " vs fd " << fd;
  };
  // At most 200 coordinates of each, spread over the vector.
  auto p = params;
  for (size_t i = 0; i < p.size(); i += std::max<size_t>(1, p.size() / 200)) {
    compare(grad[i], p, i, true);
  }
  auto in = x;
  for (size_t i = 0; i < in.size(); i += std::max<size_t>(1, in.size() / 200)) {
    compare(grad_x[i], in, i, false);
  }
  std::cout << "[ info ] " << net.describe() << (training ? " (training)" : " (inference)")
            << ": worst relative error " << worst << "\n";
}

Network single(std::unique_ptr<Layer> layer) {
  Network n;
  n.add(std::move(layer));
  return n;
}

TEST(Layers, GradientsMatchFiniteDifferences) {
  check_gradients(single(linear(7, 5)), 3, 1, true);
  check_gradients(single(conv2d({3, 9, 8}, 4, {3, 2, 1})), 2, 2, true);
  check_gradients(single(conv2d({2, 7, 7}, 3, {3, 2, 0})), 2, 3, true);
  check_gradients(single(conv_transpose2d({4, 3, 3}, 2, {3, 2, 0}, 0)), 2, 4, true);
  check_gradients(single(conv_transpose2d({3, 4, 5}, 2, {3, 2, 1}, 1)), 2, 5, true);
  check_gradients(single(batch_norm({3, 4, 4})), 3, 6, true);
  check_gradients(single(batch_norm({3, 4, 4})), 3, 7, false);
  check_gradients(single(sigmoid({2, 3, 3})), 2, 8, true);
  check_gradients(single(normalise_abs(6)), 4, 9, true);
  check_gradients(single(flatten({3, 2, 4})), 2, 10, true);
  check_gradients(single(unflatten({3, 2, 4})), 2, 11, true);
  // ReLU's kink: Gaussian inputs are almost surely 1e-6 away from 0.
  check_gradients(single(relu({2, 5, 5})), 2, 12, true);
  // Max pooling: Gaussian inputs have no ties, so the winner is stable under +-1e-6.
  check_gradients(single(max_pool2d({3, 6, 7}, 2)), 2, 13, true);
}

TEST(Layers, MaxPoolTakesEachWindowsMaximumAndDropsTheRaggedEdge) {
  const auto pool = max_pool2d({1, 3, 5}, 2);
  EXPECT_EQ(pool->output_shape(), (Shape{1, 1, 2}));
  // Row-major 3x5: the windows are rows 0-1 x columns 0-1 and 2-3; row 2 and column 4 drop.
  const std::vector<double> x = {1, 9, 2, 3, 99, 4, 0, 8, -1, 99, 99, 99, 99, 99, 99};
  std::vector<double> none;
  EXPECT_EQ(from_batch(pool->forward(to_batch(x, 1, {1, 3, 5}), {}, none, false, nullptr)),
            (std::vector<double>{9, 8}));
}

TEST(Losses, CrossEntropyMatchesItsDefinitionAndFiniteDifferences) {
  Rng rng(14);
  const int classes = 4, n = 3;
  Eigen::MatrixXd logits(classes, n);
  for (double& v : logits.reshaped()) v = 3 * rng.normal();
  const std::vector<int> labels = {2, 0, 3};
  Eigen::MatrixXd grad;
  const double loss = cross_entropy(logits, labels, &grad);
  double want = 0;
  for (int i = 0; i < n; ++i) {
    double partition = 0;
    for (int k = 0; k < classes; ++k) partition += std::exp(logits(k, i));
    want -= logits(labels[i], i) - std::log(partition);
  }
  EXPECT_NEAR(loss, want / n, 1e-12);
  EXPECT_NEAR(softmax(logits).colwise().sum().maxCoeff(), 1.0, 1e-12);
  const double h = 1e-6;
  for (Eigen::Index k = 0; k < logits.size(); ++k) {
    Eigen::MatrixXd up = logits, down = logits;
    up.reshaped()(k) += h;
    down.reshaped()(k) -= h;
    const double fd =
        (cross_entropy(up, labels, nullptr) - cross_entropy(down, labels, nullptr)) / (2 * h);
    EXPECT_NEAR(grad.reshaped()(k), fd, 1e-8);
  }
  EXPECT_THROW(cross_entropy(logits, std::vector<int>{2, 0, 4}, nullptr), std::invalid_argument);
}

TEST(Layers, SmallConvAutoencoderChainMatchesFiniteDifferences) {
  Network n;
  n.add(conv2d({1, 8, 8}, 3, {3, 2, 1})).add(batch_norm({3, 4, 4})).add(relu({3, 4, 4}));
  n.add(flatten({3, 4, 4})).add(linear(48, 4)).add(normalise_abs(4)).add(linear(4, 48));
  n.add(unflatten({3, 4, 4})).add(conv_transpose2d({3, 4, 4}, 1, {3, 2, 1}, 1));
  n.add(sigmoid({1, 8, 8}));
  check_gradients(n, 3, 20, true);
}

/// The textbook definitions, one output element at a time, in the layers' weight layout
/// (row (ky * k + kx) * channels + c).
TEST(Layers, ConvolutionsMatchDirectLoops) {
  Rng rng(30);
  const Shape in{3, 7, 6};
  const Window win{3, 2, 1};
  const int cout = 4, n = 2;
  const auto conv = conv2d(in, cout, win);
  const Shape out = conv->output_shape();
  EXPECT_EQ(out, (Shape{4, 4, 3}));
  const auto p = random_vector(rng, conv->num_params());
  const auto x = random_vector(rng, static_cast<size_t>(n) * in.size());
  std::vector<double> none;
  const auto got = from_batch(conv->forward(to_batch(x, n, in), p, none, false, nullptr));
  const int taps = 9 * in.c;
  double worst = 0;
  for (int i = 0; i < n; ++i) {
    for (int co = 0; co < cout; ++co) {
      for (int oy = 0; oy < out.h; ++oy) {
        for (int ox = 0; ox < out.w; ++ox) {
          double want = p[cout * taps + co];
          for (int c = 0; c < in.c; ++c) {
            for (int ky = 0; ky < 3; ++ky) {
              for (int kx = 0; kx < 3; ++kx) {
                const int y = oy * 2 - 1 + ky, xx = ox * 2 - 1 + kx;
                if (y < 0 || y >= in.h || xx < 0 || xx >= in.w) continue;
                want += p[((ky * 3 + kx) * in.c + c) * cout + co] *
                        x[((i * in.c + c) * in.h + y) * in.w + xx];
              }
            }
          }
          worst =
              std::max(worst, std::abs(got[((i * cout + co) * out.h + oy) * out.w + ox] - want));
        }
      }
    }
  }
  EXPECT_LT(worst, 1e-12);

  // The transposed convolution scatters each input pixel through the kernel.
  const Shape small{3, 4, 3};
  const auto convt = conv_transpose2d(small, 2, win, 1);
  const Shape big = convt->output_shape();
  EXPECT_EQ(big, (Shape{2, 8, 6}));  // (4 - 1) * 2 - 2 + 3 + 1
  const auto pt = random_vector(rng, convt->num_params());
  const auto xs = random_vector(rng, static_cast<size_t>(n) * small.size());
  const auto gt = from_batch(convt->forward(to_batch(xs, n, small), pt, none, false, nullptr));
  std::vector<double> want(gt.size(), 0.0);
  const int taps_t = 9 * big.c;
  for (int i = 0; i < n; ++i) {
    for (int co = 0; co < big.c; ++co) {
      for (int y = 0; y < big.h; ++y) {
        for (int xx = 0; xx < big.w; ++xx) {
          want[((i * big.c + co) * big.h + y) * big.w + xx] = pt[taps_t * small.c + co];
        }
      }
    }
    for (int c = 0; c < small.c; ++c) {
      for (int iy = 0; iy < small.h; ++iy) {
        for (int ix = 0; ix < small.w; ++ix) {
          for (int ky = 0; ky < 3; ++ky) {
            for (int kx = 0; kx < 3; ++kx) {
              const int y = iy * 2 - 1 + ky, xx = ix * 2 - 1 + kx;
              if (y < 0 || y >= big.h || xx < 0 || xx >= big.w) continue;
              for (int co = 0; co < big.c; ++co) {
                want[((i * big.c + co) * big.h + y) * big.w + xx] +=
                    pt[c * taps_t + (ky * 3 + kx) * big.c + co] *
                    xs[((i * small.c + c) * small.h + iy) * small.w + ix];
              }
            }
          }
        }
      }
    }
  }
  worst = 0;
  for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(gt[i] - want[i]));
  EXPECT_LT(worst, 1e-12);
}

TEST(Layers, BatchNormNormalisesAndTracksRunningStatistics) {
  Rng rng(40);
  const auto bn = batch_norm({2, 3, 3});
  std::vector<double> p(4), b(4);
  bn->init(p, b, rng);
  auto x = random_vector(rng, 4 * 18, 3.0);
  for (size_t i = 0; i < x.size(); ++i) x[i] += 5;
  const Batch out = bn->forward(to_batch(x, 4, {2, 3, 3}), p, b, true, nullptr);
  for (int c = 0; c < 2; ++c) {
    EXPECT_NEAR(out.m.row(c).mean(), 0.0, 1e-12);
    EXPECT_NEAR((out.m.row(c).array().square()).mean(), 1.0, 1e-3);  // eps 1e-5 shrinks it
  }
  EXPECT_GT(b[0], 0.4);  // 0.1 of a mean near 5
  EXPECT_LT(b[0], 0.6);
}

TEST(Losses, HuberMatchesItsDefinition) {
  Eigen::MatrixXd a(1, 3), t(1, 3), g;
  a << 0.5, 3.0, -2.0;
  t << 0.0, 0.0, 0.0;
  // 0.5 * 0.25, 1 * (3 - 0.5), 1 * (2 - 0.5); mean of three
  EXPECT_NEAR(huber_loss(a, t, 1.0, &g), (0.125 + 2.5 + 1.5) / 3, 1e-15);
  EXPECT_NEAR(g(0, 0), 0.5 / 3, 1e-15);
  EXPECT_NEAR(g(0, 1), 1.0 / 3, 1e-15);
  EXPECT_NEAR(g(0, 2), -1.0 / 3, 1e-15);
}

TEST(Autoencoder, ReferenceArchitectureShapes) {
  const Autoencoder ae(AutoencoderSpec{});
  EXPECT_EQ(ae.encoder().output_shape(), (Shape{8, 1, 1}));
  EXPECT_EQ(ae.decoder().output_shape(), (Shape{1, 28, 28}));
  // torch's counts: conv 640, conv 73856, bn 256, conv 295168, linear 295040 and 1032; the
  // decoder: linear 1152 and 297216, convT 295040, bn 256, convT 73792, bn 128, convT 577.
  EXPECT_EQ(ae.encoder().num_params(), 640 + 73856 + 256 + 295168 + 295040 + 1032);
  EXPECT_EQ(ae.decoder().num_params(), 1152 + 297216 + 295040 + 256 + 73792 + 128 + 577);
  Rng rng(50);
  std::vector<double> p(ae.num_params()), b(ae.num_buffers());
  ae.init(p, b, rng);
  std::vector<double> images(3 * 784);
  for (double& v : images) v = rng.uniform();
  const auto z = ae.encode(images, 3, p, b);
  ASSERT_EQ(z.size(), 24u);
  for (int i = 0; i < 3; ++i) {
    double norm = 0;
    for (int k = 0; k < 8; ++k) {
      EXPECT_GE(z[i * 8 + k], 0.0);
      norm += z[i * 8 + k] * z[i * 8 + k];
    }
    EXPECT_NEAR(norm, 1.0, 1e-12);
  }
  EXPECT_EQ(ae.decode(z, 3, p, b).size(), 3u * 784);
}

TEST(Autoencoder, TrainBatchGradientMatchesFiniteDifferences) {
  AutoencoderSpec spec;
  spec.architecture = "mlp";
  spec.image = {1, 4, 4};
  spec.latent = 3;
  spec.mlp_hidden = {5};
  const Autoencoder ae(spec);
  Rng rng(60);
  std::vector<double> p(ae.num_params()), b(ae.num_buffers()), images(4 * 16);
  ae.init(p, b, rng);
  for (double& v : images) v = rng.uniform();
  std::vector<double> grad(p.size(), 0.0);
  ae.train_batch(images, 4, p, b, 1.0, grad);
  const double h = 1e-6;
  for (size_t i = 0; i < p.size(); ++i) {
    std::vector<double> none(grad.size());
    const double keep = p[i];
    p[i] = keep + h;
    const double up = ae.train_batch(images, 4, p, b, 1.0, none);
    p[i] = keep - h;
    const double down = ae.train_batch(images, 4, p, b, 1.0, none);
    p[i] = keep;
    const double fd = (up - down) / (2 * h);
    EXPECT_NEAR(grad[i], fd, 1e-7 * std::max(std::abs(fd), 1.0)) << "param " << i;
  }
}

TEST(Autoencoder, BadSpecsAreClearErrors) {
  AutoencoderSpec s;
  s.image = {1, 16, 16};
  EXPECT_THROW(
      {
        try {
          Autoencoder{s};
        } catch (const std::invalid_argument& e) {
          EXPECT_STREQ(e.what(),
                       "the conv autoencoder takes 28x28 single-channel images, not 1x16x16 (use "
                       "mlp)");
          throw;
        }
      },
      std::invalid_argument);
  s.architecture = "resnet";
  EXPECT_THROW(Autoencoder{s}, std::invalid_argument);
}

}  // namespace
}  // namespace qdm::nn
