// qdm-bench: how fast a sampling request becomes wire payloads (issue 7): each sample's reverse
// chain compiled to one circuit (state preparation + T denoisers, fresh ancillas), transpiled to
// IBM's basis and written as OpenQASM 3, or to IonQ's JSON gates; and the simulator's shot
// sampling of one such circuit, the reference the hardware path is compared with.
#include <benchmark/benchmark.h>

#include "backends/backend.h"
#include "backends/rest/native_circuit.h"
#include "framework/chain_circuit.h"
#include "framework/denoisers.h"
#include "framework/rng.h"

namespace qdm {
namespace {

struct Chain {
  Pipeline p = bottleneck_denoiser({3, 0, 15, 20, 15});  // the latent preset's denoiser
  std::vector<std::vector<double>> steps;
  std::vector<std::complex<double>> noise;
  explicit Chain(int T) {
    Rng rng(1);
    for (int t = 0; t < T; ++t) {
      steps.emplace_back(p.num_params());
      for (double& x : steps.back()) x = 2 * M_PI * rng.uniform();
    }
    double norm = 0;
    for (int i = 0; i < 8; ++i) {
      noise.emplace_back(rng.normal(), rng.normal());
      norm += std::norm(noise.back());
    }
    for (auto& z : noise) z /= std::sqrt(norm);
  }
  ChainCircuit compile() const {
    return compile_reverse_chain(p, {steps.begin(), steps.end()}, noise, -1);
  }
};

void chain_to_qasm(benchmark::State& state) {
  const Chain chain(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    const ChainCircuit c = chain.compile();
    const std::string qasm = rest::to_qasm3(rest::to_ibm_basis(c.circuit, {}));
    benchmark::DoNotOptimize(qasm.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("latent chain -> IBM OpenQASM 3; items = circuits");
}

void chain_to_ionq(benchmark::State& state) {
  const Chain chain(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    const ChainCircuit c = chain.compile();
    const std::string json = rest::to_ionq_json(rest::to_ionq_qis(c.circuit, {})).dump();
    benchmark::DoNotOptimize(json.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("latent chain -> IonQ JSON; items = circuits");
}

void chain_shots(benchmark::State& state) {
  const Chain chain(static_cast<int>(state.range(0)));
  const ChainCircuit c = chain.compile();
  BackendOptions o;
  o.threads = 1;
  const auto backend = make_backend("statevector", o);
  uint64_t seed = 1;
  for (auto _ : state) {
    auto shots = backend->sample(c.circuit, {}, 2000, seed++);
    benchmark::DoNotOptimize(shots.data());
  }
  state.SetItemsProcessed(state.iterations() * 2000);
  state.SetLabel("latent chain on statevector, 1 thread; items = shots");
}

BENCHMARK(chain_to_qasm)->Name("qpu/chain-to-qasm3")->Arg(8)->Unit(benchmark::kMillisecond);
BENCHMARK(chain_to_ionq)->Name("qpu/chain-to-ionq-json")->Arg(8)->Unit(benchmark::kMillisecond);
BENCHMARK(chain_shots)->Name("qpu/chain-shots")->Arg(8)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace qdm
