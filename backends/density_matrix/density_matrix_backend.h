#pragma once
/// The `density-matrix` backend: pipelines and circuits on dense density matrices with the noise
/// model of its options after every gate. It returns density matrices (forward_mixed), not state
/// vectors, and its gradients are the parameter-shift rule's (framework/parameter_shift.h).

#include "backends/backend.h"

namespace qdm {

class DensityMatrixBackend final : public Backend {
 public:
  explicit DensityMatrixBackend(const BackendOptions& options = {});
  const dm::NoiseModel& noise() const { return noise_; }

 protected:
  ForwardResult forward_impl(const Pipeline& pipeline, std::span<const double> params,
                             const StateBatch& input, const EvolveContext& context,
                             bool keep_tape) const override;
  GradientResult backward_impl(const Pipeline& pipeline, std::span<const double> params,
                               const Tape& tape, const StateBatch& output_cotangent) const override;
  std::vector<uint64_t> sample_impl(const Circuit& circuit, std::span<const double> params,
                                    int shots, uint64_t seed) const override;
  /// Exact: the program's distribution (noisy_program_distribution), then `shots` draws.
  std::vector<uint64_t> sample_noisy_impl(
      const noise::NoisyProgram& program, int shots, uint64_t seed,
      std::span<const std::pair<int, int>> stop_unless) const override;
  std::vector<dm::DensityMatrix> forward_mixed_impl(const Pipeline& pipeline,
                                                    std::span<const double> params,
                                                    const std::vector<dm::DensityMatrix>& inputs,
                                                    const EvolveContext& context) const override;

 private:
  dm::NoiseModel noise_;
  int threads_;
};

}  // namespace qdm
