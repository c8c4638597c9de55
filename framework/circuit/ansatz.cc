#include "framework/circuit/ansatz.h"

#include "framework/error.h"

namespace qdm {
namespace {

void check_shape(int num_qubits, int layers, int param_offset) {
  require_in_range("ansatz qubit count", num_qubits, 1, kMaxQubits);
  require_in_range("ansatz layer count", layers, 0, 100000);
  require(param_offset >= 0, "parameter offset {} is negative", param_offset);
}

void cnot_ring(Circuit& c) {
  const int n = c.num_qubits();
  if (n < 2) return;
  for (int i = 0; i < n; ++i) c.add(GateKind::CNOT, {i, (i + 1) % n});
}

}  // namespace

int strongly_entangling_param_count(int num_qubits, int layers) { return layers * num_qubits * 3; }
int r3_chain_param_count(int num_qubits, int layers) { return layers * num_qubits * 3; }
int hardware_efficient_param_count(int num_qubits, int layers) { return layers * num_qubits * 2; }

Circuit strongly_entangling_layers(int num_qubits, int layers, int param_offset) {
  check_shape(num_qubits, layers, param_offset);
  Circuit c(num_qubits);
  int p = param_offset;
  for (int l = 0; l < layers; ++l) {
    for (int q = 0; q < num_qubits; ++q, p += 3) {
      c.add(GateKind::Rot, {q},
            {Angle::parameter(p), Angle::parameter(p + 1), Angle::parameter(p + 2)});
    }
    cnot_ring(c);
  }
  return c;
}

Circuit r3_chain_layers(int num_qubits, int layers, int param_offset) {
  check_shape(num_qubits, layers, param_offset);
  Circuit c(num_qubits);
  int p = param_offset;
  for (int l = 0; l < layers; ++l) {
    for (int q = 0; q < num_qubits; ++q, p += 3) {
      c.add(GateKind::R3, {q},
            {Angle::parameter(p), Angle::parameter(p + 1), Angle::parameter(p + 2)});
    }
    if (l % 2 == 0) {
      for (int q = 0; q + 1 < num_qubits; ++q) c.add(GateKind::CNOT, {q, q + 1});
    } else {
      for (int q = num_qubits - 2; q >= 0; --q) c.add(GateKind::CNOT, {q, q + 1});
    }
  }
  return c;
}

Circuit hardware_efficient_layers(int num_qubits, int layers, int param_offset) {
  check_shape(num_qubits, layers, param_offset);
  Circuit c(num_qubits);
  int p = param_offset;
  for (int l = 0; l < layers; ++l) {
    for (int q = 0; q < num_qubits; ++q, p += 2) {
      c.add(GateKind::RY, {q}, {Angle::parameter(p)});
      c.add(GateKind::RZ, {q}, {Angle::parameter(p + 1)});
    }
    cnot_ring(c);
  }
  return c;
}

}  // namespace qdm
