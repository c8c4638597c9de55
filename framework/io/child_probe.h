// Reading untrusted bytes in a forked child first, so that a reader which crashes, hangs, asks for
// impossible memory or trips a sanitizer on damaged input refuses the input instead of taking the
// process down (used for HDF5 run files and training checkpoints).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace qdm::io {

/// Prepares a freshly forked child for probing: default actions for crash signals, SIGALRM after
/// `seconds`, at most `extra_bytes` more address space than the process holds (sanitizers reserve
/// terabytes of shadow, so the limit is relative), and a sanitizer report ending it with a
/// non-zero exit instead of a fuzzer's death callback counting it as a crash of this process.
void prepare_probe_child(unsigned seconds, uint64_t extra_bytes);

/// Why a probe child ended badly, from its wait status: "" when it exited 0.
std::string probe_failure(int status, unsigned seconds);

/// Runs `probe` in a child prepared as above and returns probe_failure of how it ended. An
/// exception thrown by `probe` counts as a normal end: the caller's own read reports it. "" when
/// no child can be forked (the caller reads as it would have).
std::string run_in_child(const std::function<void()>& probe, unsigned seconds,
                         uint64_t extra_bytes);

}  // namespace qdm::io
