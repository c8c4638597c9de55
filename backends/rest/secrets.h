#pragma once
/// Secrets (API keys, bearer tokens) known to the process, so that every line qdm prints or
/// stores can be scrubbed of them: the REST clients register each secret as they read or receive
/// it, and log lines and error messages pass through redact().

#include <string>

namespace qdm::rest {

/// Remembers `secret` (ignored when shorter than 4 characters, which would redact ordinary text).
void register_secret(const std::string& secret);
/// `text` with every registered secret replaced by "[REDACTED]".
std::string redact(std::string text);
/// The value of environment variable `name`, registered as a secret; std::invalid_argument naming
/// the variable (never a value) when it is unset or empty. `what` says what it is for.
std::string secret_from_env(const std::string& name, const std::string& what);

}  // namespace qdm::rest
