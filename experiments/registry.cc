#include <fmt/format.h>
#include <fmt/ranges.h>

#include "experiments/experiment.h"
#include "experiments/pixel/pixel_experiment.h"

namespace qdm {

const std::vector<ExperimentEntry>& experiment_registry() {
  static const std::vector<ExperimentEntry> entries = {
      {"pixel", "full-quantum QDM on 8x8 or 16x16 images (the 2025 reference code)",
       [] { return std::unique_ptr<Experiment>(std::make_unique<PixelExperiment>()); }},
  };
  return entries;
}

std::unique_ptr<Experiment> make_experiment(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& e : experiment_registry()) {
    if (e.name == name) return e.create();
    names.push_back(e.name);
  }
  throw std::invalid_argument(
      fmt::format("unknown experiment '{}'; known experiments: {}", name, fmt::join(names, ", ")));
}

}  // namespace qdm
