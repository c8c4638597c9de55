#pragma once
/// The classical forward process of REFERENCE.md: noise schedules, the two noise-coefficient
/// conventions, complex Gaussian noise and the training pairs (input, target) of the reverse
/// process.

#include <complex>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace qdm {

/// betas[t] and alpha_bars[t] = prod_{s <= t} (1 - betas[s]) for t = 0..T. betas[0] is 0 except
/// in the 2023 code's schedule, where the clean end of the chain already carries a little noise.
struct Schedule {
  std::vector<double> betas;
  std::vector<double> alpha_bars;
  int steps() const { return static_cast<int>(betas.size()) - 1; }
};

/// The 2025 reference code: beta_t = linspace(beta0, betaT, T + 1)[t - 1] for t = 1..T.
Schedule linear_schedule(int steps, double beta0, double betaT);
/// The 2023 reference code: beta_t = linspace(beta0, betaT, T + 1)[t] for t = 0..T, so
/// beta_0 = beta0 > 0 and the "clean" targets of step 1 are x0 noised with alpha_bar_0.
Schedule linear_schedule_2023(int steps, double beta0, double betaT);
/// Nichol & Dhariwal's cosine schedule as the 2025 code computes it: f(t) = cos^2(pi/2 (t/T + s) /
/// (1 + s)), beta_t = clip(1 - f(tau)/f(tau - 1), 0, 0.999) with tau = t^exponent, s = 1e-4.
Schedule cosine_schedule(int steps, double exponent);

/// How noise enters: Ddpm x_t = sqrt(ab) x0 + sqrt(1 - ab) eps; Reference (the 2023 code)
/// x_t = sqrt(ab) x0 + (1 - ab) eps, and likewise for one step with beta.
enum class NoiseCoefficients { Ddpm, Reference };
NoiseCoefficients parse_noise_coefficients(const std::string& name);

struct Mix {
  double signal, noise;
};
/// x_t from x_0 in closed form.
Mix closed_form_mix(const Schedule& s, int t, NoiseCoefficients c);
/// x_t from x_{t-1}.
Mix one_step_mix(const Schedule& s, int t, NoiseCoefficients c);
/// DDPM posterior mean mu_t(x0, x_t) = a x0 + b x_t (Ho et al. eq. 7); t >= 1.
Mix posterior_mean_mix(const Schedule& s, int t);

/// What the denoiser at step t is trained to output.
enum class Target { PreviousSample, PosteriorMean, X0 };
Target parse_target(const std::string& name);

/// One training pair for step t (1..T) of a clean real vector x0. `noise` supplies complex
/// standard normals (re and im each N(0, 1)). Input and target are returned L2-normalised and
/// zero-padded to `dim` amplitudes.
struct TrainingPair {
  std::vector<std::complex<double>> input, target;
};
template <typename NoiseFn>
TrainingPair make_training_pair(std::span<const double> x0, size_t dim, const Schedule& s, int t,
                                NoiseCoefficients c, Target target, NoiseFn&& noise);

/// Divides by the L2 norm (no-op on the zero vector, which noise makes impossible in practice).
void normalise(std::span<std::complex<double>> v);

/// A complex standard normal (re, im independent N(0, 1)) from the counter-based generator:
/// the same (seed, stream, a, b) always gives the same value, whatever thread draws it.
std::complex<double> counter_complex_normal(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b);

// ---- implementation of the template ----

template <typename NoiseFn>
TrainingPair make_training_pair(std::span<const double> x0, size_t dim, const Schedule& s, int t,
                                NoiseCoefficients c, Target target, NoiseFn&& noise) {
  using C = std::complex<double>;
  TrainingPair p;
  p.input.assign(dim, C{});
  p.target.assign(dim, C{});
  if (target == Target::PreviousSample) {
    // x_{t-1} in closed form (x0 itself at t = 1 unless beta_0 > 0), then one step to x_t.
    const Mix to_prev = closed_form_mix(s, t - 1, c);
    const Mix step = one_step_mix(s, t, c);
    for (size_t i = 0; i < dim; ++i) {
      const double x = i < x0.size() ? x0[i] : 0.0;
      p.target[i] =
          to_prev.noise == 0 ? C{x, 0.0} : to_prev.signal * x + to_prev.noise * noise(0, i);
    }
    for (size_t i = 0; i < dim; ++i)
      p.input[i] = step.signal * p.target[i] + step.noise * noise(1, i);
  } else {
    const Mix to_t = closed_form_mix(s, t, c);
    const Mix mu = posterior_mean_mix(s, t);
    for (size_t i = 0; i < dim; ++i) {
      const double x = i < x0.size() ? x0[i] : 0.0;
      p.input[i] = to_t.signal * x + to_t.noise * noise(0, i);
      p.target[i] = target == Target::X0 ? C{x, 0.0} : mu.signal * x + mu.noise * p.input[i];
    }
  }
  normalise(p.input);
  normalise(p.target);
  return p;
}

}  // namespace qdm
