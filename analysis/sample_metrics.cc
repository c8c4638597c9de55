#include "analysis/sample_metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "analysis/statistics.h"
#include "framework/error.h"
#include "framework/image_ops.h"

namespace qdm::analysis {
namespace {

constexpr int kSide = kClassifierSide, kPixels = kSide * kSide, kClasses = 10;

Eigen::MatrixXd pixel_rows(const ImageSet& s, const std::vector<int>& which) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(which.size()), kPixels);
  for (size_t r = 0; r < which.size(); ++r) {
    const auto img = s.image(which[r]);
    for (int p = 0; p < kPixels; ++p) m(static_cast<Eigen::Index>(r), p) = img[p];
  }
  return m;
}

std::vector<int> all_of(const ImageSet& s) {
  std::vector<int> v(s.count());
  for (int k = 0; k < s.count(); ++k) v[k] = k;
  return v;
}
std::vector<int> with_label(const ImageSet& s, int label) {
  std::vector<int> v;
  for (int k = 0; k < s.count(); ++k) {
    if (s.labels[k] == label) v.push_back(k);
  }
  return v;
}

/// JSD of `a` against `ref` on the PCA of `ref`, the mean over components of 20-bin marginals.
double pca_jsd(const Eigen::MatrixXd& a, const Eigen::MatrixXd& ref, const MetricInputs& in) {
  const Pca pca(ref, std::min<int>(in.pca_components, static_cast<int>(ref.rows()) - 1));
  return mean_marginal_jsd(pca.project(a), pca.project(ref), in.jsd_bins);
}

}  // namespace

std::span<const double> ImageSet::image(int k) const {
  return std::span(pixels).subspan(static_cast<size_t>(k) * kPixels, kPixels);
}

ImageSet to_classifier_domain(std::span<const double> images, int rows, int cols,
                              std::vector<int> labels) {
  const size_t size = static_cast<size_t>(rows) * cols;
  require(images.size() == size * labels.size(), "{} values for {} images of {}x{}", images.size(),
          labels.size(), rows, cols);
  ImageSet out;
  out.labels = std::move(labels);
  out.pixels.reserve(out.labels.size() * kPixels);
  for (size_t k = 0; k < out.labels.size(); ++k) {
    const auto img = images.subspan(k * size, size);
    std::vector<double> v = rows == kSide && cols == kSide
                                ? std::vector<double>(img.begin(), img.end())
                                : resize_bilinear(img, rows, cols, kSide, kSide);
    const double top = *std::max_element(v.begin(), v.end());
    for (double& x : v) x = top > 0 ? std::max(x, 0.0) / top : 0.0;
    out.pixels.insert(out.pixels.end(), v.begin(), v.end());
  }
  return out;
}

std::vector<Metric> sample_metrics(const EvalClassifier& classifier, const MetricInputs& in) {
  const ImageSet& gen = in.generated;
  const int n = gen.count();
  require(n >= 2, "metrics need at least 2 samples, got {}", n);
  require(in.reference.count() >= 2, "metrics need at least 2 held-out real images");
  std::vector<Metric> out;
  const auto add = [&](std::string name, double value, std::string definition, long long samples,
                       long long reference) {
    out.push_back({std::move(name), value, std::move(definition), samples, reference});
  };

  // What the classifier says: accuracy and quality per requested label, or the class histogram.
  const Eigen::MatrixXd probs = classifier.probabilities(gen.pixels, n);
  std::vector<int> predicted(n);
  for (int k = 0; k < n; ++k) probs.row(k).maxCoeff(&predicted[k]);
  const std::set<int> requested(gen.labels.begin(), gen.labels.end());
  const bool conditioned = !requested.contains(-1);
  if (conditioned) {
    double right = 0, quality = 0;
    for (int label : requested) {
      const std::vector<int> ks = with_label(gen, label);
      double r = 0, q = 0;
      for (int k : ks) {
        r += predicted[k] == label;
        double mae = 0;
        for (int c = 0; c < kClasses; ++c) mae += std::abs(probs(k, c) - (c == label ? 1 : 0));
        q += 1 - mae / kClasses;
      }
      right += r;
      quality += q;
      const long long m = static_cast<long long>(ks.size());
      add(fmt::format("accuracy_digit_{}", label), r / m,
          fmt::format("share of samples generated for label {} that the classifier assigns to {}",
                      label, label),
          m, 0);
      add(fmt::format("quality_digit_{}", label), q / m,
          "1 - mean |probabilities - one-hot(label)| (the reference's quality)", m, 0);
    }
    add("accuracy", right / n, "share of samples the classifier assigns to their requested label",
        n, 0);
    add("quality", quality / n, "1 - mean |probabilities - one-hot(label)|, all samples", n, 0);
  } else {
    std::vector<int> counts(kClasses, 0);
    for (int p : predicted) ++counts[p];
    for (int c = 0; c < kClasses; ++c) {
      add(fmt::format("class_share_{}", c), static_cast<double>(counts[c]) / n,
          fmt::format("share of samples the classifier assigns to class {}", c), n, 0);
    }
    if (!in.classes.empty()) {
      long long inside = 0;
      for (int p : predicted) inside += std::count(in.classes.begin(), in.classes.end(), p);
      add("in_class_share", static_cast<double>(inside) / n,
          "share of samples the classifier assigns to one of the run's data classes", n, 0);
    }
  }

  // FID on the classifier's 128-d penultimate features, with the real-vs-real floor.
  const Eigen::MatrixXd ref_features =
      classifier.features(in.reference.pixels, in.reference.count());
  const Moments ref_moments = moments(ref_features);
  add("fid", frechet_distance(moments(classifier.features(gen.pixels, n)), ref_moments),
      "Frechet distance of Gaussian fits to the classifier's 128-d features, samples vs "
      "held-out real images",
      n, in.reference.count());
  add("fid_real",
      frechet_distance(moments(classifier.features(in.floor.pixels, in.floor.count())),
                       ref_moments),
      "fid of real training images (same count and label mix) vs the same held-out images: the "
      "floor",
      in.floor.count(), in.reference.count());

  // JSD on a PCA of the real images: per requested digit when conditioned, else all together.
  const std::vector<int> groups =
      conditioned ? std::vector<int>(requested.begin(), requested.end()) : std::vector<int>{-1};
  double jsd_sum = 0, floor_sum = 0;
  int jsd_groups = 0;
  for (int label : groups) {
    const std::vector<int> ref_k =
        label < 0 ? all_of(in.reference) : with_label(in.reference, label);
    const std::vector<int> gen_k = label < 0 ? all_of(gen) : with_label(gen, label);
    const std::vector<int> floor_k = label < 0 ? all_of(in.floor) : with_label(in.floor, label);
    if (ref_k.size() < static_cast<size_t>(in.pca_components) + 1 || gen_k.empty() ||
        floor_k.empty()) {
      continue;
    }
    const Eigen::MatrixXd ref = pixel_rows(in.reference, ref_k);
    const double j = pca_jsd(pixel_rows(gen, gen_k), ref, in);
    const double f = pca_jsd(pixel_rows(in.floor, floor_k), ref, in);
    if (label >= 0) {
      add(fmt::format("jsd_digit_{}", label), j,
          fmt::format("Jensen-Shannon divergence (bits) of samples for label {} vs held-out real "
                      "{}s on their {}-component PCA, {} bins per component, mean over components",
                      label, label, in.pca_components, in.jsd_bins),
          static_cast<long long>(gen_k.size()), static_cast<long long>(ref_k.size()));
    }
    jsd_sum += j;
    floor_sum += f;
    ++jsd_groups;
  }
  if (jsd_groups > 0) {
    add("jsd", jsd_sum / jsd_groups,
        fmt::format("Jensen-Shannon divergence (bits, 0..1) vs held-out real images on a "
                    "{}-component PCA of the real images, {} bins per component; {}",
                    in.pca_components, in.jsd_bins,
                    conditioned ? "mean over the requested digits" : "all samples together"),
        n, in.reference.count());
    add("jsd_real", floor_sum / jsd_groups, "jsd of real training images of the same label mix",
        in.floor.count(), in.reference.count());
  }

  // Spread: a collapsed generator repeats itself.
  const Spread spread = pairwise_distances(pixel_rows(gen, all_of(gen)));
  const Spread real_spread = pairwise_distances(pixel_rows(in.floor, all_of(in.floor)));
  add("pairwise_mean", spread.mean, "mean Euclidean distance between pairs of samples (28x28)", n,
      0);
  add("pairwise_std", spread.stddev, "standard deviation of the pairwise distances of samples", n,
      0);
  add("pairwise_mean_real", real_spread.mean,
      "mean pairwise distance of real training images of the same label mix", in.floor.count(), 0);
  if (conditioned) {
    // Across labels, distinct digits alone make pairs far apart: a model that draws one image per
    // label scores well above. Within a label it scores near 0.
    double within = 0, within_real = 0;
    int groups_with_pairs = 0;
    for (int label : requested) {
      const std::vector<int> gen_k = with_label(gen, label);
      const std::vector<int> floor_k = with_label(in.floor, label);
      if (gen_k.size() < 2 || floor_k.size() < 2) continue;
      within += pairwise_distances(pixel_rows(gen, gen_k)).mean;
      within_real += pairwise_distances(pixel_rows(in.floor, floor_k)).mean;
      ++groups_with_pairs;
    }
    if (groups_with_pairs > 0) {
      add("pairwise_within", within / groups_with_pairs,
          "mean Euclidean distance between pairs of samples of the same label (28x28), averaged "
          "over labels: the spread within a digit",
          n, 0);
      add("pairwise_within_real", within_real / groups_with_pairs,
          "pairwise_within of real training images of the same label mix", in.floor.count(), 0);
    }
  }
  return out;
}

}  // namespace qdm::analysis
