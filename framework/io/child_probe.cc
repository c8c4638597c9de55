#include "framework/io/child_probe.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#define QDM_HAS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QDM_HAS_ASAN 1
#endif
#endif
#if QDM_HAS_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

namespace qdm::io {
namespace {

void prepare_probe_child(unsigned seconds, uint64_t extra_bytes) {
#if QDM_HAS_ASAN
  __sanitizer_set_death_callback(nullptr);
#endif
  for (int signal : {SIGFPE, SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGALRM}) {
    std::signal(signal, SIG_DFL);
  }
  ::alarm(seconds);
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  if (!statm) return;
  unsigned long long pages = 0;
  const bool read = std::fscanf(statm, "%llu", &pages) == 1;
  std::fclose(statm);
  if (!read) return;
  const rlim_t limit =
      static_cast<rlim_t>(pages) * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE)) + extra_bytes;
  const rlimit bound{limit, limit};
  ::setrlimit(RLIMIT_AS, &bound);
}

std::string probe_failure(int status, unsigned seconds) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status) == 0
               ? ""
               : fmt::format("the reader fails on it (exit {})", WEXITSTATUS(status));
  }
  if (!WIFSIGNALED(status)) return "";
  const int signal = WTERMSIG(status);
  return signal == SIGALRM ? fmt::format("reading it did not end in {} s", seconds)
                           : fmt::format("the reader crashes on it ({})", ::strsignal(signal));
}

}  // namespace

ProbeOutcome run_in_child(const std::function<std::string()>& probe, unsigned seconds,
                          uint64_t extra_bytes) {
  int report[2];
  if (::pipe(report) != 0) return {};
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(report[0]);
    ::close(report[1]);
    return {};
  }
  if (pid == 0) {
    ::close(report[0]);
    prepare_probe_child(seconds, extra_bytes);
    std::string text;
    try {
      text = probe();
    } catch (...) {
    }
    if (!text.empty()) (void)!::write(report[1], text.data(), text.size());
    ::_exit(0);
  }
  ::close(report[1]);
  ProbeOutcome outcome;
  char chunk[256];
  for (ssize_t n; (n = ::read(report[0], chunk, sizeof chunk)) != 0;) {
    if (n > 0) outcome.report.append(chunk, static_cast<size_t>(n));
    if (n < 0 && errno != EINTR) break;
  }
  ::close(report[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  outcome.failure = probe_failure(status, seconds);
  outcome.signalled = WIFSIGNALED(status);
  return outcome;
}

}  // namespace qdm::io
