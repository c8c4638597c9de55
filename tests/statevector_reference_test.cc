#include <gtest/gtest.h>

#include "backends/statevector/statevector_backend.h"
#include "tests/test_util.h"

namespace qdm {
namespace {

double max_error(const StateBatch& got, const std::vector<reference::Vector>& want) {
  double err = 0;
  for (int b = 0; b < got.batch_size(); ++b) {
    for (size_t i = 0; i < got.dim(); ++i)
      err = std::max(err, std::abs(got.amp(b, i) - want[b][i]));
  }
  return err;
}

// 240 random circuits: 1..10 qubits, 24 per size, 40 gates each (every kind at least once),
// 3 random input states per circuit, both batch layouts. Seed 2024; tolerance 1e-10 (max |amp|).
TEST(StatevectorVsReference, RandomCircuitsEveryGateKind) {
  Rng rng(2024);
  int circuits = 0;
  double worst = 0;
  for (int n = 1; n <= 10; ++n) {
    for (int trial = 0; trial < 24; ++trial, ++circuits) {
      const Circuit c = testing::random_circuit(rng, n, 40);
      const auto params = testing::random_params(rng, c.num_params());
      std::vector<reference::Vector> in, want;
      reference::Matrix columns(size_t{1} << n, 3);
      for (int b = 0; b < 3; ++b) columns.col(b) = in.emplace_back(testing::random_state(rng, n));
      const reference::Matrix out = reference::run_circuit(c, params, columns);
      for (int b = 0; b < 3; ++b) want.push_back(out.col(b));
      Pipeline p(n);
      p.add(UnitaryBlock{c, 0});
      for (BatchLayout layout : {BatchLayout::BatchInner, BatchLayout::BatchOuter}) {
        StatevectorBackend sv({.threads = 1, .layout = layout});
        const auto out = sv.forward(p, params, testing::to_batch(in, n), {}).output;
        const double err = max_error(out, want);
        worst = std::max(worst, err);
        ASSERT_LT(err, 1e-10) << "n=" << n << " trial=" << trial;
      }
    }
  }
  EXPECT_GE(circuits, 200);
  std::printf("[ info ] %d circuits, worst max amplitude error %.3g\n", circuits, worst);
}

// The bit order, pinned: qubit 0 is the least significant bit of the amplitude index.
TEST(StatevectorVsReference, BitOrderQubitZeroIsLeastSignificant) {
  StatevectorBackend sv({.threads = 1});
  Circuit c(3);
  c.add(GateKind::X, {0}).add(GateKind::RY, {2}, {Angle::constant(M_PI / 3)});
  Pipeline p(3);
  p.add(UnitaryBlock{c, 0});
  const auto out = sv.forward(p, {}, StateBatch::basis_zero(3, 1), {}).output;
  // X on qubit 0 -> |001> = index 1; RY(pi/3) on qubit 2 mixes index 1 and index 5.
  EXPECT_NEAR(out.amp(0, 1).real(), std::cos(M_PI / 6), 1e-15);
  EXPECT_NEAR(out.amp(0, 5).real(), std::sin(M_PI / 6), 1e-15);
  for (size_t i : {0, 2, 3, 4, 6, 7}) EXPECT_EQ(std::abs(out.amp(0, i)), 0.0);
  // A CNOT with control 0 and target 1 maps index 1 (|001>) to index 3 (|011>).
  Circuit cx(2);
  cx.add(GateKind::X, {0}).add(GateKind::CNOT, {0, 1});
  Pipeline p2(2);
  p2.add(UnitaryBlock{cx, 0});
  EXPECT_NEAR(sv.forward(p2, {}, StateBatch::basis_zero(2, 1), {}).output.amp(0, 3).real(), 1.0,
              1e-15);
}

// Shot sampling: each outcome's count within 5 sigma of shots * p (seed 5, 200000 shots).
TEST(StatevectorVsReference, ShotFrequenciesMatchBornProbabilities) {
  Rng rng(5);
  const Circuit c = testing::random_circuit(rng, 4, 30);
  const auto params = testing::random_params(rng, c.num_params());
  reference::Vector zero = reference::Vector::Zero(16);
  zero[0] = 1;
  const auto want = reference::run_circuit(c, params, zero);
  StatevectorBackend sv({.threads = 1});
  const int shots = 200000;
  std::vector<int> counts(16, 0);
  for (uint64_t s : sv.sample(c, params, shots, 99)) ++counts[s];
  for (int i = 0; i < 16; ++i) {
    const double p = std::norm(want[i]);
    const double sigma = std::sqrt(shots * p * (1 - p)) + 1e-9;
    EXPECT_LE(std::abs(counts[i] - shots * p), 5 * sigma) << "outcome " << i;
  }
}

}  // namespace
}  // namespace qdm
