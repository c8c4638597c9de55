#pragma once
/// A circuit with classical bits: gates (constant angles), measurements into classical bits and
/// resets, in program order. Hardware that measures mid-circuit and resets (IBM's dynamic
/// circuits) runs it as it is; a shot's result is its classical bits, bit k of the returned
/// bitstring being clbit k. A measured or reset qubit may be used again afterwards.

#include <cstdint>
#include <variant>
#include <vector>

#include "framework/circuit/circuit.h"

namespace qdm {

/// Measures `qubit` in the computational basis into classical bit `clbit`.
struct Measure {
  int qubit = 0;
  int clbit = 0;
};

/// Returns `qubit` to |0> whatever it held (a measurement whose outcome is dropped, then X on 1).
struct Reset {
  int qubit = 0;
};

using Instruction = std::variant<Op, Measure, Reset>;

/// Qubits and classical bits of a shot fit one 64-bit word.
inline constexpr int kMaxProgramBits = 64;

class Program {
 public:
  Program(int num_qubits, int num_clbits);

  int num_qubits() const { return num_qubits_; }
  int num_clbits() const { return num_clbits_; }
  const std::vector<Instruction>& instructions() const { return instructions_; }

  /// Appends a gate whose angles are all constants; std::invalid_argument for a parameter-bound
  /// angle or a qubit out of range.
  Program& gate(const Op& op);
  Program& measure(int qubit, int clbit);
  Program& reset(int qubit);

  /// Gates only, in order: what runs between two measurements or resets.
  int gate_count() const;
  int two_qubit_gate_count() const;
  /// Layers of instructions that act on disjoint qubits (gates, measurements and resets alike).
  int depth() const;
  /// True when some qubit is used after it was measured or reset (mid-circuit measurement).
  bool is_dynamic() const;

  /// Every qubit measured into the clbit of the same index after `circuit` (bound with `params`).
  static Program measure_all(const Circuit& circuit, std::span<const double> params);

 private:
  int num_qubits_;
  int num_clbits_;
  std::vector<Instruction> instructions_;
};

/// The qubits an instruction acts on (one or two).
std::vector<int> instruction_qubits(const Instruction& instruction);

}  // namespace qdm
