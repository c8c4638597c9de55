#include <fmt/format.h>
#include <fmt/ranges.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <iostream>
#include <map>

#include "backends/backend.h"
#include "cli/commands.h"
#include "cli/sweep_mpi.h"
#include "framework/build_info.h"
#include "framework/circuit/ansatz.h"
#include "framework/circuit/qasm.h"
#include "framework/error.h"
#include "framework/rng.h"

namespace po = boost::program_options;

namespace qdm::cli {
namespace {

/// Parses args against `options`; returns false (after printing help) when --help was given.
bool parse(const std::vector<std::string>& args, po::options_description& options,
           po::variables_map& vm, const char* usage) {
  options.add_options()("help,h", "show this help");
  po::store(po::command_line_parser(args).options(options).run(), vm);
  if (vm.count("help")) {
    std::cout << usage << "\n\n" << options << "\n";
    return false;
  }
  po::notify(vm);
  return true;
}

}  // namespace

int run_version(const std::vector<std::string>& args) {
  po::options_description options("options");
  po::variables_map vm;
  if (!parse(args, options, vm, "usage: qdm version")) return 0;
  fmt::print("qdm {} (git {}, {} build)\n", build_info::kVersion, build_info::kGitRevision,
             build_info::kBuildType);
  fmt::print("qdm sweep under mpirun/srun: {}\n", sweep_mpi_available()
                                                      ? "available (built with MPI)"
                                                      : "not built (no MPI found at build time)");
  return 0;
}

int run_backends(const std::vector<std::string>& args) {
  po::options_description options("options");
  po::variables_map vm;
  if (!parse(args, options, vm, "usage: qdm backends")) return 0;
  for (const auto& entry : backend_registry()) {
    const auto backend = entry.create({});
    const Capabilities& c = backend->capabilities();
    fmt::print("{}: {}\n", entry.name, entry.description);
    fmt::print("  exact states: {}  density matrices: {}  noise models: {}  shots: {}\n",
               c.exact_states ? "yes" : "no", c.density_matrices ? "yes" : "no",
               c.noise_models ? "yes" : "no", c.shots ? "yes" : "no");
    fmt::print("  gradients: {}  non-physical stages: {}  max qubits: {}\n", to_string(c.gradient),
               c.non_physical_stages ? "yes" : "no", c.max_qubits);
    fmt::print("  native gates: {}\n", fmt::join(c.native_gates, " "));
  }
  return 0;
}

int run_circuit(const std::vector<std::string>& args) {
  po::options_description options("options");
  std::string ansatz, qasm, backend_name;
  int qubits = 0, layers = 0, shots = 0, top = 0;
  uint64_t seed = 0;
  options.add_options()  //
      ("ansatz", po::value(&ansatz)->default_value("strongly-entangling"),
       "strongly-entangling | r3-chain | hardware-efficient")                                //
      ("qubits", po::value(&qubits)->default_value(4), "qubit count (1..20)")                //
      ("layers", po::value(&layers)->default_value(2), "layer count (0..1000)")              //
      ("seed", po::value(&seed)->default_value(7), "seed of the random parameters")          //
      ("shots", po::value(&shots)->default_value(10000), "shots to sample (1..10^8)")        //
      ("top", po::value(&top)->default_value(8), "how many most frequent outcomes to show")  //
      ("backend", po::value(&backend_name)->default_value("statevector"), "backend to sample on")(
          "qasm", po::value(&qasm)->default_value(""), "print the circuit as OpenQASM: 2 or 3");
  po::variables_map vm;
  if (!parse(args, options, vm,
             "usage: qdm circuit [--ansatz NAME] [--qubits N] [--layers L] [--shots S] [--qasm 3]\n"
             "Builds a reference ansatz with random parameters (uniform in [0, 2 pi)), samples it\n"
             "from |0...0> and prints the most frequent outcomes (qubit 0 = rightmost bit)."))
    return 0;
  require_in_range("--qubits", qubits, 1, 20);
  require_in_range("--layers", layers, 0, 1000);
  require_in_range("--top", top, 1, 1 << 20);
  const std::map<std::string, Circuit (*)(int, int, int)> builders = {
      {"strongly-entangling", strongly_entangling_layers},
      {"r3-chain", r3_chain_layers},
      {"hardware-efficient", hardware_efficient_layers}};
  const auto builder = builders.find(ansatz);
  require(builder != builders.end(),
          "--ansatz '{}' is not one of strongly-entangling, r3-chain, hardware-efficient", ansatz);
  require(qasm.empty() || qasm == "2" || qasm == "3", "--qasm '{}' must be 2 or 3", qasm);

  const Circuit circuit = builder->second(qubits, layers, 0);
  Rng rng(seed);
  std::vector<double> params(circuit.num_params());
  for (double& p : params) p = 2 * M_PI * rng.uniform();
  fmt::print("{} ansatz: {} qubits, {} layers, {} gates, {} parameters\n", ansatz, qubits, layers,
             circuit.ops().size(), circuit.num_params());
  if (!qasm.empty()) {
    std::cout << to_qasm(circuit, params, qasm == "2" ? QasmVersion::V2 : QasmVersion::V3, true);
  }
  const auto backend = make_backend(backend_name);
  const auto start = std::chrono::steady_clock::now();
  const auto samples = backend->sample(circuit, params, shots, seed);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::map<uint64_t, int> counts;
  for (uint64_t s : samples) ++counts[s];
  std::vector<std::pair<int, uint64_t>> ranked;
  for (auto [outcome, n] : counts) ranked.emplace_back(n, outcome);
  std::sort(ranked.rbegin(), ranked.rend());
  fmt::print("{} shots on {} in {:.3f} s; {} distinct outcomes; most frequent:\n", shots,
             backend->name(), seconds, counts.size());
  for (int k = 0; k < std::min<int>(top, ranked.size()); ++k) {
    fmt::print("  |{:0{}b}>  {:6d}  ({:.4f})\n", ranked[k].second, qubits, ranked[k].first,
               double(ranked[k].first) / shots);
  }
  return 0;
}

}  // namespace qdm::cli
