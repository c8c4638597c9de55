#pragma once
/// Stamps written into records (run files, sweep files, the QPU job journal): a content hash that
/// names the same text the same way everywhere, and the current time.

#include <string>

namespace qdm {

/// 64-bit FNV-1a, as 16 hex digits: stable across machines, compilers and runs.
std::string stable_hash(const std::string& text);

/// The current UTC time, ISO 8601 (2026-11-24T18:07:00Z).
std::string utc_now();

}  // namespace qdm
