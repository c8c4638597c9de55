#pragma once
/// Noise at statevector scale: the density-matrix backend's channels (noise.*) unravelled into
/// stochastic pure-state trajectories on the batched statevector kernels. Every shot, and every
/// sample of a model, is one trajectory: after each gate each state takes one Kraus branch drawn
/// from its probability; measured bits flip with the readout error. Memory is a state vector per
/// trajectory, so it runs every circuit the statevector backend runs (28 qubits), mid-circuit
/// measurements and resets included. Draws are counter-based: the same seed gives the same
/// trajectories whatever the thread count.
///
/// Post-selection with renormalisation (the models' ancilla and label stages) conditions the
/// mixture, which one trajectory cannot do alone: each sample carries `trajectories` particles,
/// resampled by their kept weight at every renormalisation (sequential importance resampling),
/// and returns one of them. Its per-pixel statistics approach the density matrix's as the
/// particle count grows (docs/performance.md measures how fast); shots need no particles, since a
/// rejected shot is simply dropped. backend.precision = single holds the trajectories as
/// complex64 (draws, branch probabilities and readout stay in double).

#include "backends/backend.h"
#include "backends/statevector/compiled_block.h"
#include "backends/trajectories/unravel.h"

namespace qdm {

class TrajectoriesBackend final : public Backend {
 public:
  explicit TrajectoriesBackend(const BackendOptions& options = {});

 protected:
  ForwardResult forward_impl(const Pipeline& pipeline, std::span<const double> params,
                             const StateBatch& input, const EvolveContext& context,
                             bool keep_tape) const override;
  GradientResult backward_impl(const Pipeline& pipeline, std::span<const double> params,
                               const Tape& tape, const StateBatch& output_cotangent) const override;
  std::vector<uint64_t> sample_impl(const Circuit& circuit, std::span<const double> params,
                                    int shots, uint64_t seed) const override;
  std::vector<uint64_t> sample_program_impl(
      const Program& program, int shots, uint64_t seed,
      std::span<const std::pair<int, int>> stop_unless) const override;
  /// Every shot one trajectory: the program's channels drawn after each instruction, measured
  /// bits misread with their qubit's readout error.
  std::vector<uint64_t> sample_noisy_impl(
      const noise::NoisyProgram& program, int shots, uint64_t seed,
      std::span<const std::pair<int, int>> stop_unless) const override;

 private:
  /// The channels that follow a gate on 1 or 2 qubits, and whether each acts on the gate's
  /// qubits together (two-qubit depolarising) or on each qubit alone.
  struct GateNoise {
    std::vector<traj::Unravelling> channels;
    std::vector<bool> on_pair;
  };

  dm::NoiseModel noise_;
  int threads_;
  int particles_;
  BackendOptions::Precision precision_;
  GateNoise after_1q_, after_2q_;

  /// forward_impl and sample_noisy_impl with states held as complex<Real> (backend.precision).
  template <typename Real>
  StateBatch forward_in(const Pipeline& pipeline, std::span<const double> params,
                        const StateBatch& input, const EvolveContext& context) const;
  template <typename Real>
  std::vector<uint64_t> sample_noisy_in(const noise::NoisyProgram& program, int shots,
                                        uint64_t seed,
                                        std::span<const std::pair<int, int>> stop_unless) const;
  /// Gate `g` on every state of `x` (BatchOuter), then its noise on state b drawn with key
  /// (seed, stream, key, ids[b]).
  template <typename Real>
  void noisy_gate(const sv::CompiledGate& g, BasicStateBatch<Real>& x,
                  std::span<const uint64_t> ids, uint64_t seed, uint64_t stream,
                  uint64_t key) const;
};

}  // namespace qdm
