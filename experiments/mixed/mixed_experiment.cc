#include "experiments/mixed/mixed_experiment.h"

#include <fmt/format.h>
#include <omp.h>

#include <chrono>

#include "experiments/image_data.h"
#include "experiments/mixed/mixed_model.h"
#include "experiments/train_session.h"
#include "framework/diffusion.h"
#include "framework/error.h"
#include "framework/optim.h"
#include "framework/progress.h"
#include "framework/rng.h"

namespace qdm {
namespace {

using mixed::Model;

struct MixedData {
  int size = 0;
  std::vector<Eigen::VectorXcd> x0;  ///< unit-norm amplitude encodings
};

/// The mean of each output pixel's area of the input (fractional overlaps weighted): at 4x4 a
/// bilinear resize samples 16 points of a 28x28 digit and often misses every stroke.
std::vector<double> area_downsample(std::span<const double> image, int side, int out) {
  std::vector<double> result(static_cast<size_t>(out) * out, 0.0);
  const double scale = static_cast<double>(side) / out;
  const auto overlap = [&](int pixel, int cell) {
    const double lo = std::max<double>(pixel, cell * scale);
    const double hi = std::min<double>(pixel + 1, (cell + 1) * scale);
    return std::max(0.0, hi - lo);
  };
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) {
      const double v = image[static_cast<size_t>(y) * side + x];
      if (v == 0) continue;
      for (int cy = static_cast<int>(y / scale); cy < out && cy * scale < y + 1; ++cy) {
        for (int cx = static_cast<int>(x / scale); cx < out && cx * scale < x + 1; ++cx) {
          result[static_cast<size_t>(cy) * out + cx] += v * overlap(y, cy) * overlap(x, cx);
        }
      }
    }
  }
  return result;
}

class MixedTraining final : public Training {
 public:
  MixedTraining(Model model, TrainSettings settings, int threads, MixedData data,
                std::string config_ini)
      : m_(std::move(model)),
        s_(std::move(settings)),
        threads_(threads),
        data_(std::move(data)),
        config_ini_(std::move(config_ini)) {}
  TrainOutcome run(RunFile& run, const TrainRequest& request) override;
  std::string backend() const override { return "density-matrix"; }
  int loss_width() const override { return m_.steps(); }

 private:
  Model m_;
  TrainSettings s_;
  int threads_;
  MixedData data_;
  std::string config_ini_;
};

TrainOutcome MixedTraining::run(RunFile& run, const TrainRequest& request) {
  const int T = m_.steps(), B = s_.batch_size;
  const size_t count = data_.x0.size();
  const int steps_per_epoch = static_cast<int>(count / B);
  require(steps_per_epoch > 0, "{} training images are fewer than train.batch_size = {}", count, B);
  const Circuit circuit = m_.circuit();
  const size_t per = static_cast<size_t>(m_.params_per_step());
  std::vector<double> params(per * T);
  Rng rng(s_.seed);
  for (double& p : params) p = 2 * M_PI * rng.uniform();
  Adam adam(params.size(), s_.adam);
  TrainPosition at;
  double wall_before = 0;
  if (request.checkpoint) {
    const TrainCheckpoint& c = *request.checkpoint;
    require(c.params.size() == params.size() && c.order.size() == count,
            "the checkpoint holds {} parameters and {} data positions; this run needs {} and {}",
            c.params.size(), c.order.size(), params.size(), count);
    params = c.params;
    at = restore_checkpoint(c, adam, rng);
    wall_before = c.wall_time;
    // A checkpoint after the last epoch (killed before the run was marked complete) goes on to
    // the final writes below with no step left to train.
    run.truncate_train(c.train_rows);
  } else {
    at.order = shuffled(count, rng);
  }
  TrainSession session(run, request, wall_before, at.step);
  const auto checkpoint = [&] {
    session.checkpoint(make_checkpoint(config_ini_, at, params, adam, rng));
  };
  fmt::print(stderr,
             "mixed: {} images {}x{} on {} qubits + {} ancilla(s), T = {}, {} parameters per step "
             "x {}\n",
             count, data_.size, data_.size, m_.data_qubits, m_.ancillas, T, per, T);
  Progress progress("train step", static_cast<long long>(s_.epochs) * steps_per_epoch, "images/s");
  const long long first_step = at.step;
  double last_loss = at.epoch >= s_.epochs ? last_train_loss(run) : 0.0;
  std::vector<double> grad(params.size());
  while (at.epoch < s_.epochs) {
    const double lr = step_lr(s_.adam.lr, at.epoch, s_.lr_step, s_.lr_gamma);
    while (at.batch < steps_per_epoch) {
      if (session.stop_requested(at.step)) {
        checkpoint();
        return session.stopped(at, progress, last_loss);
      }
      std::fill(grad.begin(), grad.end(), 0.0);
      std::vector<double> loss_per_t(T, 0.0);
      // Items x steps are independent: each thread adds into its own gradient.
      const int jobs = B * T;
      std::vector<std::vector<double>> grads(jobs, std::vector<double>(per, 0.0));
      std::vector<double> losses(jobs);
#pragma omp parallel for num_threads(threads_) schedule(dynamic)
      for (int j = 0; j < jobs; ++j) {
        const int b = j / T, t = 1 + j % T;
        const Eigen::VectorXcd& x = data_.x0[at.order[static_cast<size_t>(at.batch) * B + b]];
        const auto step_params = std::span<const double>(params).subspan((t - 1) * per, per);
        losses[j] =
            mixed::step_loss_and_gradient(m_, circuit, step_params, mixed::noised(x, m_.alpha(t)),
                                          mixed::noised(x, m_.alpha(t - 1)), grads[j]);
      }
      double loss = 0;
      for (int j = 0; j < jobs; ++j) {
        const int t = 1 + j % T;
        loss_per_t[t - 1] += losses[j] / B;
        loss += losses[j] / (B * T);
        for (size_t k = 0; k < per; ++k) grad[(t - 1) * per + k] += grads[j][k] / B;
      }
      adam.step(params, grad, lr);
      ++at.step;
      ++at.batch;
      last_loss = loss;
      session.record({at.step, at.epoch, loss, lr, session.wall(), loss_per_t, {}});
      if (at.step % s_.checkpoint_every == 0) checkpoint();
      progress.update(
          at.step, static_cast<double>(at.step - first_step) * B,
          fmt::format("epoch {}/{}  loss {:.5f}  lr {:.3g}", at.epoch + 1, s_.epochs, loss, lr));
    }
    ++at.epoch;
    at.batch = 0;
    at.order = shuffled(count, rng);
  }
  checkpoint();
  const double seconds = session.wall();
  progress.finish(at.step, fmt::format("{} epochs, last loss {:.5f}", s_.epochs, last_loss));
  run.write_params({T, static_cast<int>(per), params, {0}, {}});
  write_training_metrics(run, {last_loss, seconds, at.step, s_.epochs, static_cast<double>(B),
                               static_cast<double>(params.size())});
  run.set_status("complete");
  run.flush();
  return {true, at.step, seconds, last_loss};
}

}  // namespace

ConfigSchema MixedExperiment::schema() const {
  ConfigSchema s;
  add_image_data_keys(s, {0, 1}, 256, "keep at most this many (file order)");
  s.integer("data.image_size", 4, 2, 8, "side of the resized images: 4 -> 4 qubits, 2 -> 2");
  s.integer("model.layers", 2, 1, 50, "StronglyEntanglingLayers per reverse step");
  s.integer("model.ancillas", 1, 0, 4, "fresh |0> qubits per step, traced out after it");
  s.integer("diffusion.steps", 4, 1, 100, "diffusion steps T");
  s.real("diffusion.p_start", 0.05, 0, 1, "depolarising probability p_1 of the first step");
  s.real("diffusion.p_end", 0.3, 0, 1, "p_T; p_t is linear in between");
  s.choice("train.loss", "infidelity", {"infidelity", "trace-distance", "hilbert-schmidt"},
           "distance between a step's output and rho_{t-1}");
  s.integer("train.epochs", 3, 1, 10'000'000, "passes over the training data");
  s.integer("train.batch_size", 8, 1, 65536, "images per optimiser step (last partial dropped)");
  s.real("train.lr", 0.05, 0, 10, "Adam learning rate");
  s.real("train.weight_decay", 0, 0, 10, "Adam L2 weight decay (torch semantics)");
  s.integer("train.lr_step", 10, 1, 10'000'000, "StepLR: epochs between decays");
  s.real("train.lr_gamma", 1, 0, 1, "StepLR: decay factor");
  s.integer("train.seed", 1234, 0, (1ll << 62), "seed of initialisation and data order");
  s.integer("train.checkpoint_every", 20, 1, 1'000'000'000, "optimiser steps between checkpoints");
  s.integer("backend.threads", 0, 0, 4096, "worker threads; 0 uses all cores");
  return s;
}

std::unique_ptr<Training> MixedExperiment::prepare_training(const Config& c) const {
  Model m = mixed::read_model(c);
  ImagePreprocess how;
  how.size = 28;
  how.l2_normalise = false;
  const PreprocessedImages pre = load_images(c, how);
  MixedData data;
  data.size = static_cast<int>(c.get_int("data.image_size"));
  const size_t dim = static_cast<size_t>(data.size) * data.size;
  for (size_t k = 0; k < pre.count(); ++k) {
    const std::vector<double> small =
        area_downsample(std::span(pre.vectors).subspan(k * 28 * 28, 28 * 28), 28, data.size);
    Eigen::VectorXcd x(static_cast<Eigen::Index>(dim));
    for (size_t i = 0; i < dim; ++i) x[i] = small[i];
    if (x.norm() == 0) {
      throw DataError(fmt::format("image {} is all zero at {}x{}", k, data.size, data.size));
    }
    data.x0.push_back(x / x.norm());
  }
  const int threads = static_cast<int>(c.get_int("backend.threads"));
  return std::make_unique<MixedTraining>(std::move(m), read_train_settings(c),
                                         threads > 0 ? threads : omp_get_max_threads(),
                                         std::move(data), c.to_ini());
}

SampleSet MixedExperiment::sample(const Config& c, const RunFile& run,
                                  const SampleRequest& request) const {
  const Model m = mixed::read_model(c);
  require_exact_sampling(request, "the mixed QDM (density matrices)");
  require(request.label == SampleRequest::kNoLabel,
          "the mixed QDM is unconditioned: sample without --label");
  require(request.backend.empty() || request.backend == "density-matrix",
          "the mixed QDM runs on the density-matrix backend, not {}", request.backend);
  const ParamSnapshots p = params_to_sample(run, request);
  const size_t per = static_cast<size_t>(m.params_per_step());
  const int T = m.steps();
  if (p.per_snapshot != static_cast<int>(per) || p.snapshots != T) {
    throw DataError(fmt::format("the run's parameters are {} x {}; its config describes {} x {}",
                                p.snapshots, p.per_snapshot, T, per));
  }
  const Circuit circuit = m.circuit();
  const int size = static_cast<int>(c.get_int("data.image_size"));
  const size_t dim = static_cast<size_t>(size) * size;
  const int keep = request.trajectory ? T + 1 : 0;
  SampleSet s;
  s.rows = s.cols = size;
  s.images.assign(request.count * dim, 0.0);
  s.labels.assign(request.count, -1);
  s.trajectory.assign(static_cast<size_t>(request.count) * keep * dim, 0.0);
  s.trajectory_steps = keep;
  s.backend = "density-matrix";
  s.seed = static_cast<int64_t>(request.seed);
  const auto start = std::chrono::steady_clock::now();
  // Chain k starts from the forward process's end state for an unknown image: a random pure
  // state z_k (seeded by the request and k) mixed as a_T |z><z| + (1 - a_T) I/d.
  const auto image = [&](const dm::DensityMatrix& rho, double* out) {
    for (size_t i = 0; i < dim; ++i) out[i] = std::sqrt(std::max(0.0, rho.matrix()(i, i).real()));
  };
  std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic)
  for (int k = 0; k < request.count; ++k) {
    try {
      Eigen::VectorXcd z(static_cast<Eigen::Index>(dim));
      for (size_t i = 0; i < dim; ++i) z[i] = counter_complex_normal(request.seed, 0x313d, k, i);
      dm::DensityMatrix rho = mixed::noised(z / z.norm(), m.alpha(T));
      double* path = s.trajectory.data() + static_cast<size_t>(k) * keep * dim;
      if (keep) image(rho, path);
      for (int t = T; t >= 1; --t) {
        rho = mixed::denoise(circuit, std::span(p.values).subspan((t - 1) * per, per), rho,
                             m.ancillas);
        if (keep) image(rho, path + (T - t + 1) * dim);
      }
      image(rho, s.images.data() + k * dim);
    } catch (...) {
#pragma omp critical
      failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace qdm
