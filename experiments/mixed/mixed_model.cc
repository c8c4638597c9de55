#include "experiments/mixed/mixed_model.h"

#include <cmath>

#include "backends/density_matrix/dm_pipeline.h"
#include "backends/density_matrix/state_metrics.h"
#include "framework/circuit/ansatz.h"
#include "framework/error.h"

namespace qdm::mixed {

double Model::alpha(int t) const {
  double a = 1;
  for (int s = 1; s <= t; ++s) a *= 1 - p[s - 1];
  return a;
}

Circuit Model::circuit() const {
  return strongly_entangling_layers(data_qubits + ancillas, layers);
}

int Model::params_per_step() const {
  return strongly_entangling_param_count(data_qubits + ancillas, layers);
}

Model read_model(const Config& c) {
  Model m;
  const int size = c.get_power_of_two("data.image_size", "size x size amplitudes fill qubits");
  m.data_qubits = 0;
  while ((1 << m.data_qubits) < size * size) ++m.data_qubits;
  m.ancillas = static_cast<int>(c.get_int("model.ancillas"));
  m.layers = static_cast<int>(c.get_int("model.layers"));
  const int T = static_cast<int>(c.get_int("diffusion.steps"));
  const double p0 = c.get_real("diffusion.p_start"), p1 = c.get_real("diffusion.p_end");
  for (int t = 1; t <= T; ++t) m.p.push_back(T == 1 ? p0 : p0 + (p1 - p0) * (t - 1) / (T - 1));
  const std::string loss = c.get_text("train.loss");
  m.loss = loss == "infidelity"       ? Loss::Infidelity
           : loss == "trace-distance" ? Loss::TraceDistance
                                      : Loss::HilbertSchmidt;
  require(m.data_qubits + m.ancillas <= dm::kMaxDensityQubits,
          "{} data qubits and {} ancillas exceed the density-matrix limit of {} qubits",
          m.data_qubits, m.ancillas, dm::kMaxDensityQubits);
  return m;
}

dm::DensityMatrix noised(const Eigen::VectorXcd& x, double a) {
  dm::DensityMatrix rho = dm::DensityMatrix::pure(x);
  rho.depolarize_all(1 - a);
  return rho;
}

dm::DensityMatrix denoise(const Circuit& circuit, std::span<const double> params,
                          const dm::DensityMatrix& rho, int ancillas) {
  const Eigen::Index d = rho.dim(), big = d << ancillas;
  Eigen::MatrixXcd wide = Eigen::MatrixXcd::Zero(big, big);
  wide.topLeftCorner(d, d) = rho.matrix();  // ancillas are the top bits, in |0>
  const dm::DensityMatrix out =
      dm::simulate(circuit, params, {}, dm::DensityMatrix::from_matrix(std::move(wide)));
  if (ancillas == 0) return out;
  std::vector<int> top;
  for (int k = 0; k < ancillas; ++k) top.push_back(rho.num_qubits() + k);
  return dm::partial_trace(out, top);
}

double loss(Loss kind, const Eigen::MatrixXcd& out, const Eigen::MatrixXcd& target) {
  switch (kind) {
    case Loss::Infidelity:
      return 1 - dm::fidelity(out, target);
    case Loss::TraceDistance:
      return dm::trace_distance(out, target);
    case Loss::HilbertSchmidt:
      return dm::hilbert_schmidt_distance(out, target);
  }
  return 0;
}

double step_loss_and_gradient(const Model& m, const Circuit& circuit,
                              std::span<const double> params, const dm::DensityMatrix& rho_in,
                              const dm::DensityMatrix& target, std::span<double> grad) {
  const dm::DensityMatrix out = denoise(circuit, params, rho_in, m.ancillas);
  const double value = loss(m.loss, out.matrix(), target.matrix());
  std::vector<double> shifted(params.begin(), params.end());
  shifted.push_back(0.0);
  const int extra = static_cast<int>(params.size());
  const double h = 1e-6;
  for (size_t i = 0; i < circuit.ops().size(); ++i) {
    const Op& op = circuit.ops()[i];
    for (int slot = 0; slot < gate_angle_count(op.kind); ++slot) {
      if (!op.angles[slot].is_parameter()) continue;
      const int p = op.angles[slot].param;
      const Circuit moved = circuit.with_angle(i, slot, Angle::parameter(extra));
      shifted[extra] = params[p] + M_PI / 2;
      const Eigen::MatrixXcd up = denoise(moved, shifted, rho_in, m.ancillas).matrix();
      shifted[extra] = params[p] - M_PI / 2;
      const Eigen::MatrixXcd down = denoise(moved, shifted, rho_in, m.ancillas).matrix();
      const Eigen::MatrixXcd d_out = (up - down) / 2.0;  // exact: the parameter-shift rule
      grad[p] += (loss(m.loss, out.matrix() + h * d_out, target.matrix()) -
                  loss(m.loss, out.matrix() - h * d_out, target.matrix())) /
                 (2 * h);
    }
  }
  return value;
}

}  // namespace qdm::mixed
