// qdm-bench: the transpiler (issue 17). For every model's reverse chain (dynamic) on the three
// IBM fixtures: the layout search and the per-circuit transpilation as rates (circuits/s), with
// what they produce as counters: two-qubit gates and depth before and after, SWAPs per logical
// two-qubit gate, the calibrated estimate of success. And SABRE against an exhaustive search on
// small random circuits (line, ring, grid): SWAPs per logical two-qubit gate of each. Goal:
// SABRE within 1.5x of the optimum on the small cases.
#include "framework/transpile/transpile.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "framework/circuit/chain_circuit.h"
#include "framework/denoisers.h"
#include "framework/device/device.h"
#include "framework/rng.h"

namespace qdm {
namespace {

const DeviceTarget& device(int index) {
  static const std::vector<DeviceTarget> devices = [] {
    std::vector<DeviceTarget> d;
    for (const char* name : {"torino", "fez", "brisbane"}) {
      d.emplace_back(load_ibm_device(std::string(QDM_SOURCE_DIR) + "/tests/fixtures/ibm/conf_" +
                                     name + ".json"));
    }
    return d;
  }();
  return devices.at(index);
}

/// The dynamic reverse chain of a model with random parameters: 0 pixel (8 data qubits, 16x16,
/// T = 10), 1 pixel-quick (6, T = 3, four layers), 2 latent (3, T = 8), 3 conditioned-latent
/// (3 + 4 label, T = 8, the paper's 1110 parameters).
ChainCircuit model_chain(int model) {
  Pipeline p = bottleneck_denoiser({});
  int T = 8;
  if (model == 0 || model == 1) {
    PixelShape s;
    s.data_qubits = model == 0 ? 8 : 6;
    if (model == 1) s.layers = {4, 4, 4};
    p = pixel_denoiser(s);
    T = model == 0 ? 10 : 3;
  } else if (model == 2) {
    p = bottleneck_denoiser({3, 0, 15, 20, 15});
  }
  Rng rng(7);
  std::vector<std::vector<double>> steps(T, std::vector<double>(p.num_params()));
  for (auto& s : steps) {
    for (double& x : s) x = 2 * M_PI * rng.uniform();
  }
  std::vector<std::complex<double>> noise(size_t{1} << p.input_qubits());
  double norm = 0;
  for (auto& z : noise) norm += std::norm(z = {rng.normal(), rng.normal()});
  for (auto& z : noise) z /= std::sqrt(norm);
  return compile_reverse_chain(p, {steps.begin(), steps.end()}, noise, model == 3 ? 3 : -1,
                               ChainWiring::Reuse);
}

const char* kModels[] = {"pixel", "pixel-quick", "latent", "conditioned-latent"};
const char* kDevices[] = {"ibm_torino", "ibm_fez", "ibm_brisbane"};

void set_counters(benchmark::State& state, const TranspileStats& s) {
  state.counters["2q_logical"] = s.logical_two_qubit;
  state.counters["2q_isa"] = s.isa_two_qubit;
  state.counters["depth_logical"] = s.logical_depth;
  state.counters["depth_isa"] = s.isa_depth;
  state.counters["swaps_per_2q"] = static_cast<double>(s.swaps) / s.logical_two_qubit;
  state.counters["est_success"] = s.estimated_success;
}

void layout_search(benchmark::State& state) {
  const ChainCircuit c = model_chain(static_cast<int>(state.range(0)));
  const DeviceTarget& t = device(static_cast<int>(state.range(1)));
  Layout layout;
  for (auto _ : state) layout = t.choose_layout(c.program);
  set_counters(state, t.transpile(c.program, layout).stats);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(
      fmt::format("{} on {}; items = layouts", kModels[state.range(0)], kDevices[state.range(1)]));
}

void transpile_chain(benchmark::State& state) {
  const ChainCircuit c = model_chain(static_cast<int>(state.range(0)));
  const DeviceTarget& t = device(static_cast<int>(state.range(1)));
  const Layout layout = t.choose_layout(c.program);
  TranspileStats stats;
  for (auto _ : state) stats = t.transpile(c.program, layout).stats;
  set_counters(state, stats);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(fmt::format("{} on {}, layout chosen once; items = circuits",
                             kModels[state.range(0)], kDevices[state.range(1)]));
}

/// SABRE (with its layout search) against the exhaustive optimum: 12 random CNOT circuits of 10
/// gates on each small graph.
void sabre_vs_optimal(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0));
  const CouplingGraph graph = which == 0   ? CouplingGraph::line(5)
                              : which == 1 ? CouplingGraph::ring(6)
                                           : CouplingGraph::grid(2, 3);
  Rng rng(11);
  std::vector<Program> cases;
  for (int k = 0; k < 12; ++k) {
    Program p(graph.size(), 0);
    for (int g = 0; g < 10; ++g) {
      const int a = static_cast<int>(rng.below(graph.size()));
      int b = static_cast<int>(rng.below(graph.size() - 1));
      if (b >= a) ++b;
      p.gate({GateKind::CNOT, {a, b}, {}});
    }
    cases.push_back(p);
  }
  int optimal = 0, sabre = 0;
  for (const Program& p : cases) optimal += optimal_swap_count(p, graph);
  std::vector<int> start(graph.size());
  for (int i = 0; i < graph.size(); ++i) start[i] = i;
  for (auto _ : state) {
    sabre = 0;
    for (const Program& p : cases) {
      sabre += sabre_route(p, graph, best_sabre_layout(p, graph, start, 1, 8), 1).swaps;
    }
  }
  state.counters["swaps_per_2q_sabre"] = sabre / 120.0;
  state.counters["swaps_per_2q_optimal"] = optimal / 120.0;
  state.counters["ratio"] = optimal ? static_cast<double>(sabre) / optimal : 1.0;
  state.SetItemsProcessed(state.iterations() * 12);
  state.SetLabel(fmt::format("{}: 12 random circuits of 10 CNOTs; items = circuits routed",
                             which == 0   ? "line of 5"
                             : which == 1 ? "ring of 6"
                                          : "grid 2x3"));
}

BENCHMARK(layout_search)
    ->Name("transpile/layout")
    ->ArgsProduct({{0, 1, 2, 3}, {0, 1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK(transpile_chain)
    ->Name("transpile/chain")
    ->ArgsProduct({{0, 1, 2, 3}, {0, 1, 2}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(sabre_vs_optimal)
    ->Name("transpile/sabre-vs-optimal")
    ->DenseRange(0, 2)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace
}  // namespace qdm
