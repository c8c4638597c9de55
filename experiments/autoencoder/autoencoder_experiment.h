#pragma once
/// The classical autoencoder of the latent QDMs (REFERENCE.md, preset `conditioned-latent`):
/// trained and logged like any run (`qdm train --experiment autoencoder`), then loaded by path by
/// the latent experiments to encode their data and decode their samples.

#include <filesystem>
#include <memory>

#include "experiments/experiment.h"
#include "framework/nn/network.h"

namespace qdm {

class AutoencoderExperiment : public Experiment {
 public:
  ConfigSchema schema() const override;
  std::unique_ptr<Training> prepare_training(const Config& config) const override;
  /// Reconstructions of held-out images: pairs (original, reconstruction), labelled.
  SampleSet sample(const Config& config, const RunFile& run,
                   const SampleRequest& request) const override;

  static nn::AutoencoderSpec spec(const Config& config);
};

/// A trained autoencoder read back from its run file.
struct TrainedAutoencoder {
  std::filesystem::path path;
  std::shared_ptr<const nn::Autoencoder> model;
  std::vector<double> params, buffers;
  std::vector<double> encode(std::span<const double> images, int n) const;
  std::vector<double> decode(std::span<const double> latents, int n) const;
};
/// Opens a finished autoencoder run; DataError naming the file when it is not one, or has not
/// finished training.
TrainedAutoencoder load_autoencoder(const std::filesystem::path& path);

/// data.latent_size and the autoencoder.* keys of the experiments that work on latents.
void add_autoencoder_keys(ConfigSchema& schema);
/// The autoencoder those keys name, trained first when it is missing and `may_train` and the
/// config allow it; its latent size must be data.latent_size (a power of two).
TrainedAutoencoder autoencoder_for(const Config& config, bool may_train);

/// Trains an autoencoder with the config in `config_file` (empty: the defaults) into a new run
/// file `out`, as `qdm train --experiment autoencoder --out OUT` would.
void train_autoencoder_file(const std::filesystem::path& config_file,
                            const std::filesystem::path& out);

}  // namespace qdm
