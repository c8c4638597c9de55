#pragma once
/// A unitary block with its parameters bound: every gate's matrix, and for parametrised gates the
/// derivative matrices the adjoint sweep contracts with.

#include <array>
#include <span>
#include <vector>

#include "backends/statevector/kernels.h"
#include "framework/circuit.h"

namespace qdm::sv {

struct CompiledGate {
  GateKind kind;
  int q0, q1;
  Matrix2 matrix;                     ///< single-qubit gates only
  int num_params = 0;                 ///< parametrised angles of this gate
  std::array<int, 3> param{};         ///< pipeline parameter index of each
  std::array<Matrix2, 3> derivative;  ///< d matrix / d angle
};

class CompiledBlock {
 public:
  CompiledBlock(const Circuit& circuit, std::span<const double> params, int param_offset);

  void apply(StateView x) const;
  /// Adjoint sweep: psi holds the block's output and becomes its input; lam holds the cotangent
  /// at the output and becomes the cotangent at the input; parameter gradients are added to grad.
  void adjoint(StateView psi, StateView lam, std::span<double> grad) const;

 private:
  std::vector<CompiledGate> gates_;
};

}  // namespace qdm::sv
