#include "backends/rest/json_fields.h"

#include <fmt/format.h>

#include <charconv>

#include "framework/error.h"

namespace qdm::rest {

const nlohmann::json& field(const nlohmann::json& j, const std::string& name,
                            const std::string& where) {
  if (!j.is_object() || !j.contains(name)) {
    throw DataError(fmt::format("{}: the reply has no '{}' field", where, name));
  }
  return j[name];
}

std::string string_field(const nlohmann::json& j, const std::string& name,
                         const std::string& where) {
  const nlohmann::json& v = field(j, name, where);
  if (!v.is_string()) {
    throw DataError(fmt::format("{}: field '{}' is {}, not a string", where, name, v.type_name()));
  }
  return v.get<std::string>();
}

uint64_t parse_bitstring(const std::string& text, bool hex, const std::string& where) {
  std::string_view digits = text;
  if (hex) {
    if (digits.rfind("0x", 0) != 0) {
      throw DataError(fmt::format("{}: sample '{}' is not 0x-prefixed hex", where, text));
    }
    digits.remove_prefix(2);
  }
  uint64_t value = 0;
  const auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), value, hex ? 16 : 10);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
      value >= (uint64_t{1} << 63)) {
    throw DataError(fmt::format("{}: '{}' is not a bitstring", where, text));
  }
  return value;
}

}  // namespace qdm::rest
