#include "backends/rest/secrets.h"

#include <cstdlib>
#include <mutex>
#include <set>

#include "framework/error.h"

namespace qdm::rest {
namespace {

std::mutex& secrets_mutex() {
  static std::mutex m;
  return m;
}
std::set<std::string>& secrets() {
  static std::set<std::string> s;
  return s;
}

}  // namespace

void register_secret(const std::string& secret) {
  if (secret.size() < 4) return;
  std::lock_guard lock(secrets_mutex());
  secrets().insert(secret);
}

std::string redact(std::string text) {
  std::lock_guard lock(secrets_mutex());
  for (const std::string& s : secrets()) {
    for (size_t at = text.find(s); at != std::string::npos; at = text.find(s, at)) {
      text.replace(at, s.size(), "[REDACTED]");
      at += 10;
    }
  }
  return text;
}

std::string secret_from_env(const std::string& name, const std::string& what) {
  const char* value = std::getenv(name.c_str());
  require(value != nullptr && *value != '\0',
          "environment variable {} is not set: it must hold {} (keys are read only from the "
          "environment, never from config files or flags)",
          name, what);
  register_secret(value);
  return value;
}

}  // namespace qdm::rest
