#include "framework/circuit/gates.h"

#include <cmath>

#include "framework/error.h"

namespace qdm {
namespace {

constexpr Complex kI{0.0, 1.0};

struct GateInfo {
  GateKind kind;
  std::string_view name;
  int qubits;
  int angles;
};

constexpr std::array<GateInfo, 14> kGateTable = {{
    {GateKind::H, "h", 1, 0},
    {GateKind::X, "x", 1, 0},
    {GateKind::Y, "y", 1, 0},
    {GateKind::Z, "z", 1, 0},
    {GateKind::S, "s", 1, 0},
    {GateKind::T, "t", 1, 0},
    {GateKind::RX, "rx", 1, 1},
    {GateKind::RY, "ry", 1, 1},
    {GateKind::RZ, "rz", 1, 1},
    {GateKind::Rot, "rot", 1, 3},
    {GateKind::R3, "r3", 1, 3},
    {GateKind::CNOT, "cnot", 2, 0},
    {GateKind::CZ, "cz", 2, 0},
    {GateKind::SWAP, "swap", 2, 0},
}};

const GateInfo& info(GateKind kind) { return kGateTable[static_cast<int>(kind)]; }

Matrix2 pauli(char axis) {
  Matrix2 m;
  switch (axis) {
    case 'x':
      m << 0, 1, 1, 0;
      break;
    case 'y':
      m << 0, -kI, kI, 0;
      break;
    default:
      m << 1, 0, 0, -1;
      break;
  }
  return m;
}

/// exp(-i a P / 2) for a Pauli P.
Matrix2 rotation(char axis, double a) {
  return std::cos(a / 2) * Matrix2::Identity() - kI * std::sin(a / 2) * pauli(axis);
}

/// The gate as a product of axis rotations, last factor applied first: factors[0] is leftmost.
/// angle_of[k] says which entry of `angles` rotation k uses.
struct Factorisation {
  std::array<char, 3> axes;
  std::array<int, 3> angle_of;
  int count;
};

Factorisation factorise(GateKind kind) {
  switch (kind) {
    case GateKind::RX:
      return {{'x'}, {0}, 1};
    case GateKind::RY:
      return {{'y'}, {0}, 1};
    case GateKind::RZ:
      return {{'z'}, {0}, 1};
    case GateKind::Rot:
      return {{'z', 'y', 'z'}, {2, 1, 0}, 3};  // RZ(omega) RY(theta) RZ(phi)
    case GateKind::R3:
      return {{'z', 'y', 'z'}, {0, 1, 2}, 3};  // RZ(omega) RY(theta) RZ(phi)
    default:
      return {{}, {}, 0};
  }
}

Matrix2 product(const Factorisation& f, std::span<const double> angles, int differentiate) {
  Matrix2 m = Matrix2::Identity();
  for (int k = 0; k < f.count; ++k) {
    Matrix2 factor = rotation(f.axes[k], angles[f.angle_of[k]]);
    if (f.angle_of[k] == differentiate) factor = (-0.5 * kI) * pauli(f.axes[k]) * factor;
    m = m * factor;
  }
  return m;
}

}  // namespace

std::string_view gate_name(GateKind kind) { return info(kind).name; }

std::optional<GateKind> gate_from_name(std::string_view name) {
  for (const auto& g : kGateTable) {
    if (g.name == name) return g.kind;
  }
  return std::nullopt;
}

int gate_qubit_count(GateKind kind) { return info(kind).qubits; }
int gate_angle_count(GateKind kind) { return info(kind).angles; }

Matrix2 single_qubit_matrix(GateKind kind, std::span<const double> angles) {
  require(gate_qubit_count(kind) == 1, "gate {} is not a single-qubit gate", gate_name(kind));
  require(angles.size() >= static_cast<size_t>(gate_angle_count(kind)),
          "gate {} needs {} angles, got {}", gate_name(kind), gate_angle_count(kind),
          angles.size());
  const double r = 1.0 / std::sqrt(2.0);
  Matrix2 m;
  switch (kind) {
    case GateKind::H:
      m << r, r, r, -r;
      return m;
    case GateKind::X:
      return pauli('x');
    case GateKind::Y:
      return pauli('y');
    case GateKind::Z:
      return pauli('z');
    case GateKind::S:
      m << 1, 0, 0, kI;
      return m;
    case GateKind::T:
      m << 1, 0, 0, std::polar(1.0, M_PI / 4);
      return m;
    default:
      return product(factorise(kind), angles, -1);
  }
}

Matrix2 single_qubit_derivative(GateKind kind, std::span<const double> angles, int which) {
  require_in_range("angle index", which, 0, gate_angle_count(kind) - 1);
  return product(factorise(kind), angles, which);
}

}  // namespace qdm
