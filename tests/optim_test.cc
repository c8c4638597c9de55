#include "framework/optim.h"

#include <gtest/gtest.h>

#include <cmath>

namespace qdm {
namespace {

// Two steps by hand with torch.optim.Adam's rule (L2 weight decay added to the gradient).
TEST(Adam, MatchesTheUpdateRuleByHand) {
  AdamOptions o;
  o.lr = 0.1;
  o.weight_decay = 0.01;
  Adam adam(1, o);
  std::vector<double> p{2.0};
  double m = 0, v = 0, x = 2.0;
  for (int step = 1; step <= 2; ++step) {
    const double grad = 3.0 * step;
    const double g = grad + 0.01 * x;
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    const double mhat = m / (1 - std::pow(0.9, step)), vhat = v / (1 - std::pow(0.999, step));
    x -= 0.1 * mhat / (std::sqrt(vhat) + 1e-8);
    const std::vector<double> gv{grad};
    adam.step(p, gv, 0.1);
    EXPECT_NEAR(p[0], x, 1e-12) << "step " << step;
  }
  EXPECT_EQ(adam.steps(), 2);
}

TEST(Adam, MinimisesAQuadratic) {
  Adam adam(2, {});
  std::vector<double> p{3.0, -4.0};
  for (int k = 0; k < 3000; ++k) {
    const std::vector<double> g{2 * (p[0] - 1), 2 * (p[1] + 2)};
    adam.step(p, g, 0.01);
  }
  EXPECT_NEAR(p[0], 1.0, 1e-3);
  EXPECT_NEAR(p[1], -2.0, 1e-3);
}

TEST(StepLr, DecaysEveryStepSizeEpochs) {
  EXPECT_DOUBLE_EQ(step_lr(0.1, 0, 10, 0.5), 0.1);
  EXPECT_DOUBLE_EQ(step_lr(0.1, 9, 10, 0.5), 0.1);
  EXPECT_DOUBLE_EQ(step_lr(0.1, 10, 10, 0.5), 0.05);
  EXPECT_DOUBLE_EQ(step_lr(0.1, 25, 10, 0.5), 0.025);
}

}  // namespace
}  // namespace qdm
