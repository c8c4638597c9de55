#include "experiments/latent/latent_experiment.h"

#include <fmt/format.h>

#include <bit>
#include <filesystem>

#include "experiments/autoencoder/autoencoder_experiment.h"
#include "experiments/image_data.h"
#include "experiments/qdm_training.h"
#include "experiments/train_session.h"
#include "framework/error.h"

namespace qdm {
namespace {

int latent_size(const Config& c) {
  return c.get_power_of_two("data.latent_size", "the latent's amplitudes fill whole qubits");
}

}  // namespace

ConfigSchema LatentExperiment::schema() const {
  ConfigSchema s;
  add_image_data_keys(s, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10'000'000,
                      "encode at most this many images (file order) before drawing the subset");
  s.integer("data.length", 2048, 1, 10'000'000,
            "random subset of encoded images trained on (the reference's DATA_LENGTH)");
  add_autoencoder_keys(s);
  s.integer("model.s1_layers", 15, 0, 500, "StronglyEntanglingLayers before the ancilla (S1)");
  s.integer("model.l_layers", 20, 0, 500, "StronglyEntanglingLayers with the ancilla (L)");
  s.integer("model.s2_layers", 15, 0, 500, "StronglyEntanglingLayers after the measurement (S2)");
  QdmDefaults d;
  d.steps = 8;
  d.schedule = "linear-2023";
  d.beta0 = 4e-3;
  d.betaT = 0.4;
  d.noise_coefficients = "reference";
  d.target = "previous-sample";
  d.params = "sequential";
  d.init = "uniform";
  d.epochs = 100;
  d.batch_size = 64;
  d.lr = 5e-4;
  d.weight_decay = 0;
  d.lr_step = 20;
  d.lr_gamma = 0.7;
  add_qdm_keys(s, d);
  return s;
}

Pipeline LatentExperiment::denoiser(const Config& c) const {
  BottleneckShape shape;
  shape.data_qubits = std::countr_zero(static_cast<unsigned>(latent_size(c)));
  shape.label_qubits = conditioned_ ? 4 : 0;
  shape.s1_layers = static_cast<int>(c.get_int("model.s1_layers"));
  shape.l_layers = static_cast<int>(c.get_int("model.l_layers"));
  shape.s2_layers = static_cast<int>(c.get_int("model.s2_layers"));
  return bottleneck_denoiser(shape);
}

std::unique_ptr<Training> LatentExperiment::prepare_training(const Config& c) const {
  Pipeline pipeline = denoiser(c);
  QdmSettings settings = read_qdm_settings(c);
  ImagePreprocess how;
  how.size = 0;
  how.l2_normalise = false;
  const PreprocessedImages images = load_images(c, how);
  if (conditioned_) {
    for (int label : images.labels) {
      require(label < kLabelCount, "label {} is outside 0..{}", label, kLabelCount - 1);
    }
  }
  const TrainedAutoencoder ae = autoencoder_for(c, true);
  const std::vector<double> latents = ae.encode(images.vectors, static_cast<int>(images.count()));

  // The reference's random subset: a seeded permutation, its first data.length entries.
  const size_t length = std::min<size_t>(c.get_int("data.length"), images.count());
  Rng rng(splitmix64(settings.seed ^ 0x1a7e47));
  const std::vector<uint32_t> order = shuffled(images.count(), rng);
  DiffusionData data;
  data.length = static_cast<size_t>(ae.model->spec().latent);
  for (size_t k = 0; k < length; ++k) {
    const double* z = latents.data() + order[k] * data.length;
    data.x0.insert(data.x0.end(), z, z + data.length);
    if (conditioned_) data.labels.push_back(images.labels[order[k]]);
  }
  fmt::print(stderr,
             "{}: {} latents of {} values (from {} images, autoencoder {}) on {} qubits, {} "
             "parameters x {} snapshots\n",
             conditioned_ ? "conditioned-latent" : "latent", length, data.length, images.count(),
             ae.path.string(), pipeline.input_qubits() + (conditioned_ ? 4 : 0),
             pipeline.num_params(), settings.snapshots());
  return std::make_unique<QdmTraining>(std::move(pipeline), std::move(settings), std::move(data),
                                       c.to_ini());
}

SampleSet LatentExperiment::sample(const Config& c, const RunFile& run,
                                   const SampleRequest& request) const {
  const Pipeline pipeline = denoiser(c);
  const QdmSettings settings = read_qdm_settings(c);
  const TrainedAutoencoder ae = autoencoder_for(c, false);
  const Generated g = sample_qdm(pipeline, settings, params_to_sample(run, request), request);
  const int n = static_cast<int>(g.labels.size()), z = static_cast<int>(g.dim);
  SampleSet s;
  const auto image = ae.model->spec().image;
  s.rows = image.h;
  s.cols = image.w;
  s.images = ae.decode(g.magnitudes, n);
  // A chain that kept no shot estimated nothing: a zero image, not the decoder's answer to a
  // zero latent (kept_shots says why).
  const size_t pixels = static_cast<size_t>(image.h) * image.w;
  for (int b = 0; b < static_cast<int>(g.kept_shots.size()); ++b) {
    if (g.kept_shots[b] == 0) {
      std::fill_n(s.images.begin() + static_cast<std::ptrdiff_t>(b * pixels), pixels, 0.0);
    }
  }
  s.latents = g.magnitudes;
  s.latent_size = z;
  s.labels = g.labels;
  if (request.trajectory) {
    // Every step of the chain decoded, so the trajectory shows images, not latents.
    s.trajectory = ae.decode(g.trajectory, n * (settings.steps() + 1));
    s.trajectory_steps = settings.steps() + 1;
  }
  s.grid_columns = g.per_label;  // one row per digit when sampling all of them
  s.backend = g.backend;
  s.shots = g.shots;
  s.kept_shots = g.kept_shots;
  s.count_offsets = g.count_offsets;
  s.count_bits = g.count_bits;
  s.count_values = g.count_values;
  s.bit_map = g.bit_map;
  s.circuit_kind = g.circuit_kind;
  s.rejected_truncated = g.rejected_truncated;
  s.seed = static_cast<int64_t>(request.seed);
  s.seconds = g.seconds;
  return s;
}

}  // namespace qdm
