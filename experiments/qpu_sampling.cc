#include "experiments/qpu_sampling.h"

#include <fmt/format.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "backends/noise/device_noise.h"
#include "backends/rest/qpu_job.h"
#include "backends/rest/remote_backend.h"
#include "backends/rest/wire_formats.h"
#include "experiments/train_session.h"
#include "framework/error.h"
#include "framework/parallel.h"
#include "framework/progress.h"

namespace qdm {
namespace {

/// Shot draws of sample b on a simulator: their own stream, away from the noise draws.
uint64_t shot_seed(uint64_t seed, int sample) {
  return seed * 0x9E3779B97F4A7C15ull + 0x5157'0000ull + static_cast<uint64_t>(sample);
}

/// The cost-estimate inputs a provider prices a job by, and what transpilation did.
void print_job_summary(const rest::QpuSettings& qs, const rest::JobRequest& job,
                       const ChainBatch& batch, const rest::TranspileReport& report) {
  std::map<std::string, long long> gates;
  for (const auto& c : job.circuits) {
    for (const auto& [g, k] : c.gate_counts()) gates[g] += k;
  }
  std::string per_gate;
  for (const auto& [g, k] : gates) {
    per_gate += fmt::format("{}{} {:.0f}", per_gate.empty() ? "" : ", ", g,
                            static_cast<double>(k) / job.circuits.size());
  }
  const size_t n = job.circuits.size();
  fmt::print(stderr,
             "{} job on {}: {} circuits x {} shots = {} shots; {} circuits of {} qubits each; "
             "operations per circuit: {}\n",
             qs.provider, qs.device, n, job.shots, static_cast<long long>(n) * job.shots,
             to_string(batch.wiring), batch.chains.front().width(), per_gate);
  fmt::print(stderr, "transpiled: {}\n", report.summary());
}

}  // namespace

std::string why_no_dynamic_circuits(const std::string& backend, const rest::QpuProvider* p) {
  if (p) {
    if (p->dynamic_circuits()) return "";
    if (p->settings().provider == "ionq") {
      return "IonQ's circuit JSON (ionq.circuit.v1, gateset qis) has no mid-circuit measurement "
             "or reset: IonQ measures every qubit once, at the end";
    }
    return fmt::format("{}'s configuration lists no mid-circuit measure and reset",
                       p->settings().device);
  }
  const auto b = make_backend(backend);
  if (b->capabilities().mid_circuit_measurement) return "";
  return fmt::format("backend {} measures only at the end of a circuit", backend);
}

ChainBatch compile_chain_batch(const Pipeline& denoiser, const QdmSettings& s,
                               const ParamSnapshots& params, const SampleRequest& request,
                               const std::string& why_not_dynamic) {
  require_in_range("sample count", request.count, 1, 100'000);
  const size_t per = denoiser.num_params();
  if (params.per_snapshot != static_cast<int>(per) ||
      params.snapshots != static_cast<int>(s.snapshots())) {
    throw DataError(fmt::format(
        "the run's parameters are {} x {}; its config describes a denoiser needing {} x {}",
        params.snapshots, params.per_snapshot, s.snapshots(), per));
  }
  ChainBatch batch;
  if (s.chain_circuit == "dynamic") {
    if (!why_not_dynamic.empty()) {
      throw std::invalid_argument(
          fmt::format("qpu.circuit = dynamic: {}; use qpu.circuit = static (fresh qubits) or auto",
                      why_not_dynamic));
    }
    batch.wiring = ChainWiring::Reuse;
  } else if (s.chain_circuit == "auto") {
    batch.wiring = why_not_dynamic.empty() ? ChainWiring::Reuse : ChainWiring::Fresh;
  }
  const SampleLabels labels = sample_labels(request, denoiser.uses_labels() ? kLabelCount : 0);
  batch.labels = labels.labels;
  batch.per_label = labels.per_label;
  const int T = s.steps(), n = denoiser.input_qubits();
  std::vector<std::span<const double>> steps;
  for (int t = T; t >= 1; --t) steps.push_back(params_for(params.values, per, s.param_mode, t));
  batch.chains.resize(request.count);
  parallel_for(request.count, omp_get_max_threads(), [&](size_t b) {
    const auto noise = sample_noise_state(request.seed, static_cast<int>(b), size_t{1} << n);
    batch.chains[b] = compile_reverse_chain(denoiser, steps, noise, batch.labels[b], batch.wiring);
  });
  for (int b = 0; b < request.count; ++b) {
    batch.names.push_back(batch.labels[b] >= 0
                              ? fmt::format("sample-{}-label-{}", b, batch.labels[b])
                              : fmt::format("sample-{}", b));
  }
  return batch;
}

rest::JobRequest chain_job(const ChainBatch& batch, const rest::QpuProvider& provider, int shots,
                           rest::TranspileReport* report) {
  rest::JobRequest job;
  job.shots = shots;
  std::vector<Program> programs;
  for (const ChainCircuit& c : batch.chains) programs.push_back(c.program);
  job.circuits = provider.transpile(programs, report);
  job.names = batch.names;
  job.bit_map = bit_map_compact(batch.chains.front().bits);
  for (size_t b = 0; b < batch.chains.size(); ++b) {
    const ChainCircuit& c = batch.chains[b];
    job.comments.push_back(fmt::format(
        "qdm reverse chain, {}, {} circuit\nclassical bits (bit=role/step/index[=value kept]): "
        "{}",
        batch.names[b], to_string(batch.wiring), bit_map_compact(c.bits)));
    job.identity += rest::logical_qasm3(c.program);
  }
  return job;
}

rest::JobRecord chain_job_description(const ChainBatch& batch,
                                      const rest::TranspileReport& report) {
  rest::JobRecord r;
  r.circuit_kind = to_string(batch.wiring);
  // Roles are the same in every circuit; a label bit keeps shots that read the circuit's label
  // bit, so the labels go beside the map.
  nlohmann::json bits = nlohmann::json::parse(bit_map_json(batch.chains.front().bits));
  for (auto& b : bits) {
    if (b["role"] == "label") b.erase("select");
  }
  r.bit_map = nlohmann::json{{"bits", bits}, {"circuit_labels", batch.labels}}.dump();
  r.transpile = report.summary();
  return r;
}

Generated sample_qdm_shots(const Pipeline& denoiser, const QdmSettings& s,
                           const ParamSnapshots& params, const SampleRequest& request) {
  const std::string name = request.backend.empty() ? s.backend : request.backend;
  const bool remote = find_backend(name).remote;
  const int shots = request.shots > 0 ? request.shots : remote ? s.qpu(name).shots : 1000;
  require_in_range("--shots", shots, 1, 100'000);
  require(!request.trajectory,
          "--trajectory needs exact states; shots measure only the end of the chain");
  require(remote || (!request.resume && !request.dry_run),
          "--resume and --dry-run apply to cloud QPU backends (ionq, ibm), not {}", name);
  require(request.device_file.empty() || request.dry_run,
          "--device describes the target for a dry run only; a real job reads the device's "
          "current configuration and calibration from the provider");
  const auto start = std::chrono::steady_clock::now();

  std::vector<rest::Histogram> counts(request.count);
  Generated g;
  ChainBatch batch;
  if (remote) {
    const rest::QpuSettings& qs = s.qpu(name);
    BackendOptions options;
    options.qpu = qs;
    const auto backend = make_backend(name, options);
    const auto provider = dynamic_cast<const rest::RemoteBackend&>(*backend).provider();
    if (!request.device_file.empty()) {
      provider->set_device(load_ibm_device(request.device_file));
    } else if (qs.provider == "ibm") {
      // The device's ISA and calibration decide the circuits: read them before building any.
      provider->check_credentials();
      provider->load_device(rest::Deadline(qs.deadline_s));
    }
    batch = compile_chain_batch(denoiser, s, params, request,
                                why_no_dynamic_circuits(name, provider.get()));
    rest::TranspileReport report;
    rest::JobRequest job = chain_job(batch, *provider, shots, &report);
    job.resume = request.resume;
    job.sampling_seed = request.seed;
    job.exact_counts = qs.exact_probabilities;
    print_job_summary(qs, job, batch, report);
    if (request.dry_run) {
      std::cout << provider->payload(job, "DRY-RUN") << "\n";
      throw DryRunComplete{};
    }
    const rest::InterruptScope interrupts;
    rest::MemoryJournal scratch;
    counts = rest::run_job(*provider, request.journal ? *request.journal : scratch, job,
                           chain_job_description(batch, report));
    g.backend = fmt::format("{} ({}, {} shots, {} circuits)", name, qs.device, shots,
                            to_string(batch.wiring));
  } else {
    BackendOptions options;
    options.threads = 1;
    options.noise = s.noise;
    const auto backend = make_backend(name, options);
    require(backend->capabilities().shots, "backend {} cannot sample shots", name);
    // noise.device: the chains run as the device would run them, routed to its ISA, under its
    // calibrated noise; only a backend that unravels noise into shots of dynamic circuits can.
    std::optional<DeviceTarget> device;
    std::string why_not_dynamic = why_no_dynamic_circuits(name, nullptr);
    if (!s.noise_device.empty()) {
      require(
          backend->capabilities().noise_models && backend->capabilities().mid_circuit_measurement,
          "noise.device = {} needs --backend trajectories (backend {} cannot sample a "
          "device's noise)",
          s.noise_device, name);
      device.emplace(load_ibm_device(s.noise_device));
      const Device& d = device->device();
      why_not_dynamic = d.supports("measure") && d.supports("reset")
                            ? ""
                            : fmt::format(
                                  "{}'s configuration lists no mid-circuit measure and "
                                  "reset",
                                  d.name());
    }
    batch = compile_chain_batch(denoiser, s, params, request, why_not_dynamic);
    std::vector<noise::NoisyProgram> noisy;
    if (device) {
      std::vector<Program> programs;
      for (const ChainCircuit& c : batch.chains) programs.push_back(c.program);
      const BatchTranspiled isa = transpile_batch(*device, programs);
      for (const NativeCircuit& c : isa.circuits) {
        noisy.push_back(noise::with_device_noise(c, device->device()));
      }
      fmt::print(stderr, "transpiled for {} (calibrated {}): {}\n", device->device().name(),
                 device->device().calibration_date(),
                 rest::TranspileReport{"", isa.mean}.summary());
    }
    const int width =
        noisy.empty() ? batch.chains.front().width() : noisy.front().program.num_qubits();
    const int max_width = std::min(backend->capabilities().max_qubits, 26);
    require(width <= max_width,
            "the reverse chain as one {} circuit needs {} qubits; backend {} simulates at most {}",
            to_string(batch.wiring), width, name, max_width);
    Progress progress("sample", request.count, "samples/s");
    std::atomic<int> done{0};
    parallel_for(
        request.count, request.threads > 0 ? request.threads : omp_get_max_threads(),
        [&](size_t b) {
          // Shots the post-selection rejects may stop early: the estimate is the same.
          std::vector<std::pair<int, int>> select;
          const auto& bits_of = batch.chains[b].bits;
          for (size_t k = 0; k < bits_of.size() && s.skip_rejected; ++k) {
            if (bits_of[k].select >= 0) select.emplace_back(k, bits_of[k].select);
          }
          const uint64_t seed = shot_seed(request.seed, b);
          for (uint64_t bits : noisy.empty()
                                   ? backend->sample(batch.chains[b].program, shots, seed, select)
                                   : backend->sample(noisy[b], shots, seed, select)) {
            counts[b][bits] += 1;
          }
          const int now = ++done;
#pragma omp critical
          progress.update(now, now, "");
        });
    progress.finish(request.count, fmt::format("{} samples x {} shots", request.count, shots));
    const std::string noise =
        device                ? fmt::format(", noise of {} calibrated {}", device->device().name(),
                                            device->device().calibration_date())
        : s.noise.noiseless() ? ""
                              : ", noise: " + s.noise.describe();
    g.backend =
        fmt::format("{} ({} shots, {} circuits{})", name, shots, to_string(batch.wiring), noise);
    g.rejected_truncated = s.skip_rejected;
  }
  const size_t dim = size_t{1} << denoiser.input_qubits();
  g.dim = dim;
  g.magnitudes.resize(request.count * dim);
  g.labels = batch.labels;
  g.per_label = batch.per_label;
  g.shots = shots;
  double kept = 0;
  int empty = 0;
  g.count_offsets.push_back(0);
  for (int b = 0; b < request.count; ++b) {
    for (const auto& [bits, n] : counts[b]) {
      g.count_bits.push_back(static_cast<int64_t>(bits));
      g.count_values.push_back(n);
    }
    g.count_offsets.push_back(static_cast<int64_t>(g.count_bits.size()));
    const ChainEstimate e = estimate_from_counts(batch.chains[b], counts[b]);
    std::copy(e.magnitudes.begin(), e.magnitudes.end(), g.magnitudes.begin() + b * dim);
    g.kept_shots.push_back(e.kept);
    kept += e.kept / std::max(1.0, e.shots);
    empty += e.kept == 0;
  }
  fmt::print(stderr, "post-selection kept {:.3g}% of shots on average ({} circuits of {} qubits)\n",
             100 * kept / request.count, to_string(batch.wiring), batch.chains.front().width());
  if (empty > 0) {
    fmt::print(stderr,
               "warning: {} of {} samples kept no shot (kept_shots 0): nothing to estimate them "
               "from, so their stored images are all zeros; the post-selection keeps {:.3g}% of "
               "shots on average, so take more shots or a model that keeps its post-selected "
               "branch (docs/results.md)\n",
               empty, request.count, 100 * kept / request.count);
  }
  g.bit_map = chain_job_description(batch, {}).bit_map;
  g.circuit_kind = to_string(batch.wiring);
  g.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return g;
}

void export_chains(const Pipeline& denoiser, const QdmSettings& s, const ParamSnapshots& params,
                   const SampleRequest& request) {
  namespace fs = std::filesystem;
  const ChainExport& e = *request.chain_export;
  require(e.format == "qasm3" || e.format == "ionq-json",
          "--format '{}' is not one of qasm3, ionq-json", e.format);
  require(e.device_file.empty() || e.format == "qasm3",
          "--device transpiles to an IBM device's ISA, which is OpenQASM 3: use --format qasm3");
  require(!e.out_dir.empty(), "--out DIR is required: the folder the circuit files go to");
  if (fs::exists(e.out_dir)) {
    require(fs::is_directory(e.out_dir), "--out '{}' exists and is not a folder", e.out_dir);
    require(fs::is_empty(e.out_dir),
            "--out '{}' is not empty: export into a new or empty folder (nothing was written)",
            e.out_dir);
  }
  std::optional<DeviceTarget> target;
  std::string why_not_dynamic;
  if (!e.device_file.empty()) {
    target.emplace(load_ibm_device(e.device_file));
    if (!target->device().supports("measure") || !target->device().supports("reset")) {
      why_not_dynamic = fmt::format("{}'s configuration lists no mid-circuit measure and reset",
                                    target->device().name());
    }
  } else if (e.format == "ionq-json") {
    why_not_dynamic =
        "IonQ's circuit JSON has no mid-circuit measurement or reset: IonQ measures every qubit "
        "once, at the end";
  }
  const ChainBatch batch = compile_chain_batch(denoiser, s, params, request, why_not_dynamic);
  std::vector<Program> programs;
  for (const ChainCircuit& c : batch.chains) programs.push_back(c.program);
  std::optional<BatchTranspiled> isa;
  if (target) isa = transpile_batch(*target, programs);
  fs::create_directories(e.out_dir);
  nlohmann::json manifest = {
      {"format", e.format},
      {"circuit", to_string(batch.wiring)},
      {"seed", request.seed},
      {"device", target ? nlohmann::json(target->device().name()) : nlohmann::json(nullptr)},
      {"files", nlohmann::json::array()}};
  if (target) {
    manifest["device_version"] = target->device().version();
    manifest["calibration_date"] = target->device().calibration_date();
    manifest["layout"] = isa->layout.initial;
  }
  for (size_t b = 0; b < batch.chains.size(); ++b) {
    const ChainCircuit& c = batch.chains[b];
    const std::string comment = fmt::format(
        "qdm reverse chain, {}, {} circuit\nclassical bits (bit=role/step/index[=value kept]): {}",
        batch.names[b], to_string(batch.wiring), bit_map_compact(c.bits));
    std::string file, text;
    if (e.format == "qasm3") {
      file = batch.names[b] + ".qasm";
      text =
          isa ? rest::to_qasm3(isa->circuits[b], comment) : rest::logical_qasm3(c.program, comment);
    } else {
      file = batch.names[b] + ".json";
      const NativeCircuit n = rest::to_ionq_qis(c.program);
      text =
          nlohmann::json{
              {"name", batch.names[b]},
              {"input",
               {{"gateset", "qis"}, {"qubits", n.num_qubits}, {"circuit", rest::to_ionq_json(n)}}},
              {"metadata", {{"qdm_bits", bit_map_compact(c.bits)}}}}
              .dump(1);
    }
    std::ofstream out(fs::path(e.out_dir) / file);
    out << text << "\n";
    if (!out) throw std::runtime_error(fmt::format("cannot write {}/{}", e.out_dir, file));
    manifest["files"].push_back(
        {{"file", file},
         {"label", batch.labels[b]},
         {"qubits", isa ? isa->circuits[b].used_qubits().size() : static_cast<size_t>(c.width())},
         {"clbits", c.bits.size()},
         {"bits", nlohmann::json::parse(bit_map_json(c.bits))}});
  }
  if (isa) {
    rest::TranspileReport report{"", isa->mean};
    manifest["transpile"] = report.summary();
    fmt::print(stderr, "transpiled for {}: {}\n", target->device().name(), report.summary());
  }
  std::ofstream(fs::path(e.out_dir) / "manifest.json") << manifest.dump(1) << "\n";
  throw ExportComplete{static_cast<int>(batch.chains.size())};
}

}  // namespace qdm
