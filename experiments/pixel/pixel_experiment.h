#pragma once
/// The pixel QDM of REFERENCE.md (preset `pixel`, from the 2025 reference code): MNIST or
/// Fashion-MNIST images, class-filtered, resized to 8x8 or 16x16 and amplitude-encoded on 6 or 8
/// qubits, denoised by the R3-chain pipeline with one parameter set per diffusion step.

#include "experiments/experiment.h"
#include "framework/denoisers.h"

namespace qdm {

class PixelExperiment : public Experiment {
 public:
  ConfigSchema schema() const override;
  std::unique_ptr<Training> prepare_training(const Config& config) const override;
  SampleSet sample(const Config& config, const RunFile& run,
                   const SampleRequest& request) const override;

  /// The denoiser this config describes (150 parameters per step with the defaults).
  static Pipeline denoiser(const Config& config);
};

}  // namespace qdm
