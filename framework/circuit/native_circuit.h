#pragma once
/// A circuit in a device's own instruction set, as it goes over the wire: gates by the provider's
/// names (IBM: rz, sx, x, cz or ecr; IonQ: rx, ry, rz, h, cnot, ...), measurements into classical
/// bits and resets, on the device's qubits (physical qubits after routing for IBM).

#include <map>
#include <string>
#include <vector>

#include "framework/circuit/program.h"

namespace qdm {

struct NativeOp {
  std::string gate;         ///< the provider's name; "measure" and "reset" too
  std::vector<int> qubits;  ///< target, or (control, target)
  double angle = 0;         ///< rotations only, radians
  int clbit = -1;           ///< measure only
};

struct NativeCircuit {
  int num_qubits = 0;  ///< qubits the circuit may address (a device's count after routing)
  int num_clbits = 0;
  std::vector<NativeOp> ops;

  /// Gate name -> count (measure and reset included), for the report printed before submission.
  std::map<std::string, int> gate_counts() const;
  int two_qubit_gates() const;
  /// Layers of operations on disjoint qubits.
  int depth() const;
  /// The qubits any operation touches, ascending.
  std::vector<int> used_qubits() const;
  bool has_mid_circuit_operations() const;
};

/// The IR program a native circuit runs as, on its used qubits renumbered 0..k-1 in ascending
/// order (sx as RX(pi/2), ecr as X . RZX(pi/2), equal up to a global phase), for simulation.
/// std::invalid_argument for a gate name it does not know. With `ends`, ends->at(k) is the
/// program's instruction count once native op k is in (a device noise model places its channels
/// there; `id` adds no instruction).
Program to_program(const NativeCircuit& circuit, std::vector<size_t>* ends = nullptr);

}  // namespace qdm
