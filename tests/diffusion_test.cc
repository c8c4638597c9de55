#include "framework/diffusion.h"

#include <gtest/gtest.h>

#include <cmath>

namespace qdm {
namespace {

TEST(Schedule, LinearMatchesTheReferenceLinspace) {
  // np.insert(np.linspace(1e-4, 0.02, 11), 0, 0)[0..10]
  const Schedule s = linear_schedule(10, 1e-4, 0.02);
  ASSERT_EQ(s.steps(), 10);
  EXPECT_EQ(s.betas[0], 0.0);
  EXPECT_EQ(s.alpha_bars[0], 1.0);
  for (int t = 1; t <= 10; ++t) EXPECT_NEAR(s.betas[t], 1e-4 + (0.02 - 1e-4) * (t - 1) / 10, 1e-15);
  double prod = 1;
  for (int t = 1; t <= 10; ++t) prod *= 1 - s.betas[t];
  EXPECT_NEAR(s.alpha_bars[10], prod, 1e-15);
}

TEST(Schedule, Linear2023IsTheWholeLinspace) {
  // The 2023 code: betas = np.linspace(4e-3, 0.4, 9), alpha_bar = cumprod(1 - betas), index 0 too.
  const Schedule s = linear_schedule_2023(8, 4e-3, 0.4);
  ASSERT_EQ(s.steps(), 8);
  for (int t = 0; t <= 8; ++t) EXPECT_NEAR(s.betas[t], 4e-3 + (0.4 - 4e-3) * t / 8, 1e-15);
  EXPECT_NEAR(s.alpha_bars[0], 1 - 4e-3, 1e-15);
  EXPECT_NEAR(s.alpha_bars[2], (1 - s.betas[0]) * (1 - s.betas[1]) * (1 - s.betas[2]), 1e-15);
}

// With beta_0 > 0 the step-1 target is x0 noised by alpha_bar_0, as the 2023 code's
// assemble_input(x0, 0); with beta_0 = 0 it is x0 itself.
TEST(TrainingPair, PreviousSampleOfStepOneCarriesStepZeroNoise) {
  const std::vector<double> x0{0.6, 0.8};
  const auto noise = [](int which, size_t i) {
    return std::complex<double>(which + 1.0, static_cast<double>(i));
  };
  const Schedule s = linear_schedule_2023(4, 0.1, 0.4);
  const auto p =
      make_training_pair(x0, 2, s, 1, NoiseCoefficients::Reference, Target::PreviousSample, noise);
  const double a = std::sqrt(s.alpha_bars[0]), b = 1 - s.alpha_bars[0];
  std::vector<std::complex<double>> want{a * 0.6 + b * noise(0, 0), a * 0.8 + b * noise(0, 1)};
  normalise(want);
  for (int i = 0; i < 2; ++i) EXPECT_NEAR(std::abs(p.target[i] - want[i]), 0.0, 1e-15);
  const auto clean =
      make_training_pair(x0, 2, linear_schedule(4, 0.1, 0.4), 1, NoiseCoefficients::Reference,
                         Target::PreviousSample, noise);
  EXPECT_EQ(clean.target[0], std::complex<double>(0.6, 0.0));
  EXPECT_EQ(clean.target[1], std::complex<double>(0.8, 0.0));
}

TEST(Schedule, CosineFollowsItsFormula) {
  const Schedule s = cosine_schedule(8, 1.0);
  const auto f = [](double t) {
    const double c = std::cos(M_PI * (t / 8 + 1e-4) / (2 * (1 + 1e-4)));
    return c * c;
  };
  EXPECT_EQ(s.betas[0], 0.0);  // 1 - f(0)/f(-1) < 0, clipped
  for (int t = 1; t <= 8; ++t) EXPECT_NEAR(s.betas[t], std::min(0.999, 1 - f(t) / f(t - 1)), 1e-15);
  EXPECT_NEAR(s.alpha_bars[4], f(4) / f(0) * (1 - s.betas[0]), 1e-12);
}

// Without noise the DDPM posterior mean of x_t = sqrt(ab_t) x0 is sqrt(ab_{t-1}) x0.
TEST(PosteriorMean, IsExactWithoutNoise) {
  const Schedule s = linear_schedule(6, 0.05, 0.3);
  for (int t = 1; t <= 6; ++t) {
    const Mix mu = posterior_mean_mix(s, t);
    const double x0 = 0.7, xt = std::sqrt(s.alpha_bars[t]) * x0;
    EXPECT_NEAR(mu.signal * x0 + mu.noise * xt, std::sqrt(s.alpha_bars[t - 1]) * x0, 1e-14);
  }
}

TEST(Coefficients, BothConventions) {
  const Schedule s = linear_schedule(4, 0.1, 0.4);
  EXPECT_NEAR(closed_form_mix(s, 2, NoiseCoefficients::Ddpm).noise, std::sqrt(1 - s.alpha_bars[2]),
              1e-15);
  EXPECT_NEAR(closed_form_mix(s, 2, NoiseCoefficients::Reference).noise, 1 - s.alpha_bars[2],
              1e-15);
  EXPECT_NEAR(one_step_mix(s, 3, NoiseCoefficients::Ddpm).noise, std::sqrt(s.betas[3]), 1e-15);
  EXPECT_NEAR(one_step_mix(s, 3, NoiseCoefficients::Reference).noise, s.betas[3], 1e-15);
  EXPECT_NEAR(one_step_mix(s, 3, NoiseCoefficients::Reference).signal, std::sqrt(1 - s.betas[3]),
              1e-15);
}

TEST(TrainingPair, TargetsAgreeWithTheirDefinitions) {
  const Schedule s = linear_schedule(5, 0.1, 0.5);
  const std::vector<double> x0{0.6, 0.8};
  const auto constant_noise = [](int which, size_t i) {
    return std::complex<double>(which + 1.0, static_cast<double>(i));
  };
  const int t = 3;
  // x0 target: the normalised (padded) x0; input: sqrt(ab) x0 + sqrt(1 - ab) eps, normalised.
  auto p = make_training_pair(x0, 4, s, t, NoiseCoefficients::Ddpm, Target::X0, constant_noise);
  EXPECT_NEAR(p.target[0].real(), 0.6, 1e-15);
  EXPECT_EQ(p.target[3], std::complex<double>(0.0));
  const Mix m = closed_form_mix(s, t, NoiseCoefficients::Ddpm);
  std::vector<std::complex<double>> want(4);
  for (size_t i = 0; i < 4; ++i)
    want[i] = m.signal * (i < 2 ? x0[i] : 0.0) + m.noise * constant_noise(0, i);
  normalise(want);
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(std::abs(p.input[i] - want[i]), 0, 1e-15);
  // Previous-sample target: x_{t-1} from x0 with draw 0, input one step on with draw 1.
  p = make_training_pair(x0, 4, s, t, NoiseCoefficients::Reference, Target::PreviousSample,
                         constant_noise);
  const Mix prev = closed_form_mix(s, t - 1, NoiseCoefficients::Reference);
  const Mix step = one_step_mix(s, t, NoiseCoefficients::Reference);
  std::vector<std::complex<double>> target(4), input(4);
  for (size_t i = 0; i < 4; ++i) {
    target[i] = prev.signal * (i < 2 ? x0[i] : 0.0) + prev.noise * constant_noise(0, i);
    input[i] = step.signal * target[i] + step.noise * constant_noise(1, i);
  }
  normalise(target);
  normalise(input);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(std::abs(p.target[i] - target[i]), 0, 1e-15);
    EXPECT_NEAR(std::abs(p.input[i] - input[i]), 0, 1e-15);
  }
}

// Counter-based complex normals: re and im each N(0, 1), uncorrelated. 200k draws, 5 sigma.
TEST(CounterNoise, HasStandardMoments) {
  const int n = 200000;
  double sr = 0, si = 0, srr = 0, sii = 0, sri = 0;
  for (int k = 0; k < n; ++k) {
    const auto z = counter_complex_normal(7, 3, k / 100, k % 100);
    sr += z.real(), si += z.imag(), srr += z.real() * z.real(), sii += z.imag() * z.imag();
    sri += z.real() * z.imag();
  }
  const double tol_mean = 5 / std::sqrt(n), tol_var = 5 * std::sqrt(2.0 / n);
  EXPECT_NEAR(sr / n, 0, tol_mean);
  EXPECT_NEAR(si / n, 0, tol_mean);
  EXPECT_NEAR(srr / n, 1, tol_var);
  EXPECT_NEAR(sii / n, 1, tol_var);
  EXPECT_NEAR(sri / n, 0, tol_mean);
  EXPECT_EQ(counter_complex_normal(7, 3, 1, 2), counter_complex_normal(7, 3, 1, 2));
}

}  // namespace
}  // namespace qdm
