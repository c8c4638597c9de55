#pragma once
/// One fuzz target per parser of outside input. QDM_FUZZ_TARGET(name) { ... } defines the body
/// that receives one input: built with libFuzzer (QDM_LIBFUZZER) it is LLVMFuzzerTestOneInput;
/// otherwise it registers itself with the replay driver (replay_main.cc) that runs the committed
/// corpora and regression inputs in ctest under the GCC sanitizer build.
///
/// A target catches only the errors its parser documents (DataError, std::invalid_argument, ...);
/// anything else escapes, terminates the process and is a finding, as are sanitizer reports and
/// failed property checks (fuzz_check).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace qdm::fuzz {

using Target = int (*)(const uint8_t*, size_t);
bool register_target(const char* name, Target target);

/// A property every accepted input must have; aborts (a finding) naming it when it fails.
inline void fuzz_check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz property failed: %s\n", what);
    std::abort();
  }
}

/// A private scratch file for targets whose parser reads files; removed at exit.
std::string scratch_file(const char* suffix);
/// Writes `size` bytes to `path` (replacing it).
void write_bytes(const std::string& path, const uint8_t* data, size_t size);

}  // namespace qdm::fuzz

#ifdef QDM_LIBFUZZER
#define QDM_FUZZ_TARGET(name)                                               \
  static int name##_one(const uint8_t* data, size_t size);                  \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { \
    return name##_one(data, size);                                          \
  }                                                                         \
  static int name##_one(const uint8_t* data, size_t size)
#else
#define QDM_FUZZ_TARGET(name)                              \
  static int name##_one(const uint8_t* data, size_t size); \
  [[maybe_unused]] static const bool name##_registered =   \
      qdm::fuzz::register_target(#name, name##_one);       \
  static int name##_one(const uint8_t* data, size_t size)
#endif
