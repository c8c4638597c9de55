#pragma once
/// A cloud QPU as a Backend: shots only. sample() runs one circuit as one job (with an in-memory
/// journal); the diffusion sampler sends whole batches of chain circuits through run_job with the
/// run file's journal instead (experiments/qpu_sampling.h).

#include <memory>

#include "backends/backend.h"
#include "backends/rest/qpu_provider.h"

namespace qdm::rest {

class RemoteBackend : public Backend {
 public:
  RemoteBackend(const std::string& name, const QpuSettings& settings);
  const QpuSettings& settings() const { return settings_; }
  /// A client for this backend's provider; progress lines go to stderr.
  std::unique_ptr<QpuProvider> provider() const;

 protected:
  ForwardResult forward_impl(const Pipeline&, std::span<const double>, const StateBatch&,
                             const EvolveContext&, bool) const override;
  GradientResult backward_impl(const Pipeline&, std::span<const double>, const Tape&,
                               const StateBatch&) const override;
  std::vector<uint64_t> sample_impl(const Circuit& circuit, std::span<const double> params,
                                    int shots, uint64_t seed) const override;
  std::vector<uint64_t> sample_program_impl(
      const Program& program, int shots, uint64_t seed,
      std::span<const std::pair<int, int>> stop_unless) const override;

 private:
  QpuSettings settings_;
};

}  // namespace qdm::rest
