#pragma once
/// Noise channels unravelled into stochastic pure-state trajectories: after a gate, each state
/// takes one Kraus branch K_k with probability ||K_k psi||^2 and becomes K_k psi / ||K_k psi||.
/// Averaged over trajectories, |psi><psi| is the channel's output sum_k K_k rho K_k^dagger, which
/// is what the density-matrix backend computes exactly.

#include <Eigen/Dense>
#include <span>
#include <vector>

#include "backends/density_matrix/channels.h"
#include "backends/statevector/kernels.h"

namespace qdm::traj {

/// A channel prepared once for many draws. Mixed-unitary channels (every K_k a multiple of a
/// unitary: depolarising, bit flip) have branch probabilities that do not depend on the state, so
/// a draw costs no pass over it, and the identity branch no work at all.
class Unravelling {
 public:
  explicit Unravelling(const dm::KrausChannel& channel);

  int qubits() const { return qubits_; }
  /// Applies the branch that `u` (uniform in [0, 1)) selects to the one state `psi` on `targets`
  /// (as many as the channel acts on) and renormalises it. Real is double or float (the state's
  /// precision); branch probabilities are summed in double.
  template <typename Real>
  void apply(sv::BasicStateView<Real> psi, std::span<const int> targets, double u) const;

 private:
  template <typename Real>
  void apply_one_qubit(sv::BasicStateView<Real> psi, int q, double u) const;

  int qubits_;
  bool mixed_unitary_ = false;
  std::vector<Eigen::MatrixXcd> ops_;   ///< Kraus operators; for mixed-unitary ones, the unitaries
  std::vector<Eigen::Matrix2cd> ops1_;  ///< one-qubit channels: the same, fixed-size (hot path)
  std::vector<double> fixed_probs_;     ///< mixed-unitary: |c_k|^2 of K_k = c_k U_k
  std::vector<bool> identity_;          ///< mixed-unitary: U_k is the identity
};

/// The reduced density matrix of `targets` (1 or 2 qubits; index bit j is targets[j]) of one state.
template <typename Real>
Eigen::MatrixXcd reduced_density(sv::BasicStateView<Real> psi, std::span<const int> targets);
/// psi <- a psi for a 2^k x 2^k operator on `targets` (k = 1 or 2), one state.
template <typename Real>
void apply_operator(sv::BasicStateView<Real> psi, const Eigen::MatrixXcd& a,
                    std::span<const int> targets);
/// Measures `qubit` of one normalised state: the outcome `u` selects by the Born rule, the state
/// collapsed onto it and renormalised.
template <typename Real>
int measure(sv::BasicStateView<Real> psi, int qubit, double u);
/// One state of a BatchOuter batch as its own view.
template <typename Real>
sv::BasicStateView<Real> state_view(BasicStateBatch<Real>& batch, int b);

}  // namespace qdm::traj
