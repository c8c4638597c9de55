#pragma once
/// Error types and argument checks. Bad input from a user is std::invalid_argument (the CLI maps
/// it to exit status 2); the few project types below mark failures that are not the caller's.

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace qdm {

/// A file, data set or server reply that cannot be read or does not hold what it should.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An operation that the selected backend cannot perform (for example a non-physical stage on a
/// QPU), detected before any work is done.
class UnsupportedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws std::invalid_argument with a formatted message when `condition` is false.
template <typename... Args>
void require(bool condition, fmt::format_string<Args...> format, Args&&... args) {
  if (!condition) throw std::invalid_argument(fmt::format(format, std::forward<Args>(args)...));
}

/// Checks lo <= value <= hi and names the thing in the error: "qubit index 9 is outside 0..7".
template <typename T>
void require_in_range(const char* what, T value, T lo, T hi) {
  if (value < lo || value > hi) {
    throw std::invalid_argument(fmt::format("{} {} is outside {}..{}", what, value, lo, hi));
  }
}

}  // namespace qdm
