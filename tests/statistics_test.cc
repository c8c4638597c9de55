// The sample metrics' statistics against closed forms and their defining bounds.
#include "analysis/statistics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "framework/rng.h"

namespace qdm::analysis {
namespace {

Eigen::MatrixXd gaussian_rows(Rng& rng, int n, const Eigen::VectorXd& mean,
                              const Eigen::MatrixXd& factor) {
  Eigen::MatrixXd z(n, mean.size());
  for (double& v : z.reshaped()) v = rng.normal();
  return (z * factor.transpose()).rowwise() + mean.transpose();
}

TEST(Frechet, ASetAgainstItselfIsZero) {
  Rng rng(101);
  Eigen::MatrixXd f(300, 16);
  for (double& v : f.reshaped()) v = rng.normal();
  f.col(3) *= 1e-7;  // a nearly singular covariance must not break the square roots
  EXPECT_NEAR(frechet_distance(f, f), 0.0, 1e-9);
}

// Closed form for diagonal covariances: |mu1 - mu2|^2 + sum (sqrt(s1_i) - sqrt(s2_i))^2.
TEST(Frechet, DiagonalGaussiansMatchTheClosedForm) {
  const auto vec = [](double x, double y, double z) {
    Eigen::VectorXd v(3);  // dynamic: GCC 12 misreads AVX-512 loads of fixed-size vectors
    v << x, y, z;
    return v;
  };
  Moments a, b;
  a.mean = vec(1, 2, 3);
  b.mean = vec(0, 2, 5);
  a.covariance = vec(4, 1, 9).asDiagonal();
  b.covariance = vec(1, 1, 0.25).asDiagonal();
  const double want = 1 + 4 + (2 - 1) * (2 - 1) + 0 + (3 - 0.5) * (3 - 0.5);
  EXPECT_NEAR(frechet_distance(a, b), want, 1e-12);
}

// Full covariances: the symmetric form against tr((S1 S2)^1/2) from the eigenvalues of S1 S2
// (real and non-negative for SPD matrices), and rotation invariance.
TEST(Frechet, FullCovariancesMatchTheEigenvalueForm) {
  Rng rng(102);
  const int d = 5;
  Eigen::MatrixXd r1(d, d), r2(d, d);
  for (double& v : r1.reshaped()) v = rng.normal();
  for (double& v : r2.reshaped()) v = rng.normal();
  Moments a{Eigen::VectorXd::Random(d),
            r1 * r1.transpose() + 0.1 * Eigen::MatrixXd::Identity(d, d)};
  Moments b{Eigen::VectorXd::Random(d),
            r2 * r2.transpose() + 0.1 * Eigen::MatrixXd::Identity(d, d)};
  const Eigen::VectorXcd ev = (a.covariance * b.covariance).eigenvalues();
  double cross = 0;
  for (const auto& e : ev) cross += std::sqrt(e.real());
  const double want =
      (a.mean - b.mean).squaredNorm() + a.covariance.trace() + b.covariance.trace() - 2 * cross;
  EXPECT_NEAR(frechet_distance(a, b), want, 1e-9 * want);
  // Rotating both Gaussians together changes nothing.
  const Eigen::MatrixXd q = Eigen::HouseholderQR<Eigen::MatrixXd>(r1).householderQ();
  Moments ra{q * a.mean, q * a.covariance * q.transpose()};
  Moments rb{q * b.mean, q * b.covariance * q.transpose()};
  EXPECT_NEAR(frechet_distance(ra, rb), want, 1e-9 * want);
}

// Samples of two known Gaussians: the estimate converges to the population value.
TEST(Frechet, SampledGaussiansApproachThePopulationValue) {
  Rng rng(103);
  // Dynamic sizes: GCC 12 misreads Eigen's AVX-512 loads of fixed 2x2 matrices.
  Eigen::VectorXd m1(2), m2(2);
  m1 << 0, 0;
  m2 << 1, -1;
  Eigen::MatrixXd l1(2, 2), l2(2, 2);
  l1 << 1, 0, 0.5, 1;
  l2 << 2, 0, -0.3, 0.5;
  const Moments pa{m1, l1 * l1.transpose()}, pb{m2, l2 * l2.transpose()};
  const double want = frechet_distance(pa, pb);
  const double got =
      frechet_distance(gaussian_rows(rng, 200000, m1, l1), gaussian_rows(rng, 200000, m2, l2));
  std::cout << "[ info ] population FID " << want << ", from 2 x 200000 samples " << got << "\n";
  EXPECT_NEAR(got, want, 0.02 * want);
}

TEST(Jsd, IsZeroForEqualHistogramsOneForDisjointAndSymmetric) {
  const std::vector<double> p = {1, 2, 3, 0}, q = {0, 0, 0, 5}, r = {3, 1, 1, 1};
  EXPECT_NEAR(jensen_shannon(p, p), 0.0, 1e-15);
  EXPECT_NEAR(jensen_shannon(p, q), 1.0, 1e-15);
  EXPECT_NEAR(jensen_shannon(p, r), jensen_shannon(r, p), 1e-15);
  // Scale-free: counts and probabilities give the same divergence.
  EXPECT_NEAR(jensen_shannon(p, r),
              jensen_shannon(std::vector<double>{1 / 6.0, 2 / 6.0, 0.5, 0},
                             std::vector<double>{0.5, 1 / 6.0, 1 / 6.0, 1 / 6.0}),
              1e-15);
  // By hand: p = (1/2, 1/2, 0), q = (0, 1/2, 1/2), m = (1/4, 1/2, 1/4); KL(p, m) = KL(q, m) = 1/2.
  EXPECT_NEAR(jensen_shannon(std::vector<double>{1, 1, 0}, std::vector<double>{0, 1, 1}), 0.5,
              1e-15);
}

TEST(Jsd, RandomHistogramsStayWithinZeroAndOne) {
  Rng rng(104);
  for (int trial = 0; trial < 1000; ++trial) {
    std::vector<double> p(20), q(20);
    for (double& v : p) v = rng.uniform() < 0.3 ? 0 : rng.uniform();
    for (double& v : q) v = rng.uniform() < 0.3 ? 0 : rng.uniform();
    p[0] += 1e-3;
    q[1] += 1e-3;
    const double d = jensen_shannon(p, q);
    EXPECT_GE(d, 0.0);
    EXPECT_LE(d, 1.0);
  }
  EXPECT_THROW(jensen_shannon(std::vector<double>{1, -1}, std::vector<double>{1, 1}),
               std::invalid_argument);
}

TEST(Jsd, SampledHistogramsSeparateShiftedDistributions) {
  Rng rng(105);
  std::vector<double> a(5000), b(5000), c(5000);
  for (double& v : a) v = rng.normal();
  for (double& v : b) v = rng.normal();
  for (double& v : c) v = rng.normal() + 10;
  EXPECT_LT(histogram_jsd(a, b, 20), 0.01);
  EXPECT_NEAR(histogram_jsd(a, c, 20), 1.0, 1e-12);
}

TEST(Pca, FindsTheAxesOfAStretchedCloud) {
  Rng rng(106);
  Eigen::VectorXd scales(3);
  scales << 5, 2, 0.1;
  const Eigen::MatrixXd f = scales.asDiagonal();
  const Eigen::MatrixXd rows = gaussian_rows(rng, 20000, Eigen::VectorXd::Ones(3), f);
  const Pca pca(rows, 2);
  EXPECT_NEAR(pca.explained()(0), 25 / 29.01, 0.01);
  const Eigen::MatrixXd z = pca.project(rows);
  EXPECT_NEAR(moments(z).covariance(0, 0), 25, 0.5);
  EXPECT_NEAR(moments(z).covariance(1, 1), 4, 0.1);
  EXPECT_NEAR(std::abs(moments(z).covariance(0, 1)), 0, 1e-9);
}

TEST(Pairwise, DistancesOfKnownPoints) {
  Eigen::MatrixXd rows(3, 2);
  rows << 0, 0, 3, 4, 0, 4;  // distances 5, 4, 3
  const Spread s = pairwise_distances(rows);
  EXPECT_NEAR(s.mean, 4.0, 1e-12);
  EXPECT_NEAR(s.stddev, std::sqrt(2.0 / 3.0), 1e-12);
}

}  // namespace
}  // namespace qdm::analysis
