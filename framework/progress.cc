#include "framework/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace qdm {

Progress::Progress(std::string what, long long total, std::string unit, double log_interval)
    : what_(std::move(what)),
      unit_(std::move(unit)),
      total_(total),
      log_interval_(log_interval),
      terminal_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_emit_(start_) {}

Progress::~Progress() {
  if (line_open_) std::fputc('\n', stderr);
}

std::string Progress::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long long s = std::llround(seconds);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
}

void Progress::update(long long done, double items, const std::string& detail) {
  if (start_done_ < 0) start_done_ = done;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_emit_).count();
  if (since < (terminal_ ? 0.2 : log_interval_)) return;
  last_emit_ = now;
  emit(done, items, detail, false);
}

void Progress::finish(long long done, const std::string& detail) {
  emit(done, -1, detail, true);
  if (line_open_) std::fputc('\n', stderr);
  line_open_ = false;
}

void Progress::emit(long long done, double items, const std::string& detail, bool final) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string line = fmt::format("{} {}/{}", what_, done, total_);
  if (!detail.empty()) line += "  " + detail;
  if (items >= 0 && elapsed > 0) line += fmt::format("  {:.0f} {}", items / elapsed, unit_);
  if (final) {
    line += fmt::format("  took {}", format_duration(elapsed));
  } else if (done > start_done_ && total_ > done) {
    const double eta = elapsed / static_cast<double>(done - start_done_) * (total_ - done);
    line += fmt::format("  ETA {}", format_duration(eta));
  }
  if (terminal_) {
    std::fprintf(stderr, "\r%s\033[K", line.c_str());
    line_open_ = true;
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace qdm
