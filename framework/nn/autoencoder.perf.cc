// qdm-bench: one training batch (forward, Huber loss, backward) of the reference convolutional
// autoencoder at the reference's batch size 32, and inference (encode + decode) of 256 images.
// Goal (issue 4): the reference's 100 epochs over 8000 training images in under 15 minutes on two
// cores: 250 batches an epoch, so a batch in under 36 ms.
#include <benchmark/benchmark.h>
#include <omp.h>

#include "framework/nn/network.h"

namespace qdm::nn {
namespace {

struct Fixture {
  Autoencoder ae{AutoencoderSpec{}};
  std::vector<double> params, buffers, images;
  explicit Fixture(int n) : params(ae.num_params()), buffers(ae.num_buffers()), images(n * 784) {
    Rng rng(5);
    ae.init(params, buffers, rng);
    for (double& v : images) v = rng.uniform();
  }
};

void conv_autoencoder_train_batch(benchmark::State& state) {
  omp_set_num_threads(static_cast<int>(state.range(0)));
  Fixture f(32);
  std::vector<double> grad(f.params.size());
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.ae.train_batch(f.images, 32, f.params, f.buffers, 1.0, grad));
  }
  state.SetItemsProcessed(state.iterations() * 32);  // images per second
}
BENCHMARK(conv_autoencoder_train_batch)
    ->Name("conv-autoencoder/train-batch:32")
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void conv_autoencoder_inference(benchmark::State& state) {
  omp_set_num_threads(static_cast<int>(state.range(0)));
  Fixture f(256);
  for (auto _ : state) {
    const auto z = f.ae.encode(f.images, 256, f.params, f.buffers);
    benchmark::DoNotOptimize(f.ae.decode(z, 256, f.params, f.buffers));
  }
  state.SetItemsProcessed(state.iterations() * 256);
}
BENCHMARK(conv_autoencoder_inference)
    ->Name("conv-autoencoder/encode-decode:256")
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace qdm::nn
