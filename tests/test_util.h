#pragma once
/// Seeded random inputs shared by the tests. Every test names its seed; a failure reproduces.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "framework/circuit/circuit.h"
#include "framework/circuit/program.h"
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

/// Random gates on n qubits, a measure + reset and a mid measurement, then all measured.
inline Program random_dynamic_program(Rng& rng, int n, int gates) {
  const Circuit c = testing::random_circuit(rng, n, gates);
  const auto params = testing::random_params(rng, c.num_params());
  Program p(n, n + 2);
  int k = 0;
  for (Op op : c.ops()) {
    for (Angle& a : op.angles) a = Angle::constant(a.resolve(params));
    p.gate(op);
    if (++k == gates / 3) p.measure(0, n).reset(0);
    if (k == 2 * gates / 3) p.measure(n - 1, n + 1);
  }
  for (int q = 0; q < n; ++q) p.measure(q, q);
  return p;
}

/// Pearson's chi-square of the shots against `p`, outcomes expected fewer than 5 times pooled
/// into one bin, below its mean (degrees of freedom) plus 5 sd (sqrt(2 df)); and no shot on an
/// outcome of probability 0.
inline void expect_within_5sd(const std::vector<uint64_t>& shots,
                              const std::map<uint64_t, double>& p, const std::string& what) {
  std::map<uint64_t, double> seen;
  for (uint64_t s : shots) seen[s] += 1;
  const double n = static_cast<double>(shots.size());
  for (const auto& [bits, count] : seen) {
    EXPECT_TRUE(p.count(bits)) << what << ": outcome " << bits << " has probability 0";
  }
  double chi2 = 0, pooled_expected = 0, pooled_seen = 0;
  int bins = 0;
  for (const auto& [bits, q] : p) {
    const double expected = n * q, got = seen.count(bits) ? seen.at(bits) : 0;
    if (expected < 5) {
      pooled_expected += expected, pooled_seen += got;
      continue;
    }
    chi2 += (got - expected) * (got - expected) / expected;
    ++bins;
  }
  if (pooled_expected > 0) {
    chi2 += (pooled_seen - pooled_expected) * (pooled_seen - pooled_expected) / pooled_expected;
    ++bins;
  }
  const double df = std::max(1, bins - 1);
  EXPECT_LT(chi2, df + 5 * std::sqrt(2 * df)) << what << ": " << bins << " bins";
}

}  // namespace qdm::testing
