#include "analysis/classifier.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "experiments/train_session.h"
#include "framework/datasets.h"
#include "framework/error.h"
#include "framework/hdf5_io.h"
#include "framework/optim.h"
#include "framework/progress.h"

namespace qdm::analysis {
namespace {

constexpr int kChunk = 512;
constexpr int kPixels = kClassifierSide * kClassifierSide;
constexpr int kClasses = 10;

nn::Network make_conv() {
  nn::Network n;
  n.add(nn::conv2d({1, 28, 28}, 32, {3, 1, 1})).add(nn::relu({32, 28, 28}));
  n.add(nn::max_pool2d({32, 28, 28}, 2)).add(nn::flatten({32, 14, 14}));
  return n;
}

nn::Network make_fc() {
  nn::Network n;
  n.add(nn::linear(6272, 256)).add(nn::relu({256, 1, 1}));
  n.add(nn::linear(256, kFeatureSize)).add(nn::relu({kFeatureSize, 1, 1}));
  return n;
}

nn::Network make_head() {
  nn::Network n;
  n.add(nn::linear(kFeatureSize, kClasses));
  return n;
}

/// Inverted dropout: zeroes each value with probability p and scales the rest by 1 / (1 - p);
/// returns the mask (already scaled) that the backward pass multiplies by.
Eigen::MatrixXd dropout(Eigen::MatrixXd& m, double p, Rng& rng) {
  Eigen::MatrixXd mask(m.rows(), m.cols());
  const double keep = 1 / (1 - p);
  for (Eigen::Index i = 0; i < mask.size(); ++i) mask.data()[i] = rng.uniform() < p ? 0.0 : keep;
  m.array() *= mask.array();
  return mask;
}

/// A displacement field for elastic distortion: uniform(-1, 1) per pixel, smoothed by a separable
/// Gaussian (zeros outside), times alpha. Row-major n x n.
std::vector<double> elastic_field(const ClassifierSettings& s, Rng& rng) {
  const int n = kClassifierSide, r = static_cast<int>(std::ceil(3 * s.elastic_sigma));
  std::vector<double> kernel(2 * r + 1);
  for (int k = -r; k <= r; ++k) {
    kernel[k + r] = std::exp(-0.5 * k * k / (s.elastic_sigma * s.elastic_sigma));
  }
  std::vector<double> raw(n * n), rows(n * n, 0.0), out(n * n, 0.0);
  for (double& v : raw) v = 2 * rng.uniform() - 1;
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      for (int k = std::max(-r, -x); k <= std::min(r, n - 1 - x); ++k) {
        rows[y * n + x] += kernel[k + r] * raw[y * n + x + k];
      }
    }
  }
  double sum = 0;
  for (double k : kernel) sum += k;
  const double scale = s.elastic_alpha / (sum * sum);  // the kernel is applied unnormalised twice
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      double v = 0;
      for (int k = std::max(-r, -y); k <= std::min(r, n - 1 - y); ++k) {
        v += kernel[k + r] * rows[(y + k) * n + x];
      }
      out[y * n + x] = scale * v;
    }
  }
  return out;
}

/// `image` under a random small affine map (rotation, scale, shift) about its centre and an
/// elastic displacement, sampled bilinearly with zeros outside. The npm package gives only ~8.5k
/// training digits; without this augmentation test accuracy stays near 94%.
void distort(std::span<const double> image, const ClassifierSettings& s, Rng& rng,
             std::span<double> out) {
  const int n = kClassifierSide;
  std::vector<double> ey, ex;
  if (s.elastic_alpha > 0) {
    ey = elastic_field(s, rng);
    ex = elastic_field(s, rng);
  }
  const double pi = std::acos(-1.0);
  const double angle = (2 * rng.uniform() - 1) * s.max_rotation_degrees * pi / 180;
  const double scale = 1 + (2 * rng.uniform() - 1) * s.max_scale;
  const double dy = (2 * rng.uniform() - 1) * s.max_shift,
               dx = (2 * rng.uniform() - 1) * s.max_shift;
  const double c = std::cos(angle) / scale, sn = std::sin(angle) / scale, mid = 13.5;
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      // The inverse map: where output pixel (y, x) comes from in the input.
      const double u = y - mid - dy, v = x - mid - dx;
      double sy = c * u - sn * v + mid, sx = sn * u + c * v + mid;
      if (!ey.empty()) {
        sy += ey[y * n + x];
        sx += ex[y * n + x];
      }
      const int y0 = static_cast<int>(std::floor(sy)), x0 = static_cast<int>(std::floor(sx));
      const double fy = sy - y0, fx = sx - x0;
      const auto at = [&](int yy, int xx) {
        return yy < 0 || yy >= n || xx < 0 || xx >= n ? 0.0 : image[yy * n + xx];
      };
      out[y * n + x] = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
                       fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
    }
  }
}

void check_size(const LabelledImages& images, const char* what) {
  if (images.rows != kClassifierSide || images.cols != kClassifierSide) {
    throw DataError(
        fmt::format("the evaluation classifier reads 28x28 images; the {} split has "
                    "{}x{}",
                    what, images.rows, images.cols));
  }
}

}  // namespace

std::vector<double> to_unit_pixels(const LabelledImages& images) {
  std::vector<double> v(images.pixels.size());
  std::transform(images.pixels.begin(), images.pixels.end(), v.begin(),
                 [](uint8_t p) { return p / 255.0; });
  return v;
}

std::string ClassifierSettings::describe() const {
  return fmt::format(
      "epochs {} batch {} adam lr {} x{}/epoch; shift {} px, rotation {} deg, scale {}, elastic "
      "alpha {} sigma {}; dropout {} (conv) {} (features); weight average {}; seed {}",
      epochs, batch_size, lr, lr_gamma, max_shift, max_rotation_degrees, max_scale, elastic_alpha,
      elastic_sigma, dropout_conv, dropout_features, weight_average, seed);
}

EvalClassifier::EvalClassifier() : conv_(make_conv()), fc_(make_fc()), head_(make_head()) {
  params.assign(num_params(), 0.0);
}

void EvalClassifier::init(Rng& rng) {
  const auto p = std::span<double>(params);
  std::vector<double> none;
  conv_.init(p.first(conv_.num_params()), none, rng);
  fc_.init(p.subspan(conv_.num_params(), fc_.num_params()), none, rng);
  head_.init(p.subspan(conv_.num_params() + fc_.num_params()), none, rng);
}

int EvalClassifier::num_params() const {
  return conv_.num_params() + fc_.num_params() + head_.num_params();
}

std::string EvalClassifier::describe() const {
  return fmt::format("{} {} {}", conv_.describe(), fc_.describe(), head_.describe());
}

Eigen::MatrixXd EvalClassifier::penultimate(std::span<const double> images, int n) const {
  require(images.size() == static_cast<size_t>(n) * kPixels,
          "the classifier reads 28x28 images: {} values for {} images", images.size(), n);
  Eigen::MatrixXd out(kFeatureSize, n);
  std::vector<double> none;
  const auto p = std::span<const double>(params);
  for (int first = 0; first < n; first += kChunk) {
    const int m = std::min(kChunk, n - first);
    const nn::Batch pooled = conv_.forward(
        nn::to_batch(
            images.subspan(static_cast<size_t>(first) * kPixels, static_cast<size_t>(m) * kPixels),
            m, {1, 28, 28}),
        p.first(conv_.num_params()), none, false, nullptr);
    out.middleCols(first, m) =
        fc_.forward(pooled, p.subspan(conv_.num_params(), fc_.num_params()), none, false, nullptr)
            .m;
  }
  return out;
}

Eigen::MatrixXd EvalClassifier::features(std::span<const double> images, int n) const {
  return penultimate(images, n).transpose();
}

Eigen::MatrixXd EvalClassifier::probabilities(std::span<const double> images, int n) const {
  const Eigen::MatrixXd f = penultimate(images, n);
  std::vector<double> none;
  const nn::Batch logits = head_.forward(
      {{kFeatureSize, 1, 1}, n, f},
      std::span(params).subspan(conv_.num_params() + fc_.num_params()), none, false, nullptr);
  return nn::softmax(logits.m).transpose();
}

double EvalClassifier::accuracy(std::span<const double> images, std::span<const int> labels) const {
  const int n = static_cast<int>(labels.size());
  const Eigen::MatrixXd p = probabilities(images, n);
  int right = 0;
  for (int i = 0; i < n; ++i) {
    Eigen::Index best = 0;
    p.row(i).maxCoeff(&best);
    right += best == labels[i];
  }
  return n ? static_cast<double>(right) / n : 0.0;
}

double EvalClassifier::train_batch(std::span<const double> images, std::span<const int> labels,
                                   const ClassifierSettings& s, Rng& rng,
                                   std::span<double> grad) const {
  const int n = static_cast<int>(labels.size());
  const int nc = conv_.num_params(), nf = fc_.num_params();
  std::vector<double> none;
  nn::Network::Tape conv_tape, fc_tape, head_tape;
  const auto p = std::span<const double>(params);
  nn::Batch pooled =
      conv_.forward(nn::to_batch(images, n, {1, 28, 28}), p.first(nc), none, true, &conv_tape);
  Eigen::MatrixXd conv_mask, feature_mask;
  if (s.dropout_conv > 0) conv_mask = dropout(pooled.m, s.dropout_conv, rng);
  nn::Batch f = fc_.forward(pooled, p.subspan(nc, nf), none, true, &fc_tape);
  if (s.dropout_features > 0) feature_mask = dropout(f.m, s.dropout_features, rng);
  const nn::Batch logits = head_.forward(f, p.subspan(nc + nf), none, true, &head_tape);
  Eigen::MatrixXd dlogits;
  const double loss = nn::cross_entropy(logits.m, labels, &dlogits);
  nn::Batch df = head_.backward({logits.shape, n, std::move(dlogits)}, p.subspan(nc + nf),
                                head_tape, grad.subspan(nc + nf));
  if (s.dropout_features > 0) df.m.array() *= feature_mask.array();
  nn::Batch dpooled = fc_.backward(df, p.subspan(nc, nf), fc_tape, grad.subspan(nc, nf));
  if (s.dropout_conv > 0) dpooled.m.array() *= conv_mask.array();
  conv_.backward(dpooled, p.first(nc), conv_tape, grad.first(nc));
  return loss;
}

EvalClassifier train_classifier(const LabelledImages& train, const LabelledImages& test,
                                const std::string& dataset, const ClassifierSettings& s) {
  check_size(train, "training");
  check_size(test, "test");
  require(train.size() >= static_cast<size_t>(s.batch_size),
          "{} training images are fewer than one batch of {}", train.size(), s.batch_size);
  EvalClassifier c;
  c.dataset = dataset;
  c.seed = s.seed;
  c.epochs = s.epochs;
  c.train_images = static_cast<long long>(train.size());
  c.test_images = static_cast<long long>(test.size());
  Rng rng(splitmix64(s.seed ^ 0xc1a55));
  c.recipe = s.describe();
  // torch's default initialisation, layer by layer, from the seed.
  c.init(rng);
  const std::vector<double> pixels = to_unit_pixels(train);
  const std::vector<int> labels(train.labels.begin(), train.labels.end());
  for (int l : labels) require(l < kClasses, "label {} is outside 0..9", l);

  AdamOptions adam_options;
  adam_options.lr = s.lr;
  Adam adam(c.params.size(), adam_options);
  const int steps_per_epoch = static_cast<int>(train.size() / s.batch_size);
  fmt::print(stderr, "evaluation classifier for {}: {} parameters, {} training images, {} epochs\n",
             dataset, c.num_params(), train.size(), s.epochs);
  Progress progress("classifier step", static_cast<long long>(s.epochs) * steps_per_epoch,
                    "images/s");
  std::vector<double> grad(c.params.size()), batch(static_cast<size_t>(s.batch_size) * kPixels);
  std::vector<int> batch_labels(s.batch_size);
  const std::vector<double> test_pixels = to_unit_pixels(test);
  const std::vector<int> test_labels(test.labels.begin(), test.labels.end());
  std::vector<double> average = c.params;
  const double d = s.weight_average;
  // The accuracy of the weights that would be cached now: the average, when there is one.
  const auto averaged_accuracy = [&] {
    if (d > 0) std::swap(c.params, average);
    const double a = c.accuracy(test_pixels, test_labels);
    if (d > 0) std::swap(c.params, average);
    return a;
  };
  long long step = 0;
  double loss = 0;
  std::string last_accuracy;
  for (int epoch = 0; epoch < s.epochs; ++epoch) {
    const double lr = s.lr * std::pow(s.lr_gamma, epoch);
    const std::vector<uint32_t> order = shuffled(train.size(), rng);
    for (int b = 0; b < steps_per_epoch; ++b) {
      for (int i = 0; i < s.batch_size; ++i) {
        const uint32_t k = order[static_cast<size_t>(b) * s.batch_size + i];
        distort(std::span(pixels).subspan(static_cast<size_t>(k) * kPixels, kPixels), s, rng,
                std::span(batch).subspan(static_cast<size_t>(i) * kPixels, kPixels));
        batch_labels[i] = labels[k];
      }
      std::fill(grad.begin(), grad.end(), 0.0);
      loss = c.train_batch(batch, batch_labels, s, rng, grad);
      adam.step(c.params, grad, lr);
      if (d > 0) {
        for (size_t i = 0; i < average.size(); ++i)
          average[i] = d * average[i] + (1 - d) * c.params[i];
      }
      ++step;
      progress.update(
          step, static_cast<double>(step) * s.batch_size,
          fmt::format("epoch {}/{}  loss {:.4f}{}", epoch + 1, s.epochs, loss, last_accuracy));
    }
    // Shown, never used to pick an epoch: the cached model is the last one.
    last_accuracy = fmt::format("  test accuracy after epoch {}: {:.2f}%", epoch + 1,
                                100 * averaged_accuracy());
  }
  if (d > 0) c.params = std::move(average);
  c.test_accuracy = c.accuracy(test_pixels, test_labels);
  progress.finish(
      step, fmt::format("test accuracy {:.2f}% on {} images", 100 * c.test_accuracy, test.size()));
  return c;
}

std::filesystem::path default_classifier_path(const std::filesystem::path& data_dir,
                                              const std::string& dataset, uint64_t seed) {
  return data_dir / "classifiers" / fmt::format("{}-seed{}.h5", dataset, seed);
}

namespace {

void write_classifier(const EvalClassifier& c, const std::filesystem::path& path) {
  std::filesystem::create_directories(path.parent_path().empty() ? "." : path.parent_path());
  // Written beside the target and renamed over it, so a killed process leaves no half file.
  const std::filesystem::path temporary = fmt::format("{}.partial-{}", path.string(), ::getpid());
  {
    const h5::Handle file = h5::create_file(temporary, true);
    h5::write_attribute(file.get(), "kind", std::string("qdm-eval-classifier"));
    h5::write_attribute(file.get(), "architecture", c.describe());
    h5::write_attribute(file.get(), "dataset", c.dataset);
    h5::write_attribute(file.get(), "seed", static_cast<int64_t>(c.seed));
    const double accuracy[1] = {c.test_accuracy};
    h5::write_dataset(file.get(), "test_accuracy", std::span<const double>(accuracy), {});
    h5::write_attribute(file.get(), "train_images", static_cast<int64_t>(c.train_images));
    h5::write_attribute(file.get(), "test_images", static_cast<int64_t>(c.test_images));
    h5::write_attribute(file.get(), "epochs", static_cast<int64_t>(c.epochs));
    h5::write_attribute(file.get(), "recipe", c.recipe);
    h5::write_dataset(file.get(), "params", std::span<const double>(c.params),
                      {static_cast<hsize_t>(c.params.size())});
  }
  std::filesystem::rename(temporary, path);
}

std::string read_text(hid_t file, const std::filesystem::path& path, const char* name) {
  const auto v = h5::read_string_attribute(file, name);
  if (!v) {
    throw DataError(fmt::format("'{}' is not a qdm evaluation classifier (no '{}' attribute)",
                                path.string(), name));
  }
  return *v;
}

EvalClassifier read_classifier(const std::filesystem::path& path) {
  const h5::Handle file = h5::open_file(path, false);
  EvalClassifier c;
  if (read_text(file.get(), path, "kind") != "qdm-eval-classifier") {
    throw DataError(fmt::format("'{}' is not a qdm evaluation classifier", path.string()));
  }
  if (read_text(file.get(), path, "architecture") != c.describe()) {
    throw DataError(fmt::format("classifier '{}' has another architecture; delete it to retrain",
                                path.string()));
  }
  c.dataset = read_text(file.get(), path, "dataset");
  c.recipe = read_text(file.get(), path, "recipe");
  c.seed = static_cast<uint64_t>(h5::read_int_attribute(file.get(), "seed").value_or(0));
  c.train_images = h5::read_int_attribute(file.get(), "train_images").value_or(0);
  c.test_images = h5::read_int_attribute(file.get(), "test_images").value_or(0);
  c.epochs = static_cast<int>(h5::read_int_attribute(file.get(), "epochs").value_or(0));
  const h5::Array<double> accuracy = h5::read_doubles(file.get(), "test_accuracy");
  c.test_accuracy = accuracy.values.at(0);
  h5::Array<double> p = h5::read_doubles(file.get(), "params");
  if (p.values.size() != c.params.size()) {
    throw DataError(fmt::format("classifier '{}' holds {} parameters; the architecture has {}",
                                path.string(), p.values.size(), c.params.size()));
  }
  c.params = std::move(p.values);
  return c;
}

}  // namespace

std::string cached_classifier_recipe(const std::filesystem::path& cache) {
  const h5::Handle file = h5::open_file(cache, false);
  return read_text(file.get(), cache, "recipe");
}

EvalClassifier load_or_train_classifier(const std::filesystem::path& cache,
                                        const std::filesystem::path& data_dir,
                                        const std::string& dataset,
                                        const ClassifierSettings& settings) {
  if (std::filesystem::exists(cache)) {
    EvalClassifier c = read_classifier(cache);
    if (c.dataset != dataset) {
      throw DataError(fmt::format("classifier '{}' was trained on {}, not {}", cache.string(),
                                  c.dataset, dataset));
    }
    if (c.recipe != settings.describe()) {
      throw DataError(fmt::format(
          "classifier '{}' was trained with another recipe ({}), not this version's ({}); delete "
          "it to retrain",
          cache.string(), c.recipe, settings.describe()));
    }
    return c;
  }
  const LabelledImages train = load_dataset(data_dir, dataset, "train");
  const LabelledImages test = load_dataset(data_dir, dataset, "t10k");
  EvalClassifier c = train_classifier(train, test, dataset, settings);
  write_classifier(c, cache);
  fmt::print(stderr, "cached the classifier as {}\n", cache.string());
  return c;
}

}  // namespace qdm::analysis
