#pragma once
/// The gate set of the circuit IR and each gate's exact 2x2 matrix and angle derivatives.

#include <Eigen/Core>
#include <array>
#include <complex>
#include <optional>
#include <span>
#include <string_view>

namespace qdm {

using Complex = std::complex<double>;
using Matrix2 = Eigen::Matrix2cd;

enum class GateKind { H, X, Y, Z, S, T, RX, RY, RZ, Rot, R3, CNOT, CZ, SWAP };

inline constexpr std::array kAllGateKinds = {
    GateKind::H,  GateKind::X,    GateKind::Y,  GateKind::Z,   GateKind::S,
    GateKind::T,  GateKind::RX,   GateKind::RY, GateKind::RZ,  GateKind::Rot,
    GateKind::R3, GateKind::CNOT, GateKind::CZ, GateKind::SWAP};

std::string_view gate_name(GateKind kind);
std::optional<GateKind> gate_from_name(std::string_view name);
int gate_qubit_count(GateKind kind);
int gate_angle_count(GateKind kind);

/// Single-qubit unitary of `kind` at `angles` (only the first gate_angle_count are read).
///   Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi)        (PennyLane's Rot)
///   R3(omega, theta, phi)  = RZ(omega) RY(theta) RZ(phi)        (REFERENCE.md's R3)
/// so R3's first angle is applied last; both equal U = [[e^{-i(a+c)/2} cos, ...]].
Matrix2 single_qubit_matrix(GateKind kind, std::span<const double> angles);

/// d(single_qubit_matrix)/d(angles[which]).
Matrix2 single_qubit_derivative(GateKind kind, std::span<const double> angles, int which);

}  // namespace qdm
