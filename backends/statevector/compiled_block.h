#pragma once
/// A unitary block with its parameters bound: every gate's matrix, and for parametrised gates the
/// derivative matrices the adjoint sweep contracts with.

#include <Eigen/Core>
#include <array>
#include <span>
#include <vector>

#include "backends/statevector/kernels.h"
#include "framework/circuit/circuit.h"

namespace qdm::sv {

struct CompiledGate {
  GateKind kind;
  int q0, q1;
  Matrix2 matrix;                     ///< single-qubit gates only
  int num_params = 0;                 ///< parametrised angles of this gate
  std::array<int, 3> param{};         ///< pipeline parameter index of each
  std::array<Matrix2, 3> derivative;  ///< d matrix / d angle
};

/// A block's whole 2^n x 2^n unitary, planar and row-major: U[i][j] at re[i * dim + j].
template <typename Real>
struct BasicDenseUnitary {
  using RowMatrix = Eigen::Matrix<Real, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  RowMatrix re, im;
};
using DenseUnitary = BasicDenseUnitary<double>;

/// x <- g x.
template <typename Real>
void apply_gate(const CompiledGate& g, BasicStateView<Real> x);

class CompiledBlock {
 public:
  CompiledBlock(const Circuit& circuit, std::span<const double> params, int param_offset);

  /// The gates in circuit order (the trajectories backend interleaves noise between them).
  const std::vector<CompiledGate>& gates() const { return gates_; }

  template <typename Real>
  void apply(BasicStateView<Real> x) const;
  /// Adjoint sweep: psi holds the block's output and becomes its input; lam holds the cotangent
  /// at the output and becomes the cotangent at the input; parameter gradients are added to grad.
  template <typename Real>
  void adjoint(BasicStateView<Real> psi, BasicStateView<Real> lam, std::span<double> grad) const;

  /// The fused alternative for large batches: build U once (a sweep over 2^n basis states, in
  /// double, then rounded to Real), then every state is one row of a matrix product. Batches
  /// must be BatchInner.
  template <typename Real>
  BasicDenseUnitary<Real> unitary(int num_qubits) const;
  template <typename Real>
  static void apply_dense(const BasicDenseUnitary<Real>& u, BasicStateBatch<Real>& x);
  /// Gradient through the dense path: with W = sum_b psi_in,b lam_b^dag (2^n x 2^n), the
  /// parameter gradient is the adjoint sweep of a 2^n-state batch (outputs U W, cotangents the
  /// identity), so the sweep costs 2^n states instead of B. lam becomes U^dag lam.
  template <typename Real>
  void adjoint_dense(const BasicDenseUnitary<Real>& u, const BasicStateBatch<Real>& psi_in,
                     BasicStateBatch<Real>& lam, std::span<double> grad) const;

 private:
  std::vector<CompiledGate> gates_;
};

}  // namespace qdm::sv
