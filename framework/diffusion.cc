#include "framework/diffusion.h"

#include <algorithm>
#include <cmath>

#include "framework/error.h"
#include "framework/rng.h"

namespace qdm {
namespace {

Schedule from_betas(std::vector<double> betas) {
  Schedule s;
  s.betas = std::move(betas);
  double prod = 1.0;
  for (double b : s.betas) {
    prod *= 1.0 - b;
    s.alpha_bars.push_back(prod);
  }
  return s;
}

}  // namespace

Schedule linear_schedule(int steps, double beta0, double betaT) {
  require_in_range("diffusion step count", steps, 1, 100000);
  require(beta0 >= 0 && betaT >= 0 && beta0 < 1 && betaT < 1,
          "linear schedule betas must lie in [0, 1), got {} and {}", beta0, betaT);
  std::vector<double> betas{0.0};
  for (int t = 1; t <= steps; ++t) betas.push_back(beta0 + (betaT - beta0) * (t - 1) / steps);
  return from_betas(std::move(betas));
}

Schedule linear_schedule_2023(int steps, double beta0, double betaT) {
  require_in_range("diffusion step count", steps, 1, 100000);
  require(beta0 >= 0 && betaT >= 0 && beta0 < 1 && betaT < 1,
          "linear schedule betas must lie in [0, 1), got {} and {}", beta0, betaT);
  std::vector<double> betas;
  for (int t = 0; t <= steps; ++t) betas.push_back(beta0 + (betaT - beta0) * t / steps);
  return from_betas(std::move(betas));
}

Schedule cosine_schedule(int steps, double exponent) {
  require_in_range("diffusion step count", steps, 1, 100000);
  require(exponent > 0, "cosine schedule exponent must be positive, got {}", exponent);
  constexpr double s = 1e-4;
  const auto f = [&](double t) {
    const double c = std::cos(M_PI * (t / steps + s) / (2 * (1 + s)));
    return c * c;
  };
  std::vector<double> betas;
  for (int t = 0; t <= steps; ++t) {
    const double tau = std::pow(static_cast<double>(t), exponent);
    betas.push_back(std::clamp(1.0 - f(tau) / f(tau - 1), 0.0, 0.999));
  }
  return from_betas(std::move(betas));
}

NoiseCoefficients parse_noise_coefficients(const std::string& name) {
  if (name == "ddpm") return NoiseCoefficients::Ddpm;
  if (name == "reference") return NoiseCoefficients::Reference;
  throw std::invalid_argument("noise coefficients '" + name + "' must be ddpm or reference");
}

Mix closed_form_mix(const Schedule& s, int t, NoiseCoefficients c) {
  require_in_range("diffusion step", t, 0, s.steps());
  const double ab = s.alpha_bars[t];
  return {std::sqrt(ab), c == NoiseCoefficients::Ddpm ? std::sqrt(1 - ab) : 1 - ab};
}

Mix one_step_mix(const Schedule& s, int t, NoiseCoefficients c) {
  require_in_range("diffusion step", t, 1, s.steps());
  const double b = s.betas[t];
  return {std::sqrt(1 - b), c == NoiseCoefficients::Ddpm ? std::sqrt(b) : b};
}

Mix posterior_mean_mix(const Schedule& s, int t) {
  require_in_range("diffusion step", t, 1, s.steps());
  const double ab = s.alpha_bars[t], ab_prev = s.alpha_bars[t - 1], b = s.betas[t];
  require(ab < 1, "the posterior mean needs alpha_bar_{} < 1 (beta_{} = {})", t, t, b);
  return {std::sqrt(ab_prev) * b / (1 - ab), std::sqrt(1 - b) * (1 - ab_prev) / (1 - ab)};
}

Target parse_target(const std::string& name) {
  if (name == "previous-sample") return Target::PreviousSample;
  if (name == "posterior-mean") return Target::PosteriorMean;
  if (name == "x0") return Target::X0;
  throw std::invalid_argument("target '" + name +
                              "' must be previous-sample, posterior-mean or x0");
}

void normalise(std::span<std::complex<double>> v) {
  double sum = 0;
  for (const auto& z : v) sum += std::norm(z);
  if (sum == 0) return;
  const double inv = 1.0 / std::sqrt(sum);
  for (auto& z : v) z *= inv;
}

std::complex<double> counter_complex_normal(uint64_t seed, uint64_t stream, uint64_t a,
                                            uint64_t b) {
  // Box-Muller: one pair of uniforms gives independent real and imaginary parts.
  double u1 = counter_uniform(seed, stream, a, 2 * b);
  if (u1 <= 0.0) u1 = 0x1.0p-53;
  const double u2 = counter_uniform(seed, stream, a, 2 * b + 1);
  const double r = std::sqrt(-2.0 * std::log(u1));
  return {r * std::cos(2 * M_PI * u2), r * std::sin(2 * M_PI * u2)};
}

}  // namespace qdm
