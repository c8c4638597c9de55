#pragma once
/// Progress of long work on stderr: a single redrawn line on a terminal, plain log lines (at most
/// one every `log_interval` seconds, plus the last) when stderr is a file or pipe.

#include <chrono>
#include <string>

namespace qdm {

class Progress {
 public:
  /// `total` units of work (steps, samples); `unit` names them in the rate ("samples/s").
  Progress(std::string what, long long total, std::string unit, double log_interval = 10.0);
  ~Progress();

  /// `done` units finished so far, `items` processed since the start for the rate; `detail` is
  /// appended ("epoch 3/20 loss 0.41").
  void update(long long done, double items, const std::string& detail);
  /// Ends the line (terminal) or logs the final state, `done` units finished.
  void finish(long long done, const std::string& detail);

  /// "1m05s", "2h03m", "12s".
  static std::string format_duration(double seconds);

 private:
  void emit(long long done, double items, const std::string& detail, bool final);
  std::string what_, unit_;
  long long total_;
  double log_interval_;
  bool terminal_;
  bool line_open_ = false;
  long long start_done_ = -1;
  std::chrono::steady_clock::time_point start_, last_emit_;
};

}  // namespace qdm
