#include "backends/density_matrix/state_metrics.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace qdm::dm {
namespace {

using Matrix = Eigen::MatrixXcd;

void require_same_shape(const Matrix& a, const Matrix& b) {
  if (a.rows() != a.cols() || a.rows() != b.rows() || b.rows() != b.cols()) {
    throw std::invalid_argument(fmt::format("states of {}x{} and {}x{} cannot be compared",
                                            a.rows(), a.cols(), b.rows(), b.cols()));
  }
}

/// Eigenvalues of the Hermitian part (rounding can leave a tiny anti-Hermitian part).
Eigen::VectorXd hermitian_eigenvalues(const Matrix& a) {
  const Matrix h = (a + a.adjoint()) / 2.0;
  return Eigen::SelfAdjointEigenSolver<Matrix>(h, Eigen::EigenvaluesOnly).eigenvalues();
}

}  // namespace

Matrix psd_sqrt(const Matrix& a) {
  const Matrix h = (a + a.adjoint()) / 2.0;
  const Eigen::SelfAdjointEigenSolver<Matrix> eig(h);
  // Eigenvalues below the solver's accuracy are zero: their square roots (~1e-8 for 1e-16)
  // would otherwise add spurious directions to the root of a rank-deficient state.
  const double floor = 16 * static_cast<double>(a.rows()) * std::numeric_limits<double>::epsilon() *
                       eig.eigenvalues().cwiseAbs().maxCoeff();
  const Eigen::VectorXd root =
      eig.eigenvalues().unaryExpr([floor](double v) { return v > floor ? std::sqrt(v) : 0.0; });
  return eig.eigenvectors() * root.asDiagonal() * eig.eigenvectors().adjoint();
}

double fidelity(const Matrix& rho, const Matrix& sigma) {
  require_same_shape(rho, sigma);
  // ||sqrt(rho) sqrt(sigma)||_1^2: singular values are accurate to rounding in absolute terms,
  // where square roots of the eigenvalues of sqrt(rho) sigma sqrt(rho) would amplify it.
  const Eigen::JacobiSVD<Matrix> svd(psd_sqrt(rho) * psd_sqrt(sigma));
  const double t = svd.singularValues().sum();
  return t * t;
}

double trace_distance(const Matrix& rho, const Matrix& sigma) {
  require_same_shape(rho, sigma);
  return 0.5 * hermitian_eigenvalues(rho - sigma).cwiseAbs().sum();
}

double hilbert_schmidt_distance(const Matrix& rho, const Matrix& sigma) {
  require_same_shape(rho, sigma);
  return (rho - sigma).squaredNorm();
}

double purity(const Matrix& rho) { return (rho * rho).trace().real(); }

double von_neumann_entropy(const Matrix& rho) {
  const Eigen::VectorXd lambda = hermitian_eigenvalues(rho);
  double s = 0;
  for (Eigen::Index i = 0; i < lambda.size(); ++i) {
    if (lambda[i] > 1e-15) s -= lambda[i] * std::log2(lambda[i]);
  }
  return s;
}

}  // namespace qdm::dm
