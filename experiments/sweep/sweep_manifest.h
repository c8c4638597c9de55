#pragma once
/// DIR/sweep.h5: the plan of a sweep and where each point stands, readable by h5py. Only the
/// coordinating process writes it, opening it for each update, so a killed sweep leaves a file
/// that opens; the run files stay the truth about which points finished.
///
/// Layout: root attributes kind = "qdm-sweep", experiment, fingerprint, keys (one per line),
/// base_config, created; one group /points/NNNNNN per point with attributes id, file, label,
/// status (pending | running | complete | failed), error, seconds, attempts and one
/// "value:KEY" per swept key.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "experiments/sweep/sweep_plan.h"

namespace qdm {

struct SweepPointState {
  std::string status = "pending";
  std::string error;  ///< the failed run's error line
  double seconds = 0;
  int attempts = 0;
};

struct SweepManifestPoint {
  std::string id, file, label;
  std::map<std::string, std::string> values;  ///< swept key -> value
  SweepPointState state;
};

struct SweepManifest {
  std::string experiment, fingerprint, base_config;
  std::vector<std::string> keys;
  std::vector<SweepManifestPoint> points;
};

/// Creates DIR/sweep.h5 for `plan`, or checks that the one there is the same plan (its
/// fingerprint) and keeps its point states. std::invalid_argument when DIR holds another sweep.
void open_sweep_manifest(const std::filesystem::path& file, const SweepPlan& plan,
                         const std::string& base_config);
/// Records one point's state.
void write_point_state(const std::filesystem::path& file, int index, const SweepPointState& state);
SweepManifest read_sweep_manifest(const std::filesystem::path& file);
/// Whether `file` is a sweep manifest (not a run file).
bool is_sweep_manifest(const std::filesystem::path& file);

}  // namespace qdm
