#include "experiments/qdm_training.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <numeric>

#include "backends/backend.h"
#include "experiments/qpu_keys.h"
#include "experiments/qpu_sampling.h"
#include "experiments/train_session.h"
#include "framework/device/device.h"
#include "framework/error.h"
#include "framework/loss.h"
#include "framework/parallel.h"
#include "framework/progress.h"
#include "framework/rng.h"

namespace qdm {
namespace {

using Clock = std::chrono::steady_clock;

// Streams of the counter-based noise, so training and sampling never share draws.
constexpr uint64_t kSampleNoiseStream = 0xA5A5'0000'0000'0001ull;

int resolve_threads(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }

}  // namespace

std::span<const double> params_for(std::span<const double> all, size_t per, ParamMode mode, int t) {
  return all.subspan(mode == ParamMode::Shared ? 0 : (t - 1) * per, per);
}

std::vector<std::complex<double>> sample_noise_state(uint64_t seed, int sample, size_t dim) {
  std::vector<std::complex<double>> amps(dim);
  for (size_t i = 0; i < dim; ++i) {
    amps[i] = counter_complex_normal(seed, kSampleNoiseStream, sample, i);
  }
  normalise(amps);
  return amps;
}

void add_qdm_keys(ConfigSchema& s, const QdmDefaults& d) {
  s.integer("diffusion.steps", d.steps, 1, 1000, "diffusion steps T");
  s.choice("diffusion.schedule", d.schedule, {"linear", "linear-2023", "cosine"},
           "betas: linear (2025 code, beta_0 = 0), linear-2023 (2023 code, beta_0 = beta0 > 0) or "
           "cosine");
  s.real("diffusion.beta0", d.beta0, 0, 0.999, "linear schedule: beta of step 1");
  s.real("diffusion.betaT", d.betaT, 0, 0.999,
         "linear schedule: end of linspace(beta0, betaT, T + 1), as the reference code");
  s.real("diffusion.cosine_exponent", 1.0, 0.01, 10, "cosine schedule: t is raised to this");
  s.choice("diffusion.noise_coefficients", d.noise_coefficients, {"ddpm", "reference"},
           "ddpm: sqrt(1 - alpha_bar) and sqrt(beta); reference: (1 - alpha_bar) and beta, as "
           "the 2023 code");
  s.choice("diffusion.target", d.target, {"posterior-mean", "previous-sample", "x0"},
           "what the denoiser of step t learns to output");
  s.choice("model.params", d.params, {"per-timestep", "shared", "sequential"},
           "per-timestep: T independent sets; shared: one set; sequential: one set trained step by "
           "step, snapshotted per step (2023 code)");
  s.choice("model.init", d.init, {"normal", "uniform"},
           "initial parameters: normal * init_scale, or uniform in [0, 2 pi)");
  s.real("model.init_scale", d.init_scale, 0, 100, "standard deviation of the normal init");
  s.integer("train.epochs", d.epochs, 1, 10'000'000, "passes over the training data");
  s.integer("train.batch_size", d.batch_size, 1, 65536,
            "images per optimiser step (last partial "
            "batch dropped)");
  s.real("train.lr", d.lr, 0, 10, "Adam learning rate");
  s.real("train.weight_decay", d.weight_decay, 0, 10, "Adam L2 weight decay (torch semantics)");
  s.integer("train.lr_step", d.lr_step, 1, 10'000'000, "StepLR: epochs between decays");
  s.real("train.lr_gamma", d.lr_gamma, 0, 1, "StepLR: decay factor");
  s.integer("train.seed", 1234, 0, (1ll << 62), "seed of initialisation, data order and noise");
  s.choice("train.post_selection", "renormalise", {"renormalise", "reward"},
           "the loss of a post-selected branch: its infidelity after renormalising (the "
           "references'), or one minus its unnormalised fidelity, P(kept) x fidelity, which keeps "
           "the branch likely enough for shots on a QPU");
  s.integer("train.checkpoint_every", 100, 1, 1'000'000'000,
            "optimiser steps between checkpoints (RUN.h5.ckpt)");
  add_snapshot_key(s);
  s.text("backend.name", "statevector", "backend that trains and samples (qdm backends)");
  s.integer("backend.threads", 0, 0, 4096, "worker threads; 0 uses all cores");
  s.choice("backend.precision", "double", {"double", "single"},
           "statevector and trajectories backends: arithmetic of training and sampling, "
           "complex128 or complex64 (as the PyTorch references; docs/performance.md measures "
           "both); the density-matrix backend computes in double");
  s.integer("backend.trajectories", 16, 1, 4096,
            "trajectories backend: trajectories per sample, resampled by weight at each "
            "post-selection (docs/architecture.md)");
  s.real("noise.depolarizing", 0, 0, 4.0 / 3,
         "density-matrix and trajectories backends, sampling: depolarising strength after every "
         "one-qubit gate");
  s.real("noise.depolarizing_2q", 0, 0, 16.0 / 15,
         "density-matrix and trajectories backends, sampling: two-qubit depolarising strength "
         "after every two-qubit gate");
  s.real("noise.amplitude_damping", 0, 0, 1,
         "density-matrix and trajectories backends, sampling: amplitude damping after every gate, "
         "per qubit");
  s.real("noise.phase_damping", 0, 0, 1,
         "density-matrix and trajectories backends, sampling: phase damping after every gate, per "
         "qubit");
  s.real("noise.readout_error", 0, 0, 1,
         "density-matrix and trajectories backends: bit-flip probability of each measured bit");
  s.text("noise.device", "",
         "trajectories backend, shot sampling: an IBM device's calibrated noise (its "
         "props_NAME.json or conf_NAME.json, the pair side by side): each chain routed to the "
         "device's ISA, then depolarising and T1/T2 relaxation per gate and readout errors "
         "from the calibration (docs/architecture.md); empty: none");
  add_qpu_keys(s);
}

QdmSettings read_qdm_settings(const Config& c) {
  QdmSettings s;
  const int T = static_cast<int>(c.get_int("diffusion.steps"));
  const std::string schedule = c.get_text("diffusion.schedule");
  const double beta0 = c.get_real("diffusion.beta0"), betaT = c.get_real("diffusion.betaT");
  s.schedule = schedule == "linear" ? linear_schedule(T, beta0, betaT)
               : schedule == "linear-2023"
                   ? linear_schedule_2023(T, beta0, betaT)
                   : cosine_schedule(T, c.get_real("diffusion.cosine_exponent"));
  s.coefficients = parse_noise_coefficients(c.get_text("diffusion.noise_coefficients"));
  s.target = parse_target(c.get_text("diffusion.target"));
  if (s.target == Target::PosteriorMean) {
    for (int t = 1; t <= T; ++t) {
      require(s.schedule.alpha_bars[t] < 1,
              "diffusion.target = posterior-mean needs every beta_t > 0, but beta_{} = 0", t);
    }
  }
  const std::string params = c.get_text("model.params");
  s.param_mode = params == "per-timestep" ? ParamMode::PerTimestep
                 : params == "shared"     ? ParamMode::Shared
                                          : ParamMode::Sequential;
  s.uniform_init = c.get_text("model.init") == "uniform";
  s.init_scale = c.get_real("model.init_scale");
  static_cast<TrainSettings&>(s) = read_train_settings(c);
  s.post_selection = c.get_text("train.post_selection") == "reward"
                         ? PostSelectionLoss::Reward
                         : PostSelectionLoss::Renormalise;
  s.backend = c.get_text("backend.name");
  find_backend(s.backend);
  s.threads = static_cast<int>(c.get_int("backend.threads"));
  s.precision = c.get_text("backend.precision") == "single" ? BackendOptions::Precision::Single
                                                            : BackendOptions::Precision::Double;
  require(s.precision == BackendOptions::Precision::Double || s.backend == "statevector",
          "backend.precision = single trains on the statevector backend only; backend.name is {} "
          "(which computes in double)",
          s.backend);
  s.trajectories = static_cast<int>(c.get_int("backend.trajectories"));
  s.noise.depolarizing = c.get_real("noise.depolarizing");
  s.noise.depolarizing_2q = c.get_real("noise.depolarizing_2q");
  s.noise.amplitude_damping = c.get_real("noise.amplitude_damping");
  s.noise.phase_damping = c.get_real("noise.phase_damping");
  s.noise.readout_error = c.get_real("noise.readout_error");
  s.noise_device = c.get_text("noise.device");
  if (!s.noise_device.empty()) {
    require(s.noise.noiseless(),
            "noise.device = {} brings the device's own noise; leave the other noise.* keys at 0 "
            "(they are {})",
            s.noise_device, s.noise.describe());
    load_ibm_device(s.noise_device);  // a missing or malformed file is named now
  }
  s.ionq = read_qpu_settings(c, "ionq");
  s.ibm = read_qpu_settings(c, "ibm");
  s.chain_circuit = c.get_text("qpu.circuit");
  s.skip_rejected = c.get_bool("qpu.skip_rejected");
  return s;
}

StepLoss step_loss(const Backend& backend, const Pipeline& denoiser, const QdmSettings& s,
                   const DiffusionData& data, std::span<const uint32_t> items, long long step,
                   int t, std::span<const double> params) {
  const int B = static_cast<int>(items.size()), n = denoiser.input_qubits();
  const size_t dim = size_t{1} << n;
  StateBatch input(n, B), target(n, B);
  EvolveContext context{{}, s.seed, static_cast<uint64_t>(step) * s.steps() + t};
  for (int b = 0; b < B; ++b) {
    const uint32_t item = items[b];
    const uint64_t draw = static_cast<uint64_t>(t - 1) * B + b;
    const auto noise = [&](int which, size_t i) {
      return counter_complex_normal(s.seed, static_cast<uint64_t>(step), 2 * draw + which, i);
    };
    const auto pair = make_training_pair(
        std::span<const double>(data.x0).subspan(item * data.length, data.length), dim, s.schedule,
        t, s.coefficients, s.target, noise);
    input.set_state(b, pair.input);
    target.set_state(b, pair.target);
    if (!data.labels.empty()) context.labels.push_back(data.labels[item]);
  }
  const ForwardResult forward = backend.forward(denoiser, params, input, context, true);
  const LossResult loss = s.post_selection == PostSelectionLoss::Reward
                              ? infidelity(forward.output, target)
                              : normalised_infidelity(forward.output, target);
  double kept = std::numeric_limits<double>::quiet_NaN();
  if (denoiser.is_physical()) {
    const std::vector<double> norms = forward.output.squared_norms();
    kept = std::accumulate(norms.begin(), norms.end(), 0.0) / B;
  }
  return {loss.value, backend.backward(denoiser, params, *forward.tape, loss.cotangent).params,
          kept};
}

StepResult train_step(const Backend& backend, const Pipeline& denoiser, const QdmSettings& s,
                      const DiffusionData& data, std::span<const uint32_t> items, long long step,
                      std::span<const double> all_params, int threads) {
  require(s.param_mode != ParamMode::Sequential,
          "train_step trains all steps at once; sequential parameters take one step at a time");
  const int T = s.steps();
  const size_t per = denoiser.num_params();
  std::vector<StepLoss> per_t(T);
  parallel_for(T, threads, [&](size_t k) {
    const int t = static_cast<int>(k) + 1;
    per_t[k] = step_loss(backend, denoiser, s, data, items, step, t,
                         params_for(all_params, per, s.param_mode, t));
  });
  // The batch loss is the mean over the T steps, and so is its gradient.
  StepResult r;
  r.grad.assign(s.snapshots() * per, 0.0);
  for (int k = 0; k < T; ++k) {
    r.loss_per_t.push_back(per_t[k].loss);
    r.kept_per_t.push_back(per_t[k].kept);
    r.loss += per_t[k].loss / T;
    double* g = r.grad.data() + (s.param_mode == ParamMode::PerTimestep ? k * per : 0);
    for (size_t i = 0; i < per; ++i) g[i] += per_t[k].grad[i] / T;
  }
  return r;
}

namespace {

std::vector<int64_t> block_offsets(const Pipeline& p) {
  std::vector<int64_t> offsets;
  for (const auto& stage : p.stages()) {
    if (const auto* block = std::get_if<UnitaryBlock>(&stage))
      offsets.push_back(block->param_offset);
  }
  return offsets;
}

/// The optimiser state of a run. `params` holds every snapshot; Adam trains all of them, except in
/// the sequential mode where it trains the one live set (equal to the last snapshot between
/// batches).
struct TrainState {
  TrainState(const QdmSettings& s, size_t per)
      : params(s.snapshots() * per),
        live(s.param_mode == ParamMode::Sequential ? per : 0),
        adam(s.param_mode == ParamMode::Sequential ? per : params.size(), s.adam),
        rng(s.seed) {}
  std::vector<double> params, live;
  Adam adam;
  Rng rng;
  TrainPosition at;
};

}  // namespace

TrainOutcome train_qdm(const Pipeline& denoiser, const QdmSettings& s, const DiffusionData& data,
                       const std::string& config_ini, RunFile& run, const TrainRequest& request) {
  const int T = s.steps(), B = s.batch_size;
  const size_t per = denoiser.num_params();
  const bool sequential = s.param_mode == ParamMode::Sequential;
  require(data.length > 0 && data.length <= (size_t{1} << denoiser.input_qubits()),
          "data vectors of {} values do not fit {} qubits", data.length, denoiser.input_qubits());
  require(data.count() >= static_cast<size_t>(B),
          "the training data holds {} vectors, fewer than train.batch_size = {}", data.count(), B);
  require(data.labels.empty() == !denoiser.uses_labels(),
          "the denoiser {} labels but the data {} them",
          denoiser.uses_labels() ? "needs" : "takes no", data.labels.empty() ? "lacks" : "has");
  require(s.noise.noiseless(),
          "noise.* keys apply when sampling on the density-matrix backend (qdm sample --backend "
          "density-matrix --set noise.depolarizing=P); training runs without noise");
  require(!find_backend(s.backend).remote,
          "backend.name = {} is a cloud QPU, which returns shots, not the exact states training "
          "differentiates: train on statevector, then qdm sample --backend {} --shots N",
          s.backend, s.backend);
  require(s.post_selection == PostSelectionLoss::Renormalise || denoiser.is_physical(),
          "train.post_selection = reward needs a physical denoiser (its norm is the kept "
          "probability); model.leaky_relu makes it non-physical");
  // Trained without its Normalise stages: the loss renormalises where it should, and the output's
  // norm says how much of the state the post-selections keep.
  const Pipeline trained = without_normalise(denoiser);
  const int steps_per_epoch = static_cast<int>(data.count() / B);
  const int threads = resolve_threads(s.threads);
  // The per-timestep and shared modes run the T steps in parallel, one cache-sized call each; the
  // sequential mode's steps depend on each other, so the backend spreads each call instead.
  BackendOptions options;
  options.threads = sequential ? threads : 1;
  options.precision = s.precision;
  const auto backend = make_backend(s.backend, options);

  TrainState state(s, per);
  for (double& p : state.params) {
    p = s.uniform_init ? 2 * M_PI * state.rng.uniform() : s.init_scale * state.rng.normal();
  }
  if (sequential) {
    // Every snapshot starts as the one initial set.
    for (int k = 1; k < T; ++k)
      std::copy_n(state.params.begin(), per, state.params.begin() + k * per);
  }
  double wall_before = 0;
  if (request.checkpoint) {
    const TrainCheckpoint& c = *request.checkpoint;
    require(c.params.size() == state.params.size() && c.order.size() == data.count(),
            "the checkpoint holds {} parameters and {} data positions; this run needs {} and {}",
            c.params.size(), c.order.size(), state.params.size(), data.count());
    state.params = c.params;
    state.at = restore_checkpoint(c, state.adam, state.rng);
    wall_before = c.wall_time;
    // A checkpoint after the last epoch (killed before the run was marked complete) goes on to
    // the final writes below with no step left to train.
    run.truncate_train(c.train_rows);
  } else {
    state.at.order = shuffled(data.count(), state.rng);
  }
  if (sequential) state.live.assign(state.params.end() - per, state.params.end());

  TrainSession session(run, request, wall_before, state.at.step);
  const auto checkpoint = [&] {
    session.checkpoint(make_checkpoint(config_ini, state.at, state.params, state.adam, state.rng));
  };

  const long long total_steps = static_cast<long long>(s.epochs) * steps_per_epoch;
  Progress progress("train step", total_steps, "samples/s");
  const long long first_step = state.at.step;
  double last_loss = 0;
  if (state.at.epoch >= s.epochs) last_loss = last_train_loss(run);
  while (state.at.epoch < s.epochs) {
    const double lr = step_lr(s.adam.lr, state.at.epoch, s.lr_step, s.lr_gamma);
    while (state.at.batch < steps_per_epoch) {
      if (session.stop_requested(state.at.step)) {
        checkpoint();
        return session.stopped(state.at, progress, last_loss);
      }
      const auto items =
          std::span<const uint32_t>(state.at.order)
              .subspan(static_cast<size_t>(state.at.batch) * B, static_cast<size_t>(B));
      StepResult r;
      if (sequential) {
        for (int t = 1; t <= T; ++t) {
          const StepLoss l =
              step_loss(*backend, trained, s, data, items, state.at.step, t, state.live);
          state.adam.step(state.live, l.grad, lr);
          std::copy(state.live.begin(), state.live.end(), state.params.begin() + (t - 1) * per);
          r.loss_per_t.push_back(l.loss);
          r.kept_per_t.push_back(l.kept);
          r.loss += l.loss / T;
        }
      } else {
        r = train_step(*backend, trained, s, data, items, state.at.step, state.params, threads);
        state.adam.step(state.params, r.grad, lr);
      }
      ++state.at.step;
      ++state.at.batch;
      last_loss = r.loss;
      if (!trained.is_physical()) r.kept_per_t.clear();  // its norm is no probability
      session.record({state.at.step, state.at.epoch, r.loss, lr, session.wall(),
                      std::move(r.loss_per_t), std::move(r.kept_per_t)});
      if (state.at.step % s.checkpoint_every == 0) checkpoint();
      progress.update(state.at.step, static_cast<double>(state.at.step - first_step) * B,
                      fmt::format("epoch {}/{}  loss {:.5f}  lr {:.3g}", state.at.epoch + 1,
                                  s.epochs, r.loss, lr));
    }
    ++state.at.epoch;
    state.at.batch = 0;
    state.at.order = shuffled(data.count(), state.rng);
    if (s.snapshot_due(state.at.epoch)) {
      run.write_snapshot(
          state.at.epoch,
          {s.snapshots(), static_cast<int>(per), state.params, block_offsets(denoiser), {}});
    }
  }
  checkpoint();
  const double seconds = session.wall();
  progress.finish(state.at.step, fmt::format("{} epochs, last loss {:.5f}", s.epochs, last_loss));

  run.write_params(
      {s.snapshots(), static_cast<int>(per), state.params, block_offsets(denoiser), {}});
  // Trained parameters: the sequential mode's snapshots are copies of one set.
  write_training_metrics(run, {last_loss, seconds, state.at.step, s.epochs, static_cast<double>(B),
                               static_cast<double>(per) *
                                   (s.param_mode == ParamMode::PerTimestep ? s.snapshots() : 1)});
  run.set_status("complete");
  run.flush();
  TrainOutcome outcome;
  outcome.completed = true;
  outcome.steps = state.at.step;
  outcome.seconds = seconds;
  outcome.final_loss = last_loss;
  return outcome;
}

Generated sample_qdm(const Pipeline& denoiser, const QdmSettings& s, const ParamSnapshots& params,
                     const SampleRequest& request) {
  const std::string backend_name = request.backend.empty() ? s.backend : request.backend;
  if (request.chain_export) export_chains(denoiser, s, params, request);
  if (request.shots > 0 || find_backend(backend_name).remote || !s.noise_device.empty()) {
    return sample_qdm_shots(denoiser, s, params, request);
  }
  require_in_range("sample count", request.count, 1, 1'000'000);
  const int T = s.steps(), n = denoiser.input_qubits();
  const size_t per = denoiser.num_params(), dim = size_t{1} << n;
  const size_t rows = s.snapshots();
  if (params.per_snapshot != static_cast<int>(per) || params.snapshots != static_cast<int>(rows)) {
    throw DataError(fmt::format(
        "the run's parameters are {} x {}; its config describes a denoiser needing {} x {}",
        params.snapshots, params.per_snapshot, rows, per));
  }
  const SampleLabels labels = sample_labels(request, denoiser.uses_labels() ? kLabelCount : 0);
  BackendOptions options;
  options.threads = 1;
  options.noise = s.noise;
  options.trajectories = s.trajectories;
  options.precision = s.precision;
  Generated g;
  const auto backend = make_backend(request.backend.empty() ? s.backend : request.backend, options);
  require(s.noise.noiseless() || backend->capabilities().noise_models,
          "noise.* is set but backend {} has no noise models; sample with --backend "
          "trajectories or --backend density-matrix",
          backend->name());
  // Backends without exact states (density-matrix) carry each chain as a density matrix; its
  // image is the square root of the basis-state probabilities, |amplitudes| for a pure state.
  const bool mixed = !backend->capabilities().exact_states;
  g.backend = s.noise.noiseless()
                  ? backend->name()
                  : fmt::format("{} (noise: {})", backend->name(), s.noise.describe());
  g.dim = dim;
  g.magnitudes.resize(request.count * dim);
  const int keep = request.trajectory ? T + 1 : 0;
  g.trajectory.resize(static_cast<size_t>(request.count) * keep * dim);
  g.per_label = labels.per_label;
  g.labels = labels.labels;
  constexpr int kChunk = 32;
  const int chunks = (request.count + kChunk - 1) / kChunk;
  const auto start = Clock::now();
  Progress progress("sample", request.count, "samples/s");
  std::atomic<int> done{0};
  parallel_for(chunks, resolve_threads(request.threads), [&](size_t c) {
    const int first = c * kChunk, m = std::min(kChunk, request.count - first);
    StateBatch x(n, m);
    std::vector<dm::DensityMatrix> rho;
    std::vector<std::complex<double>> amps(dim);
    for (int b = 0; b < m; ++b) {
      amps = sample_noise_state(request.seed, first + b, dim);
      x.set_state(b, amps);
      if (mixed) {
        rho.push_back(dm::DensityMatrix::pure(
            Eigen::Map<const Eigen::VectorXcd>(amps.data(), static_cast<Eigen::Index>(dim))));
      }
    }
    EvolveContext context;
    context.seed = request.seed;
    context.state_offset = static_cast<uint64_t>(first);
    context.labels.assign(g.labels.begin() + first, g.labels.begin() + first + m);
    if (!denoiser.uses_labels()) context.labels.clear();
    const auto magnitude = [&](int b, size_t i) {
      return mixed ? std::sqrt(std::max(0.0, rho[b].matrix()(i, i).real())) : std::abs(x.amp(b, i));
    };
    const auto record = [&](int slot) {
      for (int b = 0; b < m; ++b) {
        double* out = g.trajectory.data() + ((static_cast<size_t>(first + b) * keep) + slot) * dim;
        for (size_t i = 0; i < dim; ++i) out[i] = magnitude(b, i);
      }
    };
    if (keep) record(0);
    for (int t = T; t >= 1; --t) {
      context.stream = static_cast<uint64_t>(t);
      const auto step_params = params_for(params.values, per, s.param_mode, t);
      if (mixed) {
        rho = backend->forward_mixed(denoiser, step_params, rho, context);
      } else {
        x = backend->forward(denoiser, step_params, x, context).output;
      }
      if (keep) record(T - t + 1);
    }
    for (int b = 0; b < m; ++b) {
      for (size_t i = 0; i < dim; ++i) g.magnitudes[(first + b) * dim + i] = magnitude(b, i);
    }
    const int now = done += m;
#pragma omp critical
    progress.update(now, now, "");
  });
  g.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  progress.finish(request.count, fmt::format("{} samples", request.count));
  return g;
}

}  // namespace qdm
