#pragma once
/// Circuits in a provider's own gate set, as sent over the wire, and the conversions to and from
/// the circuit IR.
///
/// IBM backends take rz, sx, x and cx: consecutive single-qubit gates on a qubit are multiplied
/// into one 2x2 unitary and written as rz(l) sx rz(t + pi) sx rz(p + pi) from its Euler angles
/// (or one rz when it is diagonal), so a qubit costs at most two sx between entangling gates.
/// IonQ's "qis" gate set takes the IR's gates nearly as they are (Rot and R3 as rz ry rz, cz as
/// h cnot h).

#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "framework/circuit.h"

namespace qdm::rest {

struct NativeOp {
  std::string gate;         ///< rz, sx, x, cx (IBM); rx, ry, rz, h, x, ..., cnot, swap (IonQ)
  std::vector<int> qubits;  ///< target, or (control, target)
  double angle = 0;         ///< rotations only, radians
};

struct NativeCircuit {
  int num_qubits = 0;
  std::vector<NativeOp> ops;
  /// Gate name -> count, for the report printed before submission.
  std::map<std::string, int> gate_counts() const;
  int two_qubit_gates() const;
};

NativeCircuit to_ibm_basis(const Circuit& circuit, std::span<const double> params);
NativeCircuit to_ionq_qis(const Circuit& circuit, std::span<const double> params);

/// OpenQASM 3 with every qubit measured into c (c[q] = qubit q).
std::string to_qasm3(const NativeCircuit& circuit);
/// IonQ's circuit array: {"gate": "rx", "targets": [q], "rotation": r}, {"gate": "cnot",
/// "control": c, "target": t}.
nlohmann::json to_ionq_json(const NativeCircuit& circuit);

/// The emulator's readers; std::invalid_argument naming the offending line or gate.
NativeCircuit parse_qasm3(const std::string& text);
NativeCircuit parse_ionq_json(const nlohmann::json& gates, int num_qubits);

/// The IR circuit a native one runs as (sx as RX(pi/2), equal up to a global phase), for
/// simulation.
Circuit to_ir(const NativeCircuit& circuit);

}  // namespace qdm::rest
