#pragma once
/// The pieces of the mixed QDM that training, sampling and the tests share.

#include <string>
#include <vector>

#include "backends/density_matrix/density_matrix.h"
#include "framework/circuit/circuit.h"
#include "framework/config.h"

namespace qdm::mixed {

enum class Loss { Infidelity, TraceDistance, HilbertSchmidt };

struct Model {
  int data_qubits = 2, ancillas = 1, layers = 2;
  std::vector<double> p;  ///< p_1..p_T of the forward process
  Loss loss = Loss::Infidelity;
  int steps() const { return static_cast<int>(p.size()); }
  /// a_t = prod_{s <= t} (1 - p_s); a_0 = 1.
  double alpha(int t) const;
  /// The PQC of one reverse step (StronglyEntanglingLayers on data + ancilla qubits).
  Circuit circuit() const;
  int params_per_step() const;
};
Model read_model(const Config& config);

/// a rho_0 + (1 - a) I/d for rho_0 = |x><x|.
dm::DensityMatrix noised(const Eigen::VectorXcd& x, double a);
/// One reverse step: ancillas appended in |0>, the circuit, ancillas traced out.
dm::DensityMatrix denoise(const Circuit& circuit, std::span<const double> params,
                          const dm::DensityMatrix& rho, int ancillas);
double loss(Loss kind, const Eigen::MatrixXcd& out, const Eigen::MatrixXcd& target);

/// The loss of one reverse step on `rho_in` against `target`, and its gradient with respect to
/// the step's parameters: the parameter-shift rule gives d(out)/d(angle) exactly for each
/// occurrence, and the loss's derivative along it is a central difference (h = 1e-6) of `loss`.
double step_loss_and_gradient(const Model& m, const Circuit& circuit,
                              std::span<const double> params, const dm::DensityMatrix& rho_in,
                              const dm::DensityMatrix& target, std::span<double> grad);

}  // namespace qdm::mixed
