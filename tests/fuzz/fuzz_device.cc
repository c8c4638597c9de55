// An IBM device's configuration and properties documents (GET /api/v1/backends/{name}/
// configuration and /properties), given as {"configuration": ..., "properties": ...}: bad
// documents throw DataError or std::invalid_argument, never a JSON library error.
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "framework/device/device.h"
#include "framework/error.h"
#include "tests/fuzz/fuzz_target.h"

QDM_FUZZ_TARGET(device) {
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("configuration") ||
      !j.contains("properties")) {
    return 0;
  }
  try {
    const qdm::Device d = qdm::Device::from_ibm_json(j["configuration"], j["properties"]);
    for (int q = 0; q < d.num_qubits(); ++q) d.qubit(q);
  } catch (const qdm::DataError&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
