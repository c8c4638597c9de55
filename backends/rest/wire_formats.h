#pragma once
/// Circuits as they go over the wire, and back (the emulator's readers).
///
/// - IBM: OpenQASM 3 in the device's ISA on physical qubits `$n`, one classical register
///   `bit[K] c`, `c[k] = measure $p;` and `reset $p;` (dynamic circuits), as the Qiskit Runtime
///   sampler takes it ("pubs": [[qasm, null, shots]]; IBM's "Sampler with the REST API" guide).
///   `ecr` is not in stdgates.inc, so a circuit using it carries its definition, as Qiskit's
///   OpenQASM 3 exporter writes one.
/// - IonQ: the v0.4 "qis" circuit array (IonQ's OpenAPI, GateQisGate / GateCnot): one-qubit
///   gates {"gate", "targets": [q], "rotation"}, cnot {"gate": "cnot", "controls": [c],
///   "targets": [t]}. The reader also takes the singular "target"/"control" of IonQ's Direct API
///   guide. No measurement: IonQ measures every qubit at the end.

#include <nlohmann/json.hpp>
#include <string>

#include "framework/circuit/native_circuit.h"
#include "framework/circuit/program.h"

namespace qdm::rest {

/// IonQ's qis gates for a program whose measurements all come last (the IR's gates by name, Rot
/// and R3 as rz ry rz, cz as h cnot h); the measurements are kept as "measure" ops for decoding
/// (IonQ returns every qubit). UnsupportedError for a dynamic program: IonQ's circuit JSON has no
/// mid-circuit measurement or reset.
NativeCircuit to_ionq_qis(const Program& program);
nlohmann::json to_ionq_json(const NativeCircuit& circuit);
/// std::invalid_argument naming the offending gate.
NativeCircuit parse_ionq_json(const nlohmann::json& gates, int num_qubits);

/// OpenQASM 3 on physical qubits `$n` (or, with `physical` false, on a declared register
/// `qubit[n] q`); `comment` (may hold several lines) goes first as // lines.
std::string to_qasm3(const NativeCircuit& circuit, const std::string& comment = "",
                     bool physical = true);
/// A program in OpenQASM 3's standard gates (Rot and R3 as rz ry rz) on a declared register, with
/// its measurements and resets: the logical circuit, for users who transpile it themselves.
std::string logical_qasm3(const Program& program, const std::string& comment = "");
/// Reads what to_qasm3 writes, physical `$n` or a declared `qubit[n] q` register (q[i] read as
/// qubit i); std::invalid_argument naming the statement it cannot read.
NativeCircuit parse_qasm3(const std::string& text);

/// A histogram keyed by every qubit's bit (IonQ) re-keyed by the classical bits the circuit's
/// measure ops name.
uint64_t qubits_to_clbits(uint64_t qubit_bits, const NativeCircuit& circuit);

}  // namespace qdm::rest
