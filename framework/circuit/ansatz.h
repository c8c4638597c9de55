#pragma once
/// Builders for the reference ansatzes. Each binds its angles to consecutive parameter indices
/// starting at `param_offset`, in the layout of the reference code's weight tensor.

#include "framework/circuit/circuit.h"

namespace qdm {

/// PennyLane's StronglyEntanglingLayers with ranges = 1: per layer Rot(phi, theta, omega) on every
/// qubit, then CNOT(i, (i+1) mod n) for i = 0..n-1 (no CNOTs on one qubit). Weights (layers, n, 3).
Circuit strongly_entangling_layers(int num_qubits, int layers, int param_offset = 0);

/// The 2025 reference code's block: per layer R3(omega, theta, phi) on every qubit, then the CNOT
/// chain (i, i+1) for i = 0..n-2, traversed in reverse order on odd layers. Weights (layers, n, 3).
Circuit r3_chain_layers(int num_qubits, int layers, int param_offset = 0);

/// Hardware-efficient layers: RY then RZ on every qubit, then a CNOT ring. Weights (layers, n, 2).
Circuit hardware_efficient_layers(int num_qubits, int layers, int param_offset = 0);

int strongly_entangling_param_count(int num_qubits, int layers);
int r3_chain_param_count(int num_qubits, int layers);
int hardware_efficient_param_count(int num_qubits, int layers);

}  // namespace qdm
