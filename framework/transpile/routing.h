#pragma once
/// Routing a program onto a device's coupling graph by SWAP insertion: SABRE (Li, Ding and Xie,
/// "Tackling the Qubit Mapping Problem for NISQ-Era Quantum Devices", ASPLOS 2019). The front
/// layer of the dependency graph runs as far as its two-qubit gates sit on coupled qubits; when
/// it is stuck, the SWAP on an edge next to a front gate that minimises the mean distance of the
/// front gates plus half the mean distance of the next (extended) gates, scaled by a decay that
/// discourages moving the same qubits again, is inserted. Measurements and resets are one-qubit
/// operations: they follow their qubit wherever it is, so classical bits need no remapping.

#include <cstdint>
#include <vector>

#include "framework/circuit/program.h"

namespace qdm {

/// Undirected connectivity of physical qubits with all-pairs hop distances.
class CouplingGraph {
 public:
  /// `neighbours[p]`: the qubits coupled to p (symmetric lists).
  explicit CouplingGraph(std::vector<std::vector<int>> neighbours);
  /// A line, a ring or a grid, for tests and benchmarks.
  static CouplingGraph line(int n);
  static CouplingGraph ring(int n);
  static CouplingGraph grid(int rows, int cols);

  int size() const { return static_cast<int>(neighbours_.size()); }
  const std::vector<int>& neighbours(int p) const { return neighbours_[p]; }
  /// Hops between a and b; a large number when they are not connected.
  int distance(int a, int b) const { return distance_[static_cast<size_t>(a) * size() + b]; }
  bool adjacent(int a, int b) const { return distance(a, b) == 1; }
  /// Qubits on a shortest path from a to b, both included.
  std::vector<int> path(int a, int b) const;

 private:
  std::vector<std::vector<int>> neighbours_;
  std::vector<int> distance_;
};

inline constexpr int kUnreachable = 1 << 20;

/// A program on physical qubits: Ops (SWAP included), Measures and Resets whose qubit indices are
/// physical. Not a Program because a device may have more qubits than a Program holds.
struct RoutedProgram {
  int num_clbits = 0;
  std::vector<Instruction> instructions;
  std::vector<int> initial_layout;  ///< logical qubit -> physical qubit at the start
  std::vector<int> final_layout;    ///< ... and at the end
  int swaps = 0;
};

/// Routes `program` from `initial_layout` (logical qubit -> distinct physical qubit). Ties
/// between equally good SWAPs are broken by `seed`. std::invalid_argument when two qubits the
/// program couples sit in unconnected parts of the graph.
RoutedProgram sabre_route(const Program& program, const CouplingGraph& graph,
                          const std::vector<int>& initial_layout, uint64_t seed);

/// SABRE's layout search: from `initial_layout`, route forward, then the reversed program from
/// where the forward pass ended, `rounds` times; the last backward pass's final layout is a start
/// from which the forward program needs few SWAPs.
std::vector<int> sabre_layout(const Program& program, const CouplingGraph& graph,
                              std::vector<int> initial_layout, uint64_t seed, int rounds = 2);

/// sabre_layout from `trials` starts (`initial_layout`, then seeded shuffles of it), keeping the
/// refined layout whose forward routing needs the fewest SWAPs (Qiskit's SabreLayout runs many
/// such trials too).
std::vector<int> best_sabre_layout(const Program& program, const CouplingGraph& graph,
                                   const std::vector<int>& initial_layout, uint64_t seed,
                                   int trials);

/// The fewest SWAPs any router needs for the program's two-qubit gates in their given order
/// (gates that commute are not reordered), from the best initial layout: a shortest-path search
/// over (gates done, layout) states. For small cases only (checks SABRE in qdm-bench);
/// std::invalid_argument past 8 physical qubits.
int optimal_swap_count(const Program& program, const CouplingGraph& graph);

}  // namespace qdm
