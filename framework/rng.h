#pragma once
/// Random numbers. Rng is the run's sequential generator (its state is checkpointed); counter_*
/// are stateless draws keyed by (seed, stream, a, b), used where the order of draws across
/// threads must not change the result.

#include <cmath>
#include <cstdint>
#include <random>

namespace qdm {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// Uniform in [0, 1) from a hash of the four keys.
inline double counter_uniform(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b) {
  uint64_t h = splitmix64(seed);
  h = splitmix64(h ^ stream);
  h = splitmix64(h ^ a);
  h = splitmix64(h ^ b);
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

/// A seeded mt19937_64 with its own normal sampler (Box-Muller), so draws are the same with
/// every standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : engine_(seed) {}

  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = 0.0;
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2.0 * M_PI * u2);
    has_spare_ = true;
    return r * std::cos(2.0 * M_PI * u2);
  }
  /// Uniform integer in [0, n).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>(uniform() * static_cast<double>(n)); }
  uint64_t next() { return engine_(); }

  std::mt19937_64& engine() { return engine_; }
  const std::mt19937_64& engine() const { return engine_; }
  bool has_spare() const { return has_spare_; }
  double spare() const { return spare_; }
  void restore(const std::mt19937_64& engine, bool has_spare, double spare) {
    engine_ = engine;
    has_spare_ = has_spare;
    spare_ = spare;
  }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace qdm
