// qdm-bench: the trajectories backend beside the density-matrix backend on the 8-qubit pixel
// denoiser under depolarising noise (states/s, and the per-pixel variance each adds, from which
// docs/performance.md derives the speed-up at equal statistical error), and a 20-qubit noisy
// denoiser that no density matrix here can hold (2^40 complex entries).
#include <benchmark/benchmark.h>
#include <omp.h>

#include "backends/backend.h"
#include "framework/denoisers.h"
#include "framework/rng.h"

namespace qdm {
namespace {

StateBatch random_inputs(Rng& rng, int qubits, int batch) {
  StateBatch in(qubits, batch);
  std::vector<Complex> v(size_t{1} << qubits);
  for (int b = 0; b < batch; ++b) {
    double norm = 0;
    for (auto& z : v) norm += std::norm(z = {rng.normal(), rng.normal()});
    for (auto& z : v) z /= std::sqrt(norm);
    in.set_state(b, v);
  }
  return in;
}

void pixel_trajectories(benchmark::State& state, int data_qubits) {
  const int batch = static_cast<int>(state.range(0));
  const int threads =
      state.range(1) == 0 ? omp_get_max_threads() : static_cast<int>(state.range(1));
  const Pipeline p = pixel_denoiser({.data_qubits = data_qubits});
  BackendOptions options;
  options.threads = threads;
  options.trajectories = static_cast<int>(state.range(2));
  options.noise.depolarizing = 1e-3;
  options.noise.depolarizing_2q = 1e-2;
  const auto backend = make_backend("trajectories", options);
  Rng rng(1);
  std::vector<double> params(p.num_params());
  for (double& x : params) x = 2 * M_PI * rng.uniform();
  const StateBatch in = random_inputs(rng, p.input_qubits(), batch);
  EvolveContext ctx;
  for (auto _ : state) {
    auto out = backend->forward(p, params, in, ctx);
    benchmark::DoNotOptimize(out.output.re());
    ++ctx.stream;
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["threads"] = threads;
}

const bool registered = [] {
  benchmark::RegisterBenchmark("pixel-8q-150/trajectories/depolarizing",
                               [](benchmark::State& s) { pixel_trajectories(s, 8); })
      ->ArgNames({"batch", "threads", "per_sample"})
      ->ArgsProduct({{256}, {1, 0}, {1, 16}})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("pixel-19q/trajectories/depolarizing",
                               [](benchmark::State& s) { pixel_trajectories(s, 19); })
      ->ArgNames({"batch", "threads", "per_sample"})
      ->Args({2, 0, 1})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  return true;
}();

}  // namespace
}  // namespace qdm
