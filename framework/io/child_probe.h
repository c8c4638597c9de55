// Reading untrusted bytes in a forked child first, so that a reader which crashes, hangs, asks for
// impossible memory or trips a sanitizer on damaged input refuses the input instead of taking the
// process down (used for HDF5 run files and training checkpoints).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace qdm::io {

/// How a probe child ended.
struct ProbeOutcome {
  std::string report;      ///< the text the probe returned ("" when it threw or died first)
  std::string failure;     ///< why the child ended badly: "" when it exited 0
  bool signalled = false;  ///< it died by a signal (a crash, or SIGALRM when it ran too long)
};

/// Runs `probe` in a forked child: default actions for crash signals, SIGALRM after `seconds`,
/// at most `extra_bytes` more address space than the process holds (sanitizers reserve terabytes
/// of shadow, so the limit is relative), and a sanitizer report ending the child with a non-zero
/// exit instead of a fuzzer's death callback counting it as a crash of this process. What the
/// probe returns comes back through a pipe. An exception thrown by `probe` counts as a normal end:
/// the caller's own read reports it. An empty outcome when no child can be made (the caller reads
/// as it would have).
ProbeOutcome run_in_child(const std::function<std::string()>& probe, unsigned seconds,
                          uint64_t extra_bytes);

}  // namespace qdm::io
