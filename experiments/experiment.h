#pragma once
/// An experiment: a model with its config schema, training and sampling, registered by name so
/// that `qdm train --experiment NAME` finds it.

#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "framework/checkpoint.h"
#include "framework/config.h"
#include "framework/run_store.h"

namespace qdm::rest {
class JobJournal;
}

namespace qdm {

struct TrainRequest {
  /// Set when resuming: the state to continue from (its config matches the run's).
  std::optional<TrainCheckpoint> checkpoint;
  /// Raised by SIGINT/SIGTERM: training checkpoints and returns at the next step.
  const std::atomic<bool>* stop = nullptr;
  /// Stop after this many optimiser steps in this process (0: no limit). Tests use it to
  /// interrupt a run at a known point.
  long long max_steps = 0;
};

struct TrainOutcome {
  bool completed = false;
  long long steps = 0;  ///< optimiser steps done in total
  double seconds = 0;   ///< training wall time in total
  double final_loss = 0;
};

/// `qdm export`: the chains of a sample request as circuit files instead of samples.
struct ChainExport {
  std::string format;       ///< qasm3 or ionq-json
  std::string out_dir;      ///< created if missing; must hold no earlier export
  std::string device_file;  ///< qasm3: transpile to this IBM device's ISA; empty: logical circuits
};

struct SampleRequest {
  int count = 64;
  /// Conditioned models: this label for every sample, or kAllLabels for equal shares of each label
  /// in label order; unconditioned models take kNoLabel only.
  int label = kNoLabel;
  static constexpr int kNoLabel = -1, kAllLabels = -2;
  uint64_t seed = 1;
  bool trajectory = false;  ///< keep |amplitudes| after every step
  std::string backend;      ///< empty: the run's backend
  int threads = 0;
  /// Parameters to sample with instead of the run's final ones (a /snapshots entry).
  const ParamSnapshots* params = nullptr;
  /// > 0: estimate each sample from this many shots of the whole chain as one circuit (cloud QPU
  /// backends always do; experiments/qpu_sampling.h).
  int shots = 0;
  bool resume = false;   ///< cloud QPUs: fetch the journal's unfinished job instead of submitting
  bool dry_run = false;  ///< cloud QPUs: print the payload and gate counts, send nothing
  /// IBM dry runs: the device from its configuration / properties files instead of the API.
  std::string device_file;
  /// Set by `qdm export`: write the chains as files (export_chains) instead of sampling.
  const ChainExport* chain_export = nullptr;
  rest::JobJournal* journal = nullptr;  ///< where cloud jobs are recorded (the run file's /jobs)
};

/// For models without a circuit to measure (classical networks, the mixed QDM's density
/// matrices): refuses the shot-only flags, naming `what`.
inline void require_exact_sampling(const SampleRequest& request, const char* what) {
  if (request.chain_export) {
    throw std::invalid_argument(std::string("qdm export applies to the pixel and latent QDMs; ") +
                                what + " has no circuit to export");
  }
  if (request.shots > 0 || request.dry_run || request.resume) {
    throw std::invalid_argument(
        std::string("--shots, --dry-run and --resume apply to the pixel and "
                    "latent QDMs; ") +
        what + " samples exactly");
  }
}

/// The parameters a sample request asks for: its own, or the run's final ones.
inline ParamSnapshots params_to_sample(const RunFile& run, const SampleRequest& request) {
  return request.params ? *request.params : run.read_params();
}

/// A training job whose data is loaded and checked: preparing one touches no output file, so bad
/// data is reported before a run file exists.
class Training {
 public:
  virtual ~Training() = default;
  /// Trains, logging into `run` (created with this job's provenance).
  virtual TrainOutcome run(RunFile& run, const TrainRequest& request) = 0;
  /// The backend that trains ("classical" for classical networks), for the run's provenance.
  virtual std::string backend() const = 0;
  /// Columns of /train/loss_per_t: T for diffusion models, 0 for none.
  virtual int loss_width() const = 0;
};

class Experiment {
 public:
  virtual ~Experiment() = default;
  virtual ConfigSchema schema() const = 0;
  virtual std::unique_ptr<Training> prepare_training(const Config& config) const = 0;
  /// Generates samples with the parameters stored in `run`.
  virtual SampleSet sample(const Config& config, const RunFile& run,
                           const SampleRequest& request) const = 0;
  /// Whether samples are generated for a label (SampleRequest::label).
  virtual bool conditioned(const Config&) const { return false; }
};

struct ExperimentEntry {
  std::string name;
  std::string description;
  std::unique_ptr<Experiment> (*create)();
};
const std::vector<ExperimentEntry>& experiment_registry();
/// "pixel, latent, ..." for help texts and errors.
std::string experiment_names();
/// Throws std::invalid_argument listing the registered names when `name` is not one.
std::unique_ptr<Experiment> make_experiment(const std::string& name);

}  // namespace qdm
