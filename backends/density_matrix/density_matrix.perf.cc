// qdm-bench: states/s of the density-matrix backend on the 8-qubit pixel denoiser (issue 6),
// noiseless and with depolarising noise after every gate (which adds a Kraus sum per gate).
#include <benchmark/benchmark.h>
#include <omp.h>

#include "backends/density_matrix/density_matrix_backend.h"
#include "framework/denoisers.h"
#include "framework/rng.h"

namespace qdm {
namespace {

void pixel_density(benchmark::State& state, bool noisy) {
  const int batch = static_cast<int>(state.range(0));
  const int threads =
      state.range(1) == 0 ? omp_get_max_threads() : static_cast<int>(state.range(1));
  const Pipeline p = pixel_denoiser({});
  BackendOptions options;
  options.threads = threads;
  if (noisy) {
    options.noise.depolarizing = 1e-3;
    options.noise.depolarizing_2q = 1e-2;
  }
  const DensityMatrixBackend backend(options);
  Rng rng(1);
  std::vector<double> params(p.num_params());
  for (double& x : params) x = 2 * M_PI * rng.uniform();
  std::vector<dm::DensityMatrix> in;
  for (int b = 0; b < batch; ++b) {
    Eigen::VectorXcd v(Eigen::Index{1} << p.input_qubits());
    for (auto& z : v) z = {rng.normal(), rng.normal()};
    in.push_back(dm::DensityMatrix::pure(v / v.norm()));
  }
  EvolveContext ctx;
  for (auto _ : state) {
    auto out = backend.forward_mixed(p, params, in, ctx);
    benchmark::DoNotOptimize(out.data());
    ++ctx.stream;
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["threads"] = threads;
}

// Registered by name: a BENCHMARK_CAPTURE label cannot hold the dashes of the model's name.
const bool registered = [] {
  for (const auto& [name, noisy] : {std::pair{"pixel-8q-150/density-matrix/noiseless", false},
                                    std::pair{"pixel-8q-150/density-matrix/depolarizing", true}}) {
    benchmark::RegisterBenchmark(name, [noisy](benchmark::State& s) { pixel_density(s, noisy); })
        ->ArgNames({"batch", "threads"})
        ->ArgsProduct({{16}, {1, 0}})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  return true;
}();

}  // namespace
}  // namespace qdm
