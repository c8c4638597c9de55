#pragma once
/// What every training loop does with its run file and checkpoint, whatever it trains: /train rows
/// buffered and flushed every 2 s and before each checkpoint, stop requests (Ctrl-C, --max-steps),
/// wall time across resumes, and the optimiser and RNG state in and out of checkpoints.

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "experiments/experiment.h"
#include "framework/optim.h"
#include "framework/progress.h"
#include "framework/rng.h"

namespace qdm {

/// The [train] keys every training loop reads: epochs, batch size, Adam (lr, weight decay),
/// StepLR, seed and checkpoint interval.
struct TrainSettings {
  int epochs = 1, batch_size = 64;
  AdamOptions adam;
  int lr_step = 10;
  double lr_gamma = 1;
  uint64_t seed = 0;
  long long checkpoint_every = 100;
  int snapshot_every = 0;  ///< epochs between /snapshots entries (0: none)

  /// Whether the parameters after `epochs_done` epochs are kept as a snapshot: every
  /// snapshot_every epochs, and after the last one.
  bool snapshot_due(int epochs_done) const {
    return snapshot_every > 0 && (epochs_done % snapshot_every == 0 || epochs_done == epochs);
  }
};
/// The [train] keys every training loop shares; train.snapshot_every where the schema has it.
TrainSettings read_train_settings(const Config& config);
/// train.snapshot_every, for models whose samples qdm analyze can score epoch by epoch.
void add_snapshot_key(ConfigSchema& schema);

/// The loss of the run's last /train row (0 when it has none): what a run resumed from the
/// checkpoint after its last epoch (killed before it was marked complete) reports as its last.
double last_train_loss(const RunFile& run);

/// Where a run stands between optimiser steps.
struct TrainPosition {
  long long step = 0;           ///< optimiser steps done
  int epoch = 0;                ///< the epoch in progress (0-based)
  int batch = 0;                ///< its batches done
  std::vector<uint32_t> order;  ///< its data order
};

class TrainSession {
 public:
  /// `wall_before` and `first_step`: where a resumed run's checkpoint left off (0 when fresh).
  TrainSession(RunFile& run, const TrainRequest& request, double wall_before, long long first_step);

  /// Seconds of training, resumes included.
  double wall() const;
  /// True when training should checkpoint and return before optimiser step `step` + 1.
  bool stop_requested(long long step) const;
  /// After the stop's checkpoint: ends the progress line and says where training stopped.
  TrainOutcome stopped(const TrainPosition& at, Progress& progress, double last_loss) const;
  /// Buffers a /train row; flushes when the last flush is over 2 s old.
  void record(TrainRecord row);
  void flush();
  /// Flushes, then saves `c` beside the run with its bookkeeping filled in (experiment,
  /// /train and /epochs row counts, wall time).
  void checkpoint(TrainCheckpoint c);

 private:
  using Clock = std::chrono::steady_clock;
  RunFile& run_;
  const TrainRequest& request_;
  double wall_before_;
  long long first_step_;
  Clock::time_point start_ = Clock::now(), last_flush_ = Clock::now();
  std::vector<TrainRecord> pending_;
};

/// What a finished training loop reports in /metrics: the last step's loss, the mean /train/loss
/// of the last epoch (read back from the file, so a resumed run and an uninterrupted one agree),
/// wall time, optimiser steps, seconds per epoch, training samples per second and the trained
/// parameters. Call after the last flush.
struct TrainingSummary {
  double last_loss = 0, seconds = 0;
  long long steps = 0;
  int epochs = 1;
  double samples_per_step = 0;  ///< training items one optimiser step consumes
  double parameter_count = 0;
};
void write_training_metrics(RunFile& run, const TrainingSummary& summary);

/// How much of its state a QDM's post-selections keep, from the last epoch of /train/kept_per_t:
/// per diffusion step the mean over that epoch's batches, and their product (what a T-step chain
/// keeps if the steps' rates held along it; measured on training pairs, not on chains).
struct KeptSummary {
  std::vector<double> per_t;
  double chain = 1;
};
/// Empty when the run has no kept_per_t (or its pipeline is not physical).
std::optional<KeptSummary> kept_summary(const std::vector<TrainRecord>& rows);

/// A checkpoint of a run's position, parameters, optimiser and RNG; the experiment adds its own
/// state (`extra`) before TrainSession::checkpoint saves it.
TrainCheckpoint make_checkpoint(const std::string& config_ini, const TrainPosition& at,
                                std::span<const double> params, const Adam& adam, const Rng& rng);
/// Restores the optimiser and RNG of `c` and returns its position; the caller takes the
/// parameters and its own state, after checking their sizes.
TrainPosition restore_checkpoint(const TrainCheckpoint& c, Adam& adam, Rng& rng);

/// A fresh random order of 0..n-1.
std::vector<uint32_t> shuffled(size_t n, Rng& rng);

/// The label of each of request.count samples. An unconditioned model (label_count 0) refuses a
/// label and gets -1 each; a conditioned one gets the requested label, or for kAllLabels (and
/// kNoLabel) equal shares in label order, `per_label` each, so a grid of per_label columns has a
/// row per label. std::invalid_argument for a label outside 0..label_count-1.
struct SampleLabels {
  std::vector<int32_t> labels;
  int per_label = 0;
};
SampleLabels sample_labels(const SampleRequest& request, int label_count);

}  // namespace qdm
