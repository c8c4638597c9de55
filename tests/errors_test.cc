#include <gtest/gtest.h>

#include "backends/statevector/statevector_backend.h"
#include "framework/circuit/ansatz.h"
#include "framework/circuit/qasm.h"
#include "framework/denoisers.h"

namespace qdm {
namespace {

/// Runs f, expects std::invalid_argument, and returns its text.
template <typename F>
std::string invalid_argument_text(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "no std::invalid_argument thrown";
  return "";
}

TEST(Errors, QubitIndexOutOfRange) {
  Circuit c(3);
  EXPECT_EQ(invalid_argument_text([&] { c.add(GateKind::H, {3}); }),
            "qubit index 3 is outside 0..2");
  EXPECT_EQ(invalid_argument_text([&] {
              c.add(GateKind::CNOT, {0, -1});
            }),
            "qubit index -1 is outside 0..2");
  EXPECT_EQ(invalid_argument_text([&] {
              c.add(GateKind::CNOT, {1, 1});
            }),
            "gate cnot needs two distinct qubits, got 1 twice");
  EXPECT_EQ(invalid_argument_text([] { Circuit(0); }), "circuit qubit count 0 is outside 1..30");
}

TEST(Errors, WrongAngleCount) {
  Circuit c(1);
  EXPECT_EQ(invalid_argument_text([&] { c.add(GateKind::Rot, {0}, {Angle::constant(1)}); }),
            "gate rot takes 3 angle(s), got 1");
}

TEST(Errors, ParameterVectorOfWrongLength) {
  StatevectorBackend sv({.threads = 1});
  const Pipeline p = pixel_denoiser({});
  const std::vector<double> params(149, 0.0);
  EXPECT_EQ(invalid_argument_text([&] { sv.forward(p, params, StateBatch::basis_zero(8, 1), {}); }),
            "parameter vector has 149 values; this pipeline needs exactly 150");
  const Circuit c = strongly_entangling_layers(2, 1);
  EXPECT_EQ(invalid_argument_text([&] { to_qasm(c, std::vector<double>(7), QasmVersion::V3); }),
            "parameter vector has 7 values; this circuit needs exactly 6");
}

TEST(Errors, StateOfWrongSizeOrNotNormalised) {
  StatevectorBackend sv({.threads = 1});
  const Pipeline p = pixel_denoiser({});
  const std::vector<double> params(150, 0.1);
  EXPECT_EQ(invalid_argument_text([&] { sv.forward(p, params, StateBatch::basis_zero(7, 2), {}); }),
            "input states have 7 qubits; this pipeline takes 8");
  StateBatch unnormalised = StateBatch::basis_zero(8, 2);
  unnormalised.set_amp(1, 0, 2.0);
  EXPECT_EQ(invalid_argument_text([&] { sv.forward(p, params, unnormalised, {}); }),
            "state 1 has norm 2; a normalised state (norm 1 +- 1e-08) is required");
  const std::vector<Complex> five(5);
  EXPECT_EQ(invalid_argument_text([&] { StateBatch::from_amplitudes(2, five); }),
            "5 amplitudes is not a whole number of 2-qubit states (multiples of 4)");
}

TEST(Errors, LabelsOutOfRangeOrMissing) {
  StatevectorBackend sv({.threads = 1});
  const Pipeline p = bottleneck_denoiser({});
  const std::vector<double> params(1110, 0.1);
  EvolveContext ctx;
  EXPECT_EQ(
      invalid_argument_text([&] { sv.forward(p, params, StateBatch::basis_zero(3, 2), ctx); }),
      "this pipeline needs one label per state: 0 labels for 2 states");
  ctx.labels = {3, 16};
  EXPECT_EQ(
      invalid_argument_text([&] { sv.forward(p, params, StateBatch::basis_zero(3, 2), ctx); }),
      "label 16 of state 1 is outside 0..15 (4 label qubits)");
}

TEST(Errors, StageAgainstPipelineWidth) {
  Pipeline p(3);
  EXPECT_EQ(invalid_argument_text([&] {
              p.add(UnitaryBlock{strongly_entangling_layers(4, 1), 0});
            }),
            "unitary block acts on 4 qubits but the pipeline has 3 here");
  EXPECT_EQ(invalid_argument_text([&] {
              p.add(PostSelect{{3}, {0}});
            }),
            "post-select: qubit index 3 is outside 0..2");
  EXPECT_EQ(invalid_argument_text([&] {
              p.add(PostSelect{{0}, {2}});
            }),
            "post-select value 2 is outside 0..1");
}

TEST(Errors, UnknownBackendListsKnownOnes) {
  EXPECT_EQ(invalid_argument_text([] { make_backend("qiskit"); }),
            "unknown backend 'qiskit'; known backends: statevector, density-matrix, trajectories, "
            "ionq, ibm");
}

}  // namespace
}  // namespace qdm
