#include "framework/circuit/state_prep.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <vector>

#include "framework/error.h"

namespace qdm {
namespace {

/// R_axis(alpha_c) on `target` for each value c of `controls` (bit j of c is controls[j]), as
/// 2^k plain rotations separated by CNOTs in Gray-code order.
void uniformly_controlled(Circuit& circuit, GateKind axis, int target,
                          const std::vector<int>& controls, const std::vector<double>& alpha) {
  const size_t k = controls.size(), count = size_t{1} << k;
  if (k == 0) {
    if (alpha[0] != 0) circuit.add(axis, {target}, {Angle::constant(alpha[0])});
    return;
  }
  for (size_t i = 0; i < count; ++i) {
    // theta_i = 2^-k sum_c (-1)^{popcount(c & gray(i))} alpha_c
    const size_t gray = i ^ (i >> 1);
    double theta = 0;
    for (size_t c = 0; c < count; ++c) {
      theta += (std::popcount(c & gray) % 2 ? -1.0 : 1.0) * alpha[c];
    }
    circuit.add(axis, {target}, {Angle::constant(theta / static_cast<double>(count))});
    // The control whose bit flips between gray(i) and gray(i + 1) (the top one to close the cycle).
    const size_t next = (i + 1 == count) ? 0 : (i + 1) ^ ((i + 1) >> 1);
    const int bit =
        std::countr_zero(static_cast<unsigned>(i + 1 == count ? count >> 1 : gray ^ next));
    circuit.add(GateKind::CNOT, {controls[bit], target});
  }
}

}  // namespace

Circuit prepare_state(std::span<const std::complex<double>> amplitudes) {
  const size_t dim = amplitudes.size();
  require(dim >= 2 && std::has_single_bit(dim), "state preparation needs 2^n amplitudes, not {}",
          dim);
  const int n = std::countr_zero(dim);
  require(n <= kMaxQubits, "state preparation of {} qubits exceeds {}", n, kMaxQubits);
  double norm = 0;
  for (const auto& a : amplitudes) norm += std::norm(a);
  require(std::abs(norm - 1) < 1e-9, "state preparation needs a unit vector; its norm^2 is {}",
          norm);
  Circuit circuit(n);
  // Magnitudes: qubit t splits each block of the qubits above it by the weight of its 0 and 1
  // halves; RY(theta)|0> = cos(theta/2)|0> + sin(theta/2)|1>.
  std::vector<double> weight(dim);
  for (size_t i = 0; i < dim; ++i) weight[i] = std::norm(amplitudes[i]);
  for (int t = n - 1; t >= 0; --t) {
    std::vector<int> controls;
    for (int q = t + 1; q < n; ++q) controls.push_back(q);
    const size_t blocks = size_t{1} << controls.size(), low = size_t{1} << t;
    std::vector<double> alpha(blocks);
    for (size_t c = 0; c < blocks; ++c) {
      double w0 = 0, w1 = 0;
      const size_t base = c << (t + 1);
      for (size_t l = 0; l < low; ++l) {
        w0 += weight[base + l];
        w1 += weight[base + low + l];
      }
      alpha[c] = 2 * std::atan2(std::sqrt(w1), std::sqrt(w0));
    }
    uniformly_controlled(circuit, GateKind::RY, t, controls, alpha);
  }
  // Phases: RZ(l) = diag(e^{-il/2}, e^{il/2}) on qubit t, per value of the qubits above, sets the
  // difference of each pair; their means move up a level (the last mean is the global phase).
  std::vector<double> phase(dim);
  for (size_t i = 0; i < dim; ++i) phase[i] = amplitudes[i] == 0.0 ? 0.0 : std::arg(amplitudes[i]);
  for (int t = 0; t < n; ++t) {
    std::vector<int> controls;
    for (int q = t + 1; q < n; ++q) controls.push_back(q);
    const size_t pairs = phase.size() / 2;
    std::vector<double> alpha(pairs), mean(pairs);
    bool any = false;
    for (size_t c = 0; c < pairs; ++c) {
      alpha[c] = phase[2 * c + 1] - phase[2 * c];
      mean[c] = (phase[2 * c + 1] + phase[2 * c]) / 2;
      any = any || alpha[c] != 0;
    }
    if (any) uniformly_controlled(circuit, GateKind::RZ, t, controls, alpha);
    phase = std::move(mean);
  }
  return circuit;
}

}  // namespace qdm
