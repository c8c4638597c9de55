#include "framework/config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace qdm {
namespace {

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return std::string(s.substr(first, last - first + 1));
}

std::string section_of(const std::string& key) { return key.substr(0, key.find('.')); }

std::optional<long long> parse_int(const std::string& text) {
  long long v = 0;
  const char* begin = text.data() + (!text.empty() && text[0] == '+' ? 1 : 0);
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(begin, end, v);
  if (ec != std::errc() || ptr != end || begin == end) return std::nullopt;
  return v;
}

std::optional<double> parse_real(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::optional<bool> parse_bool(const std::string& text) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "true" || t == "yes" || t == "on" || t == "1") return true;
  if (t == "false" || t == "no" || t == "off" || t == "0") return false;
  return std::nullopt;
}

std::optional<std::vector<long long>> parse_int_list(std::string text) {
  if (!text.empty() && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  std::replace(text.begin(), text.end(), ',', ' ');
  std::istringstream in(text);
  std::vector<long long> out;
  std::string item;
  while (in >> item) {
    const auto v = parse_int(item);
    if (!v) return std::nullopt;
    out.push_back(*v);
  }
  return out;
}

std::string format_bound(double v) { return fmt::format("{}", v); }

/// The canonical text of `value` for `spec`, or nullopt when it is not allowed.
std::optional<std::string> canonical(const KeySpec& spec, const std::string& value) {
  switch (spec.type) {
    case ValueType::Int: {
      const auto v = parse_int(value);
      if (!v || *v < spec.lo || *v > spec.hi) return std::nullopt;
      return std::to_string(*v);
    }
    case ValueType::Real: {
      const auto v = parse_real(value);
      if (!v || *v < spec.lo || *v > spec.hi) return std::nullopt;
      return fmt::format("{}", *v);
    }
    case ValueType::Bool: {
      const auto v = parse_bool(value);
      if (!v) return std::nullopt;
      return *v ? "true" : "false";
    }
    case ValueType::Text:
      return value;
    case ValueType::Choice:
      if (std::find(spec.choices.begin(), spec.choices.end(), value) == spec.choices.end()) {
        return std::nullopt;
      }
      return value;
    case ValueType::IntList: {
      const auto v = parse_int_list(value);
      if (!v || static_cast<int>(v->size()) < spec.min_items ||
          static_cast<int>(v->size()) > spec.max_items) {
        return std::nullopt;
      }
      for (long long x : *v) {
        if (x < spec.lo || x > spec.hi) return std::nullopt;
      }
      return fmt::format("{}", fmt::join(*v, ","));
    }
  }
  return std::nullopt;
}

const char* type_name(ValueType t) {
  switch (t) {
    case ValueType::Int:
      return "integer";
    case ValueType::Real:
      return "real";
    case ValueType::Bool:
      return "boolean";
    case ValueType::Text:
      return "text";
    case ValueType::Choice:
      return "choice";
    case ValueType::IntList:
      return "integer list";
  }
  return "?";
}

}  // namespace

std::string KeySpec::allowed() const {
  switch (type) {
    case ValueType::Int:
      return fmt::format("an integer in {}..{}", format_bound(lo), format_bound(hi));
    case ValueType::Real:
      return fmt::format("a real number in {}..{}", format_bound(lo), format_bound(hi));
    case ValueType::Bool:
      return "true or false";
    case ValueType::Text:
      return "any text";
    case ValueType::Choice:
      return fmt::format("one of {}", fmt::join(choices, ", "));
    case ValueType::IntList:
      return fmt::format("{} comma-separated integers in {}..{}",
                         min_items == max_items ? std::to_string(min_items)
                                                : fmt::format("{} to {}", min_items, max_items),
                         format_bound(lo), format_bound(hi));
  }
  return {};
}

ConfigSchema& ConfigSchema::add(KeySpec spec) {
  if (spec.key.find('.') == std::string::npos || find(spec.key)) {
    throw std::logic_error("config schema key '" + spec.key + "' is malformed or repeated");
  }
  if (!canonical(spec, spec.default_value)) {
    throw std::logic_error("config schema key '" + spec.key + "' has a default outside its range");
  }
  spec.default_value = *canonical(spec, spec.default_value);
  keys_.push_back(std::move(spec));
  return *this;
}

ConfigSchema& ConfigSchema::integer(std::string key, long long def, long long lo, long long hi,
                                    std::string help) {
  return add({std::move(key),
              ValueType::Int,
              std::to_string(def),
              static_cast<double>(lo),
              static_cast<double>(hi),
              {},
              1,
              1,
              std::move(help)});
}

ConfigSchema& ConfigSchema::real(std::string key, double def, double lo, double hi,
                                 std::string help) {
  return add(
      {std::move(key), ValueType::Real, fmt::format("{}", def), lo, hi, {}, 1, 1, std::move(help)});
}

ConfigSchema& ConfigSchema::boolean(std::string key, bool def, std::string help) {
  return add(
      {std::move(key), ValueType::Bool, def ? "true" : "false", 0, 0, {}, 1, 1, std::move(help)});
}

ConfigSchema& ConfigSchema::text(std::string key, std::string def, std::string help) {
  return add({std::move(key), ValueType::Text, std::move(def), 0, 0, {}, 1, 1, std::move(help)});
}

ConfigSchema& ConfigSchema::choice(std::string key, std::string def,
                                   std::vector<std::string> choices, std::string help) {
  return add({std::move(key), ValueType::Choice, std::move(def), 0, 0, std::move(choices), 1, 1,
              std::move(help)});
}

ConfigSchema& ConfigSchema::int_list(std::string key, std::vector<int> def, int lo, int hi,
                                     int min_items, int max_items, std::string help) {
  return add({std::move(key),
              ValueType::IntList,
              fmt::format("{}", fmt::join(def, ",")),
              static_cast<double>(lo),
              static_cast<double>(hi),
              {},
              min_items,
              max_items,
              std::move(help)});
}

const KeySpec* ConfigSchema::find(const std::string& key) const {
  for (const auto& k : keys_) {
    if (k.key == key) return &k;
  }
  return nullptr;
}

namespace {
/// Each section once, in the order sections first appear: keys of a section may be declared in
/// several places, and strict INI readers refuse a repeated header.
std::vector<std::string> sections_in_order(const std::vector<KeySpec>& keys) {
  std::vector<std::string> sections;
  for (const auto& k : keys) {
    const std::string s = section_of(k.key);
    if (std::find(sections.begin(), sections.end(), s) == sections.end()) sections.push_back(s);
  }
  return sections;
}
}  // namespace

std::string ConfigSchema::describe() const {
  std::string out;
  for (const std::string& section : sections_in_order(keys_)) {
    out += fmt::format("[{}]\n", section);
    for (const auto& k : keys_) {
      if (section_of(k.key) != section) continue;
      out += fmt::format("  {} = {}   ({}; {})\n      {}\n", k.key, k.default_value,
                         type_name(k.type), k.allowed(), k.help);
    }
  }
  return out;
}

Config::Config(const ConfigSchema& schema) : schema_(schema) {
  for (const auto& k : schema_.keys()) values_[k.key] = k.default_value;
}

void Config::set(const std::string& key, const std::string& value, const std::string& origin) {
  const KeySpec* spec = schema_.find(key);
  if (!spec) {
    std::set<std::string> sections;
    std::vector<std::string> siblings;
    for (const auto& k : schema_.keys()) {
      sections.insert(section_of(k.key));
      if (section_of(k.key) == section_of(key)) siblings.push_back(k.key);
    }
    if (siblings.empty()) {
      throw std::invalid_argument(fmt::format("unknown config key '{}' ({}); sections are {}", key,
                                              origin, fmt::join(sections, ", ")));
    }
    throw std::invalid_argument(fmt::format("unknown config key '{}' ({}); known keys: {}", key,
                                            origin, fmt::join(siblings, ", ")));
  }
  const auto v = canonical(*spec, trim(value));
  if (!v) {
    throw std::invalid_argument(fmt::format("config key {} = '{}' ({}) is not allowed: {} expected",
                                            key, trim(value), origin, spec->allowed()));
  }
  values_[key] = *v;
}

void Config::set_assignment(const std::string& assignment, const std::string& origin) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || trim(assignment.substr(0, eq)).find('.') == std::string::npos) {
    throw std::invalid_argument(fmt::format(
        "{} '{}' is not of the form section.key=value (see --help-config)", origin, assignment));
  }
  set(trim(assignment.substr(0, eq)), assignment.substr(eq + 1), origin);
}

std::optional<std::string> Config::apply_ini(const std::string& text, const std::string& origin) {
  std::optional<std::string> experiment;
  std::istringstream in(text);
  std::string line, section;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string where = fmt::format("{}:{}", origin, number);
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t[0] == '[') {
      if (t.back() != ']' || t.size() < 3) {
        throw std::invalid_argument(
            fmt::format("{}: '{}' is not a [section] header", where, trim(line)));
      }
      section = trim(t.substr(1, t.size() - 2));
      continue;
    }
    const auto eq = t.find('=');
    if (eq == std::string::npos) {
      throw std::invalid_argument(fmt::format("{}: '{}' is not a key = value line", where, t));
    }
    const std::string name = trim(t.substr(0, eq));
    const std::string value = trim(t.substr(eq + 1));
    if (section.empty()) {
      if (name != "experiment") {
        throw std::invalid_argument(fmt::format(
            "{}: key '{}' stands before any [section]; only 'experiment' may", where, name));
      }
      experiment = value;
      continue;
    }
    set(section + "." + name, value, where);
  }
  return experiment;
}

std::optional<std::string> Config::load_ini(const std::filesystem::path& path) {
  return apply_ini(read_config_file(path), path.filename().string());
}

std::string read_config_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    throw std::invalid_argument(
        fmt::format("config file '{}' cannot be read: {}", path.string(), std::strerror(errno)));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::optional<std::string> ini_experiment(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const std::string t = trim(line);
    if (!t.empty() && t[0] == '[') break;
    const auto eq = t.find('=');
    if (eq != std::string::npos && trim(t.substr(0, eq)) == "experiment") {
      return trim(t.substr(eq + 1));
    }
  }
  return std::nullopt;
}

const KeySpec& Config::spec(const std::string& key, ValueType want) const {
  const KeySpec* s = schema_.find(key);
  if (!s || (s->type != want && !(want == ValueType::Text && s->type == ValueType::Choice))) {
    throw std::logic_error("config key '" + key + "' is not declared with the type read");
  }
  return *s;
}

int Config::get_power_of_two(const std::string& key, const char* why) const {
  const long long value = get_int(key);
  if (value <= 0 || (value & (value - 1)) != 0) {
    const KeySpec* spec = schema_.find(key);
    throw std::invalid_argument(fmt::format(
        "config key {} = {} is not allowed: a power of two in {}..{} expected ({})", key, value,
        static_cast<long long>(spec->lo), static_cast<long long>(spec->hi), why));
  }
  return static_cast<int>(value);
}

long long Config::get_int(const std::string& key) const {
  spec(key, ValueType::Int);
  return *parse_int(values_.at(key));
}

double Config::get_real(const std::string& key) const {
  spec(key, ValueType::Real);
  return *parse_real(values_.at(key));
}

bool Config::get_bool(const std::string& key) const {
  spec(key, ValueType::Bool);
  return values_.at(key) == "true";
}

const std::string& Config::get_text(const std::string& key) const {
  spec(key, ValueType::Text);
  return values_.at(key);
}

std::vector<int> Config::get_int_list(const std::string& key) const {
  spec(key, ValueType::IntList);
  std::vector<int> out;
  const auto values = parse_int_list(values_.at(key));
  for (long long v : *values) out.push_back(static_cast<int>(v));
  return out;
}

std::string Config::to_ini() const {
  std::string out;
  for (const std::string& section : sections_in_order(schema_.keys())) {
    out += fmt::format("{}[{}]\n", out.empty() ? "" : "\n", section);
    for (const auto& k : schema_.keys()) {
      if (section_of(k.key) == section) {
        out += fmt::format("{} = {}\n", k.key.substr(section.size() + 1), values_.at(k.key));
      }
    }
  }
  return out;
}

std::optional<std::string> Config::first_difference(const Config& other) const {
  for (const auto& k : schema_.keys()) {
    const auto it = other.values_.find(k.key);
    if (it == other.values_.end() || it->second != values_.at(k.key)) return k.key;
  }
  return std::nullopt;
}

}  // namespace qdm
