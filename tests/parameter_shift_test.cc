// The parameter-shift rule against the statevector backend's adjoint gradients on pure states
// (tolerance 1e-10), and against central finite differences on noisy density matrices
// (h = 1e-5, tolerance 1e-7), for random circuits using every gate kind; seeds stated.
#include "framework/parameter_shift.h"

#include <gtest/gtest.h>

#include "backends/density_matrix/density_matrix.h"
#include "backends/statevector/statevector_backend.h"
#include "framework/loss.h"
#include "tests/test_util.h"

namespace qdm {
namespace {

TEST(ParameterShift, MatchesAdjointGradientsOnPureStates) {
  Rng rng(31);  // seed
  for (int n : {1, 2, 3}) {
    // A shared parameter: the first rotation is rebound to parameter 1, which another gate uses.
    Circuit c = testing::random_circuit(rng, n, 24);
    for (size_t i = 0; i < c.ops().size() && c.num_params() > 2; ++i) {
      if (gate_angle_count(c.ops()[i].kind) > 0) {
        c = c.with_angle(i, 0, Angle::parameter(1));
        break;
      }
    }
    const std::vector<double> params = testing::random_params(rng, c.num_params());
    const reference::Vector psi = testing::random_state(rng, n),
                            target = testing::random_state(rng, n);

    Pipeline p(n);
    p.add(UnitaryBlock{c, 0});
    StatevectorBackend sv;
    const auto fwd = sv.forward(p, params, testing::to_batch({psi}, n), {}, true);
    const LossResult loss = infidelity(fwd.output, testing::to_batch({target}, n));
    const std::vector<double> adjoint = sv.backward(p, params, *fwd.tape, loss.cotangent).params;

    const auto shift =
        parameter_shift_gradient(c, params, [&](const Circuit& moved, std::span<const double> q) {
          const reference::Vector out = reference::run_circuit(moved, q, psi);
          return 1 - std::norm(target.dot(out));
        });
    ASSERT_EQ(shift.size(), adjoint.size());
    for (size_t k = 0; k < shift.size(); ++k) {
      EXPECT_NEAR(shift[k], adjoint[k], 1e-10) << n << " qubits, parameter " << k;
    }
  }
}

TEST(ParameterShift, MatchesFiniteDifferencesOnNoisyDensityMatrices) {
  Rng rng(37);  // seed
  const int n = 3;
  const Circuit c = testing::random_circuit(rng, n, 30);
  const std::vector<double> params = testing::random_params(rng, c.num_params());
  const reference::Vector target = testing::random_state(rng, n);
  dm::NoiseModel noise;
  noise.depolarizing = 0.02;
  noise.depolarizing_2q = 0.05;
  noise.amplitude_damping = 0.01;
  noise.phase_damping = 0.02;
  const auto loss = [&](const Circuit& circuit, std::span<const double> q) {
    const dm::DensityMatrix rho = dm::simulate(circuit, q, noise, dm::DensityMatrix(n));
    return 1 - (target.adjoint() * rho.matrix() * target)(0, 0).real();
  };
  const std::vector<double> shift = parameter_shift_gradient(c, params, loss);
  const double h = 1e-5;
  double largest = 0;
  for (size_t k = 0; k < params.size(); ++k) {
    auto plus = params, minus = params;
    plus[k] += h;
    minus[k] -= h;
    const double fd = (loss(c, plus) - loss(c, minus)) / (2 * h);
    EXPECT_NEAR(shift[k], fd, 1e-7) << "parameter " << k;
    largest = std::max(largest, std::abs(fd));
  }
  EXPECT_GT(largest, 1e-3);  // the check is not vacuous
}

}  // namespace
}  // namespace qdm
