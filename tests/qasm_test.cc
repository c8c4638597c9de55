#include "framework/circuit/qasm.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "framework/circuit/ansatz.h"
#include "tests/test_util.h"

namespace qdm {
namespace {

/// Reads back the subset of OpenQASM that to_qasm writes, into a constant-angle circuit.
Circuit parse_qasm(const std::string& text, int num_qubits) {
  Circuit c(num_qubits);
  std::istringstream in(text);
  std::string line;
  const std::regex one(R"(^(\w+)(?:\(([^)]*)\))? q\[(\d+)\];$)");
  const std::regex two(R"(^(\w+) q\[(\d+)\], q\[(\d+)\];$)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, two)) {
      const auto kind = m[1] == "cx" ? GateKind::CNOT : *gate_from_name(m[1].str());
      c.add(kind, {std::stoi(m[2]), std::stoi(m[3])});
    } else if (std::regex_match(line, m, one) && m[1] != "qreg") {
      const auto kind = gate_from_name(m[1].str());
      EXPECT_TRUE(kind.has_value()) << line;
      if (!kind) continue;
      if (m[2].matched) {
        c.add(*kind, {std::stoi(m[3])}, {Angle::constant(std::stod(m[2]))});
      } else {
        c.add(*kind, {std::stoi(m[3])});
      }
    }
  }
  return c;
}

// Export, parse back, and compare the two circuits' states (seed 61, tolerance 1e-12).
TEST(Qasm, RoundTripPreservesTheState) {
  Rng rng(61);
  for (QasmVersion v : {QasmVersion::V2, QasmVersion::V3}) {
    const Circuit c = testing::random_circuit(rng, 4, 40);
    const auto params = testing::random_params(rng, c.num_params());
    const std::string text = to_qasm(c, params, v);
    const Circuit back = parse_qasm(text, 4);
    const auto in = testing::random_state(rng, 4);
    const auto a = reference::run_circuit(c, params, in);
    const auto b = reference::run_circuit(back, {}, in);
    EXPECT_LT((a - b).cwiseAbs().maxCoeff(), 1e-12);
  }
}

TEST(Qasm, HeadersAndMeasurement) {
  const Circuit c = strongly_entangling_layers(2, 1);
  const std::vector<double> p(6, 0.5);
  const std::string v3 = to_qasm(c, p, QasmVersion::V3, true);
  EXPECT_NE(v3.find("OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\n"),
            std::string::npos);
  EXPECT_NE(v3.find("c[1] = measure q[1];"), std::string::npos);
  const std::string v2 = to_qasm(c, p, QasmVersion::V2, true);
  EXPECT_NE(v2.find("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\n"),
            std::string::npos);
  EXPECT_NE(v2.find("measure q[0] -> c[0];"), std::string::npos);
}

}  // namespace
}  // namespace qdm
