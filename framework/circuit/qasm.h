#pragma once
/// OpenQASM export of a circuit with its parameters bound, so a trained denoiser runs in other
/// tools. Qubit q of the circuit is q[q]; as in Qiskit, q[0] is the least significant bit.

#include <span>
#include <string>

#include "framework/circuit/circuit.h"

namespace qdm {

enum class QasmVersion { V2, V3 };

/// Rot and R3 are written as their rz-ry-rz factors; `measure_all` appends a measurement of
/// every qubit into a classical register c.
std::string to_qasm(const Circuit& circuit, std::span<const double> params, QasmVersion version,
                    bool measure_all = false);

}  // namespace qdm
