#pragma once
/// Whole-file writes that never leave a half-written file behind: the bytes go to a temporary
/// file in the same folder, are fsync'ed, and the temporary is renamed over the target (then the
/// folder is fsync'ed so the rename itself survives a crash).

#include <cstdint>
#include <filesystem>
#include <span>

namespace qdm {

/// Throws DataError naming the file and the system's reason on failure; the target is then
/// untouched.
void write_file_atomically(const std::filesystem::path& path, std::span<const uint8_t> bytes);

}  // namespace qdm
