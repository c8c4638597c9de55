#include "cli/sweep_runner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <deque>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "framework/checkpoint.h"
#include "framework/error.h"
#include "framework/run_store.h"

namespace qdm::cli {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

fs::path SweepJob::run_file(int point) const { return dir / (plan.points.at(point).id + ".h5"); }
fs::path SweepJob::config_file(int point) const {
  return dir / "points" / (plan.points.at(point).id + ".ini");
}
fs::path SweepJob::log_file(int point) const {
  return dir / "logs" / (plan.points.at(point).id + ".log");
}

bool point_complete(const SweepJob& job, int point) {
  const fs::path run = job.run_file(point);
  if (!fs::exists(run)) return false;
  try {
    return RunFile::open(run, false).attribute("status") == "complete";
  } catch (const std::exception&) {
    return false;  // a run file a kill left unreadable is started again
  }
}

pid_t launch_point(const SweepJob& job, int point) {
  const fs::path run = job.run_file(point);
  const bool resume = fs::exists(run) && fs::exists(checkpoint_path(run));
  const std::vector<std::string> args = {job.qdm.string(),
                                         "train",
                                         "--config",
                                         job.config_file(point).string(),
                                         "--out",
                                         run.string(),
                                         resume ? "--resume" : "--overwrite"};
  const std::string threads = std::to_string(job.threads_per_run);
  const std::string log = job.log_file(point).string();
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(fmt::format("cannot start a process for {}", run.string()));
  if (pid == 0) {
    // The child is told to checkpoint and stop if the sweep dies (kill -9 included).
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    ::setenv("OMP_NUM_THREADS", threads.c_str(), 1);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

int run_point_blocking(const SweepJob& job, int point) {
  const pid_t pid = launch_point(job, point);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  return status;
}

namespace {

/// The most telling line of a failed point's log: its last error line, else its last line.
std::string error_from_log(const fs::path& log, int wait_status) {
  std::ifstream in(log);
  std::string line, last, last_error;
  while (std::getline(in, line, '\n')) {
    const size_t cr = line.find_last_of('\r');
    if (cr != std::string::npos) line = line.substr(cr + 1);
    if (line.empty()) continue;
    last = line;
    if (line.find("error") != std::string::npos) last_error = line;
  }
  if (!last_error.empty()) return last_error;
  if (WIFSIGNALED(wait_status)) return fmt::format("killed by signal {}", WTERMSIG(wait_status));
  return last.empty() ? fmt::format("exit status {}", WEXITSTATUS(wait_status)) : last;
}

}  // namespace

SweepPointState point_outcome(const SweepJob& job, int point, int wait_status, double seconds) {
  SweepPointState s;
  s.seconds = seconds;
  const bool exited = WIFEXITED(wait_status);
  const int code = exited ? WEXITSTATUS(wait_status) : -1;
  if (exited && code == 0 && point_complete(job, point)) {
    s.status = "complete";
  } else if ((exited && code == 130) ||
             (WIFSIGNALED(wait_status) &&
              (WTERMSIG(wait_status) == SIGTERM || WTERMSIG(wait_status) == SIGINT))) {
    s.status = "interrupted";
  } else {
    s.status = "failed";
    s.error = error_from_log(job.log_file(point), wait_status);
  }
  return s;
}

SweepSummary coordinate_sweep(const SweepJob& job, int local_workers, RemoteWorkers* remote,
                              const std::atomic<bool>& stop) {
  SweepSummary summary;
  const fs::path manifest = job.manifest();
  const SweepManifest before = read_sweep_manifest(manifest);
  std::deque<int> pending;
  for (const SweepPoint& p : job.plan.points) {
    if (point_complete(job, p.index)) {
      ++summary.skipped;
      if (before.points.at(p.index).state.status != "complete") {
        SweepPointState done = before.points.at(p.index).state;
        done.status = "complete";
        done.error.clear();
        write_point_state(manifest, p.index, done);
      }
    } else {
      pending.push_back(p.index);
    }
  }
  const int to_run = static_cast<int>(pending.size());
  const int remote_ranks = remote ? remote->count() : 0;
  fmt::print(
      "sweep {}: {} points of {} over {}; {} finished already, {} to run on {} worker{}{} x "
      "{} thread{}\n",
      job.dir.string(), job.plan.points.size(), job.plan.experiment, fmt::join(job.plan.keys, ", "),
      summary.skipped, to_run, local_workers, local_workers == 1 ? "" : "s",
      remote_ranks ? fmt::format(" + {} MPI rank{}", remote_ranks, remote_ranks == 1 ? "" : "s")
                   : std::string(),
      job.threads_per_run, job.threads_per_run == 1 ? "" : "s");
  std::fflush(stdout);

  std::map<int, int> attempts;
  for (int p : pending) attempts[p] = before.points.at(p).state.attempts;
  int done = 0;
  const auto start = [&](int point) {
    SweepPointState s;
    s.status = "running";
    s.attempts = ++attempts[point];
    write_point_state(manifest, point, s);
  };
  const auto record = [&](int point, SweepPointState s) {
    s.attempts = attempts[point];
    write_point_state(manifest, point, s);
    const SweepPoint& p = job.plan.points.at(point);
    if (s.status == "complete") {
      ++summary.complete;
    } else if (s.status == "failed") {
      ++summary.failed;
    } else {
      ++summary.interrupted;
    }
    ++done;
    fmt::print("[{}/{}] {} ({}): {} in {:.1f} s{}\n", done, to_run, p.id, p.label(), s.status,
               s.seconds,
               s.status == "failed"
                   ? fmt::format("\n        {} (log: {})", s.error, job.log_file(point).string())
                   : std::string());
    std::fflush(stdout);
  };

  struct Running {
    int point;
    Clock::time_point since;
  };
  std::map<pid_t, Running> local;
  std::map<int, Clock::time_point> remote_since;  // by point
  int remote_finished = 0;
  bool forwarded_stop = false;
  const auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  while (true) {
    bool busy = false;
    while (!stop && static_cast<int>(local.size()) < local_workers && !pending.empty()) {
      const int point = pending.front();
      pending.pop_front();
      start(point);
      local[launch_point(job, point)] = {point, Clock::now()};
      busy = true;
    }
    int status = 0;
    pid_t pid = 0;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      const auto it = local.find(pid);
      if (it == local.end()) continue;
      record(it->second.point,
             point_outcome(job, it->second.point, status, seconds_since(it->second.since)));
      local.erase(it);
      busy = true;
    }
    while (remote) {
      const auto report = remote->poll();
      if (!report) break;
      busy = true;
      if (report->point >= 0) {
        record(report->point, point_outcome(job, report->point, report->wait_status,
                                            seconds_since(remote_since[report->point])));
      }
      if (!stop && !pending.empty()) {
        const int point = pending.front();
        pending.pop_front();
        start(point);
        remote_since[point] = Clock::now();
        remote->assign(report->rank, point);
      } else {
        remote->assign(report->rank, -1);
        ++remote_finished;
      }
    }
    if (stop && !forwarded_stop) {
      for (const auto& [child, running] : local) ::kill(child, SIGTERM);
      forwarded_stop = true;
    }
    if (local.empty() && (pending.empty() || stop) && remote_finished == remote_ranks) break;
    if (!busy) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return summary;
}

}  // namespace qdm::cli
