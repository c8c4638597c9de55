// State preparation by uniformly controlled rotations: the circuit run on |0...0> by the dense
// reference simulator gives the requested state up to a global phase to 1e-10, for random complex
// states of 1..7 qubits, real non-negative images, and vectors with zeros; seeds stated.
#include "framework/circuit/state_prep.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace qdm {
namespace {

/// max |out - e^{i gamma} want| with gamma the phase of <want|out>.
double error_up_to_phase(const reference::Vector& want) {
  const Circuit c = prepare_state(std::vector<Complex>(want.begin(), want.end()));
  reference::Vector zero = reference::Vector::Zero(want.size());
  zero[0] = 1;
  const reference::Vector out = reference::run_circuit(c, {}, zero);
  const Complex overlap = want.dot(out);
  return (out - want * (overlap / std::abs(overlap))).cwiseAbs().maxCoeff();
}

TEST(StatePrep, RandomComplexStatesToOneInTenBillion) {
  Rng rng(41);  // seed
  for (int n = 1; n <= 7; ++n) {
    for (int trial = 0; trial < 5; ++trial) {
      EXPECT_LT(error_up_to_phase(testing::random_state(rng, n)), 1e-10) << n << " qubits";
    }
  }
}

TEST(StatePrep, RealImagesAndVectorsWithZeros) {
  Rng rng(43);  // seed
  reference::Vector image(64);
  for (auto& v : image) v = rng.uniform() < 0.6 ? 0.0 : rng.uniform();  // mostly black pixels
  image /= image.norm();
  EXPECT_LT(error_up_to_phase(image), 1e-10);
  reference::Vector basis = reference::Vector::Zero(16);
  basis[11] = Complex(0, 1);
  EXPECT_LT(error_up_to_phase(basis), 1e-10);
  // A real non-negative state needs no phase rotations: only RY and CNOT.
  const Circuit c = prepare_state(std::vector<Complex>(image.begin(), image.end()));
  for (const Op& op : c.ops()) EXPECT_TRUE(op.kind == GateKind::RY || op.kind == GateKind::CNOT);
  EXPECT_EQ(c.num_params(), 0);
}

TEST(StatePrep, RefusesWhatIsNotAState) {
  EXPECT_THROW(prepare_state(std::vector<Complex>{1, 0, 0}), std::invalid_argument);
  EXPECT_THROW(prepare_state(std::vector<Complex>{1, 1}), std::invalid_argument);
  EXPECT_THROW(prepare_state(std::vector<Complex>{1}), std::invalid_argument);
}

}  // namespace
}  // namespace qdm
