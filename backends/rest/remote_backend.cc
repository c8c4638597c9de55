#include "backends/rest/remote_backend.h"

#include <fmt/format.h>

#include <cstdio>

#include "backends/rest/qpu_job.h"
#include "framework/error.h"

namespace qdm::rest {
namespace {

Capabilities remote_capabilities(const QpuSettings& s) {
  Capabilities c;
  c.shots = true;
  c.max_qubits = s.max_qubits;
  c.native_gates = s.provider == "ibm"
                       ? std::vector<std::string>{"rz", "sx", "x", "cx"}
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
                                                 uint64_t) const {
  // Bind the parameters so the provider sees constant angles only.
  Circuit bound(circuit.num_qubits());
  for (const Op& op : circuit.ops()) {
    const int n = gate_angle_count(op.kind);
    const Angle a0 = Angle::constant(op.angles[0].resolve(params));
    const Angle a1 = Angle::constant(op.angles[1].resolve(params));
    const Angle a2 = Angle::constant(op.angles[2].resolve(params));
    if (gate_qubit_count(op.kind) == 2) {
      bound.add(op.kind, {op.qubits[0], op.qubits[1]});
    } else if (n == 0) {
      bound.add(op.kind, {op.qubits[0]});
    } else if (n == 1) {
      bound.add(op.kind, {op.qubits[0]}, {a0});
    } else {
      bound.add(op.kind, {op.qubits[0]}, {a0, a1, a2});
    }
  }
  auto client = provider();
  MemoryJournal journal;
  JobRequest request;
  request.circuits = {client->transpile(bound)};
  request.shots = shots;
  const std::vector<Histogram> counts = run_job(*client, journal, request);
  std::vector<uint64_t> out;
  for (const auto& [bits, n] : counts.front()) out.insert(out.end(), static_cast<size_t>(n), bits);
  return out;
}

}  // namespace qdm::rest
