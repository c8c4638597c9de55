#include "backends/rest/native_circuit.h"

#include <fmt/format.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <optional>
#include <regex>
#include <sstream>

#include "framework/error.h"
#include "framework/gates.h"

namespace qdm::rest {
namespace {

constexpr double kPi = std::numbers::pi;

/// (-pi, pi]: the same rotation up to a global phase, and shorter payloads.
double wrap(double a) {
  a = std::remainder(a, 2 * kPi);
  return a <= -kPi ? a + 2 * kPi : a;
}

/// Euler angles of U = e^{i g} RZ(phi) RY(theta) RZ(lambda).
struct Euler {
  double theta = 0, phi = 0, lambda = 0;
};

Euler zyz(const Matrix2& u) {
  const std::complex<double> det = u(0, 0) * u(1, 1) - u(0, 1) * u(1, 0);
  const std::complex<double> unphase = std::polar(1.0, -std::arg(det) / 2);
  const std::complex<double> a = u(0, 0) * unphase, b = u(1, 0) * unphase;
  Euler e;
  e.theta = 2 * std::atan2(std::abs(b), std::abs(a));
  const double sum = std::abs(a) > 1e-12 ? -2 * std::arg(a) : 0.0;
  const double diff = std::abs(b) > 1e-12 ? 2 * std::arg(b) : 0.0;
  e.phi = (sum + diff) / 2;
  e.lambda = (sum - diff) / 2;
  return e;
}

/// Appends `u` on `q` as rz/sx gates (nothing when it is the identity up to a phase).
void emit_ibm_single(NativeCircuit& out, int q, const Matrix2& u) {
  const Euler e = zyz(u);
  if (std::abs(std::sin(e.theta / 2)) < 1e-12) {
    const double angle = wrap(e.phi + e.lambda);
    if (std::abs(angle) > 1e-12) out.ops.push_back({"rz", {q}, angle});
    return;
  }
  // Zero rotations are left out; the two sx and the middle rz always stay.
  const auto rz = [&](double angle) {
    if (std::abs(wrap(angle)) > 1e-12) out.ops.push_back({"rz", {q}, wrap(angle)});
  };
  rz(e.lambda);
  out.ops.push_back({"sx", {q}, 0});
  out.ops.push_back({"rz", {q}, wrap(e.theta + kPi)});
  out.ops.push_back({"sx", {q}, 0});
  rz(e.phi + kPi);
}

std::array<double, 3> resolved(const Op& op, std::span<const double> params) {
  return {op.angles[0].resolve(params), op.angles[1].resolve(params), op.angles[2].resolve(params)};
}

int parse_index(const std::string& text, const std::string& line) {
  try {
    size_t used = 0;
    const int v = std::stoi(text, &used);
    if (used == text.size() && v >= 0) return v;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument(fmt::format("OpenQASM line '{}': bad qubit index '{}'", line, text));
}

}  // namespace

std::map<std::string, int> NativeCircuit::gate_counts() const {
  std::map<std::string, int> counts;
  for (const NativeOp& op : ops) ++counts[op.gate];
  return counts;
}

int NativeCircuit::two_qubit_gates() const {
  int n = 0;
  for (const NativeOp& op : ops) n += op.qubits.size() == 2;
  return n;
}

NativeCircuit to_ibm_basis(const Circuit& circuit, std::span<const double> params) {
  circuit.check_params(params);
  NativeCircuit out;
  out.num_qubits = circuit.num_qubits();
  std::vector<std::optional<Matrix2>> pending(out.num_qubits);
  const auto flush = [&](int q) {
    if (pending[q]) emit_ibm_single(out, q, *pending[q]);
    pending[q].reset();
  };
  const auto single = [&](int q, const Matrix2& u) {
    pending[q] = pending[q] ? Matrix2(u * *pending[q]) : u;
  };
  const Matrix2 h = single_qubit_matrix(GateKind::H, {});
  for (const Op& op : circuit.ops()) {
    const int a = op.qubits[0], b = op.qubits[1];
    if (gate_qubit_count(op.kind) == 1) {
      const auto angles = resolved(op, params);
      single(a, single_qubit_matrix(op.kind, angles));
      continue;
    }
    switch (op.kind) {
      case GateKind::CNOT:
        flush(a), flush(b);
        out.ops.push_back({"cx", {a, b}, 0});
        break;
      case GateKind::CZ:  // H on the target around a CNOT
        single(b, h);
        flush(a), flush(b);
        out.ops.push_back({"cx", {a, b}, 0});
        single(b, h);
        break;
      case GateKind::SWAP:
        flush(a), flush(b);
        out.ops.push_back({"cx", {a, b}, 0});
        out.ops.push_back({"cx", {b, a}, 0});
        out.ops.push_back({"cx", {a, b}, 0});
        break;
      default:
        throw std::invalid_argument(
            fmt::format("gate {} has no IBM basis translation", gate_name(op.kind)));
    }
  }
  for (int q = 0; q < out.num_qubits; ++q) flush(q);
  return out;
}

NativeCircuit to_ionq_qis(const Circuit& circuit, std::span<const double> params) {
  circuit.check_params(params);
  NativeCircuit out;
  out.num_qubits = circuit.num_qubits();
  for (const Op& op : circuit.ops()) {
    const int a = op.qubits[0], b = op.qubits[1];
    const auto v = resolved(op, params);
    switch (op.kind) {
      case GateKind::RX:
      case GateKind::RY:
      case GateKind::RZ:
        out.ops.push_back({std::string(gate_name(op.kind)), {a}, wrap(v[0])});
        break;
      case GateKind::Rot:  // RZ(omega) RY(theta) RZ(phi): phi acts first
        out.ops.push_back({"rz", {a}, wrap(v[0])});
        out.ops.push_back({"ry", {a}, wrap(v[1])});
        out.ops.push_back({"rz", {a}, wrap(v[2])});
        break;
      case GateKind::R3:  // (omega, theta, phi): phi acts first
        out.ops.push_back({"rz", {a}, wrap(v[2])});
        out.ops.push_back({"ry", {a}, wrap(v[1])});
        out.ops.push_back({"rz", {a}, wrap(v[0])});
        break;
      case GateKind::CNOT:
        out.ops.push_back({"cnot", {a, b}, 0});
        break;
      case GateKind::CZ:
        out.ops.push_back({"h", {b}, 0});
        out.ops.push_back({"cnot", {a, b}, 0});
        out.ops.push_back({"h", {b}, 0});
        break;
      case GateKind::SWAP:
        out.ops.push_back({"swap", {a, b}, 0});
        break;
      default:  // H, X, Y, Z, S, T: IonQ's names are the IR's
        out.ops.push_back({std::string(gate_name(op.kind)), {a}, 0});
        break;
    }
  }
  return out;
}

std::string to_qasm3(const NativeCircuit& c) {
  std::string out =
      fmt::format("OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[{}] q;\nbit[{}] c;\n",
                  c.num_qubits, c.num_qubits);
  for (const NativeOp& op : c.ops) {
    if (op.gate == "rz") {
      out += fmt::format("rz({:.17g}) q[{}];\n", op.angle, op.qubits[0]);
    } else if (op.qubits.size() == 2) {
      out += fmt::format("{} q[{}], q[{}];\n", op.gate, op.qubits[0], op.qubits[1]);
    } else {
      out += fmt::format("{} q[{}];\n", op.gate, op.qubits[0]);
    }
  }
  for (int q = 0; q < c.num_qubits; ++q) out += fmt::format("c[{}] = measure q[{}];\n", q, q);
  return out;
}

nlohmann::json to_ionq_json(const NativeCircuit& c) {
  nlohmann::json gates = nlohmann::json::array();
  for (const NativeOp& op : c.ops) {
    if (op.qubits.size() == 2 && op.gate == "cnot") {
      gates.push_back({{"gate", "cnot"}, {"control", op.qubits[0]}, {"target", op.qubits[1]}});
    } else if (op.qubits.size() == 2) {
      gates.push_back({{"gate", op.gate}, {"targets", op.qubits}});
    } else if (op.gate == "rx" || op.gate == "ry" || op.gate == "rz") {
      gates.push_back({{"gate", op.gate}, {"targets", op.qubits}, {"rotation", op.angle}});
    } else {
      gates.push_back({{"gate", op.gate}, {"targets", op.qubits}});
    }
  }
  return gates;
}

NativeCircuit parse_qasm3(const std::string& text) {
  static const std::regex header(R"(OPENQASM\s+3(\.0)?|include\s+"[^"]*")");
  static const std::regex qubits(R"(qubit\[(\d+)\]\s+q)");
  static const std::regex bits(R"(bit\[(\d+)\]\s+c)");
  static const std::regex rz(R"(rz\(([^)]*)\)\s+q\[(\d+)\])");
  static const std::regex one(R"((sx|x)\s+q\[(\d+)\])");
  static const std::regex cx(R"(cx\s+q\[(\d+)\]\s*,\s*q\[(\d+)\])");
  static const std::regex measure(R"(c\[(\d+)\]\s*=\s*measure\s+q\[(\d+)\])");
  NativeCircuit out;
  out.num_qubits = -1;
  std::istringstream in(text);
  std::string statement;
  while (std::getline(in, statement, ';')) {
    const size_t b = statement.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) continue;
    const std::string s = statement.substr(b, statement.find_last_not_of(" \t\r\n") - b + 1);
    std::smatch m;
    if (std::regex_match(s, header) || std::regex_match(s, bits)) continue;
    if (std::regex_match(s, m, qubits)) {
      out.num_qubits = parse_index(m[1], s);
      continue;
    }
    if (out.num_qubits < 0) {
      throw std::invalid_argument(fmt::format("OpenQASM: '{}' before the qubit declaration", s));
    }
    const auto qubit = [&](const std::string& t) {
      const int q = parse_index(t, s);
      if (q >= out.num_qubits) {
        throw std::invalid_argument(fmt::format(
            "OpenQASM line '{}': qubit {} of a {}-qubit register", s, q, out.num_qubits));
      }
      return q;
    };
    if (std::regex_match(s, m, rz)) {
      double angle = 0;
      try {
        size_t used = 0;
        angle = std::stod(m[1], &used);
        if (used != m[1].str().size()) throw std::invalid_argument("trailing text");
      } catch (const std::exception&) {
        throw std::invalid_argument(fmt::format("OpenQASM line '{}': angle is not a number", s));
      }
      out.ops.push_back({"rz", {qubit(m[2])}, angle});
    } else if (std::regex_match(s, m, one)) {
      out.ops.push_back({m[1], {qubit(m[2])}, 0});
    } else if (std::regex_match(s, m, cx)) {
      const int c = qubit(m[1]), t = qubit(m[2]);
      if (c == t)
        throw std::invalid_argument(fmt::format("OpenQASM line '{}': control = target", s));
      out.ops.push_back({"cx", {c, t}, 0});
    } else if (std::regex_match(s, m, measure)) {
      if (m[1] != m[2]) {
        throw std::invalid_argument(
            fmt::format("OpenQASM line '{}': only c[q] = measure q[q] is supported", s));
      }
      qubit(m[2]);
    } else {
      throw std::invalid_argument(
          fmt::format("OpenQASM line '{}' is not in the basis (rz, sx, x, cx, measure)", s));
    }
  }
  if (out.num_qubits < 0) throw std::invalid_argument("OpenQASM: no qubit[N] q declaration");
  return out;
}

NativeCircuit parse_ionq_json(const nlohmann::json& gates, int num_qubits) {
  if (!gates.is_array()) throw std::invalid_argument("input.circuit must be an array of gates");
  NativeCircuit out;
  out.num_qubits = num_qubits;
  const auto index = [&](const nlohmann::json& v, const std::string& what) {
    if (!v.is_number_integer() || v.get<int>() < 0 || v.get<int>() >= num_qubits) {
      throw std::invalid_argument(fmt::format("gate {}: {} must be a qubit index in 0..{}", what,
                                              v.dump(), num_qubits - 1));
    }
    return v.get<int>();
  };
  for (const nlohmann::json& g : gates) {
    if (!g.is_object() || !g.contains("gate") || !g["gate"].is_string()) {
      throw std::invalid_argument(fmt::format("gate {} has no \"gate\" name", g.dump()));
    }
    const std::string name = g["gate"];
    NativeOp op{name, {}, 0};
    if (g.contains("control")) op.qubits.push_back(index(g["control"], name));
    if (g.contains("target")) op.qubits.push_back(index(g["target"], name));
    if (g.contains("targets") && g["targets"].is_array()) {
      for (const auto& t : g["targets"]) op.qubits.push_back(index(t, name));
    }
    const bool rotation = name == "rx" || name == "ry" || name == "rz";
    const bool two = name == "cnot" || name == "swap";
    const bool fixed =
        name == "h" || name == "x" || name == "y" || name == "z" || name == "s" || name == "t";
    if (!rotation && !two && !fixed) {
      throw std::invalid_argument(fmt::format("gate '{}' is not in the qis gate set", name));
    }
    if (op.qubits.size() != (two ? 2u : 1u)) {
      throw std::invalid_argument(
          fmt::format("gate {} acts on the wrong number of qubits", g.dump()));
    }
    if (rotation) {
      if (!g.contains("rotation") || !g["rotation"].is_number()) {
        throw std::invalid_argument(fmt::format("gate {} needs a numeric rotation", g.dump()));
      }
      op.angle = g["rotation"];
    }
    out.ops.push_back(op);
  }
  return out;
}

Circuit to_ir(const NativeCircuit& c) {
  Circuit out(c.num_qubits);
  for (const NativeOp& op : c.ops) {
    const int a = op.qubits[0];
    if (op.gate == "sx") {
      out.add(GateKind::RX, {a}, {Angle::constant(kPi / 2)});
    } else if (op.gate == "cx" || op.gate == "cnot") {
      out.add(GateKind::CNOT, {a, op.qubits[1]});
    } else if (op.gate == "swap") {
      out.add(GateKind::SWAP, {a, op.qubits[1]});
    } else {
      const auto kind = gate_from_name(op.gate);
      if (!kind) throw std::invalid_argument(fmt::format("unknown gate '{}'", op.gate));
      if (gate_angle_count(*kind) == 1) {
        out.add(*kind, {a}, {Angle::constant(op.angle)});
      } else {
        out.add(*kind, {a});
      }
    }
  }
  return out;
}

}  // namespace qdm::rest
