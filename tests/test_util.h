#pragma once
/// Seeded random inputs shared by the tests. Every test names its seed; a failure reproduces.

#include <vector>

#include "framework/circuit/circuit.h"
#include "framework/rng.h"
#include "framework/state_batch.h"
#include "tests/reference_simulator.h"

namespace qdm::testing {

inline std::vector<double> random_params(Rng& rng, int count) {
  std::vector<double> p(count);
  for (auto& x : p) x = 2 * M_PI * rng.uniform();
  return p;
}

inline reference::Vector random_state(Rng& rng, int num_qubits) {
  reference::Vector v(size_t{1} << num_qubits);
  for (auto& z : v) z = {rng.normal(), rng.normal()};
  return v / v.norm();
}

inline StateBatch to_batch(const std::vector<reference::Vector>& states, int num_qubits,
                           BatchLayout layout = BatchLayout::BatchInner) {
  StateBatch b(num_qubits, static_cast<int>(states.size()), layout);
  for (size_t k = 0; k < states.size(); ++k) {
    b.set_state(static_cast<int>(k), std::vector<Complex>(states[k].begin(), states[k].end()));
  }
  return b;
}

/// A circuit using every gate kind at least once (when n >= 2 for two-qubit gates), with a mix of
/// constant and parameter-bound angles.
inline Circuit random_circuit(Rng& rng, int num_qubits, int num_gates) {
  Circuit c(num_qubits);
  int next_param = 0;
  auto angle = [&]() {
    return rng.uniform() < 0.7 ? Angle::parameter(next_param++)
                               : Angle::constant(4 * M_PI * (rng.uniform() - 0.5));
  };
  for (int g = 0; g < num_gates; ++g) {
    GateKind kind =
        kAllGateKinds[g < int(kAllGateKinds.size()) ? g : rng.below(kAllGateKinds.size())];
    if (gate_qubit_count(kind) == 2 && num_qubits < 2) kind = GateKind::H;
    const int a = static_cast<int>(rng.below(num_qubits));
    int b = static_cast<int>(rng.below(num_qubits - 1));
    if (b >= a) ++b;
    switch (gate_angle_count(kind)) {
      case 0:
        gate_qubit_count(kind) == 1 ? c.add(kind, {a}) : c.add(kind, {a, b});
        break;
      case 1:
        c.add(kind, {a}, {angle()});
        break;
      default:
        c.add(kind, {a}, {angle(), angle(), angle()});
        break;
    }
  }
  return c;
}

}  // namespace qdm::testing
