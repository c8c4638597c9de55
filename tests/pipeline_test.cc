#include <gtest/gtest.h>

#include "backends/statevector/statevector_backend.h"
#include "framework/circuit/ansatz.h"
#include "framework/denoisers.h"
#include "framework/loss.h"
#include "tests/test_util.h"

namespace qdm {
namespace {

/// Every stage kind, with parametrised blocks before and after each non-unitary stage so that the
/// first block's gradient flows through all backward rules.
Pipeline every_stage_pipeline(Rng& rng) {
  Pipeline p(3);
  int offset = 0;
  auto block = [&](int n) {
    Circuit c = testing::random_circuit(rng, n, 3 * n + 14);
    p.add(UnitaryBlock{c, offset});
    offset += c.num_params();
  };
  block(3);
  p.add(LabelEncode{2});
  block(5);
  p.add(AppendAncilla{1});
  block(6);
  p.add(SampleMeasure{{5}});
  block(5);
  p.add(PostSelect{{1}, {0}});
  p.add(Normalise{});
  p.add(ComplexLeakyReLU{0.1});
  p.add(Normalise{});
  block(4);
  p.add(LabelPostSelect{2});
  p.add(Normalise{});
  block(2);
  return p;
}

struct Case {
  Pipeline pipeline;
  std::vector<double> params;
  std::vector<reference::Vector> inputs, targets;
  EvolveContext context;
};

Case make_case(uint64_t seed, int batch) {
  Rng rng(seed);
  Case c{every_stage_pipeline(rng), {}, {}, {}, {}};
  c.params = testing::random_params(rng, c.pipeline.num_params());
  for (int b = 0; b < batch; ++b) {
    c.inputs.push_back(testing::random_state(rng, 3));
    c.targets.push_back(testing::random_state(rng, 2));
    c.context.labels.push_back(static_cast<int>(rng.below(4)));
  }
  c.context.seed = seed;
  c.context.stream = 7;
  return c;
}

// Forward through every stage against the reference, with the backend's own draws (seed 31,
// 40 states, 1 and 2 threads, both layouts); tolerance 1e-10.
TEST(Pipeline, EveryStageMatchesReference) {
  const Case c = make_case(31, 40);
  std::vector<size_t> measure_stages;
  for (size_t k = 0; k < c.pipeline.stages().size(); ++k) {
    if (std::holds_alternative<SampleMeasure>(c.pipeline.stages()[k])) measure_stages.push_back(k);
  }
  for (int threads : {1, 2}) {
    for (BatchLayout layout : {BatchLayout::BatchInner, BatchLayout::BatchOuter}) {
      StatevectorBackend sv({.threads = threads, .layout = layout});
      const auto out =
          sv.forward(c.pipeline, c.params, testing::to_batch(c.inputs, 3), c.context).output;
      for (int b = 0; b < out.batch_size(); ++b) {
        std::vector<double> u;
        for (size_t k : measure_stages)
          u.push_back(counter_uniform(c.context.seed, c.context.stream, k, b));
        const auto want =
            reference::run_pipeline(c.pipeline, c.params, c.inputs[b], c.context.labels[b], u);
        for (size_t i = 0; i < out.dim(); ++i) ASSERT_LT(std::abs(out.amp(b, i) - want[i]), 1e-10);
      }
    }
  }
}

double loss_at(const Backend& sv, const Case& c, std::span<const double> params,
               const std::vector<reference::Vector>& inputs) {
  const auto out = sv.forward(c.pipeline, params, testing::to_batch(inputs, 3), c.context).output;
  return infidelity(out, testing::to_batch(c.targets, 2)).value;
}

// Adjoint gradients of the infidelity through every stage against central differences
// (h = 1e-5), seeds 41..43, 24 states, 2 threads. Tolerance: |adjoint - fd| <= 1e-6 * max(|fd|,
// 1e-2).
TEST(Pipeline, GradientsMatchFiniteDifferences) {
  for (uint64_t seed : {41, 42, 43}) {
    const Case c = make_case(seed, 24);
    StatevectorBackend sv({.threads = 2});
    const auto fwd =
        sv.forward(c.pipeline, c.params, testing::to_batch(c.inputs, 3), c.context, true);
    const auto loss = infidelity(fwd.output, testing::to_batch(c.targets, 2));
    const auto grad = sv.backward(c.pipeline, c.params, *fwd.tape, loss.cotangent);
    const double h = 1e-5;
    double worst = 0;
    for (size_t k = 0; k < c.params.size(); ++k) {
      auto plus = c.params, minus = c.params;
      plus[k] += h;
      minus[k] -= h;
      const double fd =
          (loss_at(sv, c, plus, c.inputs) - loss_at(sv, c, minus, c.inputs)) / (2 * h);
      const double rel = std::abs(grad.params[k] - fd) / std::max(std::abs(fd), 1e-2);
      worst = std::max(worst, rel);
      ASSERT_LT(rel, 1e-6) << "seed " << seed << " param " << k << ": adjoint " << grad.params[k]
                           << " fd " << fd;
    }
    std::printf("[ info ] seed %llu: %zu params, worst relative error %.3g\n",
                static_cast<unsigned long long>(seed), c.params.size(), worst);

    // Input cotangent: along psi(e) = cos(e) psi + sin(e) d with d orthogonal to psi,
    // dL/de = 2 Re <g|d>.
    Rng rng(seed + 100);
    for (int b = 0; b < 3; ++b) {
      reference::Vector d = testing::random_state(rng, 3);
      d -= c.inputs[b].dot(d) * c.inputs[b];
      d /= d.norm();
      auto moved = [&](double e) {
        auto in = c.inputs;
        in[b] = std::cos(e) * c.inputs[b] + std::sin(e) * d;
        return in;
      };
      const double fd =
          (loss_at(sv, c, c.params, moved(h)) - loss_at(sv, c, c.params, moved(-h))) / (2 * h);
      Complex gd = 0;
      for (size_t i = 0; i < 8; ++i) gd += std::conj(grad.input.amp(b, i)) * d[i];
      EXPECT_LT(std::abs(2 * gd.real() - fd) / std::max(std::abs(fd), 1e-2), 1e-6) << "state " << b;
    }
  }
}

// Fused blocks (one dense unitary per block) against gate by gate: outputs and every gradient to
// 1e-10 (seed 45, 96 states, 1 and 2 threads).
TEST(Pipeline, FusedBlocksMatchGateByGate) {
  const Case c = make_case(45, 96);
  const StateBatch in = testing::to_batch(c.inputs, 3);
  const StateBatch targets = testing::to_batch(c.targets, 2);
  auto run = [&](BackendOptions::Fusion fusion, int threads) {
    StatevectorBackend sv({.threads = threads, .fusion = fusion});
    auto fwd = sv.forward(c.pipeline, c.params, in, c.context, true);
    const auto loss = infidelity(fwd.output, targets);
    return std::make_pair(fwd.output, sv.backward(c.pipeline, c.params, *fwd.tape, loss.cotangent));
  };
  const auto [out_ref, grad_ref] = run(BackendOptions::Fusion::Never, 1);
  for (int threads : {1, 2}) {
    const auto [out, grad] = run(BackendOptions::Fusion::Always, threads);
    for (int b = 0; b < out.batch_size(); ++b) {
      for (size_t i = 0; i < out.dim(); ++i)
        ASSERT_LT(std::abs(out.amp(b, i) - out_ref.amp(b, i)), 1e-10);
      for (size_t i = 0; i < 8; ++i)
        ASSERT_LT(std::abs(grad.input.amp(b, i) - grad_ref.input.amp(b, i)), 1e-10);
    }
    for (size_t k = 0; k < grad.params.size(); ++k)
      ASSERT_NEAR(grad.params[k], grad_ref.params[k], 1e-10);
  }
}

/// Largest |single - double| of the outputs, input cotangents and parameter gradients (the last
/// relative to the largest double gradient) of one infidelity step.
struct PrecisionGap {
  double output = 0, input = 0, params = 0;
  double norm = 0;  ///< largest |norm - 1| of the single-precision outputs
};
PrecisionGap single_against_double(const Pipeline& p, std::span<const double> params,
                                   const StateBatch& in, const StateBatch& targets,
                                   const EvolveContext& context, BackendOptions options) {
  std::array<std::pair<StateBatch, GradientResult>, 2> r;
  for (int k = 0; k < 2; ++k) {
    options.precision = k ? BackendOptions::Precision::Single : BackendOptions::Precision::Double;
    StatevectorBackend sv(options);
    auto fwd = sv.forward(p, params, in, context, true);
    const auto loss = infidelity(fwd.output, targets);
    r[k] = {fwd.output, sv.backward(p, params, *fwd.tape, loss.cotangent)};
  }
  PrecisionGap gap;
  const auto& [out64, grad64] = r[0];
  const auto& [out32, grad32] = r[1];
  for (int b = 0; b < out64.batch_size(); ++b) {
    for (size_t i = 0; i < out64.dim(); ++i) {
      gap.output = std::max(gap.output, std::abs(out32.amp(b, i) - out64.amp(b, i)));
    }
    for (size_t i = 0; i < in.dim(); ++i) {
      gap.input = std::max(gap.input, std::abs(grad32.input.amp(b, i) - grad64.input.amp(b, i)));
    }
  }
  for (double n : out32.squared_norms()) gap.norm = std::max(gap.norm, std::abs(std::sqrt(n) - 1));
  double scale = 0;
  for (double g : grad64.params) scale = std::max(scale, std::abs(g));
  for (size_t k = 0; k < grad64.params.size(); ++k) {
    gap.params = std::max(gap.params, std::abs(grad32.params[k] - grad64.params[k]) / scale);
  }
  return gap;
}

// backend.precision = single (complex64) against double, whose gradients the test above holds to
// finite differences. The bound: float32's unit roundoff is 6e-8; each gate rounds every
// amplitude it touches by a few units, so after G gates an amplitude is off by about
// sqrt(G) x 1e-7 (rounding errors of unitary steps do not grow, they add up like a random walk),
// 3e-6 for the 1000 gates of the 1110-parameter denoiser; gradients are sums over 2^n x B
// products, summed in float runs and then in double. 1e-4 leaves a margin of 10 to 30 over what
// these cases measure (printed), and is far below what a training step moves (lr x gradient).
// Every stage kind, both layouts, gate by gate and fused; then the pixel and the conditioned-latent
// denoisers (seeds 61, 67, 71).
TEST(Pipeline, SinglePrecisionMatchesDoubleWithinItsBound) {
  const Case c = make_case(61, 64);
  const StateBatch in = testing::to_batch(c.inputs, 3), targets = testing::to_batch(c.targets, 2);
  for (BatchLayout layout : {BatchLayout::BatchInner, BatchLayout::BatchOuter}) {
    for (auto fusion : {BackendOptions::Fusion::Never, BackendOptions::Fusion::Always}) {
      if (layout == BatchLayout::BatchOuter && fusion == BackendOptions::Fusion::Always) continue;
      const PrecisionGap gap =
          single_against_double(c.pipeline, c.params, in, targets, c.context,
                                {.threads = 2, .layout = layout, .fusion = fusion});
      std::printf(
          "[ info ] every stage, %s, %s: output %.2g, input cotangent %.2g, gradient %.2g\n",
          layout == BatchLayout::BatchInner ? "batch-inner" : "batch-outer",
          fusion == BackendOptions::Fusion::Always ? "fused" : "gate by gate", gap.output,
          gap.input, gap.params);
      EXPECT_LT(gap.output, 1e-4);
      EXPECT_LT(gap.input, 1e-4);
      EXPECT_LT(gap.params, 1e-4);
    }
  }
  const std::pair<const char*, Pipeline> models[] = {
      {"pixel 8 qubits", pixel_denoiser({})},
      {"conditioned latent 1110 parameters", bottleneck_denoiser({})}};
  uint64_t seed = 67;
  for (const auto& [name, p] : models) {
    Rng rng(seed);
    seed += 4;
    const auto params = testing::random_params(rng, p.num_params());
    std::vector<reference::Vector> inputs, outs;
    EvolveContext context{{}, seed, 3};
    for (int b = 0; b < 32; ++b) {
      inputs.push_back(testing::random_state(rng, p.input_qubits()));
      outs.push_back(testing::random_state(rng, p.output_qubits()));
      if (p.uses_labels()) context.labels.push_back(static_cast<int>(rng.below(10)));
    }
    const PrecisionGap gap =
        single_against_double(p, params, testing::to_batch(inputs, p.input_qubits()),
                              testing::to_batch(outs, p.output_qubits()), context, {.threads = 2});
    std::printf("[ info ] %s: output %.2g, input cotangent %.2g, gradient %.2g\n", name, gap.output,
                gap.input, gap.params);
    EXPECT_LT(gap.output, 1e-4) << name;
    EXPECT_LT(gap.input, 1e-4) << name;
    EXPECT_LT(gap.params, 1e-4) << name;
    // Both end normalised, so the float outputs are rescaled in double for the chain's next step.
    ASSERT_TRUE(p.output_normalised()) << name;
    EXPECT_LT(gap.norm, 1e-12) << name;
  }
}

// The draw of SampleMeasure: branch 0 frequency within 5 sigma of p0 over 20000 states (seed 51).
TEST(Pipeline, SampledMeasurementFollowsBornRule) {
  const double theta = 1.1;  // RY(theta)|0> on the ancilla: p0 = cos^2(theta / 2)
  Circuit c(2);
  c.add(GateKind::RY, {1}, {Angle::constant(theta)});
  Pipeline p(1);
  p.add(AppendAncilla{1}).add(UnitaryBlock{c, 0}).add(SampleMeasure{{1}});
  const int batch = 20000;
  StatevectorBackend sv({.threads = 2});
  const StateBatch in = StateBatch::basis_zero(1, batch);
  EvolveContext ctx;
  ctx.seed = 51;
  const auto out = sv.forward(p, {}, in, ctx).output;
  // Both branches leave the data qubit in |0>; the draw shows in nothing, so check it directly
  // through a data qubit entangled with the ancilla.
  Circuit ent(2);
  ent.add(GateKind::RY, {1}, {Angle::constant(theta)}).add(GateKind::CNOT, {1, 0});
  Pipeline q(1);
  q.add(AppendAncilla{1}).add(UnitaryBlock{ent, 0}).add(SampleMeasure{{1}});
  const auto branch = sv.forward(q, {}, in, ctx).output;
  int zeros = 0;
  for (int b = 0; b < batch; ++b) zeros += std::abs(branch.amp(b, 0)) > 0.5;
  const double p0 = std::pow(std::cos(theta / 2), 2);
  EXPECT_LE(std::abs(zeros - batch * p0), 5 * std::sqrt(batch * p0 * (1 - p0)));
  EXPECT_NEAR(std::abs(out.amp(0, 0)), 1.0, 1e-12);
}

// Without its Normalise stages a pipeline's output is the original's times a positive factor,
// and for a physical one that factor squared is the probability its post-selections keep the
// state: here two post-selections, the second of labels (seed 47).
TEST(Pipeline, WithoutNormaliseKeepsTheDirectionAndTheNormIsTheKeptProbability) {
  Rng rng(47);  // seed
  Pipeline p(3);
  int offset = 0;
  const auto block = [&](int n) {
    const Circuit c = testing::random_circuit(rng, n, 3 * n + 10);
    p.add(UnitaryBlock{c, offset});
    offset += c.num_params();
  };
  block(3);
  p.add(LabelEncode{2});
  p.add(AppendAncilla{1});
  block(6);
  p.add(PostSelect{{5}, {0}});
  p.add(Normalise{});
  block(5);
  p.add(LabelPostSelect{2});
  p.add(Normalise{});
  block(3);
  const Pipeline bare = without_normalise(p);
  EXPECT_EQ(bare.stages().size(), p.stages().size() - 2);
  EXPECT_EQ(bare.num_params(), p.num_params());
  EXPECT_TRUE(p.output_normalised());
  EXPECT_FALSE(bare.output_normalised());
  const auto params = testing::random_params(rng, p.num_params());
  const reference::Vector psi = testing::random_state(rng, 3);
  const EvolveContext context{{2}, 1, 1};
  StatevectorBackend sv({.threads = 1});
  const StateBatch in = testing::to_batch({psi}, 3);
  const StateBatch full = sv.forward(p, params, in, context).output;
  const StateBatch kept = sv.forward(bare, params, in, context).output;
  // The kept probability by hand: the first post-selection's, then the second's given the first.
  Pipeline first(3), second(3);
  for (size_t k = 0; k < 5; ++k) first.add(p.stages()[k]);  // through the first PostSelect
  const auto head = [&](const Pipeline& q) { return std::span(params).first(q.num_params()); };
  const double p1 = sv.forward(first, head(first), in, context).output.squared_norms()[0];
  for (size_t k = 0; k < 8; ++k) second.add(p.stages()[k]);  // through LabelPostSelect
  const double p2 = sv.forward(second, head(second), in, context).output.squared_norms()[0];
  const double norm2 = kept.squared_norms()[0];
  EXPECT_NEAR(norm2, p1 * p2, 1e-12);
  EXPECT_GT(norm2, 0.0);
  EXPECT_LT(norm2, 1.0);
  for (size_t i = 0; i < full.dim(); ++i) {
    EXPECT_NEAR(std::abs(kept.amp(0, i) / std::sqrt(norm2) - full.amp(0, i)), 0.0, 1e-12) << i;
  }
}

// normalised_infidelity: the infidelity of the renormalised output, with its cotangent against
// central differences along random directions (seed 53).
TEST(Losses, NormalisedInfidelityMatchesItsDefinitionAndFiniteDifferences) {
  Rng rng(53);  // seed
  std::vector<reference::Vector> outs, targets;
  for (int b = 0; b < 4; ++b) {
    outs.push_back(0.3 * (b + 1) * testing::random_state(rng, 3));  // unnormalised
    targets.push_back(testing::random_state(rng, 3));
  }
  const StateBatch t = testing::to_batch(targets, 3);
  const LossResult r = normalised_infidelity(testing::to_batch(outs, 3), t);
  double want = 0;
  for (int b = 0; b < 4; ++b) want += (1 - std::norm(targets[b].dot(outs[b].normalized()))) / 4;
  EXPECT_NEAR(r.value, want, 1e-14);
  const double h = 1e-6;
  for (int trial = 0; trial < 4; ++trial) {
    std::vector<reference::Vector> d;
    for (int b = 0; b < 4; ++b) d.push_back(testing::random_state(rng, 3));
    const auto at = [&](double e) {
      std::vector<reference::Vector> moved = outs;
      for (int b = 0; b < 4; ++b) moved[b] += e * d[b];
      return normalised_infidelity(testing::to_batch(moved, 3), t).value;
    };
    const double fd = (at(h) - at(-h)) / (2 * h);
    double analytic = 0;  // dL = 2 Re sum conj(g) d
    for (int b = 0; b < 4; ++b) {
      for (size_t i = 0; i < 8; ++i)
        analytic += 2 * (std::conj(r.cotangent.amp(b, i)) * d[b][i]).real();
    }
    EXPECT_NEAR(analytic, fd, 1e-7) << trial;
  }
}

TEST(Pipeline, NonPhysicalStageIsDeclared) {
  Pipeline p(2);
  p.add(Normalise{});
  EXPECT_TRUE(p.is_physical());
  p.add(ComplexLeakyReLU{0.01});
  EXPECT_FALSE(p.is_physical());
}

}  // namespace
}  // namespace qdm
