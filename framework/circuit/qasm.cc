#include "framework/circuit/qasm.h"

#include <fmt/format.h>

namespace qdm {
namespace {

std::string angle(double a) { return fmt::format("{:.17g}", a); }

}  // namespace

std::string to_qasm(const Circuit& circuit, std::span<const double> params, QasmVersion version,
                    bool measure_all) {
  circuit.check_params(params);
  const int n = circuit.num_qubits();
  std::string out;
  if (version == QasmVersion::V3) {
    out += "OPENQASM 3.0;\ninclude \"stdgates.inc\";\n";
    out += fmt::format("qubit[{}] q;\n", n);
    if (measure_all) out += fmt::format("bit[{}] c;\n", n);
  } else {
    out += "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n";
    out += fmt::format("qreg q[{}];\n", n);
    if (measure_all) out += fmt::format("creg c[{}];\n", n);
  }
  for (const Op& op : circuit.ops()) {
    const int a = op.qubits[0];
    const int b = op.qubits[1];
    auto val = [&](int k) { return angle(op.angles[k].resolve(params)); };
    switch (op.kind) {
      case GateKind::CNOT:
        out += fmt::format("cx q[{}], q[{}];\n", a, b);
        break;
      case GateKind::CZ:
        out += fmt::format("cz q[{}], q[{}];\n", a, b);
        break;
      case GateKind::SWAP:
        out += fmt::format("swap q[{}], q[{}];\n", a, b);
        break;
      case GateKind::RX:
      case GateKind::RY:
      case GateKind::RZ:
        out += fmt::format("{}({}) q[{}];\n", gate_name(op.kind), val(0), a);
        break;
      case GateKind::Rot:  // RZ(omega) RY(theta) RZ(phi): phi acts first
        out += fmt::format("rz({}) q[{}];\nry({}) q[{}];\nrz({}) q[{}];\n", val(0), a, val(1), a,
                           val(2), a);
        break;
      case GateKind::R3:  // RZ(omega) RY(theta) RZ(phi) with (omega, theta, phi) = angles 0, 1, 2
        out += fmt::format("rz({}) q[{}];\nry({}) q[{}];\nrz({}) q[{}];\n", val(2), a, val(1), a,
                           val(0), a);
        break;
      default:
        out += fmt::format("{} q[{}];\n", gate_name(op.kind), a);
        break;
    }
  }
  if (measure_all) {
    for (int q = 0; q < n; ++q) {
      out += version == QasmVersion::V3 ? fmt::format("c[{}] = measure q[{}];\n", q, q)
                                        : fmt::format("measure q[{}] -> c[{}];\n", q, q);
    }
  }
  return out;
}

}  // namespace qdm
