// The emulator's OpenQASM 3 reader (what IBM's REST API receives from qdm): bad text throws
// std::invalid_argument; an accepted circuit written back by to_qasm3 reads back the same.
#include <stdexcept>
#include <string>

#include "backends/rest/wire_formats.h"
#include "tests/fuzz/fuzz_target.h"

QDM_FUZZ_TARGET(qasm3) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  qdm::NativeCircuit c;
  try {
    c = qdm::rest::parse_qasm3(text);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  const qdm::NativeCircuit again = qdm::rest::parse_qasm3(qdm::rest::to_qasm3(c));
  qdm::fuzz::fuzz_check(again.ops.size() == c.ops.size() && again.num_clbits == c.num_clbits,
                        "to_qasm3 of a parsed circuit parses to the same operations");
  for (size_t i = 0; i < c.ops.size(); ++i) {
    qdm::fuzz::fuzz_check(again.ops[i].gate == c.ops[i].gate &&
                              again.ops[i].qubits == c.ops[i].qubits &&
                              again.ops[i].clbit == c.ops[i].clbit,
                          "to_qasm3 round trip keeps each operation");
  }
  return 0;
}
