#pragma once
/// `qdm report`: one row per run file (experiment, backend, key config values, parameter count,
/// train time, final loss and every sample metric), as Markdown or CSV. Runs that failed, are
/// still running or cannot be read appear with their status instead of numbers.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace qdm::analysis {

struct ReportRow {
  std::filesystem::path path;
  std::string experiment, status, backend;
  std::map<std::string, std::string> config;    ///< the key values shown
  std::map<std::string, std::string> resolved;  ///< every config key (section.key -> value)
  std::map<std::string, double> metrics;
};

/// Run files named directly, or found (*.h5, recursively, sorted) in named folders. Files that
/// are not qdm runs found in a folder (classifier caches) are skipped; one named directly is a
/// row saying why it cannot be read.
std::vector<ReportRow> collect_runs(const std::vector<std::filesystem::path>& inputs);

/// A folder `qdm sweep` wrote: its swept keys and a row for each point, the run file's when there
/// is one, else one with the manifest's status (a point that failed before its run file existed).
struct SweepRows {
  std::vector<std::string> keys;
  std::vector<ReportRow> rows;
};
/// Empty keys when `dir` holds no sweep.h5.
SweepRows collect_sweep(const std::filesystem::path& dir);

/// The mean (and best) of `metric` over the points with each value of each swept key.
struct Effect {
  std::string key, value;
  int points = 0;
  double mean = 0, best = 0;
};
std::vector<Effect> sweep_effects(const std::vector<ReportRow>& rows,
                                  const std::vector<std::string>& keys, const std::string& metric);
std::string effects_markdown(const std::vector<Effect>& effects, const std::string& metric);
/// One PNG per key, DIR/effect-KEY.png: the mean metric against the key's values (numeric
/// values on their own axis, log-spaced when they span a decade or more; others in order).
std::vector<std::filesystem::path> write_effect_plots(const std::vector<Effect>& effects,
                                                      const std::string& metric,
                                                      const std::filesystem::path& dir);
/// Whether a metric is better when higher (accuracy-like) rather than lower (loss, FID).
bool higher_is_better(const std::string& metric);

struct ReportTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};
/// The rows as a table: fixed columns, then each metric some run has, in a stable order.
/// `rank_by` (a metric name, optional) sorts runs by it, best first (lowest, or highest for
/// accuracy-like metrics); runs without it go last. Per-digit and per-class metrics appear only
/// with `all_metrics`.
/// `extra_keys` (swept keys) join the config column.
ReportTable make_table(const std::vector<ReportRow>& rows, const std::string& rank_by = "",
                       bool all_metrics = false, const std::vector<std::string>& extra_keys = {});
std::string to_markdown(const ReportTable& table);
std::string to_csv(const ReportTable& table);

}  // namespace qdm::analysis
