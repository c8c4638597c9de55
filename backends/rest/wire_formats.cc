#include "backends/rest/wire_formats.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <numbers>
#include <regex>
#include <set>
#include <sstream>

#include "framework/error.h"
#include "framework/overloaded.h"

namespace qdm::rest {
namespace {

constexpr double kPi = std::numbers::pi;

/// (-pi, pi]: the same rotation up to a global phase, and shorter payloads.
double wrap(double a) {
  a = std::remainder(a, 2 * kPi);
  return a <= -kPi ? a + 2 * kPi : a;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

/// A number, pi, or products and quotients of them with an optional sign: what angle arguments
/// of exported circuits hold.
double parse_angle(const std::string& text, const std::string& statement) {
  static const std::regex factor(R"(\s*(pi|π|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*)");
  std::string s = trim(text);
  double sign = 1;
  while (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    if (s[0] == '-') sign = -sign;
    s = trim(s.substr(1));
  }
  double value = 1;
  char op = '*';
  size_t pos = 0;
  bool any = false;
  while (pos < s.size()) {
    std::smatch m;
    const std::string rest = s.substr(pos);
    if (!std::regex_search(rest, m, factor, std::regex_constants::match_continuous)) break;
    const double f = m[1] == "pi" || m[1] == "π" ? kPi : std::stod(m[1]);
    value = op == '*' ? value * f : value / f;
    any = true;
    pos += m.length(0);
    if (pos < s.size() && (s[pos] == '*' || s[pos] == '/')) {
      op = s[pos++];
    } else {
      break;
    }
  }
  if (!any || pos != s.size() || !std::isfinite(value)) {
    throw std::invalid_argument(
        fmt::format("OpenQASM statement '{}': angle '{}' is not a number", statement, text));
  }
  return sign * value;
}

/// Gates the emulator runs by name, with their qubit and angle counts.
struct GateShape {
  int qubits, angles;
};
const std::map<std::string, GateShape>& known_gates() {
  static const std::map<std::string, GateShape> g = {
      {"rz", {1, 1}}, {"rx", {1, 1}}, {"ry", {1, 1}}, {"sx", {1, 0}},  {"x", {1, 0}},
      {"y", {1, 0}},  {"z", {1, 0}},  {"h", {1, 0}},  {"s", {1, 0}},   {"t", {1, 0}},
      {"id", {1, 0}}, {"cx", {2, 0}}, {"cz", {2, 0}}, {"ecr", {2, 0}}, {"swap", {2, 0}}};
  return g;
}

}  // namespace

NativeCircuit to_ionq_qis(const Program& program) {
  if (program.is_dynamic()) {
    throw UnsupportedError(
        "IonQ's circuit JSON (ionq.circuit.v1, gateset qis) has no mid-circuit measurement or "
        "reset: IonQ measures every qubit once, at the end. Sample with fresh qubits instead "
        "(qpu.circuit = static)");
  }
  NativeCircuit out;
  out.num_qubits = program.num_qubits();
  out.num_clbits = program.num_clbits();
  for (const Instruction& ins : program.instructions()) {
    if (const Measure* m = std::get_if<Measure>(&ins)) {
      out.ops.push_back({"measure", {m->qubit}, 0, m->clbit});
      continue;
    }
    const Op& op = std::get<Op>(ins);  // no resets in a static program
    const int a = op.qubits[0], b = op.qubits[1];
    const double v0 = op.angles[0].value, v1 = op.angles[1].value, v2 = op.angles[2].value;
    switch (op.kind) {
      case GateKind::RX:
      case GateKind::RY:
      case GateKind::RZ:
        out.ops.push_back({std::string(gate_name(op.kind)), {a}, wrap(v0)});
        break;
      case GateKind::Rot:  // RZ(omega) RY(theta) RZ(phi): phi acts first
        out.ops.push_back({"rz", {a}, wrap(v0)});
        out.ops.push_back({"ry", {a}, wrap(v1)});
        out.ops.push_back({"rz", {a}, wrap(v2)});
        break;
      case GateKind::R3:  // (omega, theta, phi): phi acts first
        out.ops.push_back({"rz", {a}, wrap(v2)});
        out.ops.push_back({"ry", {a}, wrap(v1)});
        out.ops.push_back({"rz", {a}, wrap(v0)});
        break;
      case GateKind::CNOT:
        out.ops.push_back({"cnot", {a, b}});
        break;
      case GateKind::CZ:
        out.ops.push_back({"h", {b}});
        out.ops.push_back({"cnot", {a, b}});
        out.ops.push_back({"h", {b}});
        break;
      case GateKind::SWAP:
        out.ops.push_back({"swap", {a, b}});
        break;
      default:  // H, X, Y, Z, S, T: IonQ's names are the IR's
        out.ops.push_back({std::string(gate_name(op.kind)), {a}});
        break;
    }
  }
  return out;
}

nlohmann::json to_ionq_json(const NativeCircuit& c) {
  nlohmann::json gates = nlohmann::json::array();
  for (const NativeOp& op : c.ops) {
    if (op.gate == "measure") continue;  // IonQ measures every qubit at the end
    if (op.gate == "cnot") {
      gates.push_back(
          {{"gate", "cnot"}, {"controls", {op.qubits[0]}}, {"targets", {op.qubits[1]}}});
    } else if (op.gate == "rx" || op.gate == "ry" || op.gate == "rz") {
      gates.push_back({{"gate", op.gate}, {"targets", op.qubits}, {"rotation", op.angle}});
    } else {
      gates.push_back({{"gate", op.gate}, {"targets", op.qubits}});
    }
  }
  return gates;
}

NativeCircuit parse_ionq_json(const nlohmann::json& gates, int num_qubits) {
  if (!gates.is_array()) throw std::invalid_argument("input.circuit must be an array of gates");
  NativeCircuit out;
  out.num_qubits = num_qubits;
  out.num_clbits = num_qubits;
  const auto index = [&](const nlohmann::json& v, const std::string& what) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= num_qubits) {
      throw std::invalid_argument(fmt::format("gate {}: {} must be a qubit index in 0..{}", what,
                                              v.dump(), num_qubits - 1));
    }
    return v.get<int>();
  };
  const auto indices = [&](const nlohmann::json& g, const char* one, const char* many,
                           const std::string& name) {
    std::vector<int> out;
    if (g.contains(one)) out.push_back(index(g[one], name));
    if (g.contains(many)) {
      if (!g[many].is_array()) {
        throw std::invalid_argument(fmt::format("gate {}: '{}' must be a list", g.dump(), many));
      }
      for (const auto& t : g[many]) out.push_back(index(t, name));
    }
    return out;
  };
  for (const nlohmann::json& g : gates) {
    if (!g.is_object() || !g.contains("gate") || !g["gate"].is_string()) {
      throw std::invalid_argument(fmt::format("gate {} has no \"gate\" name", g.dump()));
    }
    const std::string name = g["gate"];
    const bool rotation = name == "rx" || name == "ry" || name == "rz";
    const bool two = name == "cnot" || name == "swap";
    const bool fixed =
        name == "h" || name == "x" || name == "y" || name == "z" || name == "s" || name == "t";
    if (!rotation && !two && !fixed) {
      throw std::invalid_argument(fmt::format("gate '{}' is not in the qis gate set", name));
    }
    const std::vector<int> controls = indices(g, "control", "controls", name);
    const std::vector<int> targets = indices(g, "target", "targets", name);
    NativeOp op{name, {}, 0};
    if (name == "cnot") {
      if (controls.size() != 1 || targets.size() != 1) {
        throw std::invalid_argument(
            fmt::format("gate {}: cnot needs one control and one target", g.dump()));
      }
      op.qubits = {controls[0], targets[0]};
    } else {
      if (!controls.empty()) {
        throw std::invalid_argument(
            fmt::format("gate {}: controlled '{}' gates are not run here", g.dump(), name));
      }
      op.qubits = targets;
      if (op.qubits.size() != (two ? 2u : 1u)) {
        throw std::invalid_argument(
            fmt::format("gate {} acts on the wrong number of qubits", g.dump()));
      }
    }
    if (op.qubits.size() == 2 && op.qubits[0] == op.qubits[1]) {
      throw std::invalid_argument(fmt::format("gate {} acts twice on one qubit", g.dump()));
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

std::string to_qasm3(const NativeCircuit& c, const std::string& comment, bool physical) {
  std::string out;
  size_t start = 0;
  while (start < comment.size()) {
    const size_t end = std::min(comment.find('\n', start), comment.size());
    out += "// " + comment.substr(start, end - start) + "\n";
    start = end + 1;
  }
  out += "OPENQASM 3.0;\ninclude \"stdgates.inc\";\n";
  const auto counts = c.gate_counts();
  if (counts.count("ecr")) {
    // ECR(a, b) = X_a RZX(pi/2), RZX(t) = H_b CX(a, b) RZ_b(t) CX(a, b) H_b.
    out += "gate ecr _q0, _q1 { h _q1; cx _q0, _q1; rz(pi/2) _q1; cx _q0, _q1; h _q1; x _q0; }\n";
  }
  if (!physical) out += fmt::format("qubit[{}] q;\n", c.num_qubits);
  if (c.num_clbits > 0) out += fmt::format("bit[{}] c;\n", c.num_clbits);
  const auto q = [&](int i) { return physical ? fmt::format("${}", i) : fmt::format("q[{}]", i); };
  for (const NativeOp& op : c.ops) {
    if (op.gate == "measure") {
      out += fmt::format("c[{}] = measure {};\n", op.clbit, q(op.qubits[0]));
    } else if (op.gate == "rz" || op.gate == "rx" || op.gate == "ry") {
      out += fmt::format("{}({:.17g}) {};\n", op.gate, op.angle, q(op.qubits[0]));
    } else if (op.qubits.size() == 2) {
      out += fmt::format("{} {}, {};\n", op.gate, q(op.qubits[0]), q(op.qubits[1]));
    } else {
      out += fmt::format("{} {};\n", op.gate, q(op.qubits[0]));
    }
  }
  return out;
}

std::string logical_qasm3(const Program& program, const std::string& comment) {
  NativeCircuit c;
  c.num_qubits = program.num_qubits();
  c.num_clbits = program.num_clbits();
  for (const Instruction& ins : program.instructions()) {
    std::visit(Overloaded{
                   [&](const Measure& m) {
                     c.ops.push_back({"measure", {m.qubit}, 0, m.clbit});
                   },
                   [&](const Reset& r) {
                     c.ops.push_back({"reset", {r.qubit}});
                   },
                   [&](const Op& op) {
                     const int a = op.qubits[0], b = op.qubits[1];
                     const double v0 = op.angles[0].value, v1 = op.angles[1].value,
                                  v2 = op.angles[2].value;
                     switch (op.kind) {
                       case GateKind::Rot:  // phi acts first
                         c.ops.push_back({"rz", {a}, v0});
                         c.ops.push_back({"ry", {a}, v1});
                         c.ops.push_back({"rz", {a}, v2});
                         break;
                       case GateKind::R3:
                         c.ops.push_back({"rz", {a}, v2});
                         c.ops.push_back({"ry", {a}, v1});
                         c.ops.push_back({"rz", {a}, v0});
                         break;
                       case GateKind::CNOT:
                         c.ops.push_back({"cx", {a, b}});
                         break;
                       case GateKind::CZ:
                       case GateKind::SWAP:
                         c.ops.push_back({std::string(gate_name(op.kind)), {a, b}});
                         break;
                       default:
                         c.ops.push_back({std::string(gate_name(op.kind)), {a}, v0});
                     }
                   },
               },
               ins);
  }
  return to_qasm3(c, comment, false);
}

NativeCircuit parse_qasm3(const std::string& text) {
  static const std::regex header(R"(OPENQASM\s+3(\.0)?|include\s+"[^"]*")");
  static const std::regex qubits(R"((?:qubit\[(\d+)\]\s+q|qreg\s+q\[(\d+)\]))");
  static const std::regex bits(R"((?:bit\[(\d+)\]\s+c|creg\s+c\[(\d+)\]))");
  static const std::regex gate(
      R"(([a-z_][a-z0-9_]*)\s*(?:\(([^)]*)\))?\s+((?:\$\d+|q\[\d+\])(?:\s*,\s*(?:\$\d+|q\[\d+\]))*))");
  static const std::regex measure(R"(c\[(\d+)\]\s*=\s*measure\s+(\$\d+|q\[\d+\]))");
  static const std::regex measure2(R"(measure\s+(\$\d+|q\[\d+\])\s*->\s*c\[(\d+)\])");
  static const std::regex qubit_ref(R"(\$(\d+)|q\[(\d+)\])");
  // Comments out first; then statements end at ';', a gate definition at its closing brace.
  std::string src;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "//") == 0) {
      while (i < text.size() && text[i] != '\n') ++i;
    }
    if (i < text.size()) src += text[i];
  }
  NativeCircuit out;
  int declared = -1;
  bool physical = false;
  std::set<std::string> defined;
  int max_qubit = -1;
  const auto index = [](const std::string& t, const std::string& s) {
    try {
      size_t used = 0;
      const long v = std::stol(t, &used);
      if (used == t.size() && v >= 0 && v < (1L << 20)) return static_cast<int>(v);
    } catch (const std::exception&) {
    }
    throw std::invalid_argument(fmt::format("OpenQASM statement '{}': bad index '{}'", s, t));
  };
  const auto qubit = [&](const std::string& ref, const std::string& s) {
    std::smatch m;
    if (!std::regex_match(ref, m, qubit_ref)) {
      throw std::invalid_argument(
          fmt::format("OpenQASM statement '{}': '{}' is not a qubit", s, ref));
    }
    const bool is_physical = m[1].matched;
    const int q = index(is_physical ? m[1] : m[2], s);
    if (is_physical) {
      physical = true;
    } else {
      if (declared < 0) {
        throw std::invalid_argument(
            fmt::format("OpenQASM statement '{}': q[{}] before a qubit declaration", s, q));
      }
      if (q >= declared) {
        throw std::invalid_argument(fmt::format(
            "OpenQASM statement '{}': qubit {} of a {}-qubit register", s, q, declared));
      }
    }
    max_qubit = std::max(max_qubit, q);
    return q;
  };
  size_t pos = 0;
  while (pos < src.size()) {
    const size_t b = src.find_first_not_of(" \t\r\n", pos);
    if (b == std::string::npos) break;
    if (src.compare(b, 5, "gate ") == 0) {
      const size_t open = src.find('{', b), close = src.find('}', b);
      if (open == std::string::npos || close == std::string::npos || close < open) {
        throw std::invalid_argument("OpenQASM: a gate definition has no { ... } body");
      }
      std::istringstream head(src.substr(b + 5, open - b - 5));
      std::string name;
      head >> name;
      defined.insert(name);
      pos = close + 1;
      continue;
    }
    const size_t end = src.find(';', b);
    if (end == std::string::npos) {
      throw std::invalid_argument(
          fmt::format("OpenQASM: '{}' does not end with ';'", trim(src.substr(b, 60))));
    }
    const std::string s = trim(src.substr(b, end - b));
    pos = end + 1;
    std::smatch m;
    if (std::regex_match(s, header)) continue;
    if (std::regex_match(s, m, qubits)) {
      declared = index(m[1].matched ? m[1] : m[2], s);
      continue;
    }
    if (std::regex_match(s, m, bits)) {
      out.num_clbits = index(m[1].matched ? m[1] : m[2], s);
      continue;
    }
    const auto clbit = [&](const std::string& t) {
      const int k = index(t, s);
      if (k >= out.num_clbits) {
        throw std::invalid_argument(fmt::format(
            "OpenQASM statement '{}': bit {} of a {}-bit register", s, k, out.num_clbits));
      }
      return k;
    };
    if (std::regex_match(s, m, measure)) {
      out.ops.push_back({"measure", {qubit(m[2], s)}, 0, clbit(m[1])});
      continue;
    }
    if (std::regex_match(s, m, measure2)) {
      out.ops.push_back({"measure", {qubit(m[1], s)}, 0, clbit(m[2])});
      continue;
    }
    if (s.rfind("barrier", 0) == 0) continue;  // a compiler directive
    if (!std::regex_match(s, m, gate)) {
      throw std::invalid_argument(fmt::format("OpenQASM statement '{}' cannot be read", s));
    }
    const std::string name = m[1];
    std::vector<int> on;
    const std::string refs = m[3];
    for (std::sregex_iterator it(refs.begin(), refs.end(), qubit_ref), e; it != e; ++it) {
      on.push_back(qubit(it->str(), s));
    }
    if (name == "reset") {
      if (on.size() != 1)
        throw std::invalid_argument(
            fmt::format("OpenQASM statement '{}': reset takes one qubit", s));
      out.ops.push_back({"reset", on});
      continue;
    }
    const auto shape = known_gates().find(name);
    if (shape == known_gates().end()) {
      throw std::invalid_argument(fmt::format("OpenQASM statement '{}': gate '{}' is {}", s, name,
                                              defined.count(name)
                                                  ? "defined here but not one the emulator runs"
                                                  : "neither in stdgates.inc nor defined"));
    }
    if (static_cast<int>(on.size()) != shape->second.qubits) {
      throw std::invalid_argument(fmt::format("OpenQASM statement '{}': {} takes {} qubit(s)", s,
                                              name, shape->second.qubits));
    }
    if (on.size() == 2 && on[0] == on[1]) {
      throw std::invalid_argument(fmt::format("OpenQASM statement '{}': control = target", s));
    }
    NativeOp op{name, on};
    if (shape->second.angles == 1) {
      if (!m[2].matched) {
        throw std::invalid_argument(
            fmt::format("OpenQASM statement '{}': {} needs an angle", s, name));
      }
      op.angle = parse_angle(m[2], s);
    } else if (m[2].matched) {
      throw std::invalid_argument(
          fmt::format("OpenQASM statement '{}': {} takes no angle", s, name));
    }
    out.ops.push_back(op);
  }
  if (declared < 0 && !physical && out.ops.empty()) {
    throw std::invalid_argument("OpenQASM: the program declares no qubit and uses none");
  }
  out.num_qubits = std::max(declared, max_qubit + 1);
  return out;
}

uint64_t qubits_to_clbits(uint64_t qubit_bits, const NativeCircuit& c) {
  uint64_t out = 0;
  for (const NativeOp& op : c.ops) {
    if (op.gate == "measure") out |= ((qubit_bits >> op.qubits[0]) & 1) << op.clbit;
  }
  return out;
}

}  // namespace qdm::rest
