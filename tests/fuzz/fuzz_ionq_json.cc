// IonQ's JSON circuit format ({"qubits": n, "circuit": [gates]}), as the emulator reads a job's
// input: bad input throws std::invalid_argument, never a JSON library error.
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "backends/rest/wire_formats.h"
#include "tests/fuzz/fuzz_target.h"

QDM_FUZZ_TARGET(ionq_json) {
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return 0;
  const auto qubits = j.find("qubits");
  const auto circuit = j.find("circuit");
  if (qubits == j.end() || circuit == j.end() || !qubits->is_number_integer()) return 0;
  const int64_t n = qubits->get<int64_t>();
  if (n < 1 || n > 64) return 0;
  try {
    const qdm::NativeCircuit c = qdm::rest::parse_ionq_json(*circuit, static_cast<int>(n));
    const qdm::NativeCircuit again =
        qdm::rest::parse_ionq_json(qdm::rest::to_ionq_json(c), static_cast<int>(n));
    qdm::fuzz::fuzz_check(again.ops.size() == c.ops.size(),
                          "to_ionq_json of a parsed circuit parses to as many gates");
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
