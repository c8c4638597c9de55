#include <fmt/format.h>
#include <fmt/ranges.h>

#include "experiments/autoencoder/autoencoder_experiment.h"
#include "experiments/classical/ddpm_experiment.h"
#include "experiments/experiment.h"
#include "experiments/latent/latent_experiment.h"
#include "experiments/mixed/mixed_experiment.h"
#include "experiments/pixel/pixel_experiment.h"

namespace qdm {

const std::vector<ExperimentEntry>& experiment_registry() {
  static const std::vector<ExperimentEntry> entries = {
      {"pixel", "full-quantum QDM on 8x8 or 16x16 images (the 2025 reference code)",
       [] { return std::unique_ptr<Experiment>(std::make_unique<PixelExperiment>()); }},
      {"latent", "unconditioned QDM on autoencoder latents: 510 parameters (the 2023 code)",
       [] { return std::unique_ptr<Experiment>(std::make_unique<LatentExperiment>(false)); }},
      {"conditioned-latent",
       "all ten digits from one 1110-parameter circuit on autoencoder latents (the 2023 code)",
       [] { return std::unique_ptr<Experiment>(std::make_unique<LatentExperiment>(true)); }},
      {"autoencoder", "the classical autoencoder the latent QDMs encode and decode with",
       [] { return std::unique_ptr<Experiment>(std::make_unique<AutoencoderExperiment>()); }},
      {"classical-ddpm",
       "classical baseline: an MLP DDPM on the same pixels or latents, conditioned or not",
       [] { return std::unique_ptr<Experiment>(std::make_unique<ClassicalDdpmExperiment>()); }},
      {"mixed",
       "density-matrix QDM: depolarising forward process, PQC + traced-out ancilla per step "
       "(the seed's sections 1.3.5-1.3.8)",
       [] { return std::unique_ptr<Experiment>(std::make_unique<MixedExperiment>()); }},
  };
  return entries;
}

std::string experiment_names() {
  std::vector<std::string> names;
  for (const auto& e : experiment_registry()) names.push_back(e.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

std::unique_ptr<Experiment> make_experiment(const std::string& name) {
  for (const auto& e : experiment_registry()) {
    if (e.name == name) return e.create();
  }
  throw std::invalid_argument(
      fmt::format("unknown experiment '{}'; known experiments: {}", name, experiment_names()));
}

}  // namespace qdm
