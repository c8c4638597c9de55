#include "backends/statevector/compiled_block.h"

namespace qdm::sv {

CompiledBlock::CompiledBlock(const Circuit& circuit, std::span<const double> params,
                             int param_offset) {
  gates_.reserve(circuit.ops().size());
  const auto local = params.subspan(param_offset);
  for (const Op& op : circuit.ops()) {
    CompiledGate g{op.kind, op.qubits[0], op.qubits[1], Matrix2::Identity(), 0, {}, {}};
    if (gate_qubit_count(op.kind) == 1) {
      std::array<double, 3> angles{};
      for (int k = 0; k < gate_angle_count(op.kind); ++k) angles[k] = op.angles[k].resolve(local);
      g.matrix = single_qubit_matrix(op.kind, angles);
      for (int k = 0; k < gate_angle_count(op.kind); ++k) {
        if (!op.angles[k].is_parameter()) continue;
        g.param[g.num_params] = param_offset + op.angles[k].param;
        g.derivative[g.num_params] = single_qubit_derivative(op.kind, angles, k);
        ++g.num_params;
      }
    }
    gates_.push_back(g);
  }
}

namespace {

void apply_gate(const CompiledGate& g, StateView x) {
  switch (g.kind) {
    case GateKind::CNOT:
      apply_cnot(x, g.q0, g.q1);
      break;
    case GateKind::CZ:
      apply_cz(x, g.q0, g.q1);
      break;
    case GateKind::SWAP:
      apply_swap(x, g.q0, g.q1);
      break;
    default:
      apply_1q(x, g.q0, g.matrix);
      break;
  }
}

}  // namespace

void CompiledBlock::apply(StateView x) const {
  for (const auto& g : gates_) apply_gate(g, x);
}

void CompiledBlock::adjoint(StateView psi, StateView lam, std::span<double> grad) const {
  for (auto it = gates_.rbegin(); it != gates_.rend(); ++it) {
    const CompiledGate& g = *it;
    if (gate_qubit_count(g.kind) == 2) {  // CNOT, CZ and SWAP are their own inverses
      apply_gate(g, psi);
      apply_gate(g, lam);
      continue;
    }
    if (g.num_params == 0) {
      adjoint_1q(psi, lam, g.q0, g.matrix, nullptr);
      continue;
    }
    Matrix2 acc = Matrix2::Zero();
    adjoint_1q(psi, lam, g.q0, g.matrix, &acc);
    for (int k = 0; k < g.num_params; ++k) {
      grad[g.param[k]] += 2.0 * (g.derivative[k].array() * acc.array()).sum().real();
    }
  }
}

}  // namespace qdm::sv
