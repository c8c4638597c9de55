// qdm-bench: one optimiser step of the pixel QDM (preset `pixel`: 8 qubits, layers [2, 2, 2],
// T = 10, batch 64): noise and targets for all T steps, forward, loss and adjoint gradient.
// Goal (issue 3): a full-preset epoch of 8096 images (126 steps) in under 3 s on two cores, i.e.
// a step in under 24 ms.
#include "experiments/qdm_training.h"

#include <benchmark/benchmark.h>

#include <numeric>

#include "experiments/pixel/pixel_experiment.h"
#include "framework/rng.h"

namespace qdm {
namespace {

void pixel_training_step(benchmark::State& state) {
  const ConfigSchema schema = PixelExperiment().schema();
  const Config config(schema);
  const Pipeline denoiser = without_normalise(PixelExperiment::denoiser(config));
  const QdmSettings settings = read_qdm_settings(config);
  const int B = settings.batch_size, T = settings.steps();
  DiffusionData data;
  data.length = 256;
  Rng rng(3);
  for (size_t k = 0; k < B * data.length; ++k) data.x0.push_back(rng.uniform() / 8);
  std::vector<uint32_t> items(B);
  std::iota(items.begin(), items.end(), 0u);
  std::vector<double> params(T * denoiser.num_params());
  for (double& p : params) p = 0.7 * rng.normal();
  BackendOptions options;
  options.threads = 1;
  options.precision =
      state.range(1) == 32 ? BackendOptions::Precision::Single : BackendOptions::Precision::Double;
  const auto backend = make_backend("statevector", options);
  long long step = 0;
  for (auto _ : state) {
    const StepResult r = train_step(*backend, denoiser, settings, data, items, step++, params,
                                    static_cast<int>(state.range(0)));
    benchmark::DoNotOptimize(r.loss);
  }
  state.SetItemsProcessed(state.iterations() * B);  // images per second
  state.counters["steps/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(pixel_training_step)
    ->Name("pixel-8q-T10/training-step/batch:64")
    ->ArgNames({"threads", "bits"})
    ->ArgsProduct({{1, 2}, {64, 32}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace qdm
