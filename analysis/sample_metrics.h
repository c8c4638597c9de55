#pragma once
/// The sample metrics of `qdm analyze`: what the evaluation classifier says of generated images,
/// and how their distribution compares with held-out real images, each with the same metric of a
/// real sample of the same size and label mix as its floor.

#include <string>
#include <vector>

#include "analysis/classifier.h"

namespace qdm::analysis {

struct Metric {
  std::string name;
  double value = 0;
  std::string definition;
  long long samples = 0;    ///< generated (or floor) images it is computed on
  long long reference = 0;  ///< real images it is compared with (0: none)
};

/// Images in the classifier's domain (n x 28 x 28, each scaled to a brightest pixel of 1), with
/// the label each was generated for (-1: unconditioned) or, for real images, their true label.
struct ImageSet {
  std::vector<double> pixels;
  std::vector<int> labels;
  int count() const { return static_cast<int>(labels.size()); }
  std::span<const double> image(int k) const;
};

/// rows x cols images (any non-negative scale: abs() of amplitudes, decoder outputs) resized
/// bilinearly to 28 x 28 when they are another size, then scaled to a brightest pixel of 1, so
/// generated and real images meet the classifier alike.
ImageSet to_classifier_domain(std::span<const double> images, int rows, int cols,
                              std::vector<int> labels);

struct MetricInputs {
  ImageSet generated;
  ImageSet reference;        ///< held-out real images of the run's classes
  ImageSet floor;            ///< real training images, one per generated image, same label mix
  std::vector<int> classes;  ///< the run's data classes (empty: all ten)
  int pca_components = 4;
  int jsd_bins = 20;
};

/// Accuracy and quality per requested label (conditioned runs) or the class histogram
/// (unconditioned), FID on the classifier's 128-d features, JSD per digit on a PCA, and pairwise
/// distances; "_real" metrics are the floors.
std::vector<Metric> sample_metrics(const EvalClassifier& classifier, const MetricInputs& in);

}  // namespace qdm::analysis
