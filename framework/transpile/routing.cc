#include "framework/transpile/routing.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <numeric>
#include <queue>
#include <unordered_map>

#include "framework/error.h"
#include "framework/rng.h"

namespace qdm {
namespace {

/// The qubits of an instruction and whether it is a two-qubit gate.
struct Node {
  std::vector<int> qubits;
  bool two_qubit = false;
  std::vector<int> successors;
  int pending = 0;  ///< predecessors not yet executed
};

/// Dependencies: an instruction follows the previous one on each of its qubits, and a
/// measurement follows the previous writer of its classical bit.
std::vector<Node> build_dag(const std::vector<Instruction>& ins, int qubits, int clbits) {
  std::vector<Node> nodes(ins.size());
  std::vector<int> last_q(qubits, -1), last_c(clbits, -1);
  for (size_t i = 0; i < ins.size(); ++i) {
    nodes[i].qubits = instruction_qubits(ins[i]);
    const Op* op = std::get_if<Op>(&ins[i]);
    nodes[i].two_qubit = op && gate_qubit_count(op->kind) == 2;
    std::vector<int> preds;
    for (int q : nodes[i].qubits) {
      if (last_q[q] >= 0) preds.push_back(last_q[q]);
      last_q[q] = static_cast<int>(i);
    }
    if (const Measure* m = std::get_if<Measure>(&ins[i])) {
      if (last_c[m->clbit] >= 0) preds.push_back(last_c[m->clbit]);
      last_c[m->clbit] = static_cast<int>(i);
    }
    std::sort(preds.begin(), preds.end());
    preds.erase(std::unique(preds.begin(), preds.end()), preds.end());
    for (int p : preds) nodes[p].successors.push_back(static_cast<int>(i));
    nodes[i].pending = static_cast<int>(preds.size());
  }
  return nodes;
}

Instruction on_physical(const Instruction& in, const std::vector<int>& l2p) {
  Instruction out = in;
  if (Op* op = std::get_if<Op>(&out)) {
    for (int k = 0; k < gate_qubit_count(op->kind); ++k) op->qubits[k] = l2p[op->qubits[k]];
  } else if (Measure* m = std::get_if<Measure>(&out)) {
    m->qubit = l2p[m->qubit];
  } else {
    std::get<Reset>(out).qubit = l2p[std::get<Reset>(out).qubit];
  }
  return out;
}

void check_layout(const std::vector<int>& layout, int logical, const CouplingGraph& g) {
  require(static_cast<int>(layout.size()) == logical,
          "the initial layout places {} qubits; the program has {}", layout.size(), logical);
  std::vector<bool> used(g.size(), false);
  for (int p : layout) {
    require_in_range("physical qubit of the layout", p, 0, g.size() - 1);
    require(!used[p], "the initial layout places two qubits on physical qubit {}", p);
    used[p] = true;
  }
}

Program reversed(const Program& p) {
  Program out(p.num_qubits(), p.num_clbits());
  const auto& ins = p.instructions();
  for (auto it = ins.rbegin(); it != ins.rend(); ++it) {
    std::visit(
        [&](const auto& i) {
          using T = std::decay_t<decltype(i)>;
          if constexpr (std::is_same_v<T, Op>) out.gate(i);
          if constexpr (std::is_same_v<T, Measure>) out.measure(i.qubit, i.clbit);
          if constexpr (std::is_same_v<T, Reset>) out.reset(i.qubit);
        },
        *it);
  }
  return out;
}

}  // namespace

CouplingGraph::CouplingGraph(std::vector<std::vector<int>> neighbours)
    : neighbours_(std::move(neighbours)) {
  const int n = size();
  require(n > 0, "a coupling graph needs at least one qubit");
  for (int p = 0; p < n; ++p) {
    for (int q : neighbours_[p]) {
      require_in_range("coupled qubit", q, 0, n - 1);
      require(std::find(neighbours_[q].begin(), neighbours_[q].end(), p) != neighbours_[q].end(),
              "the coupling lists {} as a neighbour of {} but not the reverse", q, p);
    }
  }
  distance_.assign(static_cast<size_t>(n) * n, kUnreachable);
  for (int s = 0; s < n; ++s) {
    std::queue<int> todo;
    distance_[static_cast<size_t>(s) * n + s] = 0;
    todo.push(s);
    while (!todo.empty()) {
      const int u = todo.front();
      todo.pop();
      for (int v : neighbours_[u]) {
        int& d = distance_[static_cast<size_t>(s) * n + v];
        if (d == kUnreachable) {
          d = distance_[static_cast<size_t>(s) * n + u] + 1;
          todo.push(v);
        }
      }
    }
  }
}

CouplingGraph CouplingGraph::line(int n) {
  std::vector<std::vector<int>> nb(n);
  for (int i = 0; i + 1 < n; ++i) nb[i].push_back(i + 1), nb[i + 1].push_back(i);
  return CouplingGraph(nb);
}

CouplingGraph CouplingGraph::ring(int n) {
  std::vector<std::vector<int>> nb(n);
  for (int i = 0; i < n; ++i) {
    const int j = (i + 1) % n;
    if (i != j && std::find(nb[i].begin(), nb[i].end(), j) == nb[i].end()) {
      nb[i].push_back(j), nb[j].push_back(i);
    }
  }
  return CouplingGraph(nb);
}

CouplingGraph CouplingGraph::grid(int rows, int cols) {
  std::vector<std::vector<int>> nb(rows * cols);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const int i = r * cols + c;
      if (c + 1 < cols) nb[i].push_back(i + 1), nb[i + 1].push_back(i);
      if (r + 1 < rows) nb[i].push_back(i + cols), nb[i + cols].push_back(i);
    }
  }
  return CouplingGraph(nb);
}

std::vector<int> CouplingGraph::path(int a, int b) const {
  require(distance(a, b) < kUnreachable, "physical qubits {} and {} are not connected", a, b);
  std::vector<int> out = {a};
  while (out.back() != b) {
    for (int v : neighbours_[out.back()]) {
      if (distance(v, b) == distance(out.back(), b) - 1) {
        out.push_back(v);
        break;
      }
    }
  }
  return out;
}

RoutedProgram sabre_route(const Program& program, const CouplingGraph& g,
                          const std::vector<int>& initial_layout, uint64_t seed) {
  constexpr int kExtendedSize = 20;        // gates looked ahead (SABRE's |E|)
  constexpr double kExtendedWeight = 0.5;  // W
  constexpr double kDecayStep = 0.001;     // delta
  constexpr int kDecayReset = 5;           // swaps between decay resets
  check_layout(initial_layout, program.num_qubits(), g);
  const auto& ins = program.instructions();
  std::vector<Node> nodes = build_dag(ins, program.num_qubits(), program.num_clbits());
  RoutedProgram out;
  out.num_clbits = program.num_clbits();
  out.initial_layout = initial_layout;
  std::vector<int> l2p = initial_layout, p2l(g.size(), -1);
  for (int l = 0; l < program.num_qubits(); ++l) p2l[l2p[l]] = l;
  std::vector<double> decay(g.size(), 1.0);
  std::vector<int> front;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].pending == 0) front.push_back(static_cast<int>(i));
  }
  Rng rng(seed);
  int swaps_since_reset = 0, swaps_since_progress = 0;
  const auto swap = [&](int a, int b) {
    out.instructions.push_back(Op{GateKind::SWAP, {a, b}, {}});
    std::swap(p2l[a], p2l[b]);
    if (p2l[a] >= 0) l2p[p2l[a]] = a;
    if (p2l[b] >= 0) l2p[p2l[b]] = b;
    ++out.swaps;
  };
  while (!front.empty()) {
    // Run everything in the front layer that can run, and what that releases.
    bool progress = true;
    while (progress) {
      progress = false;
      std::vector<int> next;
      for (int i : front) {
        const Node& n = nodes[i];
        if (n.two_qubit && !g.adjacent(l2p[n.qubits[0]], l2p[n.qubits[1]])) {
          next.push_back(i);
          continue;
        }
        out.instructions.push_back(on_physical(ins[i], l2p));
        progress = true;
        for (int s : n.successors) {
          if (--nodes[s].pending == 0) next.push_back(s);
        }
      }
      if (progress) {
        std::fill(decay.begin(), decay.end(), 1.0);
        swaps_since_progress = 0;
      }
      front.swap(next);
    }
    if (front.empty()) break;
    // Stuck: every front gate is a two-qubit gate on uncoupled qubits.
    std::vector<int> extended;
    {
      std::deque<int> todo(front.begin(), front.end());
      std::vector<bool> seen(nodes.size(), false);
      for (int i : front) seen[i] = true;
      while (!todo.empty() && static_cast<int>(extended.size()) < kExtendedSize) {
        const int i = todo.front();
        todo.pop_front();
        for (int s : nodes[i].successors) {
          if (seen[s]) continue;
          seen[s] = true;
          if (nodes[s].two_qubit) extended.push_back(s);
          todo.push_back(s);
        }
      }
    }
    for (int i : front) {
      const int a = l2p[nodes[i].qubits[0]], b = l2p[nodes[i].qubits[1]];
      require(g.distance(a, b) < kUnreachable,
              "physical qubits {} and {} are not connected, but the program couples the logical "
              "qubits on them",
              a, b);
    }
    if (swaps_since_progress > 10 * g.size() + 20) {
      // Release valve: walk the closest front gate's first qubit along a shortest path.
      int best = front[0];
      for (int i : front) {
        const auto d = [&](int k) {
          return g.distance(l2p[nodes[k].qubits[0]], l2p[nodes[k].qubits[1]]);
        };
        if (d(i) < d(best)) best = i;
      }
      const std::vector<int> path = g.path(l2p[nodes[best].qubits[0]], l2p[nodes[best].qubits[1]]);
      for (size_t k = 0; k + 2 < path.size(); ++k) swap(path[k], path[k + 1]);
      swaps_since_progress = 0;
      continue;
    }
    std::vector<std::pair<int, int>> candidates;
    for (int i : front) {
      for (int l : nodes[i].qubits) {
        const int p = l2p[l];
        for (int q : g.neighbours(p)) candidates.emplace_back(std::min(p, q), std::max(p, q));
      }
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    const auto cost = [&](const std::vector<int>& gates, int a, int b) {
      double sum = 0;
      for (int i : gates) {
        int x = l2p[nodes[i].qubits[0]], y = l2p[nodes[i].qubits[1]];
        x = x == a ? b : x == b ? a : x;
        y = y == a ? b : y == b ? a : y;
        sum += g.distance(x, y);
      }
      return gates.empty() ? 0.0 : sum / static_cast<double>(gates.size());
    };
    double best_score = 0;
    std::vector<std::pair<int, int>> best;
    for (const auto& [a, b] : candidates) {
      const double score = std::max(decay[a], decay[b]) *
                           (cost(front, a, b) + kExtendedWeight * cost(extended, a, b));
      if (best.empty() || score < best_score - 1e-12) {
        best = {{a, b}};
        best_score = score;
      } else if (score <= best_score + 1e-12) {
        best.emplace_back(a, b);
      }
    }
    const auto [a, b] = best[rng.below(best.size())];
    swap(a, b);
    decay[a] += kDecayStep;
    decay[b] += kDecayStep;
    ++swaps_since_progress;
    if (++swaps_since_reset >= kDecayReset) {
      std::fill(decay.begin(), decay.end(), 1.0);
      swaps_since_reset = 0;
    }
  }
  out.final_layout = l2p;
  return out;
}

std::vector<int> sabre_layout(const Program& program, const CouplingGraph& g,
                              std::vector<int> layout, uint64_t seed, int rounds) {
  const Program back = reversed(program);
  for (int r = 0; r < rounds; ++r) {
    layout = sabre_route(program, g, layout, seed + 2 * r).final_layout;
    layout = sabre_route(back, g, layout, seed + 2 * r + 1).final_layout;
  }
  return layout;
}

std::vector<int> best_sabre_layout(const Program& program, const CouplingGraph& g,
                                   const std::vector<int>& initial_layout, uint64_t seed,
                                   int trials) {
  Rng rng(seed * 0x9E3779B97F4A7C15ull + 17);
  std::vector<int> best;
  int best_swaps = 0;
  // A start may use any physical qubit: shuffle the free ones in too.
  std::vector<int> pool(g.size());
  std::iota(pool.begin(), pool.end(), 0);
  for (int t = 0; t < std::max(1, trials); ++t) {
    std::vector<int> start = initial_layout;
    if (t > 0) {
      for (int i = g.size() - 1; i > 0; --i) std::swap(pool[i], pool[rng.below(i + 1)]);
      start.assign(pool.begin(), pool.begin() + program.num_qubits());
    }
    std::vector<int> layout = sabre_layout(program, g, start, seed + 31 * t);
    const int swaps = sabre_route(program, g, layout, seed).swaps;
    if (best.empty() || swaps < best_swaps) best = std::move(layout), best_swaps = swaps;
  }
  return best;
}

int optimal_swap_count(const Program& program, const CouplingGraph& g) {
  const int n = g.size(), logical = program.num_qubits();
  require(n <= 8, "the exhaustive search handles at most 8 physical qubits, not {}", n);
  require(logical <= n, "{} logical qubits do not fit {} physical ones", logical, n);
  // The two-qubit gates and the earlier two-qubit gates each must wait for.
  std::vector<std::pair<int, int>> gates;
  std::vector<uint32_t> needs;
  std::vector<int> last(logical, -1);
  for (const Instruction& i : program.instructions()) {
    const Op* op = std::get_if<Op>(&i);
    if (!op || gate_qubit_count(op->kind) != 2) continue;
    uint32_t mask = 0;
    for (int q : {op->qubits[0], op->qubits[1]}) {
      if (last[q] >= 0) mask |= uint32_t{1} << last[q];
      last[q] = static_cast<int>(gates.size());
    }
    gates.emplace_back(op->qubits[0], op->qubits[1]);
    needs.push_back(mask);
  }
  require(gates.size() <= 20, "the exhaustive search handles at most 20 two-qubit gates, not {}",
          gates.size());
  const uint32_t done = gates.size() == 32 ? ~0u : (uint32_t{1} << gates.size()) - 1;
  // State: (gates done, physical -> logical) packed as mask * n^n-ish code.
  const auto encode = [&](uint32_t mask, const std::vector<int>& p2l) {
    uint64_t code = mask;
    for (int p = 0; p < n; ++p) code = code * (logical + 1) + static_cast<uint64_t>(p2l[p] + 1);
    return code;
  };
  std::unordered_map<uint64_t, int> dist;
  std::deque<std::pair<uint32_t, std::vector<int>>> todo;
  // Every injective placement of the logical qubits is a free start.
  std::vector<int> slots(n);
  std::iota(slots.begin(), slots.end(), 0);
  std::vector<bool> choose(n, false);
  std::fill(choose.begin(), choose.begin() + logical, true);
  do {
    std::vector<int> picked;
    for (int p = 0; p < n; ++p) {
      if (choose[p]) picked.push_back(p);
    }
    do {
      std::vector<int> p2l(n, -1);
      for (int l = 0; l < logical; ++l) p2l[picked[l]] = l;
      const uint64_t code = encode(0, p2l);
      if (dist.emplace(code, 0).second) todo.emplace_back(0, p2l);
    } while (std::next_permutation(picked.begin(), picked.end()));
  } while (std::prev_permutation(choose.begin(), choose.end()));
  while (!todo.empty()) {
    auto [mask, p2l] = todo.front();
    todo.pop_front();
    const int d = dist.at(encode(mask, p2l));
    if (mask == done) return d;
    std::vector<int> l2p(logical);
    for (int p = 0; p < n; ++p) {
      if (p2l[p] >= 0) l2p[p2l[p]] = p;
    }
    bool ran = false;
    for (size_t k = 0; k < gates.size() && !ran; ++k) {
      if ((mask >> k) & 1 || (needs[k] & ~mask) != 0) continue;
      if (!g.adjacent(l2p[gates[k].first], l2p[gates[k].second])) continue;
      // Running a ready gate costs nothing and never hurts: take the first one.
      const uint32_t next = mask | (uint32_t{1} << k);
      const uint64_t code = encode(next, p2l);
      const auto it = dist.find(code);
      if (it == dist.end() || it->second > d) {
        dist[code] = d;
        todo.emplace_front(next, p2l);
      }
      ran = true;
    }
    if (ran) continue;
    for (int p = 0; p < n; ++p) {
      for (int q : g.neighbours(p)) {
        if (q < p || (p2l[p] < 0 && p2l[q] < 0)) continue;
        std::vector<int> next = p2l;
        std::swap(next[p], next[q]);
        const uint64_t code = encode(mask, next);
        const auto it = dist.find(code);
        if (it == dist.end() || it->second > d + 1) {
          dist[code] = d + 1;
          todo.emplace_back(mask, next);
        }
      }
    }
  }
  throw std::invalid_argument("the program couples qubits that no placement connects");
}

}  // namespace qdm
