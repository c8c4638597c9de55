#pragma once
/// A hyper-parameter sweep's plan: the points of a Cartesian grid or of seeded random draws over
/// an experiment's base config, each resolved, validated and named by a stable hash of its config,
/// so the same command always plans the same runs under the same file names.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "framework/config.h"
#include "framework/record_stamps.h"

namespace qdm {

/// One swept key: grid values ("section.key=v1,v2", or "v1|v2" when values hold commas), or for
/// random sweeps a range ("log:LO:HI", "lin:LO:HI", "int:LO:HI") or a list to draw from.
struct SweepAxis {
  std::string key;
  std::vector<std::string> values;  ///< empty for a range
  enum class Range { None, Linear, Log, Integer } range = Range::None;
  double lo = 0, hi = 0;
};
/// Parses "section.key=SPEC"; std::invalid_argument naming the spec when it is malformed.
SweepAxis parse_sweep_axis(const std::string& spec, bool random);

struct SweepPoint {
  int index = 0;                                            ///< 0-based, in plan order
  std::vector<std::pair<std::string, std::string>> values;  ///< swept key -> canonical value
  std::string config_ini;  ///< "experiment = NAME" then every key, resolved
  std::string id;          ///< NAME-HASH16: the run file's stem
  /// "train.lr=0.01 model.layers=2"
  std::string label() const;
};

struct SweepPlan {
  std::string experiment;
  std::vector<std::string> keys;  ///< swept keys, in --grid order
  std::vector<SweepPoint> points;
  /// Hash of every point's id, in order: two commands plan the same sweep iff these agree.
  std::string fingerprint() const;
};

/// The grid's points (Cartesian product, the last axis varying fastest) or, when `random_draws`
/// is set, that many independent draws seeded by `seed`. Every value is applied to a copy of
/// `base` first, so an invalid one fails here, before any run starts, naming its key and value.
SweepPlan plan_sweep(const std::string& experiment, const Config& base,
                     const std::vector<SweepAxis>& axes, std::optional<int> random_draws,
                     uint64_t seed);

}  // namespace qdm
