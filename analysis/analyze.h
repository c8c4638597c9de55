#pragma once
/// `qdm analyze`: the metrics and pictures of one run file. Samples come from a set stored in the
/// run or are generated (and stored) first; metrics go into the run's /metrics with their
/// definitions and sample sizes as attributes.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/sample_metrics.h"
#include "experiments/train_session.h"
#include "framework/run_store.h"

namespace qdm::analysis {

struct AnalyzeOptions {
  std::string sample_set;  ///< a stored set ("000"); empty: the newest, or new ones
  int count = 0;           ///< > 0: generate this many new samples (default 200 when none stored)
  uint64_t seed = 1;       ///< of new samples and of the real floor sample
  std::filesystem::path data_dir;    ///< empty: the run's data.dir
  std::filesystem::path classifier;  ///< empty: DATA_DIR/classifiers/DATASET-seedS.h5
  uint64_t classifier_seed = 1;
  bool store = true;                 ///< write the metrics (and new samples) into the run
  std::filesystem::path png_prefix;  ///< PNGs at PREFIX-samples.png, ...; empty: none
  std::string backend;               ///< new samples on this backend (empty: the run's)
  /// > 0: each new sample estimated from this many shots of its chain as one circuit.
  int shots = 0;
  /// noise.KEY=VALUE assignments for new samples (on a backend with noise models).
  std::vector<std::string> noise;
  /// Samples scored per parameter snapshot (train.snapshot_every) for the metric-vs-epoch
  /// curves; 0: no curves.
  int epoch_count = 100;
};

struct Analysis {
  std::string experiment, sample_set;
  int samples = 0;
  double classifier_accuracy = 0;
  std::vector<Metric> metrics;
  MetricCurves curves;              ///< by snapshot epoch; empty when the run kept no snapshots
  std::optional<KeptSummary> kept;  ///< QDMs: what their post-selections kept in training
  std::vector<std::filesystem::path> pictures;
};

Analysis analyze_run(const std::filesystem::path& run, const AnalyzeOptions& options);

/// The metrics of new samples drawn on options.backend with `key` (a noise.* config key) at each
/// point: --count samples each (default 200), the same seed for all, so the curve shows what
/// noise alone does. Points are strengths, drawn on the density-matrix backend by default; for
/// noise.device they are IBM device files ("none": noiseless), each sample estimated from
/// --shots shots (default 1000) of its chain routed to the device, on the trajectories backend
/// by default. With a PNG prefix: PREFIX-noise-fid.png and PREFIX-noise-scores.png. Nothing is
/// written into the run.
struct NoiseSweep {
  std::string key;
  std::string backend;              ///< where the samples were drawn
  std::vector<std::string> points;  ///< as given
  std::vector<std::string> labels;  ///< per point: the strength, or the device's name
  int samples = 0;
  int shots = 0;                                      ///< 0: exact amplitudes
  std::map<std::string, std::vector<double>> values;  ///< metric -> one value per point
  std::vector<std::filesystem::path> pictures;
};
NoiseSweep analyze_noise(const std::filesystem::path& run, const AnalyzeOptions& options,
                         const std::string& key, const std::vector<std::string>& points);
/// The sweep as a Markdown table, a row per point.
std::string format_noise_sweep(const NoiseSweep& sweep);

/// The metrics as an aligned text table.
std::string format_metrics(const Analysis& analysis);
/// The main metrics by epoch as an aligned text table (empty without curves).
std::string format_curves(const Analysis& analysis);

/// The loss-curve PNG of a run (per diffusion step where it has loss_per_t; train and held-out
/// loss per epoch where it has /epochs). Returns false when the run has no training rows.
bool write_loss_plot(const std::filesystem::path& run, const std::filesystem::path& png);

}  // namespace qdm::analysis
