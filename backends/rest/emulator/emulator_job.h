#pragma once
/// The emulator's record of one job, shared by its core and its provider routes.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backends/rest/emulator/qpu_emulator.h"
#include "framework/circuit.h"

namespace qdm::rest {

struct QpuEmulator::Job {
  std::string id, name;
  std::vector<std::string> tags;
  nlohmann::json metadata = nlohmann::json::object();
  std::vector<Circuit> circuits;
  std::vector<std::string> children;
  int shots = 0;
  uint64_t seed = 0;
  int polls = 0;
  std::string state = "queued";  // queued, running, completed, failed, cancelled
  bool never_finishes = false, fails = false;
  std::vector<std::vector<uint64_t>> samples;
};

}  // namespace qdm::rest
