// qdm-bench: the trajectories backend beside the density-matrix backend on the 8-qubit pixel
// denoiser under depolarising noise (states/s, and the per-pixel variance each adds, from which
// docs/performance.md derives the speed-up at equal statistical error), and a 20-qubit noisy
// denoiser that no density matrix here can hold (2^40 complex entries).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <chrono>

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
  options.precision =
      state.range(3) == 32 ? BackendOptions::Precision::Single : BackendOptions::Precision::Double;
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

/// Total per-basis-state variance of output probabilities over samples (states x outcomes).
double total_variance(const std::vector<std::vector<double>>& probabilities) {
  const size_t n = probabilities.size(), dim = probabilities.front().size();
  double total = 0;
  for (size_t i = 0; i < dim; ++i) {
    double sum = 0, squares = 0;
    for (const auto& p : probabilities) sum += p[i], squares += p[i] * p[i];
    total += squares / n - (sum / n) * (sum / n);
  }
  return total;
}

/// Trajectories against the density matrix at equal statistical error on the per-basis-state
/// mean of the 8-qubit pixel denoiser's output (the per-pixel mean of a sample set): both
/// backends on the same random inputs under the same depolarising noise, timed on two threads.
/// The exact density matrix has only the inputs' variance; each trajectory adds the noise's, so
/// trajectories need variance_ratio times as many samples for the same standard error, and
/// speedup_at_equal_error = (trajectory rate / density-matrix rate) / variance_ratio. A sample
/// carries `per_sample` particles through the post-selection (backend.trajectories).
void trajectories_vs_density_matrix(benchmark::State& state) {
  const int inputs = 32, copies = 64;  // trajectories per input for the variance estimate
  const int threads = omp_get_max_threads();
  const Pipeline p = pixel_denoiser({});
  BackendOptions options;
  options.threads = threads;
  options.trajectories = static_cast<int>(state.range(0));
  options.noise.depolarizing = 1e-3;
  options.noise.depolarizing_2q = 1e-2;
  const auto traj = make_backend("trajectories", options);
  const auto dense = make_backend("density-matrix", options);
  Rng rng(1);
  std::vector<double> params(p.num_params());
  for (double& x : params) x = 2 * M_PI * rng.uniform();
  const StateBatch in = random_inputs(rng, p.input_qubits(), inputs);
  std::vector<dm::DensityMatrix> mixed_in;
  StateBatch repeated(p.input_qubits(), inputs * copies);
  for (int b = 0; b < inputs; ++b) {
    const std::vector<Complex> v = in.state(b);
    mixed_in.push_back(dm::DensityMatrix::pure(
        Eigen::Map<const Eigen::VectorXcd>(v.data(), static_cast<Eigen::Index>(v.size()))));
    for (int c = 0; c < copies; ++c) repeated.set_state(b * copies + c, v);
  }
  EvolveContext ctx;
  double dm_seconds = 0, traj_seconds = 0, ratio = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<dm::DensityMatrix> exact = dense->forward_mixed(p, params, mixed_in, ctx);
    const auto t1 = std::chrono::steady_clock::now();
    const StateBatch out = traj->forward(p, params, repeated, ctx).output;
    const auto t2 = std::chrono::steady_clock::now();
    dm_seconds += std::chrono::duration<double>(t1 - t0).count();
    traj_seconds += std::chrono::duration<double>(t2 - t1).count();
    std::vector<std::vector<double>> a, b;
    for (const auto& rho : exact) a.push_back(rho.probabilities());
    for (int k = 0; k < out.batch_size(); ++k) {
      std::vector<double> q(out.dim());
      for (size_t i = 0; i < out.dim(); ++i) q[i] = std::norm(out.amp(k, i));
      b.push_back(std::move(q));
    }
    ratio = total_variance(b) / total_variance(a);
    ++ctx.stream;
  }
  const double n = static_cast<double>(state.iterations());
  const double dm_rate = n * inputs / dm_seconds, traj_rate = n * inputs * copies / traj_seconds;
  state.counters["density_matrix_states_per_s"] = dm_rate;
  state.counters["trajectories_samples_per_s"] = traj_rate;
  state.counters["variance_ratio"] = ratio;
  state.counters["speedup_at_equal_error"] = traj_rate / dm_rate / ratio;
  state.counters["threads"] = threads;
}

const bool registered = [] {
  benchmark::RegisterBenchmark("pixel-8q-150/trajectories-vs-density-matrix/depolarizing",
                               trajectories_vs_density_matrix)
      ->ArgName("per_sample")
      ->Arg(1)
      ->Arg(16)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(1)
      ->UseRealTime();
  benchmark::RegisterBenchmark("pixel-8q-150/trajectories/depolarizing",
                               [](benchmark::State& s) { pixel_trajectories(s, 8); })
      ->ArgNames({"batch", "threads", "per_sample", "bits"})
      ->ArgsProduct({{256}, {1, 0}, {1, 16}, {64, 32}})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("pixel-19q/trajectories/depolarizing",
                               [](benchmark::State& s) { pixel_trajectories(s, 19); })
      ->ArgNames({"batch", "threads", "per_sample", "bits"})
      ->ArgsProduct({{2}, {0}, {1}, {64, 32}})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  return true;
}();

}  // namespace
}  // namespace qdm
