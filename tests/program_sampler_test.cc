// Shots of programs with mid-circuit measurements and resets on the statevector backend (branch
// by branch, dense or gate by gate) against the reference simulator's exact distribution of
// classical bits, within 5 sd per outcome; stopping rejected shots early changes neither the
// kept shots' distribution nor the rejected count. Seeds stated.
#include <gtest/gtest.h>

#include "backends/backend.h"
#include "framework/error.h"
#include "tests/test_util.h"

namespace qdm {
namespace {

TEST(ProgramSampler, DynamicProgramsMatchTheExactDistribution) {
  Rng rng(113);  // seed
  const auto backend = make_backend("statevector");
  ASSERT_TRUE(backend->capabilities().mid_circuit_measurement);
  for (int trial = 0; trial < 6; ++trial) {
    // Long stretches of gates between measurements take the dense path, short ones gate by gate.
    const int n = 2 + trial % 3, gates = trial < 3 ? 12 : 120;
    const Program p = testing::random_dynamic_program(rng, n, gates);
    ASSERT_TRUE(p.is_dynamic());
    testing::expect_within_5sd(backend->sample(p, 20000, 1 + trial),
                               reference::program_distribution(p), fmt::format("trial {}", trial));
  }
}

TEST(ProgramSampler, ManyHistoriesTakeTheDensePathAndStayExact) {
  // Ten measured-and-reset qubits early make up to 1024 histories; the long stretch after them
  // then runs as one dense unitary over all branches.
  Rng rng(131);  // seed
  const int n = 4;
  Program p(n, n + 10);
  for (int k = 0; k < 10; ++k) {
    p.gate({GateKind::RY, {k % n, 0}, {Angle::constant(0.3 + 0.2 * k)}});
    p.gate({GateKind::CNOT, {k % n, (k + 1) % n}, {}});
    p.measure(k % n, n + k);
    if (k % 2) p.reset(k % n);
  }
  const Circuit tail = testing::random_circuit(rng, n, 200);
  const auto params = testing::random_params(rng, tail.num_params());
  for (Op op : tail.ops()) {
    for (Angle& a : op.angles) a = Angle::constant(a.resolve(params));
    p.gate(op);
  }
  for (int q = 0; q < n; ++q) p.measure(q, q);
  testing::expect_within_5sd(make_backend("statevector")->sample(p, 50000, 3),
                             reference::program_distribution(p), "many histories");
}

TEST(ProgramSampler, StoppingRejectedShotsKeepsTheKeptDistribution) {
  Rng rng(127);  // seed
  const auto backend = make_backend("statevector");
  const Program p = testing::random_dynamic_program(rng, 3, 30);
  // Keep shots whose mid-circuit bits (3 and 4) read 0 and 1.
  const std::vector<std::pair<int, int>> select = {{3, 0}, {4, 1}};
  const auto exact = reference::program_distribution(p);
  const int shots = 20000;
  const auto stopped = backend->sample(p, shots, 7, select);
  ASSERT_EQ(stopped.size(), static_cast<size_t>(shots));
  double kept_p = 0;
  std::map<uint64_t, double> kept;
  for (const auto& [bits, q] : exact) {
    if (((bits >> 3) & 1) == 0 && ((bits >> 4) & 1) == 1) kept_p += q, kept[bits] = q;
  }
  double kept_n = 0;
  std::map<uint64_t, double> seen;
  for (uint64_t s : stopped) {
    if (((s >> 3) & 1) == 0 && ((s >> 4) & 1) == 1) kept_n += 1, seen[s] += 1;
  }
  EXPECT_NEAR(kept_n / shots, kept_p, 5 * std::sqrt(kept_p * (1 - kept_p) / shots));
  for (const auto& [bits, q] : kept) {
    const double c = q / kept_p, got = seen.count(bits) ? seen.at(bits) / kept_n : 0;
    EXPECT_NEAR(got, c, 5 * std::sqrt(c * (1 - c) / kept_n) + 1e-9) << bits;
  }
}

TEST(ProgramSampler, BackendsWithoutMidCircuitMeasurementSayWhy) {
  Program p(1, 2);
  p.gate({GateKind::H, {0, 0}, {}}).measure(0, 0).gate({GateKind::H, {0, 0}, {}}).measure(0, 1);
  const auto dm = make_backend("density-matrix");
  EXPECT_FALSE(dm->capabilities().mid_circuit_measurement);
  try {
    dm->sample(p, 10, 1);
    FAIL() << "no error";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("measures only at the end"), std::string::npos);
  }
  // Measurements at the end only: every backend runs it, clbits as the measures name them.
  Program terminal(2, 2);
  terminal.gate({GateKind::X, {0, 0}, {}}).measure(0, 1).measure(1, 0);
  for (uint64_t s : dm->sample(terminal, 20, 1)) EXPECT_EQ(s, 0b10u);
}

}  // namespace
}  // namespace qdm
