#include "experiments/qpu_sampling.h"

#include <fmt/format.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "backends/rest/qpu_job.h"
#include "backends/rest/remote_backend.h"
#include "experiments/train_session.h"
#include "framework/chain_circuit.h"
#include "framework/error.h"
#include "framework/parallel.h"
#include "framework/progress.h"

namespace qdm {
namespace {

/// Shot draws of sample b on a simulator: their own stream, away from the noise draws.
uint64_t shot_seed(uint64_t seed, int sample) {
  return seed * 0x9E3779B97F4A7C15ull + 0x5157'0000ull + static_cast<uint64_t>(sample);
}

std::vector<ChainCircuit> compile_chains(const Pipeline& denoiser, const QdmSettings& s,
                                         const ParamSnapshots& params, const SampleRequest& request,
                                         const std::vector<int32_t>& labels) {
  const int T = s.steps(), n = denoiser.input_qubits();
  const size_t per = denoiser.num_params();
  std::vector<std::span<const double>> steps;
  for (int t = T; t >= 1; --t) steps.push_back(params_for(params.values, per, s.param_mode, t));
  std::vector<ChainCircuit> chains(request.count);
  parallel_for(request.count, omp_get_max_threads(), [&](size_t b) {
    const auto noise = sample_noise_state(request.seed, static_cast<int>(b), size_t{1} << n);
    chains[b] = compile_reverse_chain(denoiser, steps, noise, labels[b]);
  });
  return chains;
}

/// The cost-estimate inputs a provider prices a job by.
void print_job_summary(const rest::QpuSettings& qs, const std::vector<rest::NativeCircuit>& native,
                       int shots) {
  std::map<std::string, long long> gates;
  long long two_qubit = 0;
  for (const auto& c : native) {
    for (const auto& [g, k] : c.gate_counts()) gates[g] += k;
    two_qubit += c.two_qubit_gates();
  }
  std::string per_gate;
  for (const auto& [g, k] : gates) {
    per_gate += fmt::format("{}{} {:.0f}", per_gate.empty() ? "" : ", ", g,
                            static_cast<double>(k) / native.size());
  }
  fmt::print(stderr,
             "{} job on {}: {} circuits x {} shots = {} shots, {} qubits each; gates per circuit: "
             "{} ({:.0f} two-qubit)\n",
             qs.provider, qs.device, native.size(), shots,
             static_cast<long long>(native.size()) * shots, native.front().num_qubits, per_gate,
             static_cast<double>(two_qubit) / native.size());
}

}  // namespace

Generated sample_qdm_shots(const Pipeline& denoiser, const QdmSettings& s,
                           const ParamSnapshots& params, const SampleRequest& request) {
  require_in_range("sample count", request.count, 1, 100'000);
  const std::string name = request.backend.empty() ? s.backend : request.backend;
  const bool remote = find_backend(name).remote;
  const int shots = request.shots > 0 ? request.shots : remote ? s.qpu(name).shots : 1000;
  require_in_range("--shots", shots, 1, 100'000);
  require(!request.trajectory,
          "--trajectory needs exact states; shots measure only the end of the chain");
  require(remote || (!request.resume && !request.dry_run),
          "--resume and --dry-run apply to cloud QPU backends (ionq, ibm), not {}", name);
  const size_t per = denoiser.num_params();
  if (params.per_snapshot != static_cast<int>(per) ||
      params.snapshots != static_cast<int>(s.snapshots())) {
    throw DataError(fmt::format(
        "the run's parameters are {} x {}; its config describes a denoiser needing {} x {}",
        params.snapshots, params.per_snapshot, s.snapshots(), per));
  }
  const SampleLabels labels = sample_labels(request, denoiser.uses_labels() ? kLabelCount : 0);
  const auto start = std::chrono::steady_clock::now();
  const std::vector<ChainCircuit> chains =
      compile_chains(denoiser, s, params, request, labels.labels);
  const int width = chains.front().width();

  std::vector<rest::Histogram> counts(request.count);
  Generated g;
  if (remote) {
    const rest::QpuSettings& qs = s.qpu(name);
    require(width <= qs.max_qubits,
            "the reverse chain as one circuit needs {} qubits ({} data + the ancillas and label "
            "registers of {} steps); {}.backend = {} has {} ({}.max_qubits)",
            width, denoiser.input_qubits(), s.steps(), name, qs.device, qs.max_qubits, name);
    BackendOptions options;
    options.qpu = qs;
    const auto backend = make_backend(name, options);
    const auto provider = dynamic_cast<const rest::RemoteBackend&>(*backend).provider();
    rest::JobRequest job;
    job.shots = shots;
    job.resume = request.resume;
    for (const ChainCircuit& c : chains) job.circuits.push_back(provider->transpile(c.circuit));
    print_job_summary(qs, job.circuits, shots);
    if (request.dry_run) {
      std::cout << provider->payload(job.circuits, shots, "DRY-RUN") << "\n";
      throw DryRunComplete{};
    }
    const rest::InterruptScope interrupts;
    rest::MemoryJournal scratch;
    counts = rest::run_job(*provider, request.journal ? *request.journal : scratch, job);
    g.backend = fmt::format("{} ({}, {} shots)", name, qs.device, shots);
  } else {
    BackendOptions options;
    options.threads = 1;
    options.noise = s.noise;
    const auto backend = make_backend(name, options);
    require(backend->capabilities().shots, "backend {} cannot sample shots", name);
    const int max_width = std::min(backend->capabilities().max_qubits, 26);
    require(width <= max_width,
            "the reverse chain as one circuit needs {} qubits; backend {} simulates at most {}",
            width, name, max_width);
    Progress progress("sample", request.count, "samples/s");
    std::atomic<int> done{0};
    parallel_for(request.count, request.threads > 0 ? request.threads : omp_get_max_threads(),
                 [&](size_t b) {
                   for (uint64_t bits :
                        backend->sample(chains[b].circuit, {}, shots, shot_seed(request.seed, b))) {
                     counts[b][bits] += 1;
                   }
                   const int now = ++done;
#pragma omp critical
                   progress.update(now, now, "");
                 });
    progress.finish(request.count, fmt::format("{} samples x {} shots", request.count, shots));
    g.backend = fmt::format("{} ({} shots)", name, shots);
  }
  const size_t dim = size_t{1} << denoiser.input_qubits();
  g.dim = dim;
  g.magnitudes.resize(request.count * dim);
  g.labels = labels.labels;
  g.per_label = labels.per_label;
  g.shots = shots;
  double kept = 0;
  int empty = 0;
  for (int b = 0; b < request.count; ++b) {
    const ChainEstimate e = estimate_from_counts(chains[b], counts[b]);
    std::copy(e.magnitudes.begin(), e.magnitudes.end(), g.magnitudes.begin() + b * dim);
    g.kept_shots.push_back(e.kept);
    kept += e.kept / std::max(1.0, e.shots);
    empty += e.kept == 0;
  }
  fmt::print(stderr, "post-selection kept {:.3g}% of shots on average ({} wires per circuit)\n",
             100 * kept / request.count, width);
  if (empty > 0) {
    fmt::print(stderr, "warning: {} of {} samples kept no shot; their images are all zeros\n",
               empty, request.count);
  }
  g.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return g;
}

}  // namespace qdm
