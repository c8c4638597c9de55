#pragma once
/// Running a sweep's points: each point is a `qdm train` child process (its own address space,
/// so a crash or a bad config fails that point only), launched with a fixed thread count and its
/// output in DIR/logs/ID.log. A coordinator keeps K local children busy and, under MPI, hands
/// points to the other ranks as they ask for work.

#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "experiments/sweep/sweep_manifest.h"
#include "experiments/sweep/sweep_plan.h"

namespace qdm::cli {

struct SweepJob {
  std::filesystem::path dir;
  SweepPlan plan;
  std::filesystem::path qdm;  ///< the qdm binary the children run
  int threads_per_run = 1;
  std::filesystem::path manifest() const { return dir / "sweep.h5"; }
  std::filesystem::path run_file(int point) const;
  std::filesystem::path config_file(int point) const;
  std::filesystem::path log_file(int point) const;
};

/// Whether a point's run file is there and finished.
bool point_complete(const SweepJob& job, int point);
/// Starts `qdm train` for a point: resuming its run when it has a checkpoint, else from scratch.
pid_t launch_point(const SweepJob& job, int point);
/// What became of a point whose child exited with `wait_status`.
SweepPointState point_outcome(const SweepJob& job, int point, int wait_status, double seconds);
/// Starts a point and waits for it (an MPI worker rank's way of running one): its wait status.
int run_point_blocking(const SweepJob& job, int point);

/// The ranks other than the coordinator, under MPI.
class RemoteWorkers {
 public:
  virtual ~RemoteWorkers() = default;
  virtual int count() const = 0;
  /// A rank asking for work, with the point it just ran (-1: none) and that child's wait status.
  struct Report {
    int rank = 0, point = -1, wait_status = 0;
  };
  /// The next waiting request, if any (never blocks).
  virtual std::optional<Report> poll() = 0;
  /// Gives `rank` a point, or -1: no more work.
  virtual void assign(int rank, int point) = 0;
};

struct SweepSummary {
  int complete = 0, failed = 0, skipped = 0, interrupted = 0;
};

/// Runs every unfinished point of `job` on `local_workers` children and the remote ranks,
/// recording each outcome in the manifest and printing progress. `stop` (Ctrl-C): children are
/// told to checkpoint, nothing new starts, and what stopped counts as interrupted.
SweepSummary coordinate_sweep(const SweepJob& job, int local_workers, RemoteWorkers* remote,
                              const std::atomic<bool>& stop);

}  // namespace qdm::cli
