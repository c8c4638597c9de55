// The trajectories backend against the density-matrix backend, which is exact: shot frequencies of
// random circuits under each channel kind alone and all together (Pearson chi-square within 5 sd),
// per-basis-state mean probabilities of pipelines with post-selection (within 5 standard errors),
// a mid-circuit measurement under noise; without noise, dynamic programs against the reference
// distribution; the same trajectories for the same seed at any thread count. Seeds stated.
#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "backends/backend.h"
#include "backends/density_matrix/dm_pipeline.h"
#include "framework/error.h"
#include "tests/test_util.h"

namespace qdm {
namespace {

struct NoiseCase {
  const char* name;
  dm::NoiseModel noise;
};

const std::vector<NoiseCase>& noise_cases() {
  static const std::vector<NoiseCase> cases = {
      {"depolarizing", {.depolarizing = 0.06}},
      {"depolarizing_2q", {.depolarizing_2q = 0.1}},
      {"amplitude_damping", {.amplitude_damping = 0.08}},
      {"phase_damping", {.phase_damping = 0.15}},
      {"readout_error", {.readout_error = 0.05}},
      {"all", {0.02, 0.05, 0.03, 0.05, 0.02}},
  };
  return cases;
}

using Precision = BackendOptions::Precision;
constexpr std::array kPrecisions = {Precision::Double, Precision::Single};
const char* bits(Precision p) { return p == Precision::Single ? "complex64" : "complex128"; }

std::unique_ptr<Backend> trajectories(const dm::NoiseModel& noise, int threads = 2,
                                      int per_sample = 1, Precision precision = Precision::Double) {
  BackendOptions o;
  o.noise = noise;
  o.threads = threads;
  o.trajectories = per_sample;
  o.precision = precision;
  return make_backend("trajectories", o);
}

/// The exact distribution of measured bitstrings: the density matrix's diagonal, each bit then
/// flipped with the readout error.
std::map<uint64_t, double> exact_shots(const dm::DensityMatrix& rho, double readout) {
  const std::vector<double> p = rho.probabilities();
  const int n = rho.num_qubits();
  std::map<uint64_t, double> out;
  for (uint64_t seen = 0; seen < p.size(); ++seen) {
    double q = 0;
    for (uint64_t truth = 0; truth < p.size(); ++truth) {
      const int flips = __builtin_popcountll(seen ^ truth);
      q += p[truth] * std::pow(readout, flips) * std::pow(1 - readout, n - flips);
    }
    if (q > 0) out[seen] = q;
  }
  return out;
}

// In both precisions (backend.precision): float rounding (~1e-7) is far below the 5 sd of
// 40000 shots (~1e-2 relative), so single must pass the same test.
TEST(Trajectories, ShotsOfRandomCircuitsMatchTheDensityMatrixForEveryChannel) {
  for (Precision precision : kPrecisions) {
    Rng rng(211);  // seed
    for (const NoiseCase& c : noise_cases()) {
      for (int trial = 0; trial < 2; ++trial) {
        const Circuit circuit = testing::random_circuit(rng, 4, 30);
        const auto params = testing::random_params(rng, circuit.num_params());
        const dm::DensityMatrix rho = dm::simulate(circuit, params, c.noise, dm::DensityMatrix(4));
        testing::expect_within_5sd(
            trajectories(c.noise, 2, 1, precision)->sample(circuit, params, 40000, 5 + trial),
            exact_shots(rho, c.noise.readout_error), std::string(c.name) + ", " + bits(precision));
      }
    }
  }
}

/// Block, ancilla, post-selection and renormalisation, a label qubit and its post-selection.
Pipeline post_selected_pipeline(Rng& rng) {
  Pipeline p(3);
  int offset = 0;
  auto block = [&](int n) {
    Circuit c = testing::random_circuit(rng, n, 4 * n + 6);
    p.add(UnitaryBlock{c, offset});
    offset += c.num_params();
  };
  block(3);
  p.add(AppendAncilla{1});
  block(4);
  p.add(PostSelect{{3}, {0}});
  p.add(Normalise{});
  p.add(LabelEncode{1});
  block(4);
  p.add(LabelPostSelect{1});
  p.add(Normalise{});
  block(3);
  return p;
}

/// Per basis state: |mean of |psi_i|^2 over the batch - target_i| within 5 standard errors of the
/// mean (plus 1e-12 where every trajectory agrees).
void expect_means_within_5se(const StateBatch& out, const std::vector<double>& target,
                             const std::string& what) {
  const int m = out.batch_size();
  for (size_t i = 0; i < out.dim(); ++i) {
    double sum = 0, squares = 0;
    for (int b = 0; b < m; ++b) {
      const double p = std::norm(out.amp(b, i));
      sum += p, squares += p * p;
    }
    const double mean = sum / m, var = std::max(0.0, squares / m - mean * mean);
    EXPECT_NEAR(mean, target[i], 5 * std::sqrt(var / m) + 1e-12) << what << ": basis state " << i;
  }
}

TEST(Trajectories, PipelinesWithPostSelectionMatchTheDensityMatrixPerBasisState) {
  Rng rng(223);  // seed
  const Pipeline p = post_selected_pipeline(rng);
  const auto params = testing::random_params(rng, p.num_params());
  const reference::Vector psi = testing::random_state(rng, 3);
  const int m = 3000;  // copies of the one input, each its own trajectories
  EvolveContext context{std::vector<int>(m, 1), 223, 4};
  for (const NoiseCase& c : noise_cases()) {
    if (c.noise.readout_error > 0 && c.noise.depolarizing == 0) continue;  // no shots here
    const std::vector<double> exact =
        dm::run_pipeline(p, params, dm::DensityMatrix::pure(psi), c.noise, context, 0)
            .probabilities();
    // 32 particles per sample carry the post-selections (docs/performance.md: the bias of one).
    for (Precision precision : kPrecisions) {
      const StateBatch out =
          trajectories(c.noise, 2, 32, precision)
              ->forward(p, params, testing::to_batch(std::vector(m, psi), 3), context)
              .output;
      expect_means_within_5se(out, exact, std::string(c.name) + ", " + bits(precision));
      // Outputs end normalised: float's rounding is rescaled away in double.
      for (double n : out.squared_norms()) ASSERT_NEAR(n, 1.0, 1e-12) << bits(precision);
    }
  }
}

TEST(Trajectories, NoisyMidCircuitMeasurementMatchesMeasuringAtTheEnd) {
  // A qubit measured after its last gate reads what it would at the end: noise follows gates only.
  Rng rng(227);  // seed
  const dm::NoiseModel noise{0.03, 0.06, 0.04, 0.05, 0.03};
  const Circuit c = testing::random_circuit(rng, 4, 40);
  const auto params = testing::random_params(rng, c.num_params());
  size_t last_on_3 = 0;
  for (size_t k = 0; k < c.ops().size(); ++k) {
    const Op& op = c.ops()[k];
    if (op.qubits[0] == 3 || (gate_qubit_count(op.kind) == 2 && op.qubits[1] == 3)) last_on_3 = k;
  }
  Program program(4, 4);
  for (size_t k = 0; k < c.ops().size(); ++k) {
    Op op = c.ops()[k];
    for (Angle& a : op.angles) a = Angle::constant(a.resolve(params));
    program.gate(op);
    if (k == last_on_3) program.measure(3, 3);
  }
  for (int q = 0; q < 3; ++q) program.measure(q, q);
  const dm::DensityMatrix rho = dm::simulate(c, params, noise, dm::DensityMatrix(4));
  testing::expect_within_5sd(trajectories(noise)->sample(program, 40000, 9),
                             exact_shots(rho, noise.readout_error), "mid-circuit");
}

TEST(Trajectories, WithoutNoiseDynamicProgramsMatchTheReference) {
  Rng rng(229);  // seed
  for (int trial = 0; trial < 3; ++trial) {
    const Program p = testing::random_dynamic_program(rng, 3 + trial, 24);
    testing::expect_within_5sd(trajectories({})->sample(p, 20000, 3 + trial),
                               reference::program_distribution(p), "noiseless dynamic");
  }
}

TEST(Trajectories, StoppingRejectedShotsKeepsTheirCount) {
  Rng rng(233);  // seed
  const dm::NoiseModel noise{.depolarizing = 0.05, .readout_error = 0.04};
  const Program p = testing::random_dynamic_program(rng, 3, 30);
  const std::vector<std::pair<int, int>> select = {{3, 0}};
  const auto backend = trajectories(noise);
  const auto all = backend->sample(p, 20000, 11), stopped = backend->sample(p, 20000, 11, select);
  // Shots that pass are identical draws either way; the rest stop early.
  for (size_t s = 0; s < all.size(); ++s) {
    if ((all[s] >> 3 & 1) == 0) {
      EXPECT_EQ(stopped[s], all[s]) << s;
    }
    EXPECT_EQ(stopped[s] >> 3 & 1, all[s] >> 3 & 1) << s;
  }
}

TEST(Trajectories, SameSeedSameTrajectoriesAtAnyThreadCount) {
  Rng rng(239);  // seed
  const Pipeline p = post_selected_pipeline(rng);
  const auto params = testing::random_params(rng, p.num_params());
  std::vector<reference::Vector> inputs;
  for (int b = 0; b < 40; ++b) inputs.push_back(testing::random_state(rng, 3));
  const dm::NoiseModel noise{0.02, 0.05, 0.03, 0.05, 0.02};
  EvolveContext context{std::vector<int>(40, 0), 239, 2};
  const StateBatch in = testing::to_batch(inputs, 3);
  const StateBatch one = trajectories(noise, 1, 4)->forward(p, params, in, context).output;
  const StateBatch three = trajectories(noise, 3, 4)->forward(p, params, in, context).output;
  for (int b = 0; b < 40; ++b) EXPECT_EQ(one.state(b), three.state(b)) << b;
  context.seed = 240;
  const StateBatch other = trajectories(noise, 3, 4)->forward(p, params, in, context).output;
  int differ = 0;
  for (int b = 0; b < 40; ++b) differ += one.state(b) != other.state(b);
  EXPECT_GT(differ, 0);
  const Circuit c = testing::random_circuit(rng, 5, 30);
  const auto cp = testing::random_params(rng, c.num_params());
  EXPECT_EQ(trajectories(noise, 1)->sample(c, cp, 3000, 4),
            trajectories(noise, 4)->sample(c, cp, 3000, 4));
}

TEST(Trajectories, RefusesGradientsAndBadSettings) {
  Rng rng(241);  // seed
  const Pipeline p = post_selected_pipeline(rng);
  const auto params = testing::random_params(rng, p.num_params());
  EvolveContext context{{0}, 1, 1};
  const StateBatch in = testing::to_batch({testing::random_state(rng, 3)}, 3);
  EXPECT_THROW(trajectories({})->forward(p, params, in, context, true), UnsupportedError);
  EXPECT_THROW(trajectories({}, 1, 0), std::invalid_argument);
  EXPECT_THROW(trajectories({.amplitude_damping = 1.5}), std::invalid_argument);
  const auto backend = trajectories({});
  const Capabilities& caps = backend->capabilities();
  EXPECT_TRUE(caps.noise_models && caps.exact_states && caps.mid_circuit_measurement);
  EXPECT_EQ(caps.gradient, GradientMethod::None);
}

}  // namespace
}  // namespace qdm
