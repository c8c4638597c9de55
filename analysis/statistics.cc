#include "analysis/statistics.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "framework/error.h"

namespace qdm::analysis {

Moments moments(const Eigen::MatrixXd& rows) {
  require(rows.rows() >= 2, "moments need at least 2 items, got {}", rows.rows());
  Moments m;
  m.mean = rows.colwise().mean().transpose();
  const Eigen::MatrixXd centred = rows.rowwise() - m.mean.transpose();
  m.covariance = centred.transpose() * centred / static_cast<double>(rows.rows() - 1);
  return m;
}

Eigen::MatrixXd sqrt_psd(const Eigen::MatrixXd& m) {
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(m);
  const Eigen::VectorXd root = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return eig.eigenvectors() * root.asDiagonal() * eig.eigenvectors().transpose();
}

double frechet_distance(const Moments& a, const Moments& b) {
  require(a.mean.size() == b.mean.size(), "Frechet distance of {}-d and {}-d Gaussians",
          a.mean.size(), b.mean.size());
  const Eigen::MatrixXd root_a = sqrt_psd(a.covariance);
  const Eigen::MatrixXd middle = root_a * b.covariance * root_a;
  // Symmetrise: rounding makes the product a hair non-symmetric.
  const double cross = sqrt_psd(0.5 * (middle + middle.transpose())).trace();
  const double d =
      (a.mean - b.mean).squaredNorm() + a.covariance.trace() + b.covariance.trace() - 2 * cross;
  return std::max(d, 0.0);  // a set against itself gives -1e-13, not a distance below zero
}

double frechet_distance(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return frechet_distance(moments(a), moments(b));
}

Pca::Pca(const Eigen::MatrixXd& rows, int components) {
  require(components >= 1 && components <= rows.cols(), "PCA of {}-d data to {} components",
          rows.cols(), components);
  const Moments m = moments(rows);
  mean_ = m.mean.transpose();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(m.covariance);
  // Eigen sorts eigenvalues in increasing order: the last columns are the principal axes.
  axes_ = eig.eigenvectors().rightCols(components).rowwise().reverse();
  const double total = std::max(eig.eigenvalues().sum(), 1e-300);
  explained_ = eig.eigenvalues().tail(components).reverse() / total;
}

Eigen::MatrixXd Pca::project(const Eigen::MatrixXd& rows) const {
  return (rows.rowwise() - mean_) * axes_;
}

double jensen_shannon(std::span<const double> p, std::span<const double> q) {
  require(p.size() == q.size() && !p.empty(), "JSD of histograms with {} and {} bins", p.size(),
          q.size());
  double sp = 0, sq = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    require(p[i] >= 0 && q[i] >= 0, "JSD of a histogram with a negative bin");
    sp += p[i];
    sq += q[i];
  }
  require(sp > 0 && sq > 0, "JSD of an empty histogram");
  // 0 log 0 = 0: a bin empty in one histogram adds only the other's term.
  const auto term = [](double x, double m) { return x > 0 ? x * std::log2(x / m) : 0.0; };
  double d = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double a = p[i] / sp, b = q[i] / sq, m = 0.5 * (a + b);
    d += 0.5 * term(a, m) + 0.5 * term(b, m);
  }
  return std::clamp(d, 0.0, 1.0);
}

double histogram_jsd(std::span<const double> a, std::span<const double> b, int bins) {
  require(bins >= 1 && !a.empty() && !b.empty(), "histogram JSD of {} and {} values in {} bins",
          a.size(), b.size(), bins);
  const auto [amin, amax] = std::minmax_element(a.begin(), a.end());
  const auto [bmin, bmax] = std::minmax_element(b.begin(), b.end());
  const double lo = std::min(*amin, *bmin), hi = std::max(*amax, *bmax);
  const double width = hi > lo ? (hi - lo) / bins : 1.0;
  const auto histogram = [&](std::span<const double> x) {
    std::vector<double> h(bins, 0.0);
    for (double v : x) h[std::min(bins - 1, static_cast<int>((v - lo) / width))] += 1;
    return h;
  };
  return jensen_shannon(histogram(a), histogram(b));
}

double mean_marginal_jsd(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, int bins) {
  require(a.cols() == b.cols() && a.cols() > 0, "JSD of {}-d and {}-d data", a.cols(), b.cols());
  double total = 0;
  for (Eigen::Index c = 0; c < a.cols(); ++c) {
    const Eigen::VectorXd x = a.col(c), y = b.col(c);
    total += histogram_jsd(std::span<const double>(x.data(), static_cast<size_t>(x.size())),
                           std::span<const double>(y.data(), static_cast<size_t>(y.size())), bins);
  }
  return total / static_cast<double>(a.cols());
}

Spread pairwise_distances(const Eigen::MatrixXd& rows) {
  require(rows.rows() >= 2, "pairwise distances need at least 2 items, got {}", rows.rows());
  // |a - b|^2 = |a|^2 + |b|^2 - 2 a.b, one GEMM for all pairs.
  const Eigen::VectorXd sq = rows.rowwise().squaredNorm();
  const Eigen::MatrixXd gram = rows * rows.transpose();
  double sum = 0, sum_sq = 0;
  long long pairs = 0;
  for (Eigen::Index i = 0; i < rows.rows(); ++i) {
    for (Eigen::Index j = i + 1; j < rows.rows(); ++j) {
      const double d = std::sqrt(std::max(sq(i) + sq(j) - 2 * gram(i, j), 0.0));
      sum += d;
      sum_sq += d * d;
      ++pairs;
    }
  }
  const double mean = sum / static_cast<double>(pairs);
  return {mean, std::sqrt(std::max(sum_sq / static_cast<double>(pairs) - mean * mean, 0.0))};
}

}  // namespace qdm::analysis
