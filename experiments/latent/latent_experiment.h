#pragma once
/// The latent QDMs of REFERENCE.md (presets `latent` and `conditioned-latent`, from the 2023
/// reference code): MNIST images encoded by a trained autoencoder into unit-norm latents on
/// log2(latent) qubits, denoised by the reverse-bottleneck pipeline (with a 4-qubit label register
/// when conditioned: all ten digits from one 1110-parameter circuit), samples decoded back to
/// images.

#include "experiments/experiment.h"
#include "framework/denoisers.h"

namespace qdm {

class LatentExperiment : public Experiment {
 public:
  explicit LatentExperiment(bool conditioned) : conditioned_(conditioned) {}
  ConfigSchema schema() const override;
  std::unique_ptr<Training> prepare_training(const Config& config) const override;
  SampleSet sample(const Config& config, const RunFile& run,
                   const SampleRequest& request) const override;
  bool conditioned(const Config&) const override { return conditioned_; }

  /// The denoiser this config describes (1110 parameters for conditioned-latent, 510 for latent).
  Pipeline denoiser(const Config& config) const;

 private:
  bool conditioned_;
};

}  // namespace qdm
