#pragma once
/// Translation of a routed program into a device's basis (IBM: rz, sx, x and cz, ecr or cx), with
/// every run of one-qubit gates on a qubit multiplied into one 2x2 unitary and written in the
/// fewest basis gates (one rz when diagonal, rz sx rz or rz x rz at a quarter or half turn, else
/// rz sx rz sx rz). A unitary just before a measurement keeps only its non-diagonal part, one
/// before a reset or at the very end is dropped: neither changes a measured outcome.

#include <complex>
#include <functional>
#include <string>

#include "framework/circuit/gates.h"
#include "framework/circuit/native_circuit.h"
#include "framework/device/device.h"
#include "framework/transpile/routing.h"

namespace qdm {

/// The two-qubit gates a device runs and on which directed pairs.
struct TwoQubitBasis {
  std::string gate;  ///< "cz" (symmetric), "ecr" or "cx" (directed)
  /// True when the gate runs on (a, b) in that direction.
  std::function<bool(int, int)> coupled;
};

/// `program` must already sit on coupled qubits (sabre_route's output): every two-qubit gate on a
/// pair that `basis.coupled` accepts in one direction or the other. std::invalid_argument
/// otherwise.
NativeCircuit translate_to_basis(const RoutedProgram& program, int num_qubits,
                                 const TwoQubitBasis& basis);

/// Appends `u` on qubit q as rz / sx / x gates (nothing when it is the identity up to a phase).
void emit_one_qubit(NativeCircuit& out, int q, const Matrix2& u);

}  // namespace qdm
