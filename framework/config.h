#pragma once
/// Typed experiment configuration. An experiment declares a ConfigSchema (every key with its type,
/// default, allowed values and a help line); a Config holds one validated value per key, built
/// from the defaults, INI files and `section.key=value` overrides, in that order. Every bad key or
/// value is a std::invalid_argument naming the key, the value, where it came from and what is
/// allowed.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qdm {

enum class ValueType { Int, Real, Bool, Text, Choice, IntList };

struct KeySpec {
  std::string key;  ///< "section.name"
  ValueType type = ValueType::Int;
  std::string default_value;  ///< canonical text
  double lo = 0, hi = 0;      ///< bounds of Int, Real and IntList elements
  std::vector<std::string> choices;
  int min_items = 1, max_items = 1;  ///< IntList length bounds
  std::string help;

  /// "an integer in 1..1000", "one of linear, cosine", ...
  std::string allowed() const;
};

class ConfigSchema {
 public:
  ConfigSchema& integer(std::string key, long long def, long long lo, long long hi,
                        std::string help);
  ConfigSchema& real(std::string key, double def, double lo, double hi, std::string help);
  ConfigSchema& boolean(std::string key, bool def, std::string help);
  ConfigSchema& text(std::string key, std::string def, std::string help);
  ConfigSchema& choice(std::string key, std::string def, std::vector<std::string> choices,
                       std::string help);
  ConfigSchema& int_list(std::string key, std::vector<int> def, int lo, int hi, int min_items,
                         int max_items, std::string help);

  const std::vector<KeySpec>& keys() const { return keys_; }
  const KeySpec* find(const std::string& key) const;
  /// The `--help-config` text: one block per key with type, default, allowed values and help.
  std::string describe() const;

 private:
  ConfigSchema& add(KeySpec spec);
  std::vector<KeySpec> keys_;
};

class Config {
 public:
  /// Every key at its default.
  explicit Config(const ConfigSchema& schema);

  /// Sets one key from text; `origin` ("--set", "pixel.ini:12") goes into the error message.
  void set(const std::string& key, const std::string& value, const std::string& origin);
  /// Parses "section.key=value".
  void set_assignment(const std::string& assignment, const std::string& origin = "--set");
  /// Applies an INI text: `[section]` headers, `key = value` lines, `#` or `;` comments. A
  /// top-level `experiment = NAME` line is returned instead of applied (the file names the
  /// experiment it is written for).
  std::optional<std::string> apply_ini(const std::string& text, const std::string& origin);
  std::optional<std::string> load_ini(const std::filesystem::path& path);

  long long get_int(const std::string& key) const;
  /// An integer key that must also be a power of two; `why` ends the error ("... expected (why)").
  int get_power_of_two(const std::string& key, const char* why) const;
  double get_real(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  const std::string& get_text(const std::string& key) const;  ///< Text and Choice keys
  std::vector<int> get_int_list(const std::string& key) const;

  /// The canonical text of a key's value.
  const std::string& text_of(const std::string& key) const { return values_.at(key); }
  /// The whole resolved configuration as INI (every key, schema order): stored in run files and
  /// accepted back by apply_ini.
  std::string to_ini() const;
  const ConfigSchema& schema() const { return schema_; }
  /// The first key whose value differs from `other`'s, if any.
  std::optional<std::string> first_difference(const Config& other) const;

 private:
  const KeySpec& spec(const std::string& key, ValueType want) const;
  ConfigSchema schema_;
  std::map<std::string, std::string> values_;  ///< canonical text per key
};

/// The text of a config file; std::invalid_argument naming it when it cannot be read.
std::string read_config_file(const std::filesystem::path& path);

/// The `experiment = NAME` line before the first section of an INI text, if there is one.
std::optional<std::string> ini_experiment(const std::string& text);

}  // namespace qdm
