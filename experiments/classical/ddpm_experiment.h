#pragma once
/// `classical-ddpm`: the classical baseline the QDMs are compared with. An MLP noise predictor
/// eps(x_t, t[, label]) with a sinusoidal time embedding, trained with the DDPM objective
/// (Ho et al. 2020) and sampled by ancestral sampling, on the same data as a QDM: the pixel
/// experiment's resized images or the latent experiments' autoencoder latents, conditioned on the
/// label or not. Samples go through the same abs(normalize()) read-out as a QDM's amplitudes.

#include "experiments/experiment.h"
#include "framework/nn/network.h"

namespace qdm {

class ClassicalDdpmExperiment : public Experiment {
 public:
  ConfigSchema schema() const override;
  std::unique_ptr<Training> prepare_training(const Config& config) const override;
  SampleSet sample(const Config& config, const RunFile& run,
                   const SampleRequest& request) const override;
  bool conditioned(const Config& config) const override;

  /// The noise predictor of a config whose data vectors have `dim` values.
  static nn::Network network(const Config& config, int dim);
};

/// The sinusoidal embedding of step t: sin(t w_i), cos(t w_i) with w_i = 10000^(-i / (E/2)).
std::vector<double> time_embedding(int t, int size);

}  // namespace qdm
