#pragma once
/// Training checkpoints: everything a run needs to continue bit for bit (parameters, optimiser
/// moments, RNG state, position in the data, how much of /train was written), serialised with
/// Boost.Serialization and written atomically beside the run file as RUN.h5.ckpt.

#include <boost/serialization/version.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace qdm {

struct TrainCheckpoint {
  std::string experiment;
  std::string config_ini;  ///< the run's resolved config; a resume must match it
  int64_t global_step = 0;
  int32_t epoch = 0;            ///< the epoch in progress (0-based)
  int32_t batch_in_epoch = 0;   ///< batches of that epoch already done
  std::vector<uint32_t> order;  ///< the data order of that epoch
  std::vector<double> params;
  int64_t adam_steps = 0;
  std::vector<double> adam_m, adam_v;
  std::string rng_engine;  ///< mt19937_64 state as its standard text form
  bool rng_has_spare = false;
  double rng_spare = 0;
  uint64_t train_rows = 0;  ///< rows of /train that belong to the state above
  double wall_time = 0;     ///< seconds of training before this checkpoint
  // Since version 1:
  uint64_t epoch_rows = 0;    ///< rows of /epochs that belong to the state above
  std::vector<double> extra;  ///< the experiment's own state (batch-norm statistics, best model)

  template <class Archive>
  void serialize(Archive& ar, unsigned version) {
    ar& experiment& config_ini& global_step& epoch& batch_in_epoch& order& params;
    ar& adam_steps& adam_m& adam_v& rng_engine& rng_has_spare& rng_spare& train_rows;
    ar& wall_time;
    if (version >= 1) ar& epoch_rows& extra;
  }
};

}  // namespace qdm

BOOST_CLASS_VERSION(qdm::TrainCheckpoint, 1)

namespace qdm {

/// The checkpoint file that belongs to a run file.
std::filesystem::path checkpoint_path(const std::filesystem::path& run_file);

void save_checkpoint(const std::filesystem::path& path, const TrainCheckpoint& checkpoint);
/// DataError naming the file when it is missing, truncated or not a qdm checkpoint.
TrainCheckpoint load_checkpoint(const std::filesystem::path& path);

}  // namespace qdm
