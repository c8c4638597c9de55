#include "cli/sweep_mpi.h"

#include <cstdlib>
#include <stdexcept>

#ifdef QDM_HAVE_MPI
#include <mpi.h>
#endif

namespace qdm::cli {

bool launched_under_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"}) {
    if (std::getenv(v)) return true;
  }
  return false;
}

bool sweep_mpi_available() {
#ifdef QDM_HAVE_MPI
  return true;
#else
  return false;
#endif
}

#ifdef QDM_HAVE_MPI
namespace {

constexpr int kReportTag = 1, kWorkTag = 2;

class MpiRemote : public RemoteWorkers {
 public:
  explicit MpiRemote(int size) : size_(size) {}
  int count() const override { return size_ - 1; }
  std::optional<Report> poll() override {
    int waiting = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, kReportTag, MPI_COMM_WORLD, &waiting, &status);
    if (!waiting) return std::nullopt;
    int message[2] = {-1, 0};
    MPI_Recv(message, 2, MPI_INT, status.MPI_SOURCE, kReportTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return Report{status.MPI_SOURCE, message[0], message[1]};
  }
  void assign(int rank, int point) override {
    MPI_Send(&point, 1, MPI_INT, rank, kWorkTag, MPI_COMM_WORLD);
  }

 private:
  int size_;
};

}  // namespace

MpiSession::MpiSession() {
  MPI_Init(nullptr, nullptr);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}
MpiSession::~MpiSession() { MPI_Finalize(); }
void MpiSession::barrier() const { MPI_Barrier(MPI_COMM_WORLD); }
void MpiSession::abort(int code) const {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}
std::unique_ptr<RemoteWorkers> MpiSession::remote_workers() const {
  return std::make_unique<MpiRemote>(size_);
}
void MpiSession::serve(const SweepJob& job) const {
  int message[2] = {-1, 0};
  while (true) {
    MPI_Send(message, 2, MPI_INT, 0, kReportTag, MPI_COMM_WORLD);
    int point = -1;
    MPI_Recv(&point, 1, MPI_INT, 0, kWorkTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (point < 0) return;
    message[0] = point;
    message[1] = run_point_blocking(job, point);
  }
}
#else
MpiSession::MpiSession() {
  throw std::invalid_argument(
      "qdm sweep was started under mpirun/srun, but this qdm was built without MPI: every rank "
      "would run the whole sweep. Install libopenmpi-dev and rebuild (CMake finds it; "
      "-DQDM_MPI=ON insists), or run the sweep without mpirun");
}
MpiSession::~MpiSession() = default;
void MpiSession::barrier() const {}
void MpiSession::abort(int code) const { std::exit(code); }
std::unique_ptr<RemoteWorkers> MpiSession::remote_workers() const { return nullptr; }
void MpiSession::serve(const SweepJob&) const {}
#endif

}  // namespace qdm::cli
