#include "framework/circuit/gates.h"

#include <gtest/gtest.h>

#include "framework/rng.h"
#include "tests/reference_simulator.h"

namespace qdm {
namespace {

// Seed 11; tolerance 1e-14 for matrices, 1e-8 for central differences with h = 1e-5.
TEST(Gates, MatricesMatchTextbookAndAreUnitary) {
  Rng rng(11);
  for (GateKind kind : kAllGateKinds) {
    if (gate_qubit_count(kind) != 1) continue;
    for (int trial = 0; trial < 20; ++trial) {
      std::array<double, 3> a{};
      for (auto& x : a) x = 8 * (rng.uniform() - 0.5);
      const Matrix2 m = single_qubit_matrix(kind, a);
      EXPECT_LT((m - reference::textbook_matrix(kind, a)).cwiseAbs().maxCoeff(), 1e-14)
          << gate_name(kind);
      EXPECT_LT((m.adjoint() * m - Matrix2::Identity()).cwiseAbs().maxCoeff(), 1e-14);
    }
  }
}

TEST(Gates, DerivativesMatchCentralDifferences) {
  Rng rng(12);
  const double h = 1e-5;
  for (GateKind kind : {GateKind::RX, GateKind::RY, GateKind::RZ, GateKind::Rot, GateKind::R3}) {
    std::array<double, 3> a{};
    for (auto& x : a) x = 8 * (rng.uniform() - 0.5);
    for (int k = 0; k < gate_angle_count(kind); ++k) {
      auto plus = a, minus = a;
      plus[k] += h;
      minus[k] -= h;
      const Matrix2 fd =
          (reference::textbook_matrix(kind, plus) - reference::textbook_matrix(kind, minus)) /
          (2 * h);
      EXPECT_LT((single_qubit_derivative(kind, a, k) - fd).cwiseAbs().maxCoeff(), 1e-8)
          << gate_name(kind) << " angle " << k;
    }
  }
}

TEST(Gates, NamesRoundTrip) {
  for (GateKind kind : kAllGateKinds) EXPECT_EQ(gate_from_name(gate_name(kind)), kind);
  EXPECT_FALSE(gate_from_name("toffoli").has_value());
}

}  // namespace
}  // namespace qdm
