#include "framework/circuit/program.h"

#include <algorithm>

#include "framework/error.h"
#include "framework/overloaded.h"

namespace qdm {

Program::Program(int num_qubits, int num_clbits)
    : num_qubits_(num_qubits), num_clbits_(num_clbits) {
  require_in_range("program qubit count", num_qubits, 1, kMaxProgramBits);
  require_in_range("program classical bit count", num_clbits, 0, kMaxProgramBits);
}

Program& Program::gate(const Op& op) {
  const int arity = gate_qubit_count(op.kind);
  for (int k = 0; k < arity; ++k) require_in_range("qubit index", op.qubits[k], 0, num_qubits_ - 1);
  require(arity == 1 || op.qubits[0] != op.qubits[1],
          "gate {} needs two distinct qubits, got {} twice", gate_name(op.kind), op.qubits[0]);
  for (int k = 0; k < gate_angle_count(op.kind); ++k) {
    require(!op.angles[k].is_parameter(),
            "a program's gates have constant angles; gate {} refers to parameter {}",
            gate_name(op.kind), op.angles[k].param);
  }
  instructions_.push_back(op);
  return *this;
}

Program& Program::measure(int qubit, int clbit) {
  require_in_range("measured qubit", qubit, 0, num_qubits_ - 1);
  require_in_range("classical bit", clbit, 0, num_clbits_ - 1);
  instructions_.push_back(Measure{qubit, clbit});
  return *this;
}

Program& Program::reset(int qubit) {
  require_in_range("reset qubit", qubit, 0, num_qubits_ - 1);
  instructions_.push_back(Reset{qubit});
  return *this;
}

int Program::gate_count() const {
  return static_cast<int>(std::count_if(instructions_.begin(), instructions_.end(),
                                        [](const Instruction& i) { return i.index() == 0; }));
}

int Program::two_qubit_gate_count() const {
  return static_cast<int>(
      std::count_if(instructions_.begin(), instructions_.end(), [](const Instruction& i) {
        const Op* op = std::get_if<Op>(&i);
        return op && gate_qubit_count(op->kind) == 2;
      }));
}

int Program::depth() const {
  std::vector<int> level(num_qubits_, 0);
  int depth = 0;
  for (const Instruction& i : instructions_) {
    const std::vector<int> qubits = instruction_qubits(i);
    int l = 0;
    for (int q : qubits) l = std::max(l, level[q]);
    for (int q : qubits) level[q] = l + 1;
    depth = std::max(depth, l + 1);
  }
  return depth;
}

bool Program::is_dynamic() const {
  std::vector<bool> done(num_qubits_, false);
  for (const Instruction& i : instructions_) {
    const std::vector<int> qubits = instruction_qubits(i);
    if (std::holds_alternative<Op>(i)) {
      for (int q : qubits) {
        if (done[q]) return true;
      }
    } else if (std::holds_alternative<Reset>(i)) {
      return true;
    } else {
      if (done[qubits[0]]) return true;
      done[qubits[0]] = true;
    }
  }
  return false;
}

Program Program::measure_all(const Circuit& circuit, std::span<const double> params) {
  circuit.check_params(params);
  Program p(circuit.num_qubits(), circuit.num_qubits());
  for (Op op : circuit.ops()) {
    for (Angle& a : op.angles) a = Angle::constant(a.resolve(params));
    p.gate(op);
  }
  for (int q = 0; q < circuit.num_qubits(); ++q) p.measure(q, q);
  return p;
}

std::vector<int> instruction_qubits(const Instruction& instruction) {
  return std::visit(Overloaded{
                        [](const Op& op) {
                          return gate_qubit_count(op.kind) == 2
                                     ? std::vector<int>{op.qubits[0], op.qubits[1]}
                                     : std::vector<int>{op.qubits[0]};
                        },
                        [](const Measure& m) { return std::vector<int>{m.qubit}; },
                        [](const Reset& r) { return std::vector<int>{r.qubit}; },
                    },
                    instruction);
}

}  // namespace qdm
