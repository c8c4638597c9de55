#pragma once
/// A device's calibrated noise on a circuit in its ISA, the way Qiskit Aer's basic device model
/// (NoiseModel.from_backend, qiskit_aer/noise/device/models.py) reads an IBM backend's properties:
/// - after every gate, a depolarising channel and then thermal relaxation (T1, T2 over the gate's
///   length) on each qubit it touches; the depolarising strength is chosen so that the two
///   together have the average gate infidelity the properties report as gate_error (none where
///   relaxation alone already exceeds it); rz is virtual (no length, no error);
/// - after a reset, thermal relaxation over its length;
/// - each measured bit misread with the qubit's prob_meas1_prep0 / prob_meas0_prep1.
/// Idle qubits do not decohere (Aer's basic model does not schedule idle time either), so this
/// is a lower bound on what the device does to a circuit.

#include "backends/noise/noisy_program.h"
#include "framework/circuit/native_circuit.h"
#include "framework/device/device.h"

namespace qdm::noise {

/// Thermal relaxation at zero temperature for `time_ns`: amplitude damping 1 - exp(-t/T1), then
/// the extra dephasing that makes coherences decay as exp(-t/T2). T2 is capped at 2 T1 (the
/// physical bound); 0 for T1 or T2 means not known (no decay of that kind).
dm::KrausChannel thermal_relaxation(double t1_ns, double t2_ns, double time_ns);

/// Process (entanglement) fidelity sum_k |tr K_k|^2 / d^2 of a channel.
double process_fidelity(const dm::KrausChannel& channel);

/// The depolarising strength p (rho -> (1 - p) rho + p I/d on `qubits` qubits) that, composed
/// with a channel of process fidelity `other_process_fidelity`, gives average gate infidelity
/// `gate_error`: p = d (F_other - F) / (d F_other - 1) with F = 1 - gate_error and F_other the
/// other channel's average gate fidelity. 0 where the other channel alone is as bad; capped at the
/// channel's maximum 4^n / (4^n - 1).
double depolarizing_for_gate_error(double gate_error, int qubits, double other_process_fidelity);

/// `isa` (on the device's physical qubits, in its basis) as a program on its used qubits in
/// ascending order (to_program's numbering), with the device's noise. std::invalid_argument for a
/// qubit the device does not have.
NoisyProgram with_device_noise(const NativeCircuit& isa, const Device& device);

}  // namespace qdm::noise
