// qdm-bench: states/s for the reference denoisers on the statevector backend.
// Goal (issue 2): forward + gradient of the 1110-parameter conditioned-latent denoiser on a batch
// of 64 states in under 20 ms on one core.
#include <benchmark/benchmark.h>
#include <omp.h>

#include "backends/statevector/statevector_backend.h"
#include "framework/denoisers.h"
#include "framework/loss.h"
#include "framework/process_tuning.h"
#include "framework/rng.h"

namespace qdm {
namespace {

struct Model {
  const char* name;
  Pipeline pipeline;
};

const Model& model(int which) {
  static const Model models[] = {{"conditioned-latent-1110", bottleneck_denoiser({})},
                                 {"pixel-8q-150", pixel_denoiser({})}};
  return models[which];
}

StateBatch random_states(int qubits, int batch, uint64_t seed) {
  Rng rng(seed);
  StateBatch s(qubits, batch);
  for (int b = 0; b < batch; ++b) {
    std::vector<Complex> v(s.dim());
    double norm = 0;
    for (auto& z : v) norm += std::norm(z = {rng.normal(), rng.normal()});
    for (auto& z : v) z /= std::sqrt(norm);
    s.set_state(b, v);
  }
  return s;
}

/// Floating-point operations of the unitary blocks: 14 per amplitude per single-qubit gate
/// forward (a 2x2 complex matrix-vector product per pair), 44 in the adjoint sweep (two such
/// products plus the 2x2 accumulation). Permutation gates count as zero.
double block_flops(const Pipeline& p, int batch, bool gradient) {
  double flops = 0;
  for (size_t k = 0; k < p.stages().size(); ++k) {
    const auto* u = std::get_if<UnitaryBlock>(&p.stages()[k]);
    if (u == nullptr) continue;
    const double amps = double(size_t{1} << p.qubits_before(k)) * batch;
    for (const Op& op : u->circuit.ops()) {
      if (gate_qubit_count(op.kind) == 1) flops += amps * (gradient ? 14 + 44 : 14);
    }
  }
  return flops;
}

void run(benchmark::State& state, int which, bool gradient, BatchLayout layout,
         size_t chunk_bytes = BackendOptions{}.chunk_bytes,
         BackendOptions::Fusion fusion = BackendOptions::Fusion::Never,
         BackendOptions::Precision precision = BackendOptions::Precision::Double) {
  const int batch = static_cast<int>(state.range(0));
  const int threads =
      state.range(1) == 0 ? omp_get_max_threads() : static_cast<int>(state.range(1));
  const Pipeline& p = model(which).pipeline;
  StatevectorBackend sv({.threads = threads,
                         .layout = layout,
                         .chunk_bytes = chunk_bytes,
                         .fusion = fusion,
                         .precision = precision});
  Rng rng(1);
  std::vector<double> params(p.num_params());
  for (auto& x : params) x = 2 * M_PI * rng.uniform();
  const StateBatch in = random_states(p.input_qubits(), batch, 2);
  const StateBatch targets = random_states(p.output_qubits(), batch, 3);
  EvolveContext ctx;
  for (int b = 0; b < batch; ++b) ctx.labels.push_back(b % 10);
  for (auto _ : state) {
    auto fwd = sv.forward(p, params, in, ctx, gradient);
    if (gradient) {
      const auto loss = infidelity(fwd.output, targets);
      auto g = sv.backward(p, params, *fwd.tape, loss.cotangent);
      benchmark::DoNotOptimize(g.params.data());
    }
    benchmark::DoNotOptimize(fwd.output.re());
    ++ctx.stream;
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["threads"] = threads;
  state.counters["FLOP"] = benchmark::Counter(block_flops(p, batch, gradient) * state.iterations(),
                                              benchmark::Counter::kIsRate);
}

void register_all() {
  for (int which : {0, 1}) {
    for (bool gradient : {false, true}) {
      for (BatchLayout layout : {BatchLayout::BatchInner, BatchLayout::BatchOuter}) {
        const std::string name =
            std::string(model(which).name) + (gradient ? "/forward+gradient" : "/forward") +
            (layout == BatchLayout::BatchInner ? "/batch-inner" : "/batch-outer");
        benchmark::RegisterBenchmark(name.c_str(),
                                     [=](benchmark::State& s) { run(s, which, gradient, layout); })
            ->ArgNames({"batch", "threads"})
            ->ArgsProduct({{64, 1024}, {1, 0}})
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
      }
    }
    // Whole-block unitaries applied as matrix products, against gate by gate (Never above).
    for (bool gradient : {false, true}) {
      const std::string fused =
          std::string(model(which).name) + (gradient ? "/forward+gradient" : "/forward") + "/fused";
      benchmark::RegisterBenchmark(fused.c_str(),
                                   [=](benchmark::State& s) {
                                     run(s, which, gradient, BatchLayout::BatchInner,
                                         BackendOptions{}.chunk_bytes,
                                         BackendOptions::Fusion::Always);
                                   })
          ->ArgNames({"batch", "threads"})
          ->ArgsProduct({{64, 1024, 4096}, {1}})
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
    // backend.precision: complex128 against complex64 as training runs them (fusion Auto), side
    // by side; bits 64 or 32 per real number.
    const std::string precision = std::string(model(which).name) + "/forward+gradient/precision";
    benchmark::RegisterBenchmark(precision.c_str(),
                                 [=](benchmark::State& s) {
                                   run(s, which, true, BatchLayout::BatchInner,
                                       BackendOptions{}.chunk_bytes, BackendOptions::Fusion::Auto,
                                       s.range(2) == 32 ? BackendOptions::Precision::Single
                                                        : BackendOptions::Precision::Double);
                                 })
        ->ArgNames({"batch", "threads", "bits"})
        ->ArgsProduct({{64, 1024}, {1, 0}, {64, 32}})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    // The chunk size that keeps a sweep in cache: batch 1024, one thread, chunk cap in KiB.
    const std::string name = std::string(model(which).name) + "/forward+gradient/chunk-sweep";
    benchmark::RegisterBenchmark(name.c_str(),
                                 [=](benchmark::State& s) {
                                   run(s, which, true, BatchLayout::BatchInner,
                                       size_t(s.range(2)) << 10);
                                 })
        ->ArgNames({"batch", "threads", "chunk_kib"})
        ->ArgsProduct({{1024}, {1}, {64, 256, 512, 1024, 4096, 1 << 20}})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
}

}  // namespace
}  // namespace qdm

int main(int argc, char** argv) {
  qdm::tune_allocator_for_state_batches();
  qdm::register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("qdm.note", "threads=0 in a name means all hardware threads");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
