#pragma once
/// What every quantum diffusion model shares: the [diffusion], [train] and [backend] config
/// sections, the training loop (noise, targets, adjoint gradients, Adam, checkpoints, /train
/// logging) and sampling from noise through the reverse chain. An experiment brings its data and
/// its denoiser pipeline.

#include <complex>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "experiments/experiment.h"
#include "experiments/train_session.h"
#include "framework/diffusion.h"
#include "framework/optim.h"
#include "framework/pipeline.h"

namespace qdm {

/// The defaults an experiment's preset gives the shared keys.
struct QdmDefaults {
  int steps = 10;
  std::string schedule = "linear";
  double beta0 = 1e-2, betaT = 1e-2;
  std::string noise_coefficients = "ddpm";
  std::string target = "posterior-mean";
  std::string params = "per-timestep";
  std::string init = "normal";
  double init_scale = 0.7;
  int epochs = 2000;
  int batch_size = 64;
  double lr = 5e-5, weight_decay = 1e-5;
  int lr_step = 10;
  double lr_gamma = 0.97;
};

/// Conditioned models take labels 0..kLabelCount-1 (the 4-qubit label register holds the ten
/// digits).
inline constexpr int kLabelCount = 10;

/// Adds the shared keys to an experiment's schema.
void add_qdm_keys(ConfigSchema& schema, const QdmDefaults& defaults);

/// How the denoisers of the T steps share parameters.
enum class ParamMode {
  PerTimestep,  ///< T independent sets, all trained on each batch (the 2025 pixel code)
  Shared,       ///< one set serves every step
  /// One set trained step by step: for each batch, t = 1..T each get one optimiser step and the
  /// set after step t is kept as the snapshot that serves step t (the 2023 latent code).
  Sequential,
};

/// Parameters of the denoiser at diffusion step t (1-based).
std::span<const double> params_for(std::span<const double> all, size_t per, ParamMode mode, int t);

/// The normalised complex Gaussian noise that sample `sample` of a request with `seed` starts from
/// (the same draws on every backend).
std::vector<std::complex<double>> sample_noise_state(uint64_t seed, int sample, size_t dim);

/// What training asks of a post-selected branch (train.post_selection): its fidelity after
/// renormalising (the references' loss; the branch may become unlikely), or the fidelity of the
/// unnormalised branch, |<target|kept>|^2 = P(kept) x fidelity, which also rewards keeping it
/// (hardware-aware: shots on a QPU need it).
enum class PostSelectionLoss { Renormalise, Reward };

/// The shared keys, read and checked together.
struct QdmSettings : TrainSettings {
  PostSelectionLoss post_selection = PostSelectionLoss::Renormalise;
  Schedule schedule;
  NoiseCoefficients coefficients = NoiseCoefficients::Ddpm;
  Target target = Target::PosteriorMean;
  ParamMode param_mode = ParamMode::PerTimestep;
  bool uniform_init = false;  ///< uniform in [0, 2 pi) instead of normal * init_scale
  double init_scale = 0.7;
  std::string backend = "statevector";
  int threads = 0;
  BackendOptions::Precision precision = BackendOptions::Precision::Double;  ///< backend.precision
  int trajectories = 16;  ///< backend.trajectories: per sample, trajectories backend
  dm::NoiseModel noise;   ///< applied when sampling on the density-matrix or trajectories backend
  /// noise.device: an IBM device's files; shots of chains routed to it, with its noise.
  std::string noise_device;
  rest::QpuSettings ionq, ibm;         ///< the cloud QPU backends' endpoints and limits
  std::string chain_circuit = "auto";  ///< qpu.circuit: auto, dynamic or static
  bool skip_rejected = true;           ///< qpu.skip_rejected
  /// The settings of cloud QPU backend `name` (ionq or ibm).
  const rest::QpuSettings& qpu(const std::string& name) const {
    return name == "ionq" ? ionq : ibm;
  }
  int steps() const { return schedule.steps(); }
  /// Rows of /params: one per step, or one shared set.
  int snapshots() const { return param_mode == ParamMode::Shared ? 1 : steps(); }
};
QdmSettings read_qdm_settings(const Config& config);

/// Clean data: `count` real vectors of `length` values (zero-padded to the state size), with an
/// optional label each.
struct DiffusionData {
  size_t length = 0;
  std::vector<double> x0;
  std::vector<int> labels;  ///< empty for unconditioned models
  size_t count() const { return length == 0 ? 0 : x0.size() / length; }
};

TrainOutcome train_qdm(const Pipeline& denoiser, const QdmSettings& settings,
                       const DiffusionData& data, const std::string& config_ini, RunFile& run,
                       const TrainRequest& request);

/// Loss and parameter gradient of the step-t denoiser (`params` its set) on the batch `items`
/// noised to step t; the noise is keyed by seed, `step`, t and position in the batch.
struct StepLoss {
  double loss = 0;
  std::vector<double> grad;
  /// Mean over the batch of the probability that the step's post-selections keep the state (NaN
  /// for a pipeline that is not physical, whose norm is no probability).
  double kept = 0;
};
/// `denoiser` is the model's denoiser without its Normalise stages (without_normalise): the loss
/// renormalises or not (settings.post_selection), and the output's norm is the kept probability.
StepLoss step_loss(const Backend& backend, const Pipeline& denoiser, const QdmSettings& settings,
                   const DiffusionData& data, std::span<const uint32_t> items, long long step,
                   int t, std::span<const double> params);

/// Loss (mean over the T steps), per-step losses and gradient of one batch for the per-timestep
/// and shared modes: step_loss for every t = 1..T, in parallel on `threads` threads; the result
/// does not depend on the thread count.
struct StepResult {
  double loss = 0;
  std::vector<double> loss_per_t, kept_per_t;
  std::vector<double> grad;
};
StepResult train_step(const Backend& backend, const Pipeline& denoiser, const QdmSettings& settings,
                      const DiffusionData& data, std::span<const uint32_t> items, long long step,
                      std::span<const double> params, int threads);

/// train_qdm as a prepared Training job.
class QdmTraining : public Training {
 public:
  QdmTraining(Pipeline denoiser, QdmSettings settings, DiffusionData data, std::string config_ini)
      : denoiser_(std::move(denoiser)),
        settings_(std::move(settings)),
        data_(std::move(data)),
        config_ini_(std::move(config_ini)) {}
  TrainOutcome run(RunFile& run, const TrainRequest& request) override {
    return train_qdm(denoiser_, settings_, data_, config_ini_, run, request);
  }
  std::string backend() const override { return settings_.backend; }
  int loss_width() const override { return settings_.steps(); }

 private:
  Pipeline denoiser_;
  QdmSettings settings_;
  DiffusionData data_;
  std::string config_ini_;
};

/// Every denoiser ends normalised (the backends refuse unnormalised inputs, so a pipeline that did
/// not would fail at its second step), so states go from one step to the next unchanged.
/// Final |amplitudes| of `request.count` samples (count x 2^n), and optionally the trajectory
/// (count x (T + 1) x 2^n: the noise, then after each step).
struct Generated {
  size_t dim = 0;
  std::vector<double> magnitudes;
  std::vector<double> trajectory;
  std::vector<int32_t> labels;
  int per_label = 0;  ///< when sampling all labels: samples of each (the last may have fewer)
  std::string backend;
  int64_t shots = 0;               ///< per sample; 0 for exact amplitudes
  std::vector<double> kept_shots;  ///< per sample, with shots: those passing the post-selection
  /// With shots: the raw counts per sample (CSR) and the bit map that decodes them.
  std::vector<int64_t> count_offsets, count_bits;
  std::vector<double> count_values;
  std::string bit_map, circuit_kind;
  bool rejected_truncated = false;
  double seconds = 0;
};
/// Exact amplitudes on a simulator, or (request.shots > 0, or a cloud QPU backend) estimates from
/// shots of the whole chain as one circuit: sample_qdm_shots in experiments/qpu_sampling.h.
Generated sample_qdm(const Pipeline& denoiser, const QdmSettings& settings,
                     const ParamSnapshots& params, const SampleRequest& request);

}  // namespace qdm
