#include "experiments/autoencoder/autoencoder_experiment.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <limits>

#include "experiments/image_data.h"
#include "experiments/train_session.h"
#include "framework/error.h"
#include "framework/progress.h"

namespace qdm {
namespace {

/// Inference runs in chunks so memory stays bounded whatever the data size.
constexpr int kChunk = 256;

/// Pixels / 255 of the configured images (28x28 for MNIST), unnormalised.
PreprocessedImages load_pixels(const Config& c) {
  ImagePreprocess how;
  how.size = 0;  // keep the data set's size
  how.l2_normalise = false;
  return load_images(c, how);
}

/// The reference's 80/20 random split: a seeded permutation, training images first.
struct Split {
  std::vector<uint32_t> train, validation;
};
Split split_images(size_t count, double validation_fraction, uint64_t seed) {
  Rng rng(splitmix64(seed));
  const std::vector<uint32_t> order = shuffled(count, rng);
  const size_t held = static_cast<size_t>(std::lround(validation_fraction * count));
  return {{order.begin(), order.end() - held}, {order.end() - held, order.end()}};
}

std::vector<double> gather(const PreprocessedImages& images, std::span<const uint32_t> which) {
  std::vector<double> out;
  for (uint32_t k : which) {
    const auto v = images.vector(k);
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

double mean_loss(const nn::Autoencoder& ae, const std::vector<double>& images, int pixels,
                 std::span<const double> params, std::span<const double> buffers, double delta) {
  const int n = static_cast<int>(images.size() / pixels);
  double total = 0;
  for (int first = 0; first < n; first += kChunk) {
    const int m = std::min(kChunk, n - first);
    total += m * ae.evaluate(std::span(images).subspan(static_cast<size_t>(first) * pixels,
                                                       static_cast<size_t>(m) * pixels),
                             m, params, buffers, delta);
  }
  return total / n;
}

struct AutoencoderSettings : TrainSettings {
  nn::AutoencoderSpec spec;
  int threads = 0;
  double huber_delta = 1.0, validation_fraction = 0.2;
};

AutoencoderSettings read_settings(const Config& c) {
  AutoencoderSettings s;
  static_cast<TrainSettings&>(s) = read_train_settings(c);
  s.spec = AutoencoderExperiment::spec(c);
  s.huber_delta = c.get_real("train.huber_delta");
  s.validation_fraction = c.get_real("data.validation_fraction");
  s.threads = static_cast<int>(c.get_int("train.threads"));
  return s;
}

class AutoencoderTraining : public Training {
 public:
  AutoencoderTraining(AutoencoderSettings s, PreprocessedImages images, std::string config_ini)
      : s_(std::move(s)),
        ae_(s_.spec),
        images_(std::move(images)),
        config_ini_(std::move(config_ini)) {}
  std::string backend() const override { return "classical"; }
  int loss_width() const override { return 0; }
  TrainOutcome run(RunFile& run, const TrainRequest& request) override;

 private:
  AutoencoderSettings s_;
  nn::Autoencoder ae_;
  PreprocessedImages images_;
  std::string config_ini_;
};

/// Eigen takes different (equally valid) rounding paths for differently aligned data, so the
/// vectors the network reads are 64-byte aligned in every process: a resumed run is bit-identical.
using AlignedVector = std::vector<double, Eigen::aligned_allocator<double>>;

/// Between batches: the parameters and optimiser, plus the running statistics, the best model so
/// far and the epoch's running loss, which travel in the checkpoint's `extra`.
struct AeState {
  AeState(const nn::Autoencoder& ae, const AdamOptions& adam, uint64_t seed)
      : params(ae.num_params()), buffers(ae.num_buffers()), adam(params.size(), adam), rng(seed) {}
  AlignedVector params, buffers;
  std::vector<double> best_params, best_buffers;
  Adam adam;
  Rng rng;
  double best_loss = std::numeric_limits<double>::infinity();
  int best_epoch = -1;
  double epoch_loss = 0;
  int epoch_batches = 0;
  TrainPosition at;

  std::vector<double> extra() const {
    std::vector<double> e(buffers.begin(), buffers.end());
    e.insert(e.end(), best_params.begin(), best_params.end());
    e.insert(e.end(), best_buffers.begin(), best_buffers.end());
    e.insert(e.end(), {best_loss, static_cast<double>(best_epoch), epoch_loss,
                       static_cast<double>(epoch_batches)});
    return e;
  }
  void restore_extra(const std::vector<double>& e) {
    const size_t nb = buffers.size(), np = params.size();
    require(e.size() == 2 * nb + np + 4,
            "the checkpoint's autoencoder state has {} values; this model needs {}", e.size(),
            2 * nb + np + 4);
    auto it = e.begin();
    buffers.assign(it, it + nb);
    best_params.assign(it + nb, it + nb + np);
    best_buffers.assign(it + nb + np, it + 2 * nb + np);
    it += 2 * nb + np;
    best_loss = it[0];
    best_epoch = static_cast<int>(it[1]);
    epoch_loss = it[2];
    epoch_batches = static_cast<int>(it[3]);
  }
};

TrainOutcome AutoencoderTraining::run(RunFile& run, const TrainRequest& request) {
  if (s_.threads > 0) omp_set_num_threads(s_.threads);
  const int pixels = s_.spec.image.size(), B = s_.batch_size;
  const Split split = split_images(images_.count(), s_.validation_fraction, s_.seed);
  require(split.train.size() >= static_cast<size_t>(B),
          "{} training images are fewer than train.batch_size = {}", split.train.size(), B);
  const std::vector<double> validation = gather(images_, split.validation);
  const int steps_per_epoch = static_cast<int>(split.train.size() / B);

  AeState st(ae_, s_.adam, s_.seed);
  ae_.init(st.params, st.buffers, st.rng);
  // Until an epoch has been scored the initial model is the best one, so the state has one shape.
  st.best_params.assign(st.params.begin(), st.params.end());
  st.best_buffers.assign(st.buffers.begin(), st.buffers.end());
  double wall_before = 0;
  if (request.checkpoint) {
    const TrainCheckpoint& c = *request.checkpoint;
    require(c.params.size() == st.params.size() && c.order.size() == split.train.size(),
            "the checkpoint holds {} parameters and {} data positions; this run needs {} and {}",
            c.params.size(), c.order.size(), st.params.size(), split.train.size());
    st.params.assign(c.params.begin(), c.params.end());
    st.at = restore_checkpoint(c, st.adam, st.rng);
    st.restore_extra(c.extra);
    wall_before = c.wall_time;
    // A checkpoint after the last epoch (killed before the run was marked complete) goes on to
    // the final writes below with no step left to train.
    run.truncate_train(c.train_rows);
    run.truncate_epochs(c.epoch_rows);
  } else {
    st.at.order = shuffled(split.train.size(), st.rng);
  }

  TrainSession session(run, request, wall_before, st.at.step);
  const auto checkpoint = [&] {
    TrainCheckpoint c = make_checkpoint(config_ini_, st.at, st.params, st.adam, st.rng);
    c.extra = st.extra();
    session.checkpoint(std::move(c));
  };

  fmt::print(stderr, "autoencoder: {} training and {} held-out images, {} parameters\n",
             split.train.size(), split.validation.size(), ae_.num_params());
  Progress progress("train step", static_cast<long long>(s_.epochs) * steps_per_epoch, "images/s");
  const long long first_step = st.at.step;
  AlignedVector grad(st.params.size());
  std::vector<double> batch_images;
  double last_loss = 0, last_validation = 0;
  if (st.at.epoch >= s_.epochs) {
    last_loss = last_train_loss(run);
    const std::vector<EpochRecord> epochs = run.read_epochs();
    if (!epochs.empty()) last_validation = epochs.back().validation_loss;
  }
  while (st.at.epoch < s_.epochs) {
    const double lr = step_lr(s_.adam.lr, st.at.epoch, s_.lr_step, s_.lr_gamma);
    while (st.at.batch < steps_per_epoch) {
      if (session.stop_requested(st.at.step)) {
        checkpoint();
        return session.stopped(st.at, progress, last_loss);
      }
      batch_images.clear();
      for (int b = 0; b < B; ++b) {
        const auto v =
            images_.vector(split.train[st.at.order[static_cast<size_t>(st.at.batch) * B + b]]);
        batch_images.insert(batch_images.end(), v.begin(), v.end());
      }
      std::fill(grad.begin(), grad.end(), 0.0);
      last_loss = ae_.train_batch(batch_images, B, st.params, st.buffers, s_.huber_delta, grad);
      st.adam.step(st.params, grad, lr);
      ++st.at.step;
      ++st.at.batch;
      st.epoch_loss += last_loss;
      ++st.epoch_batches;
      session.record({st.at.step, st.at.epoch, last_loss, lr, session.wall(), {}, {}});
      if (st.at.step % s_.checkpoint_every == 0) checkpoint();
      progress.update(st.at.step, static_cast<double>(st.at.step - first_step) * B,
                      fmt::format("epoch {}/{}  loss {:.5f}  lr {:.3g}", st.at.epoch + 1, s_.epochs,
                                  last_loss, lr));
    }
    // The epoch's held-out loss picks the model that is kept (the training loss without a
    // held-out set).
    const double train_loss = st.epoch_loss / std::max(st.epoch_batches, 1);
    last_validation = validation.empty() ? train_loss
                                         : mean_loss(ae_, validation, pixels, st.params, st.buffers,
                                                     s_.huber_delta);
    const EpochRecord record{st.at.epoch, train_loss, last_validation, lr, session.wall()};
    run.append_epochs(std::span(&record, 1));
    if (last_validation < st.best_loss) {
      st.best_loss = last_validation;
      st.best_epoch = st.at.epoch;
      st.best_params.assign(st.params.begin(), st.params.end());
      st.best_buffers.assign(st.buffers.begin(), st.buffers.end());
    }
    ++st.at.epoch;
    st.at.batch = 0;
    st.epoch_loss = 0;
    st.epoch_batches = 0;
    st.at.order = shuffled(split.train.size(), st.rng);
    checkpoint();
  }
  const double seconds = session.wall();
  progress.finish(st.at.step, fmt::format("{} epochs; best held-out loss {:.5f} at epoch {}",
                                          s_.epochs, st.best_loss, st.best_epoch + 1));
  run.write_params({1, ae_.num_params(), st.best_params, {}, st.best_buffers});
  run.write_metric("best_epoch", st.best_epoch + 1);
  run.write_metric("best_validation_loss", st.best_loss);
  run.write_metric("final_loss", last_loss);
  run.write_metric("final_validation_loss", last_validation);
  run.write_metric("train_seconds", seconds);
  run.write_metric("train_steps", static_cast<double>(st.at.step));
  run.write_metric("seconds_per_epoch", seconds / s_.epochs);
  run.write_metric("train_images", static_cast<double>(split.train.size()));
  run.write_metric("validation_images", static_cast<double>(split.validation.size()));
  run.write_metric("parameter_count", ae_.num_params());
  run.set_status("complete");
  run.flush();
  return {true, st.at.step, seconds, last_loss};
}

}  // namespace

ConfigSchema AutoencoderExperiment::schema() const {
  ConfigSchema s;
  add_image_data_keys(s, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10'000'000,
                      "keep at most this many (file order)");
  s.real("data.validation_fraction", 0.2, 0, 0.9,
         "share held out (random, seeded) to pick the best epoch");
  s.choice("model.architecture", "conv", {"conv", "mlp"},
           "conv: the reference convolutional autoencoder (28x28); mlp: fully connected");
  s.integer("model.latent_size", 8, 1, 4096,
            "latent values; the latent QDMs need a power of two (8 -> 3 qubits)");
  s.int_list("model.mlp_hidden", {256, 64}, 1, 65536, 1, 8, "mlp: hidden widths of the encoder");
  s.integer("train.epochs", 100, 1, 1'000'000, "passes over the training images");
  s.integer("train.batch_size", 32, 2, 65536,
            "images per optimiser step (last partial batch dropped)");
  s.real("train.lr", 1e-3, 0, 10, "Adam learning rate");
  s.real("train.weight_decay", 0, 0, 10, "Adam L2 weight decay (torch semantics)");
  s.integer("train.lr_step", 20, 1, 1'000'000, "StepLR: epochs between decays");
  s.real("train.lr_gamma", 0.7, 0, 1, "StepLR: decay factor");
  s.real("train.huber_delta", 1.0, 1e-6, 1e6, "Huber loss threshold (torch's default 1)");
  s.integer("train.seed", 1234, 0, (1ll << 62), "seed of initialisation, split and data order");
  s.integer("train.checkpoint_every", 500, 1, 1'000'000'000,
            "optimiser steps between checkpoints (also one after every epoch)");
  s.integer("train.threads", 0, 0, 4096, "worker threads; 0 uses all cores");
  return s;
}

nn::AutoencoderSpec AutoencoderExperiment::spec(const Config& c) {
  nn::AutoencoderSpec s;
  s.architecture = c.get_text("model.architecture");
  s.latent = static_cast<int>(c.get_int("model.latent_size"));
  s.mlp_hidden = c.get_int_list("model.mlp_hidden");
  return s;
}

std::unique_ptr<Training> AutoencoderExperiment::prepare_training(const Config& c) const {
  AutoencoderSettings settings = read_settings(c);
  PreprocessedImages images = load_pixels(c);
  settings.spec.image = {1, images.size, images.size};
  return std::make_unique<AutoencoderTraining>(std::move(settings), std::move(images), c.to_ini());
}

SampleSet AutoencoderExperiment::sample(const Config& c, const RunFile& run,
                                        const SampleRequest& request) const {
  require(request.label == SampleRequest::kNoLabel, "--label: an autoencoder takes no label");
  require_exact_sampling(request, "an autoencoder");
  const TrainedAutoencoder ae = load_autoencoder(run.path());
  const PreprocessedImages images = load_pixels(c);
  const Split split = split_images(images.count(), c.get_real("data.validation_fraction"),
                                   static_cast<uint64_t>(c.get_int("train.seed")));
  const std::vector<uint32_t>& pool = split.validation.empty() ? split.train : split.validation;
  require(static_cast<size_t>(request.count) <= pool.size(),
          "--count {}: the autoencoder holds out only {} images", request.count, pool.size());
  const auto start = std::chrono::steady_clock::now();
  const auto chosen = std::span(pool).first(request.count);
  const std::vector<double> originals = gather(images, chosen);
  const std::vector<double> latents = ae.encode(originals, request.count);
  const std::vector<double> decoded = ae.decode(latents, request.count);
  SampleSet s;
  s.rows = s.cols = images.size;
  const size_t pixels = static_cast<size_t>(images.size) * images.size;
  for (int k = 0; k < request.count; ++k) {
    for (const auto* source : {&originals, &decoded}) {
      s.images.insert(s.images.end(), source->begin() + k * pixels,
                      source->begin() + (k + 1) * pixels);
      s.labels.push_back(images.labels[chosen[k]]);
    }
  }
  s.latents.reserve(2 * latents.size());
  const int z = ae.model->spec().latent;
  for (int k = 0; k < request.count; ++k) {
    for (int twice = 0; twice < 2; ++twice) {
      s.latents.insert(s.latents.end(), latents.begin() + k * z, latents.begin() + (k + 1) * z);
    }
  }
  s.latent_size = z;
  s.grid_columns = 16;  // eight (original, reconstruction) pairs a row
  s.requested = request.count;
  s.backend = "classical";
  s.seed = static_cast<int64_t>(request.seed);
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

std::vector<double> TrainedAutoencoder::encode(std::span<const double> images, int n) const {
  const size_t pixels = model->spec().image.size();
  std::vector<double> out;
  for (int first = 0; first < n; first += kChunk) {
    const int m = std::min(kChunk, n - first);
    const auto z = model->encode(images.subspan(first * pixels, m * pixels), m, params, buffers);
    out.insert(out.end(), z.begin(), z.end());
  }
  return out;
}

std::vector<double> TrainedAutoencoder::decode(std::span<const double> latents, int n) const {
  const size_t z = model->spec().latent;
  std::vector<double> out;
  for (int first = 0; first < n; first += kChunk) {
    const int m = std::min(kChunk, n - first);
    const auto x = model->decode(latents.subspan(first * z, m * z), m, params, buffers);
    out.insert(out.end(), x.begin(), x.end());
  }
  return out;
}

TrainedAutoencoder load_autoencoder(const std::filesystem::path& path) {
  const RunFile run = RunFile::open(path, false);
  const std::string experiment = run.attribute("experiment");
  if (experiment != "autoencoder") {
    throw DataError(fmt::format("'{}' is a run of experiment '{}', not an autoencoder",
                                path.string(), experiment));
  }
  if (run.attribute("status") != "complete") {
    throw DataError(fmt::format(
        "autoencoder run '{}' has status '{}': finish it with qdm train --resume --out {}",
        path.string(), run.attribute("status"), path.string()));
  }
  const AutoencoderExperiment e;
  Config config(e.schema());
  config.apply_ini(run.attribute("config"), "the autoencoder's config");
  nn::AutoencoderSpec spec = AutoencoderExperiment::spec(config);
  ParamSnapshots p = run.read_params();
  // The image size is the data set's; 28x28 for every data set qdm reads today.
  auto model = std::make_shared<const nn::Autoencoder>(spec);
  if (p.per_snapshot != model->num_params() ||
      p.buffers.size() != static_cast<size_t>(model->num_buffers())) {
    throw DataError(fmt::format(
        "autoencoder run '{}' stores {} parameters and {} buffers; its config describes {} and {}",
        path.string(), p.per_snapshot, p.buffers.size(), model->num_params(),
        model->num_buffers()));
  }
  return {path, model, std::move(p.values), std::move(p.buffers)};
}

void train_autoencoder_file(const std::filesystem::path& config_file,
                            const std::filesystem::path& out) {
  const AutoencoderExperiment e;
  Config config(e.schema());
  if (!config_file.empty()) {
    const auto experiment = config.load_ini(config_file);
    require(!experiment || *experiment == "autoencoder",
            "autoencoder config '{}' is for experiment '{}'", config_file.string(),
            experiment.value_or(""));
  }
  auto training = e.prepare_training(config);
  RunFile run = RunFile::create(
      out, {"autoencoder", training->backend(), config.get_int("train.seed"), config.to_ini()},
      training->loss_width(), false);
  const TrainOutcome outcome = training->run(run, {});
  require(outcome.completed, "training the autoencoder '{}' stopped early", out.string());
}

void add_autoencoder_keys(ConfigSchema& s) {
  s.integer("data.latent_size", 8, 2, 1024, "latent values: a power of two, 8 -> 3 data qubits");
  s.text("autoencoder.path", "runs/autoencoder.h5",
         "finished autoencoder run (qdm train --experiment autoencoder) that encodes and decodes");
  s.boolean("autoencoder.train_if_missing", true,
            "train the autoencoder into autoencoder.path first when that file does not exist");
  s.text("autoencoder.config", "",
         "INI file of that autoencoder training (empty: the autoencoder experiment's defaults)");
}

TrainedAutoencoder autoencoder_for(const Config& c, bool may_train) {
  const std::filesystem::path path = c.get_text("autoencoder.path");
  if (!std::filesystem::exists(path)) {
    require(may_train && c.get_bool("autoencoder.train_if_missing"),
            "autoencoder.path = '{}' does not exist: train one with qdm train --experiment "
            "autoencoder --out {}, or set autoencoder.train_if_missing = true",
            path.string(), path.string());
    fmt::print(
        stderr, "training the autoencoder {} first (config: {})\n", path.string(),
        c.get_text("autoencoder.config").empty() ? "defaults" : c.get_text("autoencoder.config"));
    train_autoencoder_file(c.get_text("autoencoder.config"), path);
  }
  TrainedAutoencoder ae = load_autoencoder(path);
  const int want =
                c.get_power_of_two("data.latent_size", "the latent's amplitudes fill whole qubits"),
            have = ae.model->spec().latent;
  if (have != want) {
    throw DataError(fmt::format(
        "autoencoder '{}' has latent size {}, but this config has data.latent_size = {}",
        path.string(), have, want));
  }
  return ae;
}

}  // namespace qdm
