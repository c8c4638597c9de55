#pragma once
/// The MPI side of `qdm sweep`: rank 0 coordinates (and runs points itself), the other ranks
/// ask it for points one at a time, so fast and slow points balance across ranks. Compiled in
/// when CMake finds Open MPI (QDM_MPI); without it a sweep started under mpirun refuses to run,
/// since every rank would run the whole sweep.

#include <memory>

#include "cli/sweep_runner.h"

namespace qdm::cli {

/// Whether this process was started by mpirun/srun (their environment variables).
bool launched_under_mpi();
/// Whether this qdm was built with MPI.
bool sweep_mpi_available();

class MpiSession {
 public:
  /// MPI_Init; std::invalid_argument when qdm was built without MPI.
  MpiSession();
  ~MpiSession();  ///< MPI_Finalize
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  void barrier() const;
  /// Ends every rank at once (rank 0 failed after the others started waiting for it).
  [[noreturn]] void abort(int code) const;
  /// Rank 0's view of the other ranks.
  std::unique_ptr<RemoteWorkers> remote_workers() const;
  /// A worker rank's loop: ask rank 0 for points and run them until it says there are no more.
  void serve(const SweepJob& job) const;

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace qdm::cli
