#pragma once
/// Typed access to fields of a provider's JSON reply: a missing or mistyped field is a DataError
/// naming the field and the reply it was expected in, never an exception from the JSON library.

#include <nlohmann/json.hpp>
#include <string>

namespace qdm::rest {

const nlohmann::json& field(const nlohmann::json& j, const std::string& name,
                            const std::string& where);
std::string string_field(const nlohmann::json& j, const std::string& name,
                         const std::string& where);
/// A bitstring key: decimal ("5") or hex ("0x5"), below 2^63.
uint64_t parse_bitstring(const std::string& text, bool hex, const std::string& where);

}  // namespace qdm::rest
