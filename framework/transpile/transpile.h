#pragma once
/// From a logical program to a device's ISA: a layout (a connected region of physical qubits,
/// chosen by the calibrated errors of the gates and readouts the routed circuit would use),
/// routing by SWAP insertion within that region (SABRE), translation to the device's basis with
/// one-qubit gates merged, on physical qubits. Every ISA circuit this returns passes
/// isa_violations() (tests/transpile_test.cc checks it on all three IBM fixtures).

#include <cstdint>
#include <string>
#include <vector>

#include "framework/circuit/native_circuit.h"
#include "framework/circuit/program.h"
#include "framework/device/device.h"
#include "framework/transpile/routing.h"

namespace qdm {

struct TranspileOptions {
  uint64_t seed = 1;
  /// Regions (best by their own calibration first) routed and scored in full.
  int layout_regions = 12;
  /// Qubits a region holds beyond the program's own, for routing to move through.
  int spare_qubits = 2;
  /// SABRE layout trials per region (random starts, each refined forward and backward).
  int layout_trials = 4;
};

/// Where a program sits: the physical qubits routing may use, and the start of each logical
/// qubit among them.
struct Layout {
  std::vector<int> region;
  std::vector<int> initial;  ///< logical qubit -> physical qubit
};

struct TranspileStats {
  int logical_two_qubit = 0, logical_depth = 0;
  int isa_two_qubit = 0, isa_depth = 0;
  int swaps = 0;
  /// Product of (1 - error) over every gate, measurement and reset of the ISA circuit, from the
  /// device's calibration (idle decoherence not included).
  double estimated_success = 1;
};

struct Transpiled {
  NativeCircuit circuit;  ///< on physical qubits, in the device's basis
  std::vector<int> initial_layout, final_layout;
  TranspileStats stats;
};

/// The device with its coupling graph, prepared once for many programs.
class DeviceTarget {
 public:
  explicit DeviceTarget(Device device);

  const Device& device() const { return device_; }

  /// Searches regions and initial placements for programs shaped like `program` (the same
  /// two-qubit gates, as every chain of one model has). std::invalid_argument when the device has
  /// no connected region of operational qubits wide enough.
  Layout choose_layout(const Program& program, const TranspileOptions& options = {}) const;

  /// Routes `program` within `layout` and translates it to the device's basis.
  Transpiled transpile(const Program& program, const Layout& layout, uint64_t seed = 1) const;
  /// choose_layout, then transpile.
  Transpiled transpile(const Program& program, const TranspileOptions& options = {}) const;

  double estimated_success(const NativeCircuit& circuit) const;

 private:
  Device device_;
};

/// Programs of one shape (a job's chains: the same two-qubit gates) on one layout, chosen for the
/// first: each routed and translated, and checked against the ISA (std::logic_error if the
/// transpiler ever left a circuit outside it).
struct BatchTranspiled {
  std::vector<NativeCircuit> circuits;
  Layout layout;
  TranspileStats mean;  ///< means over the programs (integers rounded down)
};
BatchTranspiled transpile_batch(const DeviceTarget& target, const std::vector<Program>& programs,
                                const TranspileOptions& options = {});

/// Why `circuit` is not in `device`'s ISA, one line per offending operation (empty when it is):
/// a gate outside the basis and supported instructions, a qubit outside the device, a two-qubit
/// gate on a pair the coupling map does not list in that direction, or on a gate the calibration
/// marks faulty. At most `limit` lines.
std::vector<std::string> isa_violations(const NativeCircuit& circuit, const Device& device,
                                        size_t limit = 10);

}  // namespace qdm
