#include "backends/noise/noisy_program.h"

#include <fmt/format.h>

#include <variant>

#include "framework/error.h"

namespace qdm::noise {

bool NoisyProgram::noiseless() const {
  for (const auto& list : after) {
    if (!list.empty()) return false;
  }
  for (const ReadoutError& r : readout) {
    if (!r.none()) return false;
  }
  return true;
}

NoisyProgram with_uniform_noise(const Program& program, const dm::NoiseModel& noise) {
  NoisyProgram out;
  out.program = program;
  out.description = noise.describe();
  out.after.resize(program.instructions().size() + 1);
  out.readout.assign(program.num_qubits(), {noise.readout_error, noise.readout_error});
  // channels[k - 1]: the indices of the channels after a k-qubit gate.
  std::array<std::vector<int>, 2> by_arity;
  for (int k : {1, 2}) {
    for (dm::KrausChannel& c : noise.after_gate(k)) {
      by_arity[k - 1].push_back(static_cast<int>(out.channels.size()));
      out.channels.push_back(std::move(c));
    }
  }
  for (size_t i = 0; i < program.instructions().size(); ++i) {
    const Op* op = std::get_if<Op>(&program.instructions()[i]);
    if (!op) continue;
    const int arity = gate_qubit_count(op->kind);
    for (int c : by_arity[arity - 1]) {
      if (out.channels[c].qubits == arity) {
        out.after[i + 1].push_back({c, {op->qubits[0], op->qubits[1]}});
      } else {
        for (int j = 0; j < arity; ++j) out.after[i + 1].push_back({c, {op->qubits[j], 0}});
      }
    }
  }
  return out;
}

void check(const NoisyProgram& noisy) {
  const int n = noisy.program.num_qubits();
  require(noisy.after.size() == noisy.program.instructions().size() + 1,
          "a noisy program needs channel lists for {} places, not {}",
          noisy.program.instructions().size() + 1, noisy.after.size());
  require(static_cast<int>(noisy.readout.size()) == n,
          "a noisy program needs a readout error for each of its {} qubits, not {}", n,
          noisy.readout.size());
  for (const dm::KrausChannel& c : noisy.channels) dm::require_cptp(c);
  for (const auto& list : noisy.after) {
    for (const PlacedChannel& p : list) {
      require_in_range("noise channel index", p.channel, 0,
                       static_cast<int>(noisy.channels.size()) - 1);
      const int arity = noisy.channels[p.channel].qubits;
      for (int j = 0; j < arity; ++j)
        require_in_range("noise channel qubit", p.qubits[j], 0, n - 1);
      require(arity == 1 || p.qubits[0] != p.qubits[1], "a two-qubit channel on qubit {} twice",
              p.qubits[0]);
    }
  }
  for (const ReadoutError& r : noisy.readout) {
    for (double p : {r.one_given_zero, r.zero_given_one}) {
      require(p >= 0 && p <= 1, "a readout error {} is outside [0, 1]", p);
    }
  }
}

}  // namespace qdm::noise
