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
  std::map<std::string, std::string> config;  ///< the key values shown
  std::map<std::string, double> metrics;
};

/// Run files named directly, or found (*.h5, recursively, sorted) in named folders. Files that
/// are not qdm runs found in a folder (classifier caches) are skipped; one named directly is a
/// row saying why it cannot be read.
std::vector<ReportRow> collect_runs(const std::vector<std::filesystem::path>& inputs);

struct ReportTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};
/// The rows as a table: fixed columns, then each metric some run has, in a stable order.
/// `rank_by` (a metric name, optional) sorts runs by it, best first (lowest, or highest for
/// accuracy-like metrics); runs without it go last. Per-digit and per-class metrics appear only
/// with `all_metrics`.
ReportTable make_table(const std::vector<ReportRow>& rows, const std::string& rank_by = "",
                       bool all_metrics = false);
std::string to_markdown(const ReportTable& table);
std::string to_csv(const ReportTable& table);

}  // namespace qdm::analysis
