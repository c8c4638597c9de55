#include "framework/transpile/basis.h"

#include <fmt/format.h>

#include <cmath>
#include <numbers>
#include <optional>

#include "framework/error.h"

namespace qdm {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kTol = 1e-10;

/// (-pi, pi]: the same rotation up to a global phase, and shorter payloads.
double wrap(double a) {
  a = std::remainder(a, 2 * kPi);
  return a <= -kPi ? a + 2 * kPi : a;
}

/// U = e^{i g} RZ(phi) RY(theta) RZ(lambda), theta in [0, pi].
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

Matrix2 rz(double a) { return single_qubit_matrix(GateKind::RZ, std::array{a}); }
Matrix2 ry(double a) { return single_qubit_matrix(GateKind::RY, std::array{a}); }
Matrix2 gate(GateKind k) { return single_qubit_matrix(k, {}); }

/// One step of a lowered two-qubit gate: a one-qubit unitary on q0, or the native gate on
/// (q0, q1).
struct Step {
  int q0 = 0, q1 = -1;
  Matrix2 u = Matrix2::Identity();
  bool native() const { return q1 >= 0; }
};

class Lowering {
 public:
  explicit Lowering(const TwoQubitBasis& basis) : basis_(basis) {}

  void cnot(int c, int t, std::vector<Step>& out) const {
    const std::string& g = basis_.gate;
    if (g == "cz") {
      out.push_back({t, -1, gate(GateKind::H)});
      cz(c, t, out);
      out.push_back({t, -1, gate(GateKind::H)});
      return;
    }
    if (!basis_.coupled(c, t)) {
      require(basis_.coupled(t, c), "qubits {} and {} are not coupled", c, t);
      // Swap control and target: H on both sides of both qubits.
      for (int q : {c, t}) out.push_back({q, -1, gate(GateKind::H)});
      cnot(t, c, out);
      for (int q : {c, t}) out.push_back({q, -1, gate(GateKind::H)});
      return;
    }
    if (g == "cx") {
      out.push_back({c, t});
      return;
    }
    // ECR(c, t) = X_c RZX(pi/2); CX = e^{i pi/4} RZ_c(pi/2) RX_t(pi/2) X_c ECR (i Z_c X_t), so in
    // time order: Z on c and X on t, ECR, then X and RZ(pi/2) on c and RX(pi/2) on t.
    out.push_back({c, -1, gate(GateKind::Z)});
    out.push_back({t, -1, gate(GateKind::X)});
    out.push_back({c, t});
    out.push_back({c, -1, gate(GateKind::X)});
    out.push_back({c, -1, rz(kPi / 2)});
    out.push_back({t, -1, single_qubit_matrix(GateKind::RX, std::array{kPi / 2})});
  }

  void cz(int a, int b, std::vector<Step>& out) const {
    if (basis_.gate == "cz") {
      if (basis_.coupled(a, b)) {
        out.push_back({a, b});
      } else {
        require(basis_.coupled(b, a), "qubits {} and {} are not coupled", a, b);
        out.push_back({b, a});
      }
      return;
    }
    out.push_back({b, -1, gate(GateKind::H)});
    cnot(a, b, out);
    out.push_back({b, -1, gate(GateKind::H)});
  }

 private:
  const TwoQubitBasis& basis_;
};

}  // namespace

void emit_one_qubit(NativeCircuit& out, int q, const Matrix2& u) {
  const Euler e = zyz(u);
  const auto rz_gate = [&](double angle) {
    if (std::abs(wrap(angle)) > kTol) out.ops.push_back({"rz", {q}, wrap(angle)});
  };
  if (std::abs(std::sin(e.theta / 2)) < kTol) {
    rz_gate(e.phi + e.lambda);
  } else if (std::abs(e.theta - kPi / 2) < kTol) {
    // RY(pi/2) = RZ(pi/2) SX RZ(-pi/2) up to a phase.
    rz_gate(e.lambda - kPi / 2);
    out.ops.push_back({"sx", {q}});
    rz_gate(e.phi + kPi / 2);
  } else if (std::abs(e.theta - kPi) < kTol) {
    // RY(pi) = RZ(pi/2) X RZ(-pi/2) up to a phase.
    rz_gate(e.lambda - kPi / 2);
    out.ops.push_back({"x", {q}});
    rz_gate(e.phi + kPi / 2);
  } else {
    rz_gate(e.lambda);
    out.ops.push_back({"sx", {q}});
    out.ops.push_back({"rz", {q}, wrap(e.theta + kPi)});
    out.ops.push_back({"sx", {q}});
    rz_gate(e.phi + kPi);
  }
}

NativeCircuit translate_to_basis(const RoutedProgram& program, int num_qubits,
                                 const TwoQubitBasis& basis) {
  require(basis.gate == "cz" || basis.gate == "ecr" || basis.gate == "cx",
          "two-qubit basis gate '{}' is not cz, ecr or cx", basis.gate);
  NativeCircuit out;
  out.num_qubits = num_qubits;
  out.num_clbits = program.num_clbits;
  std::vector<std::optional<Matrix2>> pending(num_qubits);
  const auto flush = [&](int q) {
    if (pending[q]) emit_one_qubit(out, q, *pending[q]);
    pending[q].reset();
  };
  const auto single = [&](int q, const Matrix2& u) {
    pending[q] = pending[q] ? Matrix2(u * *pending[q]) : u;
  };
  const Lowering lower(basis);
  std::vector<Step> steps;
  for (const Instruction& ins : program.instructions) {
    if (const Measure* m = std::get_if<Measure>(&ins)) {
      if (pending[m->qubit]) {
        // The last RZ commutes with a measurement in the computational basis.
        const Euler e = zyz(*pending[m->qubit]);
        pending[m->qubit] = Matrix2(ry(e.theta) * rz(e.lambda));
        flush(m->qubit);
      }
      out.ops.push_back({"measure", {m->qubit}, 0, m->clbit});
      continue;
    }
    if (const Reset* r = std::get_if<Reset>(&ins)) {
      pending[r->qubit].reset();  // whatever the qubit held is discarded
      out.ops.push_back({"reset", {r->qubit}});
      continue;
    }
    const Op& op = std::get<Op>(ins);
    const int a = op.qubits[0], b = op.qubits[1];
    if (gate_qubit_count(op.kind) == 1) {
      const std::array angles = {op.angles[0].value, op.angles[1].value, op.angles[2].value};
      single(a, single_qubit_matrix(op.kind, angles));
      continue;
    }
    steps.clear();
    switch (op.kind) {
      case GateKind::CNOT:
        lower.cnot(a, b, steps);
        break;
      case GateKind::CZ:
        lower.cz(a, b, steps);
        break;
      case GateKind::SWAP:
        lower.cnot(a, b, steps);
        lower.cnot(b, a, steps);
        lower.cnot(a, b, steps);
        break;
      default:
        throw std::invalid_argument(
            fmt::format("two-qubit gate {} has no translation", gate_name(op.kind)));
    }
    for (const Step& s : steps) {
      if (!s.native()) {
        single(s.q0, s.u);
        continue;
      }
      flush(s.q0);
      flush(s.q1);
      out.ops.push_back({basis.gate, {s.q0, s.q1}});
    }
  }
  // One-qubit gates after a qubit's last measurement change no outcome.
  return out;
}

}  // namespace qdm
