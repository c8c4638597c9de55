#pragma once
/// Gradients by the parameter-shift rule: for a gate exp(-i theta P / 2) with P a Pauli product
/// (RX, RY, RZ, and each angle of Rot and R3, which are RZ RY RZ products), any loss linear in the
/// state (an expectation value, an infidelity against a pure target) satisfies
///   dL/dtheta = [L(theta + pi/2) - L(theta - pi/2)] / 2
/// exactly, noise channels after the gates included. So it needs only loss evaluations: it works
/// on density matrices and, with shot estimates, on hardware. A parameter used by several gates
/// gets the sum over its occurrences, each shifted alone. Cost: 2 evaluations per occurrence.

#include <functional>
#include <span>
#include <vector>

#include "framework/circuit/circuit.h"

namespace qdm {

/// The loss of `circuit` (whose angles may reference one extra parameter) at `params`.
using CircuitLoss = std::function<double(const Circuit&, std::span<const double>)>;

/// d loss / d params for every parameter of `circuit`.
std::vector<double> parameter_shift_gradient(const Circuit& circuit, std::span<const double> params,
                                             const CircuitLoss& loss);

}  // namespace qdm
