// The reverse chain as one program, static (fresh ancillas, deferred post-selection) and dynamic
// (ancilla and label qubits measured mid-circuit and reused), gives after post-selecting the
// classical bits exactly the distribution the step-by-step pipeline gives: the program's exact
// distribution (the reference simulator branching at every measurement) against the reference
// pipeline, to 1e-10, on the pixel denoiser and on label-conditioned pipelines; seeds stated.
#include "framework/circuit/chain_circuit.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "framework/circuit/ansatz.h"
#include "framework/denoisers.h"
#include "framework/error.h"
#include "tests/test_util.h"

namespace qdm {
namespace {

constexpr ChainWiring kWirings[] = {ChainWiring::Fresh, ChainWiring::Reuse};

/// Probabilities of the data register given the post-selection, from the program's exact
/// distribution of classical bits.
std::vector<double> chain_distribution(const ChainCircuit& chain, double* accepted = nullptr) {
  const ChainEstimate e =
      estimate_from_counts(chain, reference::program_distribution(chain.program));
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

std::vector<std::span<const double>> spans(const std::vector<std::vector<double>>& steps) {
  return {steps.begin(), steps.end()};
}

TEST(ChainCircuit, PixelChainEqualsTheStepwisePipelineInBothWirings) {
  for (ChainWiring wiring : kWirings) {
    Rng rng(61);  // seed
    PixelShape shape;
    shape.data_qubits = 3;
    shape.layers = {2, 1, 2};
    const Pipeline p = pixel_denoiser(shape);
    std::vector<std::vector<double>> steps;
    for (int t = 0; t < 3; ++t) steps.push_back(testing::random_params(rng, p.num_params()));
    const reference::Vector noise = testing::random_state(rng, 3);
    const ChainCircuit chain = compile_reverse_chain(
        p, spans(steps), std::vector<Complex>(noise.begin(), noise.end()), -1, wiring);
    // Static: one fresh ancilla per step; dynamic: one ancilla, measured and reused.
    EXPECT_EQ(chain.width(), wiring == ChainWiring::Fresh ? 3 + 3 : 3 + 1);
    EXPECT_EQ(chain.program.is_dynamic(), wiring == ChainWiring::Reuse);
    double accepted = 0;
    const auto want = stepwise_distribution(p, steps, noise, -1);
    const auto got = chain_distribution(chain, &accepted);
    EXPECT_GT(accepted, 1e-6);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_NEAR(got[i], want[i], 1e-10) << to_string(wiring) << " state " << i;
    }
  }
}

TEST(ChainCircuit, LabelRegistersArePreparedAndPostSelectedPerStep) {
  for (ChainWiring wiring : kWirings) {
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
      const reference::Vector noise = testing::random_state(rng, 2);
      const ChainCircuit chain = compile_reverse_chain(
          p, spans(steps), std::vector<Complex>(noise.begin(), noise.end()), label, wiring);
      EXPECT_EQ(chain.width(), wiring == ChainWiring::Fresh ? 2 + 2 * 3 : 2 + 2 + 1);
      const auto want = stepwise_distribution(p, steps, noise, label);
      const auto got = chain_distribution(chain);
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_NEAR(got[i], want[i], 1e-10)
            << to_string(wiring) << " label " << label << " state " << i;
      }
    }
  }
}

TEST(ChainCircuit, PostSelectedChainsAgreeAcrossWirings) {
  // Deferred measurement: the static and the dynamic program give the same kept distribution,
  // for the conditioned pipeline with a sampled (traced-out) ancilla too.
  Rng rng(71);  // seed
  const Pipeline p = bottleneck_denoiser({2, 2, 1, 1, 1});
  for (int label = 0; label < 4; ++label) {
    std::vector<std::vector<double>> steps = {testing::random_params(rng, p.num_params()),
                                              testing::random_params(rng, p.num_params())};
    const reference::Vector noise = testing::random_state(rng, 2);
    const std::vector<Complex> z(noise.begin(), noise.end());
    const ChainCircuit fresh = compile_reverse_chain(p, spans(steps), z, label, ChainWiring::Fresh);
    const ChainCircuit reuse = compile_reverse_chain(p, spans(steps), z, label, ChainWiring::Reuse);
    double a = 0, b = 0;
    const auto want = chain_distribution(fresh, &a);
    const auto got = chain_distribution(reuse, &b);
    EXPECT_NEAR(a, b, 1e-10) << "label " << label << ": acceptance";
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_NEAR(got[i], want[i], 1e-10) << "label " << label << " state " << i;
    }
  }
}

TEST(ChainCircuit, TheHeadlineModelFitsEightQubitsWhenDynamic) {
  // The paper's conditioned-latent denoiser at T = 8: 3 data + 4 label qubits and one ancilla.
  const Pipeline p = bottleneck_denoiser({3, 4, 1, 1, 1});
  const std::vector<double> params(p.num_params(), 0.3);
  const std::vector<std::span<const double>> steps(8, params);
  std::vector<Complex> noise(8, Complex(1 / std::sqrt(8.0), 0));
  const ChainCircuit fresh = compile_reverse_chain(p, steps, noise, 5, ChainWiring::Fresh);
  const ChainCircuit reuse = compile_reverse_chain(p, steps, noise, 5, ChainWiring::Reuse);
  EXPECT_EQ(fresh.width(), 3 + 5 * 8);
  EXPECT_EQ(reuse.width(), 3 + 4 + 1);
  // Classical bits: every wire in the static one; 4 label bits a step + 3 data bits dynamic.
  EXPECT_EQ(fresh.program.num_clbits(), 43);
  EXPECT_EQ(reuse.program.num_clbits(), 4 * 8 + 3);
  int labels = 0, data = 0;
  for (const ChainBit& b : reuse.bits) {
    labels += b.role == BitRole::Label;
    data += b.role == BitRole::Data;
    if (b.role == BitRole::Label) {
      EXPECT_EQ(b.select, (5 >> b.index) & 1);
    }
  }
  EXPECT_EQ(labels, 32);
  EXPECT_EQ(data, 3);
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
  const std::vector<std::span<const double>> many(63, qp);
  EXPECT_THROW(compile_reverse_chain(q, many, noise, -1, ChainWiring::Fresh),
               std::invalid_argument);
  // Reused, the same chain needs 3 qubits but 63 + 2 classical bits: still too many for a shot.
  EXPECT_THROW(compile_reverse_chain(q, many, noise, -1, ChainWiring::Reuse),
               std::invalid_argument);
}

TEST(ChainCircuit, EstimatesCountOnlyShotsThatPassThePostSelection) {
  ChainCircuit chain;
  chain.program = Program(3, 3);
  // clbit 0: data qubit 0; clbit 1: an ancilla kept at 0; clbit 2: data qubit 1.
  chain.bits = {{0, BitRole::Data, 0, -1}, {1, BitRole::Ancilla, 0, 0}, {0, BitRole::Data, 1, -1}};
  // clbit 1 = 1 rejects; kept: 0b000 (data 0) x30, 0b100 (data 2) x10.
  const ChainEstimate e = estimate_from_counts(chain, {{0b000, 30}, {0b100, 10}, {0b010, 60}});
  EXPECT_DOUBLE_EQ(e.shots, 100);
  EXPECT_DOUBLE_EQ(e.kept, 40);
  EXPECT_DOUBLE_EQ(e.magnitudes[0], std::sqrt(0.75));
  EXPECT_DOUBLE_EQ(e.magnitudes[2], std::sqrt(0.25));
  EXPECT_DOUBLE_EQ(e.magnitudes[1], 0);
}

TEST(ChainCircuit, TheBitMapNamesEveryClassicalBit) {
  const Pipeline p = bottleneck_denoiser({2, 1, 1, 1, 1});
  const std::vector<double> params(p.num_params(), 0.2);
  const std::vector<Complex> noise = {0.5, 0.5, 0.5, 0.5};
  const ChainCircuit c = compile_reverse_chain(p, {params, params}, noise, 1, ChainWiring::Reuse);
  const auto map = nlohmann::json::parse(bit_map_json(c.bits));
  ASSERT_EQ(map.size(), c.bits.size());
  // Step 2 first (T first), its label bit kept at the label's bit 0 = 1; the data bits last.
  EXPECT_EQ(map[0]["step"], 2);
  EXPECT_EQ(map[0]["role"], "label");
  EXPECT_EQ(map[0]["select"], 1);
  EXPECT_EQ(map.back()["role"], "data");
  EXPECT_FALSE(map.back().contains("select"));
  EXPECT_EQ(bit_map_compact(c.bits).substr(0, 15), "0=label/2/0=1 1");
}

}  // namespace
}  // namespace qdm
