#include "backends/noise/device_noise.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "framework/error.h"

namespace qdm::noise {

dm::KrausChannel thermal_relaxation(double t1_ns, double t2_ns, double time_ns) {
  require(t1_ns >= 0 && t2_ns >= 0 && time_ns >= 0,
          "thermal relaxation needs T1, T2 and a time >= 0 (T1 {} ns, T2 {} ns, t {} ns)", t1_ns,
          t2_ns, time_ns);
  if (t1_ns > 0 && t2_ns > 0) t2_ns = std::min(t2_ns, 2 * t1_ns);
  const double gamma = t1_ns > 0 ? 1 - std::exp(-time_ns / t1_ns) : 0.0;
  // Amplitude damping alone leaves coherences at exp(-t / 2T1); dephasing takes them the rest of
  // the way to exp(-t / T2).
  const double lambda =
      t2_ns > 0 ? 1 - std::exp(-2 * time_ns / t2_ns + (t1_ns > 0 ? time_ns / t1_ns : 0.0)) : 0.0;
  const dm::KrausChannel damp = dm::amplitude_damping(gamma);
  const dm::KrausChannel dephase = dm::phase_damping(std::max(0.0, lambda));
  dm::KrausChannel out;
  out.name = fmt::format("thermal_relaxation(t={}ns)", time_ns);
  out.qubits = 1;
  for (const Eigen::MatrixXcd& p : dephase.kraus) {
    for (const Eigen::MatrixXcd& a : damp.kraus) {
      Eigen::MatrixXcd k = p * a;
      if (k.cwiseAbs().maxCoeff() > 0) out.kraus.push_back(std::move(k));
    }
  }
  return out;
}

double process_fidelity(const dm::KrausChannel& channel) {
  const double d = std::ldexp(1.0, channel.qubits);
  double sum = 0;
  for (const Eigen::MatrixXcd& k : channel.kraus) sum += std::norm(k.trace());
  return sum / (d * d);
}

double depolarizing_for_gate_error(double gate_error, int qubits, double other_process_fidelity) {
  const double d = std::ldexp(1.0, qubits);
  // Average gate fidelity from process fidelity: F = (d F_pro + 1) / (d + 1).
  const double other = (d * other_process_fidelity + 1) / (d + 1);
  // A reported error beyond the worst possible channel's (d / (d + 1)) is taken as that.
  const double target = 1 - std::min(gate_error, d / (d + 1));
  if (!(target < other)) return 0;
  const double p = d * (other - target) / (d * other - 1);
  const double most = (d * d) / (d * d - 1);
  return std::clamp(p, 0.0, most);
}

NoisyProgram with_device_noise(const NativeCircuit& isa, const Device& device) {
  NoisyProgram out;
  std::vector<size_t> ends;
  out.program = to_program(isa, &ends);
  out.after.resize(out.program.instructions().size() + 1);
  const std::vector<int> used = isa.used_qubits();
  for (int q : used) {
    require_in_range("circuit qubit", q, 0, device.num_qubits() - 1);
    const QubitCalibration& c = device.qubit(q);
    out.readout.push_back({c.prob_meas1_prep0, c.prob_meas0_prep1});
  }
  const auto dense = [&](int q) {
    return static_cast<int>(std::lower_bound(used.begin(), used.end(), q) - used.begin());
  };
  // One channel per (kind, physical qubits, length): gates of one kind on one qubit share it.
  std::map<std::tuple<std::string, int, int, double>, int> made;
  const auto channel = [&](const std::string& kind, int a, int b, double length,
                           const auto& build) {
    const auto key = std::tuple{kind, a, b, length};
    const auto it = made.find(key);
    if (it != made.end()) return it->second;
    out.channels.push_back(build());
    return made[key] = static_cast<int>(out.channels.size()) - 1;
  };
  const auto relaxation = [&](int q, double length) {
    const QubitCalibration& c = device.qubit(q);
    return channel("relax", q, -1, length,
                   [&] { return thermal_relaxation(c.t1_us * 1000, c.t2_us * 1000, length); });
  };
  for (size_t k = 0; k < isa.ops.size(); ++k) {
    const NativeOp& op = isa.ops[k];
    std::vector<PlacedChannel>& here = out.after[ends[k]];
    if (op.gate == "measure" || op.gate == "barrier" || op.gate == "delay") continue;
    if (op.gate == "reset") {
      const double length = device.gate("reset", op.qubits[0]).length_ns;
      if (length > 0) here.push_back({relaxation(op.qubits[0], length), {dense(op.qubits[0]), 0}});
      continue;
    }
    const bool pair = op.qubits.size() == 2;
    const GateCalibration cal =
        pair ? device.gate(op.qubits[0], op.qubits[1]) : device.gate(op.gate, op.qubits[0]);
    std::vector<int> relax;
    double relax_fidelity = 1;
    if (cal.length_ns > 0) {
      for (int q : op.qubits) {
        relax.push_back(relaxation(q, cal.length_ns));
        relax_fidelity *= process_fidelity(out.channels[relax.back()]);
      }
    }
    const int arity = static_cast<int>(op.qubits.size());
    const double p = depolarizing_for_gate_error(cal.error, arity, relax_fidelity);
    if (p > 0) {
      const int a = op.qubits[0], b = pair ? op.qubits[1] : -1;
      const int c = channel(op.gate, a, b, cal.length_ns, [&] {
        dm::KrausChannel d = dm::depolarizing(arity, p);
        d.name = fmt::format("{} error {:.3g}", op.gate, cal.error);
        return d;
      });
      here.push_back({c, {dense(a), pair ? dense(b) : 0}});
    }
    for (size_t j = 0; j < relax.size(); ++j) {
      here.push_back({relax[j], {dense(op.qubits[j]), 0}});
    }
  }
  out.description = fmt::format(
      "{} calibration of {}: depolarising to each gate's error, T1/T2 relaxation over its length, "
      "readout assignment errors",
      device.name(), device.calibration_date());
  check(out);
  return out;
}

}  // namespace qdm::noise
