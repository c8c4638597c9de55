#pragma once
/// Dense statevector simulator: batched, multi-threaded over the batch, adjoint gradients.

#include "backends/backend.h"

namespace qdm {

class StatevectorBackend final : public Backend {
 public:
  explicit StatevectorBackend(const BackendOptions& options = {});

  int threads() const { return threads_; }
  BackendOptions::Precision precision() const { return precision_; }

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

 private:
  int threads_;
  BatchLayout layout_;
  size_t cache_bytes_;
  BackendOptions::Fusion fusion_;
  BackendOptions::Precision precision_;

  /// Which unitary blocks run fused for a batch of `batch` states.
  std::vector<bool> fusion_plan(const Pipeline& pipeline, int batch) const;
  /// forward_impl and backward_impl in arithmetic Real.
  template <typename Real>
  ForwardResult forward_in(const Pipeline& pipeline, std::span<const double> params,
                           const StateBatch& input, const EvolveContext& context,
                           bool keep_tape) const;
  template <typename Real>
  GradientResult backward_in(const Pipeline& pipeline, std::span<const double> params,
                             const Tape& tape, const StateBatch& output_cotangent) const;
};

}  // namespace qdm
