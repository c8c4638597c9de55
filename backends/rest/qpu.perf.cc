// qdm-bench: how fast a sampling request becomes wire payloads (issues 7, 17): each sample's
// reverse chain compiled to one circuit (state preparation + T denoisers), transpiled to
// ibm_torino's ISA on the layout a job chooses once and written as OpenQASM 3, or to IonQ's JSON
// gates (static: fresh ancillas); and the simulator's shot sampling of one such circuit, static or
// dynamic (mid-circuit measurement, branch by branch), the reference the hardware path is
// compared with.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "backends/backend.h"
#include "backends/rest/wire_formats.h"
#include "framework/circuit/chain_circuit.h"
#include "framework/denoisers.h"
#include "framework/device/device.h"
#include "framework/rng.h"
#include "framework/transpile/transpile.h"

namespace qdm {
namespace {

struct Chain {
  Pipeline p = bottleneck_denoiser({3, 0, 15, 20, 15});  // the latent preset's denoiser
  int label = -1;
  std::vector<std::vector<double>> steps;
  std::vector<std::complex<double>> noise;
  /// The latent preset's chain, or with `conditioned` the headline model's (1110 parameters).
  explicit Chain(int T, bool conditioned = false) {
    if (conditioned) p = bottleneck_denoiser({}), label = 3;
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
  ChainCircuit compile(ChainWiring wiring = ChainWiring::Fresh) const {
    return compile_reverse_chain(p, {steps.begin(), steps.end()}, noise, label, wiring);
  }
};

void chain_to_qasm(benchmark::State& state) {
  const Chain chain(static_cast<int>(state.range(0)));
  const DeviceTarget torino(load_ibm_device(QDM_SOURCE_DIR "/tests/fixtures/ibm/conf_torino.json"));
  const Layout layout = torino.choose_layout(chain.compile(ChainWiring::Reuse).program);
  for (auto _ : state) {
    const ChainCircuit c = chain.compile(ChainWiring::Reuse);
    const std::string qasm = rest::to_qasm3(torino.transpile(c.program, layout).circuit);
    benchmark::DoNotOptimize(qasm.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("latent chain (dynamic) -> ibm_torino ISA OpenQASM 3; items = circuits");
}

void chain_to_ionq(benchmark::State& state) {
  const Chain chain(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    const ChainCircuit c = chain.compile();
    const std::string json = rest::to_ionq_json(rest::to_ionq_qis(c.program)).dump();
    benchmark::DoNotOptimize(json.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("latent chain -> IonQ JSON; items = circuits");
}

void chain_shots(benchmark::State& state) {
  // Args: T, dynamic (0/1), model (0 latent, 1 conditioned-latent), stop rejected shots (0/1).
  const bool dynamic = state.range(1) != 0, conditioned = state.range(2) != 0;
  const Chain chain(static_cast<int>(state.range(0)), conditioned);
  const ChainCircuit c = chain.compile(dynamic ? ChainWiring::Reuse : ChainWiring::Fresh);
  std::vector<std::pair<int, int>> select;
  for (size_t k = 0; k < c.bits.size() && state.range(3); ++k) {
    if (c.bits[k].select >= 0) select.emplace_back(static_cast<int>(k), c.bits[k].select);
  }
  BackendOptions o;
  o.threads = 1;
  const auto backend = make_backend("statevector", o);
  uint64_t seed = 1;
  for (auto _ : state) {
    auto shots = backend->sample(c.program, 2000, seed++, select);
    benchmark::DoNotOptimize(shots.data());
  }
  state.SetItemsProcessed(state.iterations() * 2000);
  state.SetLabel(fmt::format("{} chain ({}, {} qubits{}) on statevector, 1 thread; items = shots",
                             conditioned ? "conditioned-latent" : "latent",
                             dynamic ? "dynamic" : "static", c.width(),
                             state.range(3) ? ", rejected shots stopped" : ""));
}

BENCHMARK(chain_to_qasm)->Name("qpu/chain-to-qasm3")->Arg(8)->Unit(benchmark::kMillisecond);
BENCHMARK(chain_to_ionq)->Name("qpu/chain-to-ionq-json")->Arg(8)->Unit(benchmark::kMillisecond);
BENCHMARK(chain_shots)
    ->Name("qpu/chain-shots")
    ->Args({8, 0, 0, 0})
    ->Args({8, 1, 0, 0})
    ->Args({8, 1, 1, 0})
    ->Args({8, 1, 1, 1})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace qdm
