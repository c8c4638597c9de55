#include "backends/rest/remote_backend.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "backends/rest/qpu_job.h"
#include "framework/error.h"

namespace qdm::rest {
namespace {

Capabilities remote_capabilities(const QpuSettings& s) {
  Capabilities c;
  c.shots = true;
  // IBM runs dynamic circuits where the device's configuration lists measure and reset (checked
  // when the device is read); IonQ measures once, at the end.
  c.mid_circuit_measurement = s.provider == "ibm";
  c.max_qubits = s.max_qubits;
  c.native_gates = s.provider == "ibm"
                       ? std::vector<std::string>{"rz", "sx", "x", "cz or ecr", "measure", "reset"}
                       : std::vector<std::string>{"rx", "ry", "rz", "h",    "x",   "y",
                                                  "z",  "s",  "t",  "cnot", "swap"};
  return c;
}

}  // namespace

RemoteBackend::RemoteBackend(const std::string& name, const QpuSettings& settings)
    : Backend(name, remote_capabilities(settings)), settings_(settings) {}

std::unique_ptr<QpuProvider> RemoteBackend::provider() const {
  return make_provider(settings_,
                       [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
}

ForwardResult RemoteBackend::forward_impl(const Pipeline&, std::span<const double>,
                                          const StateBatch&, const EvolveContext&, bool) const {
  throw UnsupportedError(fmt::format(
      "backend {} is a QPU: it returns shots, not amplitudes (sample with --shots)", name()));
}

GradientResult RemoteBackend::backward_impl(const Pipeline&, std::span<const double>, const Tape&,
                                            const StateBatch&) const {
  throw UnsupportedError(fmt::format("backend {} has no gradients", name()));
}

std::vector<uint64_t> RemoteBackend::sample_impl(const Circuit& circuit,
                                                 std::span<const double> params, int shots,
                                                 uint64_t seed) const {
  return sample_program_impl(Program::measure_all(circuit, params), shots, seed, {});
}

std::vector<uint64_t> RemoteBackend::sample_program_impl(
    const Program& program, int shots, uint64_t seed, std::span<const std::pair<int, int>>) const {
  auto client = provider();
  client->check_credentials();
  client->load_device(Deadline(settings_.deadline_s));
  MemoryJournal journal;
  JobRequest request;
  request.circuits = client->transpile({program});
  request.shots = shots;
  request.sampling_seed = seed;
  const std::vector<Histogram> counts = run_job(*client, journal, request);
  std::vector<uint64_t> out;
  for (const auto& [bits, n] : counts.front()) {
    out.insert(out.end(), static_cast<size_t>(std::llround(n)), bits);
  }
  return out;
}

}  // namespace qdm::rest
