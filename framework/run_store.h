#pragma once
/// The run file: one HDF5 file per run holding provenance, the training series, parameters,
/// samples and metrics, in the layout docs/run-format.md documents (schema version 1). Readable by
/// h5py without qdm. Appends are flushed by the caller (flush()), so a killed run leaves a file
/// that opens.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "framework/hdf5_io.h"

namespace qdm {

inline constexpr int64_t kRunSchemaVersion = 1;

struct RunProvenance {
  std::string experiment;
  std::string backend;
  int64_t seed = 0;
  std::string config_ini;  ///< the full resolved configuration
};

/// One row of /train: one optimiser step.
struct TrainRecord {
  int64_t step = 0;
  int32_t epoch = 0;
  double loss = 0;
  double lr = 0;
  double wall_time = 0;            ///< seconds of training so far (resumes included)
  std::vector<double> loss_per_t;  ///< the loss at each diffusion step 1..T
  /// QDMs: at each step, the batch's mean probability that its post-selections keep a state
  /// (/train/kept_per_t, made with the first row that has it).
  std::vector<double> kept_per_t;
};

/// Parameter snapshots: row s of `values` (snapshots x per_snapshot) serves diffusion step s + 1
/// when there is one row per step, every step when there is one row.
struct ParamSnapshots {
  int snapshots = 0;
  int per_snapshot = 0;
  std::vector<double> values;
  std::vector<int64_t> block_offsets;  ///< where each unitary block's parameters start
  /// Non-trained state of classical networks (batch-norm running statistics); empty for circuits.
  std::vector<double> buffers;
};

/// One row of /epochs: a whole epoch, with the held-out loss (classical models).
struct EpochRecord {
  int32_t epoch = 0;
  double train_loss = 0;
  double validation_loss = 0;
  double lr = 0;
  double wall_time = 0;
};

struct SampleSet {
  int rows = 0, cols = 0;
  std::vector<double> images;   ///< count x rows x cols, abs() of the final amplitudes
  std::vector<int32_t> labels;  ///< the conditioning label, -1 when unconditioned
  /// Latent models: the generated latents (count x latent_size) the images were decoded from.
  std::vector<double> latents;
  int latent_size = 0;
  /// How a PNG grid of these is best laid out (0: square); not stored.
  int grid_columns = 0;
  /// Optional: count x (T + 1) x rows x cols, the noise then each denoised step.
  std::vector<double> trajectory;
  int trajectory_steps = 0;
  std::string backend;
  int64_t shots = 0;  ///< 0: exact amplitudes
  /// With shots: per sample, the shots that passed the chain's post-selection (the images are
  /// sqrt of frequencies among these).
  std::vector<double> kept_shots;
  /// With shots: each sample's measured classical bitstrings and how often each came, as
  /// stored (CSR: sample b's entries are [count_offsets[b], count_offsets[b + 1])).
  std::vector<int64_t> count_offsets, count_bits;
  std::vector<double> count_values;
  std::string bit_map;              ///< JSON: what each classical bit holds (docs/run-format.md)
  std::string circuit_kind;         ///< dynamic or static
  bool rejected_truncated = false;  ///< rejected shots stopped at their first failed bit
  int64_t seed = 0;
  double seconds = 0;
  /// The samples asked for (stored as attribute `count`); 0: one per row. The autoencoder stores
  /// two rows (original, reconstruction) per sample asked for.
  int64_t requested = 0;
  size_t count() const { return labels.size(); }
};

/// Each metric's value at each of `epochs`.
struct MetricCurves {
  std::vector<int64_t> epochs;
  std::map<std::string, std::vector<double>> values;
};

class RunFile {
 public:
  /// A new run file with provenance attributes and empty groups; `loss_width` is T (0: no
  /// /train/loss_per_t). Refuses an existing file unless `overwrite`.
  static RunFile create(const std::filesystem::path& path, const RunProvenance& provenance,
                        int loss_width, bool overwrite);
  /// Opens an existing run file, checking it is one (schema version attribute).
  static RunFile open(const std::filesystem::path& path, bool writable);

  const std::filesystem::path& path() const { return path_; }
  /// A root attribute; DataError naming it when absent.
  std::string attribute(const std::string& name) const;
  int64_t int_attribute(const std::string& name) const;
  /// running, complete or failed.
  void set_status(const std::string& status);

  void append_train(std::span<const TrainRecord> rows);
  size_t train_rows() const;
  void truncate_train(size_t rows);

  void append_epochs(std::span<const EpochRecord> rows);
  size_t epoch_rows() const;
  void truncate_epochs(size_t rows);

  void write_params(const ParamSnapshots& params);
  ParamSnapshots read_params() const;

  /// Parameters as they were after `epoch` epochs (train.snapshot_every), kept under
  /// /snapshots/epoch_NNNNNN for metric-vs-epoch curves; rewriting an epoch replaces it.
  void write_snapshot(int epoch, const ParamSnapshots& params);
  /// The epochs with a snapshot, ascending (empty when none were kept).
  std::vector<int> snapshot_epochs() const;
  ParamSnapshots read_snapshot(int epoch) const;

  /// Stores a sample set as /samples/NNN (the next free index) and returns that name.
  std::string add_samples(const SampleSet& samples);
  /// Names of the stored sample sets, oldest first.
  std::vector<std::string> sample_sets() const;
  SampleSet read_samples(const std::string& name) const;

  /// The whole /train series, and /epochs (empty when the run has none).
  std::vector<TrainRecord> read_train() const;
  std::vector<EpochRecord> read_epochs() const;

  void write_metric(const std::string& name, double value);
  /// A metric with text attributes (its definition, sample sizes, ...).
  void write_metric(const std::string& name, double value,
                    const std::vector<std::pair<std::string, std::string>>& attributes);
  /// Every /metrics entry by name.
  std::map<std::string, double> read_metrics() const;
  /// One metric's text attribute, if it has it.
  std::optional<std::string> metric_attribute(const std::string& metric,
                                              const std::string& attribute) const;
  /// Metrics of the parameter snapshots: /metric_curves/epoch (the snapshots' epochs) and one
  /// series per metric, with text attributes on the group. Replaces any earlier curves.
  void write_metric_curves(const MetricCurves& curves,
                           const std::vector<std::pair<std::string, std::string>>& attributes);
  /// Empty when the run has none.
  MetricCurves read_metric_curves() const;
  /// Drops the metrics whose attribute `key` is `value`: a new analysis replaces all of its own.
  void remove_metrics_with(const std::string& key, const std::string& value);
  /// The cloud job journal: /jobs/NAME holds one job's fields as text attributes (no secrets).
  /// write_job creates or updates the entry and flushes, so it survives a crash right after.
  void write_job(const std::string& name, const std::map<std::string, std::string>& fields);
  /// Each entry's `keys` (those it has), entries in name order.
  std::vector<std::map<std::string, std::string>> read_jobs(
      const std::vector<std::string>& keys) const;
  void flush();

 private:
  RunFile(std::filesystem::path path, h5::Handle file);
  /// The root group `name`; created when missing and `create`, else an invalid handle.
  h5::Handle group(const char* name, bool create) const;

  std::filesystem::path path_;
  h5::Handle file_;
};

}  // namespace qdm
