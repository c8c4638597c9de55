#include "framework/transpile/transpile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "framework/error.h"
#include "framework/transpile/basis.h"

namespace qdm {
namespace {

/// Error of the two-qubit gate between a and b in its better direction.
double edge_error(const Device& d, int a, int b) {
  double e = 1;
  if (d.coupled(a, b)) e = std::min(e, d.gate(a, b).error);
  if (d.coupled(b, a)) e = std::min(e, d.gate(b, a).error);
  return e;
}

struct Region {
  std::vector<int> qubits;  ///< in the order they were added
  double score = 0;         ///< sum of the readout and edge errors it was grown along
};

/// Grows a connected region of `size` operational qubits from `seed`, each step adding the
/// neighbour that is cheapest to reach (edge error plus readout error).
Region grow(const Device& d, int seed, int size) {
  Region r;
  r.qubits = {seed};
  r.score = d.qubit(seed).readout_error;
  std::set<int> in = {seed};
  while (static_cast<int>(r.qubits.size()) < size) {
    int best = -1;
    double best_cost = 0;
    for (int p : r.qubits) {
      for (int q : d.neighbours(p)) {
        if (in.count(q) || !d.qubit(q).operational) continue;
        const double cost = edge_error(d, p, q) + d.qubit(q).readout_error;
        if (best < 0 || cost < best_cost) best = q, best_cost = cost;
      }
    }
    if (best < 0) break;  // the component is smaller than wanted
    r.qubits.push_back(best);
    in.insert(best);
    r.score += best_cost;
  }
  return r;
}

/// The region's coupling graph, its qubits renumbered 0..k-1 in `region` order.
CouplingGraph subgraph(const Device& d, const std::vector<int>& region) {
  std::map<int, int> index;
  for (size_t i = 0; i < region.size(); ++i) index[region[i]] = static_cast<int>(i);
  std::vector<std::vector<int>> nb(region.size());
  for (size_t i = 0; i < region.size(); ++i) {
    for (int q : d.neighbours(region[i])) {
      const auto it = index.find(q);
      if (it != index.end()) nb[i].push_back(it->second);
    }
  }
  return CouplingGraph(nb);
}

TwoQubitBasis basis_of(const Device& d) {
  return {d.two_qubit_gate(), [&d](int a, int b) { return d.coupled(a, b); }};
}

}  // namespace

DeviceTarget::DeviceTarget(Device device) : device_(std::move(device)) {}

Transpiled DeviceTarget::transpile(const Program& program, const Layout& layout,
                                   uint64_t seed) const {
  require(layout.initial.size() == static_cast<size_t>(program.num_qubits()),
          "the layout places {} qubits; the program has {}", layout.initial.size(),
          program.num_qubits());
  std::map<int, int> index;
  for (size_t i = 0; i < layout.region.size(); ++i) {
    index[layout.region[i]] = static_cast<int>(i);
  }
  std::vector<int> start;
  for (int p : layout.initial) {
    const auto it = index.find(p);
    require(it != index.end(), "the layout starts a qubit on {}, outside its region", p);
    start.push_back(it->second);
  }
  const CouplingGraph graph = subgraph(device_, layout.region);
  RoutedProgram routed = sabre_route(program, graph, start, seed);
  // Back to physical qubits.
  const auto physical = [&](int i) { return layout.region[i]; };
  for (Instruction& ins : routed.instructions) {
    if (Op* op = std::get_if<Op>(&ins)) {
      for (int k = 0; k < gate_qubit_count(op->kind); ++k) op->qubits[k] = physical(op->qubits[k]);
    } else if (Measure* m = std::get_if<Measure>(&ins)) {
      m->qubit = physical(m->qubit);
    } else {
      Reset& r = std::get<Reset>(ins);
      r.qubit = physical(r.qubit);
    }
  }
  Transpiled out;
  out.circuit = translate_to_basis(routed, device_.num_qubits(), basis_of(device_));
  for (int i : routed.initial_layout) out.initial_layout.push_back(physical(i));
  for (int i : routed.final_layout) out.final_layout.push_back(physical(i));
  out.stats.logical_two_qubit = program.two_qubit_gate_count();
  out.stats.logical_depth = program.depth();
  out.stats.isa_two_qubit = out.circuit.two_qubit_gates();
  out.stats.isa_depth = out.circuit.depth();
  out.stats.swaps = routed.swaps;
  out.stats.estimated_success = estimated_success(out.circuit);
  return out;
}

Layout DeviceTarget::choose_layout(const Program& program, const TranspileOptions& o) const {
  const int n = program.num_qubits();
  const int size = std::min(n + std::max(0, o.spare_qubits), device_.num_qubits());
  // Candidate regions, best by their own errors first, each set once.
  std::vector<Region> regions;
  std::set<std::vector<int>> seen;
  for (int s = 0; s < device_.num_qubits(); ++s) {
    if (!device_.qubit(s).operational || device_.neighbours(s).empty()) continue;
    Region r = grow(device_, s, size);
    if (static_cast<int>(r.qubits.size()) < n) continue;
    std::vector<int> key = r.qubits;
    std::sort(key.begin(), key.end());
    if (seen.insert(key).second) regions.push_back(std::move(r));
  }
  if (regions.empty()) {
    throw std::invalid_argument(
        fmt::format("{} has no connected region of {} operational qubits for a {}-qubit circuit",
                    device_.name(), n, n));
  }
  std::stable_sort(regions.begin(), regions.end(),
                   [](const Region& a, const Region& b) { return a.score < b.score; });
  regions.resize(std::min<size_t>(regions.size(), std::max(1, o.layout_regions)));
  // Route in each and keep the layout whose ISA circuit is most likely to succeed.
  Layout best;
  double best_success = -1;
  for (size_t k = 0; k < regions.size(); ++k) {
    const Region& r = regions[k];
    const CouplingGraph graph = subgraph(device_, r.qubits);
    std::vector<int> start(n);
    for (int l = 0; l < n; ++l) start[l] = l;  // growth order: the best qubits first
    const std::vector<int> refined =
        best_sabre_layout(program, graph, start, o.seed + k, o.layout_trials);
    Layout candidate;
    candidate.region = r.qubits;
    for (int i : refined) candidate.initial.push_back(r.qubits[i]);
    const double success = transpile(program, candidate, o.seed).stats.estimated_success;
    if (success > best_success) {
      best_success = success;
      best = candidate;
    }
  }
  return best;
}

Transpiled DeviceTarget::transpile(const Program& program, const TranspileOptions& o) const {
  return transpile(program, choose_layout(program, o), o.seed);
}

double DeviceTarget::estimated_success(const NativeCircuit& c) const {
  double log_success = 0;
  for (const NativeOp& op : c.ops) {
    double error = 0;
    if (op.gate == "measure" || op.gate == "reset") {
      error = device_.qubit(op.qubits[0]).readout_error;
    } else if (op.qubits.size() == 2) {
      error = device_.gate(op.qubits[0], op.qubits[1]).error;
    } else if (op.gate != "rz") {  // rz is a frame change: no error
      error = device_.gate(op.gate, op.qubits[0]).error;
    }
    log_success += std::log1p(-std::min(error, 1 - 1e-12));
  }
  return std::exp(log_success);
}

BatchTranspiled transpile_batch(const DeviceTarget& t, const std::vector<Program>& programs,
                                const TranspileOptions& o) {
  require(!programs.empty(), "nothing to transpile");
  BatchTranspiled out;
  out.layout = t.choose_layout(programs.front(), o);
  TranspileStats& m = out.mean;
  m.estimated_success = 0;
  for (const Program& p : programs) {
    Transpiled tr = t.transpile(p, out.layout, o.seed);
    const auto wrong = isa_violations(tr.circuit, t.device());
    if (!wrong.empty()) {
      throw std::logic_error(fmt::format("qdm's transpiler left a circuit outside {}'s ISA: {}",
                                         t.device().name(), wrong.front()));
    }
    m.logical_two_qubit += tr.stats.logical_two_qubit;
    m.logical_depth += tr.stats.logical_depth;
    m.isa_two_qubit += tr.stats.isa_two_qubit;
    m.isa_depth += tr.stats.isa_depth;
    m.swaps += tr.stats.swaps;
    m.estimated_success += tr.stats.estimated_success / static_cast<double>(programs.size());
    out.circuits.push_back(std::move(tr.circuit));
  }
  const int n = static_cast<int>(programs.size());
  m.logical_two_qubit /= n, m.logical_depth /= n, m.isa_two_qubit /= n, m.isa_depth /= n;
  m.swaps /= n;
  return out;
}

std::vector<std::string> isa_violations(const NativeCircuit& c, const Device& d, size_t limit) {
  std::vector<std::string> out;
  const auto add = [&](size_t k, const std::string& why) {
    if (out.size() < limit) out.push_back(fmt::format("operation {}: {}", k, why));
  };
  for (size_t k = 0; k < c.ops.size() && out.size() < limit; ++k) {
    const NativeOp& op = c.ops[k];
    bool in_range = true;
    for (int q : op.qubits) {
      if (q < 0 || q >= d.num_qubits()) {
        add(k, fmt::format("qubit {} is not one of {}'s {} qubits", q, d.name(), d.num_qubits()));
        in_range = false;
      }
    }
    if (!in_range) continue;
    if (!d.supports(op.gate)) {
      add(k, fmt::format("'{}' is not a basis gate or supported instruction of {}", op.gate,
                         d.name()));
      continue;
    }
    if (op.qubits.size() == 2) {
      const int a = op.qubits[0], b = op.qubits[1];
      if (op.gate != d.two_qubit_gate()) {
        add(k, fmt::format("'{}' on ({}, {}) is not {}'s two-qubit gate", op.gate, a, b,
                           d.two_qubit_gate()));
      } else if (!d.coupled(a, b)) {
        add(k, fmt::format("{} on ({}, {}): the coupling map has no such pair{}", op.gate, a, b,
                           d.coupled(b, a) ? " in that direction" : ""));
      } else if (!d.gate(a, b).operational) {
        add(k, fmt::format("{} on ({}, {}) is marked faulty in the calibration", op.gate, a, b));
      }
    }
  }
  return out;
}

}  // namespace qdm
