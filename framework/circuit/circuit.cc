#include "framework/circuit/circuit.h"

#include <algorithm>

#include "framework/error.h"

namespace qdm {

Circuit::Circuit(int num_qubits) : num_qubits_(num_qubits) {
  require_in_range("circuit qubit count", num_qubits, 1, kMaxQubits);
}

Circuit& Circuit::add(GateKind kind, std::initializer_list<int> qubits,
                      std::initializer_list<Angle> angles) {
  const int arity = gate_qubit_count(kind);
  require(static_cast<int>(qubits.size()) == arity, "gate {} acts on {} qubit(s), got {}",
          gate_name(kind), arity, qubits.size());
  require(static_cast<int>(angles.size()) == gate_angle_count(kind),
          "gate {} takes {} angle(s), got {}", gate_name(kind), gate_angle_count(kind),
          angles.size());
  Op op{kind, {0, 0}, {}};
  std::copy(qubits.begin(), qubits.end(), op.qubits.begin());
  std::copy(angles.begin(), angles.end(), op.angles.begin());
  return add(op);
}

Circuit& Circuit::add(const Op& gate) {
  const int arity = gate_qubit_count(gate.kind), angles = gate_angle_count(gate.kind);
  Op op{gate.kind, {0, 0}, {}};
  std::copy_n(gate.qubits.begin(), arity, op.qubits.begin());
  std::copy_n(gate.angles.begin(), angles, op.angles.begin());
  for (int k = 0; k < arity; ++k) require_in_range("qubit index", op.qubits[k], 0, num_qubits_ - 1);
  require(arity == 1 || op.qubits[0] != op.qubits[1],
          "gate {} needs two distinct qubits, got {} twice", gate_name(op.kind), op.qubits[0]);
  for (int k = 0; k < angles; ++k) {
    const Angle& a = op.angles[k];
    if (a.is_parameter()) num_params_ = std::max(num_params_, a.param + 1);
    require(a.param >= -1, "parameter index {} is negative", a.param);
  }
  ops_.push_back(op);
  return *this;
}

Circuit& Circuit::append(const Circuit& other) {
  require(other.num_qubits_ <= num_qubits_, "cannot append a {}-qubit circuit to a {}-qubit one",
          other.num_qubits_, num_qubits_);
  ops_.insert(ops_.end(), other.ops_.begin(), other.ops_.end());
  num_params_ = std::max(num_params_, other.num_params_);
  return *this;
}

Circuit Circuit::with_angle(size_t op, int slot, Angle angle) const {
  require(op < ops_.size(), "gate {} is outside a circuit of {} gates", op, ops_.size());
  require(slot >= 0 && slot < gate_angle_count(ops_[op].kind), "gate {} has no angle {}",
          gate_name(ops_[op].kind), slot);
  require(angle.param >= -1, "parameter index {} is negative", angle.param);
  Circuit c = *this;
  c.ops_[op].angles[slot] = angle;
  if (angle.is_parameter()) c.num_params_ = std::max(c.num_params_, angle.param + 1);
  return c;
}

void Circuit::check_params(std::span<const double> params) const {
  require(static_cast<int>(params.size()) == num_params_,
          "parameter vector has {} values; this circuit needs exactly {}", params.size(),
          num_params_);
}

}  // namespace qdm
