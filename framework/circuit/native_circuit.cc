#include "framework/circuit/native_circuit.h"

#include <fmt/format.h>

#include <algorithm>
#include <numbers>

#include "framework/error.h"

namespace qdm {

std::map<std::string, int> NativeCircuit::gate_counts() const {
  std::map<std::string, int> counts;
  for (const NativeOp& op : ops) ++counts[op.gate];
  return counts;
}

int NativeCircuit::two_qubit_gates() const {
  return static_cast<int>(std::count_if(ops.begin(), ops.end(),
                                        [](const NativeOp& op) { return op.qubits.size() == 2; }));
}

int NativeCircuit::depth() const {
  std::map<int, int> level;
  int depth = 0;
  for (const NativeOp& op : ops) {
    int l = 0;
    for (int q : op.qubits) l = std::max(l, level[q]);
    for (int q : op.qubits) level[q] = l + 1;
    depth = std::max(depth, l + 1);
  }
  return depth;
}

std::vector<int> NativeCircuit::used_qubits() const {
  std::vector<int> out;
  for (const NativeOp& op : ops) out.insert(out.end(), op.qubits.begin(), op.qubits.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool NativeCircuit::has_mid_circuit_operations() const {
  std::map<int, bool> measured;
  for (const NativeOp& op : ops) {
    if (op.gate == "reset") return true;
    for (int q : op.qubits) {
      if (measured[q]) return true;
    }
    if (op.gate == "measure") measured[op.qubits[0]] = true;
  }
  return false;
}

Program to_program(const NativeCircuit& c, std::vector<size_t>* ends) {
  constexpr double kPi = std::numbers::pi;
  const std::vector<int> used = c.used_qubits();
  require(!used.empty(), "the circuit acts on no qubit");
  require(static_cast<int>(used.size()) <= kMaxProgramBits,
          "the circuit acts on {} qubits; at most {} can be simulated as one program", used.size(),
          kMaxProgramBits);
  const auto dense = [&](int q) {
    return static_cast<int>(std::lower_bound(used.begin(), used.end(), q) - used.begin());
  };
  Program p(static_cast<int>(used.size()), c.num_clbits);
  const auto one = [&](GateKind k, int q, double angle = 0) {
    Op op{k, {q, 0}, {}};
    op.angles[0] = Angle::constant(angle);
    p.gate(op);
  };
  const auto two = [&](GateKind k, int a, int b) { p.gate(Op{k, {a, b}, {}}); };
  const auto append = [&](const NativeOp& op) {
    const int a = dense(op.qubits.at(0));
    const int b = op.qubits.size() > 1 ? dense(op.qubits[1]) : -1;
    if (op.gate == "measure") {
      p.measure(a, op.clbit);
    } else if (op.gate == "reset") {
      p.reset(a);
    } else if (op.gate == "id" || op.gate == "barrier" || op.gate == "delay") {
      return;
    } else if (op.gate == "sx") {
      one(GateKind::RX, a, kPi / 2);
    } else if (op.gate == "cx" || op.gate == "cnot") {
      two(GateKind::CNOT, a, b);
    } else if (op.gate == "ecr") {
      // ECR(a, b) = X_a RZX(pi/2), RZX(t) = H_b CX(a, b) RZ_b(t) CX(a, b) H_b (time order).
      one(GateKind::H, b);
      two(GateKind::CNOT, a, b);
      one(GateKind::RZ, b, kPi / 2);
      two(GateKind::CNOT, a, b);
      one(GateKind::H, b);
      one(GateKind::X, a);
    } else {
      const auto kind = gate_from_name(op.gate);
      if (!kind) throw std::invalid_argument(fmt::format("unknown gate '{}'", op.gate));
      if (gate_qubit_count(*kind) == 2) {
        two(*kind, a, b);
      } else {
        one(*kind, a, op.angle);
      }
    }
  };
  if (ends) ends->clear();
  for (const NativeOp& op : c.ops) {
    append(op);
    if (ends) ends->push_back(p.instructions().size());
  }
  return p;
}

}  // namespace qdm
