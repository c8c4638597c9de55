// The reverse chain as one circuit (deferred post-selection, fresh ancillas, gate-prepared noise)
// gives, after post-selecting the returned bitstrings, exactly the distribution the step-by-step
// pipeline gives: checked against the reference simulator's pipeline to 1e-10 on the pixel
// denoiser and on a label-conditioned pipeline; seeds stated.
#include "framework/chain_circuit.h"

#include <gtest/gtest.h>

#include "framework/ansatz.h"
#include "framework/denoisers.h"
#include "framework/error.h"
#include "tests/test_util.h"

namespace qdm {
namespace {

/// Probabilities of the data register given the post-selection, from the chain's exact state.
std::vector<double> chain_distribution(const ChainCircuit& chain, double* accepted = nullptr) {
  reference::Vector zero = reference::Vector::Zero(size_t{1} << chain.width());
  zero[0] = 1;
  const reference::Vector out = reference::run_circuit(chain.circuit, {}, zero);
  std::map<uint64_t, double> weights;
  for (Eigen::Index i = 0; i < out.size(); ++i) {
    if (std::norm(out[i]) > 0) weights[static_cast<uint64_t>(i)] = std::norm(out[i]);
  }
  const ChainEstimate e = estimate_from_counts(chain, weights);
  if (accepted) *accepted = e.kept;
  std::vector<double> p;
  for (double m : e.magnitudes) p.push_back(m * m);
  return p;
}

/// The pipeline applied step by step (first set first) by the reference simulator.
std::vector<double> stepwise_distribution(const Pipeline& p,
                                          const std::vector<std::vector<double>>& steps,
                                          reference::Vector x, int label) {
  for (const auto& params : steps) x = reference::run_pipeline(p, params, x, label, {});
  std::vector<double> out;
  for (const auto& a : x) out.push_back(std::norm(a));
  return out;
}

TEST(ChainCircuit, PixelChainEqualsTheStepwisePipeline) {
  Rng rng(61);  // seed
  PixelShape shape;
  shape.data_qubits = 3;
  shape.layers = {2, 1, 2};
  const Pipeline p = pixel_denoiser(shape);
  std::vector<std::vector<double>> steps;
  std::vector<std::span<const double>> spans;
  for (int t = 0; t < 3; ++t) steps.push_back(testing::random_params(rng, p.num_params()));
  for (const auto& s : steps) spans.push_back(s);
  const reference::Vector noise = testing::random_state(rng, 3);
  const ChainCircuit chain =
      compile_reverse_chain(p, spans, std::vector<Complex>(noise.begin(), noise.end()), -1);
  EXPECT_EQ(chain.width(), 3 + 3);  // one fresh ancilla per step
  EXPECT_EQ(chain.select_wires.size(), 3u);
  double accepted = 0;
  const auto want = stepwise_distribution(p, steps, noise, -1);
  const auto got = chain_distribution(chain, &accepted);
  EXPECT_GT(accepted, 1e-6);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-10) << i;
}

TEST(ChainCircuit, LabelRegistersArePreparedAndPostSelectedPerStep) {
  Rng rng(67);  // seed
  Pipeline p(2);
  p.add(LabelEncode{2});
  p.add(UnitaryBlock{strongly_entangling_layers(4, 1), 0});
  p.add(AppendAncilla{1});
  p.add(UnitaryBlock{strongly_entangling_layers(5, 1), strongly_entangling_param_count(4, 1)});
  p.add(PostSelect{{4}, {0}});
  p.add(LabelPostSelect{2});
  p.add(Normalise{});
  for (int label = 0; label < 4; ++label) {
    std::vector<std::vector<double>> steps = {testing::random_params(rng, p.num_params()),
                                              testing::random_params(rng, p.num_params())};
    std::vector<std::span<const double>> spans(steps.begin(), steps.end());
    const reference::Vector noise = testing::random_state(rng, 2);
    const ChainCircuit chain =
        compile_reverse_chain(p, spans, std::vector<Complex>(noise.begin(), noise.end()), label);
    EXPECT_EQ(chain.width(), 2 + 2 * 3);
    const auto want = stepwise_distribution(p, steps, noise, label);
    const auto got = chain_distribution(chain);
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_NEAR(got[i], want[i], 1e-10) << "label " << label << " state " << i;
    }
  }
}

TEST(ChainCircuit, RefusesNonPhysicalStagesAndOverlyWideChains) {
  PixelShape shape;
  shape.data_qubits = 2;
  shape.layers = {1, 1, 1};
  shape.leaky_relu = true;
  const Pipeline p = pixel_denoiser(shape);
  const std::vector<double> params(p.num_params(), 0.1);
  const std::vector<Complex> noise = {1, 0, 0, 0};
  EXPECT_THROW(compile_reverse_chain(p, {params}, noise, -1), UnsupportedError);
  shape.leaky_relu = false;
  const Pipeline q = pixel_denoiser(shape);
  const std::vector<double> qp(q.num_params(), 0.1);
  const std::vector<std::span<const double>> many(62, qp);
  EXPECT_THROW(compile_reverse_chain(q, many, noise, -1), std::invalid_argument);
}

TEST(ChainCircuit, EstimatesCountOnlyShotsThatPassThePostSelection) {
  ChainCircuit chain;
  chain.circuit = Circuit(3);
  chain.data_wires = {0, 2};  // data qubit 1 sits on wire 2
  chain.select_wires = {1};
  chain.select_values = {0};
  // wire 1 = 1 rejects; kept: 0b000 (data 0) x30, 0b100 (data 2) x10.
  const ChainEstimate e = estimate_from_counts(chain, {{0b000, 30}, {0b100, 10}, {0b010, 60}});
  EXPECT_DOUBLE_EQ(e.shots, 100);
  EXPECT_DOUBLE_EQ(e.kept, 40);
  EXPECT_DOUBLE_EQ(e.magnitudes[0], std::sqrt(0.75));
  EXPECT_DOUBLE_EQ(e.magnitudes[2], std::sqrt(0.25));
  EXPECT_DOUBLE_EQ(e.magnitudes[1], 0);
}

}  // namespace
}  // namespace qdm
