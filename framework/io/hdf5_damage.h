// Defences against damaged HDF5 files that libhdf5 1.10 itself does not survive (each found by
// fuzzing run files, tests/fuzz/regressions/run_file/): checks of the raw bytes before libhdf5
// reads them, and a probe that reads the file in a child process first.
#pragma once

#include <filesystem>
#include <span>

namespace qdm::h5 {

/// Throws DataError when a global heap collection of the file would make libhdf5 loop forever or
/// copy past the heap.
void check_global_heaps(const std::filesystem::path& path);

/// Opens `path` in a child process and reads every attribute (and every dataset's chunk index)
/// the way readers do, the root and `paths` first; throws DataError when the child crashes, hangs,
/// reports a sanitizer error or cannot read an attribute within its memory limit.
void probe_in_child(const std::filesystem::path& path, std::span<const char* const> paths);

}  // namespace qdm::h5
