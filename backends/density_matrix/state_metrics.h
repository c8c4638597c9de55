#pragma once
/// Distances and information measures between density matrices (any Hermitian PSD matrices of
/// equal size; traces are not renormalised).

#include <Eigen/Dense>

namespace qdm::dm {

/// The PSD square root through the self-adjoint eigensolver (negative rounding eigenvalues -> 0).
Eigen::MatrixXcd psd_sqrt(const Eigen::MatrixXcd& a);
/// Uhlmann fidelity (tr sqrt(sqrt(rho) sigma sqrt(rho)))^2 = ||sqrt(rho) sqrt(sigma)||_1^2: 1 for
/// equal states, |<a|b>|^2 for pure ones.
double fidelity(const Eigen::MatrixXcd& rho, const Eigen::MatrixXcd& sigma);
/// (1/2) tr |rho - sigma|: the sum of |eigenvalues| of the difference, halved.
double trace_distance(const Eigen::MatrixXcd& rho, const Eigen::MatrixXcd& sigma);
/// tr((rho - sigma)^2), the squared Frobenius norm of the difference.
double hilbert_schmidt_distance(const Eigen::MatrixXcd& rho, const Eigen::MatrixXcd& sigma);
/// tr(rho^2): 1 for pure states, 1/d for the maximally mixed one.
double purity(const Eigen::MatrixXcd& rho);
/// -tr(rho log2 rho) in bits: 0 for pure states, n for the maximally mixed state of n qubits.
double von_neumann_entropy(const Eigen::MatrixXcd& rho);

}  // namespace qdm::dm
