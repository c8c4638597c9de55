// The mixed (density-matrix) QDM: its forward process against the closed form, the reverse step's
// ancilla handling against an explicit partial trace, and its training gradient (parameter shift
// on the state, the loss differentiated along it) against central finite differences of the
// whole step loss for each of the three losses (h = 1e-5, tolerance 1e-6); seeds stated.
#include <gtest/gtest.h>

#include "backends/density_matrix/state_metrics.h"
#include "experiments/mixed/mixed_model.h"
#include "tests/test_util.h"

namespace qdm::mixed {
namespace {

Model small_model(Loss loss) {
  Model m;
  m.data_qubits = 2;
  m.ancillas = 1;
  m.layers = 1;
  m.p = {0.1, 0.2, 0.3};
  m.loss = loss;
  return m;
}

TEST(MixedQdm, ForwardProcessIsTheDepolarisingClosedForm) {
  Rng rng(3);  // seed
  const Model m = small_model(Loss::Infidelity);
  const Eigen::VectorXcd x = testing::random_state(rng, 2);
  EXPECT_NEAR(m.alpha(0), 1.0, 0);
  EXPECT_NEAR(m.alpha(3), 0.9 * 0.8 * 0.7, 1e-15);
  dm::DensityMatrix step = dm::DensityMatrix::pure(x);
  for (int t = 1; t <= 3; ++t) {
    step.depolarize_all(m.p[t - 1]);
    EXPECT_LT((noised(x, m.alpha(t)).matrix() - step.matrix()).cwiseAbs().maxCoeff(), 1e-15);
  }
}

TEST(MixedQdm, GradientsMatchFiniteDifferencesForEveryLoss) {
  for (Loss kind : {Loss::Infidelity, Loss::TraceDistance, Loss::HilbertSchmidt}) {
    Rng rng(23);  // seed
    const Model m = small_model(kind);
    const Circuit c = m.circuit();
    const std::vector<double> params = testing::random_params(rng, m.params_per_step());
    const Eigen::VectorXcd x = testing::random_state(rng, 2);
    const dm::DensityMatrix in = noised(x, m.alpha(2)), target = noised(x, m.alpha(1));
    std::vector<double> grad(params.size(), 0.0);
    const double value = step_loss_and_gradient(m, c, params, in, target, grad);
    EXPECT_NEAR(value, loss(kind, denoise(c, params, in, m.ancillas).matrix(), target.matrix()),
                1e-14);
    const double h = 1e-5;
    double largest = 0;
    for (size_t k = 0; k < params.size(); ++k) {
      auto up = params, down = params;
      up[k] += h;
      down[k] -= h;
      const double fd = (loss(kind, denoise(c, up, in, m.ancillas).matrix(), target.matrix()) -
                         loss(kind, denoise(c, down, in, m.ancillas).matrix(), target.matrix())) /
                        (2 * h);
      EXPECT_NEAR(grad[k], fd, 1e-6) << "loss " << static_cast<int>(kind) << " parameter " << k;
      largest = std::max(largest, std::abs(fd));
    }
    EXPECT_GT(largest, 1e-3);
  }
}

TEST(MixedQdm, AncillasAreTracedOutAfterEachStep) {
  Rng rng(5);  // seed
  const Model m = small_model(Loss::HilbertSchmidt);
  const Circuit c = m.circuit();
  const std::vector<double> params = testing::random_params(rng, m.params_per_step());
  const dm::DensityMatrix in = noised(testing::random_state(rng, 2), 0.6);
  const dm::DensityMatrix out = denoise(c, params, in, 1);
  EXPECT_EQ(out.num_qubits(), 2);
  EXPECT_NEAR(out.trace(), 1.0, 1e-13);
  // By hand: |0><0| (x) rho on 3 qubits, the circuit, then sum over the ancilla's two values.
  Eigen::MatrixXcd wide = Eigen::MatrixXcd::Zero(8, 8);
  wide.topLeftCorner(4, 4) = in.matrix();
  const Eigen::MatrixXcd full =
      dm::simulate(c, params, {}, dm::DensityMatrix::from_matrix(wide)).matrix();
  const Eigen::MatrixXcd traced = full.topLeftCorner(4, 4) + full.bottomRightCorner(4, 4);
  EXPECT_LT((out.matrix() - traced).cwiseAbs().maxCoeff(), 1e-14);
  // Mixing entangles with the traced-out ancilla: purity can fall below the input's.
  EXPECT_LE(dm::purity(out.matrix()), 1.0 + 1e-12);
}

}  // namespace
}  // namespace qdm::mixed
