// The INI config with its --set assignments and sweep axes, as `qdm train` and `qdm sweep` read
// them: the text up to a line "--set" is the INI file, lines after it are --set values, lines
// after a line "--grid" are --grid (or --random with "--random") axes. Bad input throws
// std::invalid_argument; an accepted config must survive its own stored form (to_ini) unchanged.
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "experiments/experiment.h"
#include "experiments/sweep/sweep_plan.h"
#include "framework/config.h"
#include "tests/fuzz/fuzz_target.h"

QDM_FUZZ_TARGET(config) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string ini;
  std::vector<std::string> sets, axes;
  bool random = false;
  std::vector<std::string>* section = nullptr;
  std::istringstream lines(input);
  for (std::string line; std::getline(lines, line);) {
    if (line == "--set") {
      section = &sets;
    } else if (line == "--grid" || line == "--random") {
      section = &axes;
      random = line == "--random";
    } else if (section) {
      section->push_back(line);
    } else {
      ini += line + "\n";
    }
  }
  try {
    const std::string experiment = qdm::ini_experiment(ini).value_or("pixel");
    const qdm::ConfigSchema schema = qdm::make_experiment(experiment)->schema();
    qdm::Config config(schema);
    config.apply_ini(ini, "fuzz.ini");
    for (const auto& s : sets) config.set_assignment(s);
    qdm::Config again(schema);
    again.apply_ini(config.to_ini(), "stored config");
    qdm::fuzz::fuzz_check(!config.first_difference(again).has_value(),
                          "a config read back from its to_ini() is the same config");
    std::vector<qdm::SweepAxis> parsed;
    for (const auto& a : axes) parsed.push_back(qdm::parse_sweep_axis(a, random));
    // A few axes of a few values: planning validates every value against the schema.
    size_t points = 1;
    for (const auto& a : parsed) points *= std::max<size_t>(1, a.values.size());
    if (!parsed.empty() && points <= 64) {
      qdm::plan_sweep(experiment, config, parsed, random ? std::optional<int>(4) : std::nullopt, 1);
    }
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
