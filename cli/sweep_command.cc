// qdm sweep: one run per point of a grid (or of random draws) over an experiment's config, on
// local worker processes or MPI ranks, resumable by re-running the same command.
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/sweep_mpi.h"
#include "cli/sweep_runner.h"
#include "experiments/experiment.h"
#include "framework/atomic_file.h"
#include "framework/error.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace qdm::cli {
namespace {

std::atomic<bool> g_sweep_stop{false};
extern "C" void request_sweep_stop(int) { g_sweep_stop = true; }

/// Writes each point's resolved config as DIR/points/ID.ini (what its `qdm train` reads) and the
/// folders the runs and logs go to.
void prepare_folder(const SweepJob& job) {
  fs::create_directories(job.dir / "points");
  fs::create_directories(job.dir / "logs");
  for (const SweepPoint& p : job.plan.points) {
    const fs::path ini = job.config_file(p.index);
    std::ifstream in(ini);
    const std::string old((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (old != p.config_ini) {
      write_file_atomically(ini, std::span(reinterpret_cast<const uint8_t*>(p.config_ini.data()),
                                           p.config_ini.size()));
    }
  }
}

/// Holds DIR/sweep.lock for the life of this sweep and of its children (they inherit it), so a
/// second sweep on the same folder cannot start while any of them runs. After a crash of the
/// coordinator its children checkpoint and exit (they were sent SIGTERM); this waits for that.
void lock_folder(const fs::path& dir) {
  const fs::path path = dir / "sweep.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
  require(fd >= 0, "cannot create {}", path.string());
  for (int tries = 0; ::flock(fd, LOCK_EX | LOCK_NB) != 0; ++tries) {
    if (tries == 0) {
      fmt::print(stderr, "waiting for the processes of another sweep in {} to end\n", dir.string());
    }
    if (tries == 300) {
      throw std::invalid_argument(fmt::format(
          "another qdm sweep (or its training processes) is still running in {}", dir.string()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Never closed: the lock lasts as long as this process and its children.
}

}  // namespace

int run_sweep(const std::vector<std::string>& args) {
  std::string experiment_flag, config_file, out;
  std::vector<std::string> sets, grids;
  int random = 0, workers = 0, threads_per_run = 1;
  uint64_t seed = 1;
  po::options_description options("options");
  const std::string experiment_help = "experiment to sweep: " + experiment_names();
  options.add_options()("experiment", po::value(&experiment_flag), experiment_help.c_str())(
      "config", po::value(&config_file), "INI file: the base config every point starts from")(
      "set", po::value(&sets)->composing(), "section.key=value on the base config (repeatable)")(
      "grid", po::value(&grids)->composing(),
      "section.key=v1,v2,... (v1|v2|... when values hold commas); with --random also "
      "log:LO:HI, lin:LO:HI or int:LO:HI (repeatable)")(
      "random", po::value(&random), "N random draws instead of the Cartesian grid")(
      "seed", po::value(&seed)->default_value(1), "seed of the random draws")(
      "out", po::value(&out), "sweep folder: one run file per point and sweep.h5")(
      "workers", po::value(&workers)->default_value(0),
      "local worker processes (0: cores / threads per run; 1 beside the other ranks under MPI)")(
      "threads-per-run", po::value(&threads_per_run)->default_value(1),
      "threads of each point's training (the same in every mode, so results agree)")(
      "dry-run", "print the points and their run files, run nothing")("help,h", "show this help");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout
        << "usage: qdm sweep --experiment NAME [--config FILE] --grid section.key=v1,v2 [--grid "
           "...]\n"
           "                 [--random N --seed S] --out DIR [--workers K]\n\n"
           "One qdm train run per point, DIR/NAME-HASH.h5 (HASH: a stable hash of the point's\n"
           "resolved config), with DIR/sweep.h5 listing the points and how each ended. A failed\n"
           "point is recorded and the sweep goes on. Re-running the same command skips finished\n"
           "points, resumes interrupted ones from their checkpoints and retries failed ones.\n"
           "Under `mpirun -n R qdm sweep ...` (or srun) rank 0 hands points to the ranks as they\n"
           "become free. qdm report DIR ranks the points and shows each key's effect.\n\n"
        << options << "\n";
    return 0;
  }
  require(!out.empty(), "--out DIR is required: the sweep folder");
  require(!grids.empty(), "name at least one --grid section.key=v1,v2,...");
  require_in_range("--workers", workers, 0, 4096);
  require_in_range("--threads-per-run", threads_per_run, 1, 4096);
  require(!vm.count("random") || random >= 1, "--random {} must be at least 1", random);

  std::string config_text;
  if (!config_file.empty()) config_text = read_config_file(config_file);
  const std::optional<std::string> from_file =
      config_text.empty() ? std::nullopt : ini_experiment(config_text);
  require(experiment_flag.empty() || !from_file || *from_file == experiment_flag,
          "--experiment {} conflicts with experiment = {} in --config {}", experiment_flag,
          from_file.value_or(""), config_file);
  const std::string name = experiment_flag.empty() ? from_file.value_or("") : experiment_flag;
  require(!name.empty(), "name the experiment: --experiment NAME (known: {})", experiment_names());
  const auto experiment = make_experiment(name);
  Config base(experiment->schema());
  if (!config_file.empty()) base.apply_ini(config_text, fs::path(config_file).filename());
  for (const auto& s : sets) base.set_assignment(s);

  std::vector<SweepAxis> axes;
  for (const std::string& g : grids) axes.push_back(parse_sweep_axis(g, vm.count("random") > 0));
  SweepJob job;
  job.dir = out;
  job.threads_per_run = threads_per_run;
  job.qdm = fs::read_symlink("/proc/self/exe");
  // Every value is validated here, before any folder or run exists.
  job.plan = plan_sweep(name, base, axes,
                        vm.count("random") ? std::optional<int>(random) : std::nullopt, seed);
  if (vm.count("dry-run")) {
    for (const SweepPoint& p : job.plan.points) {
      fmt::print("{:>4}  {}  {}\n", p.index, job.run_file(p.index).string(), p.label());
    }
    return 0;
  }
  require(!fs::exists(out) || fs::is_directory(out), "--out '{}' exists and is not a folder", out);

  std::optional<MpiSession> mpi;
  if (launched_under_mpi()) mpi.emplace();
  if (mpi && mpi->rank() != 0) {
    mpi->barrier();  // rank 0 has written the folder
    mpi->serve(job);
    mpi->barrier();
    return 0;
  }
  try {
    fs::create_directories(job.dir);
    lock_folder(job.dir);
    open_sweep_manifest(job.manifest(), job.plan,
                        fmt::format("experiment = {}\n{}", name, base.to_ini()));
    prepare_folder(job);
  } catch (const std::exception& e) {
    if (mpi && mpi->size() > 1) {
      fmt::print(stderr, "qdm sweep: error: {}\n", e.what());
      mpi->abort(2);
    }
    throw;
  }
  if (mpi) mpi->barrier();

  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int local = workers > 0 ? workers : mpi ? 1 : std::max(1, cores / threads_per_run);
  std::signal(SIGINT, request_sweep_stop);
  std::signal(SIGTERM, request_sweep_stop);
  const std::unique_ptr<RemoteWorkers> remote =
      mpi && mpi->size() > 1 ? mpi->remote_workers() : nullptr;
  const SweepSummary s = coordinate_sweep(job, local, remote.get(), g_sweep_stop);
  if (mpi) mpi->barrier();
  fmt::print("sweep {}: {} complete, {} failed, {} interrupted, {} skipped as finished\n", out,
             s.complete, s.failed, s.interrupted, s.skipped);
  if (s.interrupted > 0 || g_sweep_stop) {
    fmt::print("re-run the same command to resume it\n");
    return 130;
  }
  if (s.failed > 0) {
    fmt::print("failed points are retried when the same command runs again; logs in {}\n",
               (job.dir / "logs").string());
    return 1;
  }
  fmt::print("next: qdm report {} --rank-by final_loss\n", out);
  return 0;
}

}  // namespace qdm::cli
