#pragma once
/// The statistics behind the sample metrics: Frechet distance of Gaussian fits (FID), PCA,
/// histogram Jensen-Shannon divergence and pairwise distances. Data sets are matrices with one
/// row per item.

#include <Eigen/Dense>
#include <span>

namespace qdm::analysis {

struct Moments {
  Eigen::VectorXd mean;
  Eigen::MatrixXd covariance;  ///< unbiased (n - 1), as numpy.cov and the FID references use
};
Moments moments(const Eigen::MatrixXd& rows);

/// The square root of a symmetric positive semi-definite matrix by its eigen decomposition; the
/// rounding-level negative eigenvalues of a singular covariance are clamped to 0.
Eigen::MatrixXd sqrt_psd(const Eigen::MatrixXd& m);

/// |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2): the Frechet distance of two Gaussians.
/// The symmetric form has the same trace as the usual (S1 S2)^1/2 but needs only symmetric square
/// roots, which stay real and accurate.
double frechet_distance(const Moments& a, const Moments& b);

/// The Frechet distance of the Gaussian fits of two feature sets (FID on the given features).
double frechet_distance(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b);

/// Principal components fitted to `rows`: project() maps items to their first k coordinates.
class Pca {
 public:
  Pca(const Eigen::MatrixXd& rows, int components);
  Eigen::MatrixXd project(const Eigen::MatrixXd& rows) const;
  /// Share of the total variance each component explains.
  const Eigen::VectorXd& explained() const { return explained_; }

 private:
  Eigen::RowVectorXd mean_;
  Eigen::MatrixXd axes_;  ///< dims x components, by decreasing variance
  Eigen::VectorXd explained_;
};

/// Jensen-Shannon divergence in bits (0 <= JSD <= 1) of two histograms (counts or probabilities).
double jensen_shannon(std::span<const double> p, std::span<const double> q);

/// JSD of two 1-d samples over `bins` equal bins spanning both samples' range.
double histogram_jsd(std::span<const double> a, std::span<const double> b, int bins);

/// The mean over columns of histogram_jsd of matching columns.
double mean_marginal_jsd(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, int bins);

struct Spread {
  double mean = 0, stddev = 0;
};
/// Mean and standard deviation of the Euclidean distances between all pairs of rows: a collapsed
/// generator gives a much smaller mean than real data.
Spread pairwise_distances(const Eigen::MatrixXd& rows);

}  // namespace qdm::analysis
