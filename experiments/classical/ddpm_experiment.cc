#include "experiments/classical/ddpm_experiment.h"

#include <fmt/format.h>
#include <omp.h>

#include <chrono>
#include <cmath>

#include "experiments/autoencoder/autoencoder_experiment.h"
#include "experiments/image_data.h"
#include "experiments/train_session.h"
#include "framework/error.h"
#include "framework/progress.h"

namespace qdm {
namespace {

constexpr int kLabels = 10;

/// DDPM's linear schedule: betas[t] for t = 1..T (betas[0] unused), alphas and their products.
struct Schedule {
  std::vector<double> beta, alpha, alpha_bar;
  int steps() const { return static_cast<int>(beta.size()) - 1; }
};
Schedule make_schedule(const Config& c) {
  const int T = static_cast<int>(c.get_int("diffusion.steps"));
  const double b0 = c.get_real("diffusion.beta0"), b1 = c.get_real("diffusion.betaT");
  Schedule s;
  s.beta.assign(T + 1, 0.0);
  s.alpha.assign(T + 1, 1.0);
  s.alpha_bar.assign(T + 1, 1.0);
  for (int t = 1; t <= T; ++t) {
    s.beta[t] = T == 1 ? b0 : b0 + (b1 - b0) * (t - 1) / (T - 1);
    s.alpha[t] = 1 - s.beta[t];
    s.alpha_bar[t] = s.alpha_bar[t - 1] * s.alpha[t];
  }
  return s;
}

/// The data a config names: unit-norm vectors (resized images or autoencoder latents), scaled by
/// sqrt(dim) so each entry has about unit variance, as DDPM's noise scale assumes.
struct DdpmData {
  int dim = 0;
  std::vector<double> x0;  ///< count x dim
  std::vector<int> labels;
  size_t count() const { return labels.size(); }
};

bool uses_latents(const Config& c) { return c.get_text("data.representation") == "latent"; }

DdpmData load_data(const Config& c, uint64_t seed) {
  DdpmData d;
  if (uses_latents(c)) {
    ImagePreprocess how;
    how.size = 0;
    how.l2_normalise = false;
    const PreprocessedImages images = load_images(c, how);
    const TrainedAutoencoder ae = autoencoder_for(c, true);
    const std::vector<double> z = ae.encode(images.vectors, static_cast<int>(images.count()));
    d.dim = ae.model->spec().latent;
    // The latent experiments' random subset of data.length encoded images.
    const size_t length = std::min<size_t>(c.get_int("data.length"), images.count());
    Rng rng(splitmix64(seed ^ 0x1a7e47));
    const std::vector<uint32_t> order = shuffled(images.count(), rng);
    for (size_t k = 0; k < length; ++k) {
      d.x0.insert(d.x0.end(), z.begin() + order[k] * d.dim, z.begin() + (order[k] + 1) * d.dim);
      d.labels.push_back(images.labels[order[k]]);
    }
  } else {
    ImagePreprocess how;
    how.size = c.get_power_of_two("data.image_size", "the pixel QDM's image sizes");
    how.renormalise_after_resize = c.get_bool("data.renormalise_after_resize");
    const PreprocessedImages images = load_images(c, how);
    d.dim = how.size * how.size;
    d.x0 = images.vectors;
    d.labels = images.labels;
    // The reference normalises before resizing; the DDPM sees unit vectors either way.
    for (size_t k = 0; k < images.count(); ++k) {
      l2_normalise(std::span(d.x0).subspan(k * d.dim, d.dim), "a training image");
    }
  }
  const double scale = std::sqrt(static_cast<double>(d.dim));
  for (double& v : d.x0) v *= scale;
  return d;
}

/// Column t holds the time embedding of step t (t = 0..T), computed once rather than per item.
Eigen::MatrixXd embedding_table(int steps, int size) {
  Eigen::MatrixXd table(size, steps + 1);
  for (int t = 0; t <= steps; ++t) {
    const std::vector<double> e = time_embedding(t, size);
    table.col(t) = Eigen::Map<const Eigen::VectorXd>(e.data(), size);
  }
  return table;
}

/// The network's input for a batch: [x_t, embedding(t), one-hot(label)] per column.
nn::Batch network_input(const Eigen::MatrixXd& x, std::span<const int> t,
                        std::span<const int> labels, const Eigen::MatrixXd& embeddings,
                        bool conditioned) {
  const int n = static_cast<int>(x.cols()), dim = static_cast<int>(x.rows());
  const int e = static_cast<int>(embeddings.rows()), width = dim + e + (conditioned ? kLabels : 0);
  Eigen::MatrixXd in = Eigen::MatrixXd::Zero(width, n);
  in.topRows(dim) = x;
  for (int i = 0; i < n; ++i) {
    in.col(i).segment(dim, e) = embeddings.col(t[i]);
    if (conditioned) in(dim + e + labels[i], i) = 1;
  }
  return {{width, 1, 1}, n, std::move(in)};
}

struct DdpmSettings : TrainSettings {
  int embedding = 0, threads = 0;
  bool conditioned = false;
};

DdpmSettings read_settings(const Config& c) {
  DdpmSettings s;
  static_cast<TrainSettings&>(s) = read_train_settings(c);
  s.threads = static_cast<int>(c.get_int("train.threads"));
  s.embedding = static_cast<int>(c.get_int("model.time_embedding"));
  s.conditioned = c.get_bool("model.conditioned");
  return s;
}

class DdpmTraining : public Training {
 public:
  DdpmTraining(DdpmSettings s, Schedule schedule, DdpmData data, nn::Network net,
               std::string config_ini)
      : s_(s),
        schedule_(std::move(schedule)),
        data_(std::move(data)),
        net_(std::move(net)),
        config_ini_(std::move(config_ini)) {}
  std::string backend() const override { return "classical"; }
  int loss_width() const override { return 0; }
  TrainOutcome run(RunFile& run, const TrainRequest& request) override;

 private:
  DdpmSettings s_;
  Schedule schedule_;
  DdpmData data_;
  nn::Network net_;
  std::string config_ini_;
};

TrainOutcome DdpmTraining::run(RunFile& run, const TrainRequest& request) {
  if (s_.threads > 0) omp_set_num_threads(s_.threads);
  const int B = s_.batch_size, dim = data_.dim, T = schedule_.steps();
  const int steps_per_epoch = static_cast<int>(data_.count() / B);
  require(steps_per_epoch > 0, "{} training vectors are fewer than train.batch_size = {}",
          data_.count(), B);
  std::vector<double> params(net_.num_params()), none;
  Rng rng(s_.seed);
  net_.init(params, none, rng);
  Adam adam(params.size(), s_.adam);
  TrainPosition at;
  double wall_before = 0;
  if (request.checkpoint) {
    const TrainCheckpoint& c = *request.checkpoint;
    require(c.params.size() == params.size() && c.order.size() == data_.count(),
            "the checkpoint holds {} parameters and {} data positions; this run needs {} and {}",
            c.params.size(), c.order.size(), params.size(), data_.count());
    params = c.params;
    at = restore_checkpoint(c, adam, rng);
    wall_before = c.wall_time;
    // A checkpoint after the last epoch (killed before the run was marked complete) goes on to
    // the final writes below with no step left to train.
    run.truncate_train(c.train_rows);
  } else {
    at.order = shuffled(data_.count(), rng);
  }
  TrainSession session(run, request, wall_before, at.step);
  const auto checkpoint = [&] {
    session.checkpoint(make_checkpoint(config_ini_, at, params, adam, rng));
  };
  fmt::print(stderr, "classical-ddpm: {} vectors of {} values, T = {}, {} parameters ({})\n",
             data_.count(), dim, T, net_.num_params(), net_.describe());
  Progress progress("train step", static_cast<long long>(s_.epochs) * steps_per_epoch, "samples/s");
  const long long first_step = at.step;
  std::vector<double> grad(params.size());
  const Eigen::MatrixXd embeddings = embedding_table(T, s_.embedding);
  std::vector<int> t(B), labels(B);
  Eigen::MatrixXd x(dim, B), eps(dim, B);
  double last_loss = 0;
  if (at.epoch >= s_.epochs) last_loss = last_train_loss(run);
  while (at.epoch < s_.epochs) {
    const double lr = step_lr(s_.adam.lr, at.epoch, s_.lr_step, s_.lr_gamma);
    while (at.batch < steps_per_epoch) {
      if (session.stop_requested(at.step)) {
        checkpoint();
        return session.stopped(at, progress, last_loss);
      }
      // x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps, t uniform in 1..T.
      for (int i = 0; i < B; ++i) {
        const uint32_t k = at.order[static_cast<size_t>(at.batch) * B + i];
        t[i] = 1 + static_cast<int>(rng.below(static_cast<uint64_t>(T)));
        labels[i] = data_.labels[k];
        const double a = std::sqrt(schedule_.alpha_bar[t[i]]);
        const double b = std::sqrt(1 - schedule_.alpha_bar[t[i]]);
        for (int j = 0; j < dim; ++j) {
          eps(j, i) = rng.normal();
          x(j, i) = a * data_.x0[k * dim + j] + b * eps(j, i);
        }
      }
      nn::Network::Tape tape;
      const nn::Batch out = net_.forward(network_input(x, t, labels, embeddings, s_.conditioned),
                                         params, none, true, &tape);
      Eigen::MatrixXd dout;
      last_loss = nn::mse_loss(out.m, eps, &dout);
      std::fill(grad.begin(), grad.end(), 0.0);
      net_.backward({out.shape, B, std::move(dout)}, params, tape, grad);
      adam.step(params, grad, lr);
      ++at.step;
      ++at.batch;
      session.record({at.step, at.epoch, last_loss, lr, session.wall(), {}, {}});
      if (at.step % s_.checkpoint_every == 0) checkpoint();
      progress.update(at.step, static_cast<double>(at.step - first_step) * B,
                      fmt::format("epoch {}/{}  loss {:.5f}  lr {:.3g}", at.epoch + 1, s_.epochs,
                                  last_loss, lr));
    }
    ++at.epoch;
    at.batch = 0;
    at.order = shuffled(data_.count(), rng);
    if (s_.snapshot_due(at.epoch))
      run.write_snapshot(at.epoch, {1, net_.num_params(), params, {}, {}});
  }
  checkpoint();
  const double seconds = session.wall();
  progress.finish(at.step, fmt::format("{} epochs, last loss {:.5f}", s_.epochs, last_loss));
  run.write_params({1, net_.num_params(), params, {}, {}});
  write_training_metrics(run, {last_loss, seconds, at.step, s_.epochs, static_cast<double>(B),
                               static_cast<double>(net_.num_params())});
  run.set_status("complete");
  run.flush();
  return {true, at.step, seconds, last_loss};
}

/// abs(x / |x|) per column: the QDM's read-out of amplitudes, so both models' samples are alike.
void read_out(Eigen::MatrixXd& x) {
  for (Eigen::Index i = 0; i < x.cols(); ++i) {
    const double norm = x.col(i).norm();
    x.col(i) =
        norm > 0 ? Eigen::VectorXd(x.col(i).cwiseAbs() / norm) : Eigen::VectorXd::Zero(x.rows());
  }
}

}  // namespace

std::vector<double> time_embedding(int t, int size) {
  std::vector<double> e(size);
  const int half = size / 2;
  for (int i = 0; i < half; ++i) {
    const double w = std::pow(10000.0, -static_cast<double>(i) / half);
    e[i] = std::sin(t * w);
    e[half + i] = std::cos(t * w);
  }
  return e;
}

ConfigSchema ClassicalDdpmExperiment::schema() const {
  ConfigSchema s;
  add_image_data_keys(s, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10'000'000,
                      "keep at most this many (file order)");
  s.choice("data.representation", "latent", {"latent", "pixels"},
           "latent: the latent QDMs' autoencoder latents; pixels: the pixel QDM's resized images");
  s.integer("data.image_size", 16, 2, 32, "pixels: side of the resized images (a power of two)");
  s.boolean("data.renormalise_after_resize", false, "pixels: as the pixel experiment's key");
  s.integer("data.length", 2048, 1, 10'000'000,
            "latent: random subset of encoded images trained on (as the latent QDMs)");
  add_autoencoder_keys(s);
  s.boolean("model.conditioned", false,
            "condition on the label (one-hot input), as the "
            "conditioned-latent QDM");
  s.int_list("model.hidden", {32}, 1, 65536, 1, 8, "widths of the MLP's hidden ReLU layers");
  s.integer("model.time_embedding", 8, 2, 1024, "size of the sinusoidal time embedding (even)");
  s.integer("diffusion.steps", 100, 1, 10000, "diffusion steps T");
  s.real("diffusion.beta0", 1e-4, 0, 0.999, "beta of step 1 (linear schedule)");
  s.real("diffusion.betaT", 0.1, 0, 0.999, "beta of step T");
  s.integer("train.epochs", 200, 1, 10'000'000, "passes over the training data");
  s.integer("train.batch_size", 64, 1, 65536, "vectors per optimiser step (last partial dropped)");
  s.real("train.lr", 1e-3, 0, 10, "Adam learning rate");
  s.real("train.weight_decay", 0, 0, 10, "Adam L2 weight decay (torch semantics)");
  s.integer("train.lr_step", 50, 1, 10'000'000, "StepLR: epochs between decays");
  s.real("train.lr_gamma", 0.7, 0, 1, "StepLR: decay factor");
  s.integer("train.seed", 1234, 0, (1ll << 62), "seed of initialisation, data order and noise");
  s.integer("train.checkpoint_every", 500, 1, 1'000'000'000, "optimiser steps between checkpoints");
  add_snapshot_key(s);
  s.integer("train.threads", 0, 0, 4096, "worker threads; 0 uses all cores");
  return s;
}

bool ClassicalDdpmExperiment::conditioned(const Config& c) const {
  return c.get_bool("model.conditioned");
}

nn::Network ClassicalDdpmExperiment::network(const Config& c, int dim) {
  const int embedding = static_cast<int>(c.get_int("model.time_embedding"));
  require(embedding % 2 == 0,
          "config key model.time_embedding = {} is not allowed: an even "
          "size expected (sine and cosine pairs)",
          embedding);
  int width = dim + embedding + (c.get_bool("model.conditioned") ? kLabels : 0);
  nn::Network net;
  for (int h : c.get_int_list("model.hidden")) {
    net.add(nn::linear(width, h)).add(nn::relu({h, 1, 1}));
    width = h;
  }
  net.add(nn::linear(width, dim));
  return net;
}

std::unique_ptr<Training> ClassicalDdpmExperiment::prepare_training(const Config& c) const {
  const DdpmSettings s = read_settings(c);
  DdpmData data = load_data(c, s.seed);
  if (s.conditioned) {
    for (int label : data.labels) {
      require(label < kLabels, "label {} is outside 0..{}", label, kLabels - 1);
    }
  }
  nn::Network net = network(c, data.dim);
  return std::make_unique<DdpmTraining>(s, make_schedule(c), std::move(data), std::move(net),
                                        c.to_ini());
}

SampleSet ClassicalDdpmExperiment::sample(const Config& c, const RunFile& run,
                                          const SampleRequest& request) const {
  require_exact_sampling(request, "a classical DDPM");
  require(request.backend.empty() || request.backend == "classical",
          "--backend {}: a classical DDPM samples on the CPU only (backend classical)",
          request.backend);
  const bool latent = uses_latents(c);
  std::optional<TrainedAutoencoder> ae;
  int dim = 0, side = 0;
  if (latent) {
    ae = autoencoder_for(c, false);
    dim = ae->model->spec().latent;
  } else {
    side = c.get_power_of_two("data.image_size", "the pixel QDM's image sizes");
    dim = side * side;
  }
  const nn::Network net = network(c, dim);
  const ParamSnapshots p = params_to_sample(run, request);
  if (p.per_snapshot != net.num_params()) {
    throw DataError(fmt::format("the run stores {} parameters; its config describes {}",
                                p.per_snapshot, net.num_params()));
  }
  const Schedule schedule = make_schedule(c);
  const int T = schedule.steps(), n = request.count;
  const Eigen::MatrixXd embeddings =
      embedding_table(T, static_cast<int>(c.get_int("model.time_embedding")));
  const bool conditioned = c.get_bool("model.conditioned");
  const SampleLabels labels = sample_labels(request, conditioned ? kLabels : 0);
  const std::vector<int> label_in(labels.labels.begin(), labels.labels.end());
  const std::vector<int> no_labels(n, 0);

  const auto start = std::chrono::steady_clock::now();
  Rng rng(splitmix64(request.seed ^ 0xdd93));
  Eigen::MatrixXd x(dim, n);
  for (double& v : x.reshaped()) v = rng.normal();
  std::vector<Eigen::MatrixXd> steps;
  const auto keep = [&](const Eigen::MatrixXd& m) {
    if (!request.trajectory) return;
    Eigen::MatrixXd r = m;
    read_out(r);
    steps.push_back(std::move(r));
  };
  keep(x);
  std::vector<double> none;
  // Ancestral sampling: x_{t-1} = (x_t - beta_t / sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_t)
  // + sqrt(beta_t) z, without noise on the last step.
  for (int t = T; t >= 1; --t) {
    const std::vector<int> ts(n, t);
    const nn::Batch in =
        network_input(x, ts, conditioned ? label_in : no_labels, embeddings, conditioned);
    const Eigen::MatrixXd eps = net.forward(in, p.values, none, false, nullptr).m;
    x = (x - schedule.beta[t] / std::sqrt(1 - schedule.alpha_bar[t]) * eps) /
        std::sqrt(schedule.alpha[t]);
    if (t > 1) {
      for (double& v : x.reshaped()) v += std::sqrt(schedule.beta[t]) * rng.normal();
    }
    keep(x);
  }
  read_out(x);

  SampleSet s;
  s.labels = labels.labels;
  s.grid_columns = labels.per_label;
  const std::span<const double> values(x.data(), static_cast<size_t>(x.size()));
  if (latent) {
    s.rows = s.cols = ae->model->spec().image.h;
    s.images = ae->decode(values, n);
    s.latents.assign(values.begin(), values.end());
    s.latent_size = dim;
  } else {
    s.rows = s.cols = side;
    s.images.assign(values.begin(), values.end());
  }
  if (request.trajectory) {
    // count x (T + 1) x image, item-major like the QDMs' trajectories.
    Eigen::MatrixXd chain(dim, static_cast<Eigen::Index>(n) * (T + 1));
    for (int i = 0; i < n; ++i) {
      for (int k = 0; k <= T; ++k)
        chain.col(static_cast<Eigen::Index>(i) * (T + 1) + k) = steps[k].col(i);
    }
    const std::span<const double> all(chain.data(), static_cast<size_t>(chain.size()));
    s.trajectory =
        latent ? ae->decode(all, n * (T + 1)) : std::vector<double>(all.begin(), all.end());
    s.trajectory_steps = T + 1;
  }
  s.backend = "classical";
  s.seed = static_cast<int64_t>(request.seed);
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace qdm
