#include "backends/statevector/program_sampler.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "backends/statevector/compiled_block.h"
#include "framework/error.h"
#include "framework/rng.h"

namespace qdm::sv {
namespace {

/// The gates up to the next measurement or reset, and that instruction.
struct Segment {
  Circuit gates;
  std::optional<Instruction> then;  ///< a Measure or Reset; empty for the last segment
};

/// One history: its shots and the classical bits read so far.
struct Branch {
  uint64_t bits = 0;
  int shots = 0;
};

/// Bytes of state a chunk of branches holds: a stretch of gates runs over it while it is in cache.
constexpr size_t kChunkBytes = size_t{1} << 20;

/// The branches' states, chunk by chunk: branch b is column b % per_chunk of chunk b / per_chunk.
struct Branches {
  int qubits = 0, per_chunk = 1;
  std::vector<Branch> list;
  std::vector<StateBatch> chunks;
  Complex amp(size_t b, size_t i) const {
    return chunks[b / per_chunk].amp(static_cast<int>(b % per_chunk), i);
  }
};

class BranchSampler {
 public:
  BranchSampler(const Program& program, uint64_t seed, std::span<const ClbitValue> stop_unless)
      : n_(program.num_qubits()), rng_(seed), required_(program.num_clbits(), -1) {
    for (const auto& [clbit, value] : stop_unless) {
      require_in_range("post-selected classical bit", clbit, 0, program.num_clbits() - 1);
      required_[clbit] = value;
    }
    const auto& ins = program.instructions();
    // Measurements with nothing after them are drawn per shot from the final states.
    size_t tail = ins.size();
    while (tail > 0 && std::holds_alternative<Measure>(ins[tail - 1])) --tail;
    for (size_t i = tail; i < ins.size(); ++i) tail_.push_back(std::get<Measure>(ins[i]));
    segments_.push_back({Circuit(n_), std::nullopt});
    for (size_t i = 0; i < tail; ++i) {
      if (const Op* op = std::get_if<Op>(&ins[i])) {
        segments_.back().gates.add(*op);
      } else {
        segments_.back().then = ins[i];
        segments_.push_back({Circuit(n_), std::nullopt});
      }
    }
    for (const Segment& s : segments_) blocks_.emplace_back(s.gates, std::span<const double>{}, 0);
    dense_.resize(segments_.size());
  }

  std::vector<uint64_t> run(int shots) {
    const double state_bytes = std::ldexp(16.0, n_);
    // At most one branch per shot, and the batch is copied once per measurement.
    require(2 * state_bytes * std::min<double>(shots, std::ldexp(1.0, 24)) <= std::ldexp(1.0, 32),
            "sampling {} shots of a {}-qubit program with mid-circuit measurements may hold up to "
            "{} states at once, more than 4 GiB; use fewer shots",
            shots, n_, shots);
    Branches br;
    br.qubits = n_;
    br.per_chunk = std::max<int>(1, static_cast<int>(kChunkBytes / (state_bytes)));
    br.list = {{0, shots}};
    br.chunks.push_back(StateBatch::basis_zero(n_, 1));
    for (size_t seg = 0; seg < segments_.size(); ++seg) {
      apply(seg, br);
      if (!segments_[seg].then) break;
      measure(*segments_[seg].then, br);
      if (br.list.empty()) return std::move(out_);
    }
    finish(br);
    return std::move(out_);
  }

 private:
  /// Runs segment `seg`'s gates over every branch: gate by gate, or, when many branches share a
  /// long stretch, as its dense unitary (built once, then one matrix product per chunk).
  void apply(size_t seg, Branches& br) {
    const size_t gates = segments_[seg].gates.ops().size(), dim = size_t{1} << n_;
    if (gates == 0) return;
    // Gate by gate costs ~gates x dim per branch; dense dim^2 per branch plus dim x gates x dim
    // once to build the unitary.
    const double branches = static_cast<double>(br.list.size());
    const double by_gate = branches * gates * dim;
    const double dense_cost = branches * dim * dim / 4.0 + static_cast<double>(dim) * gates * dim;
    if (n_ <= 12 && dense_cost < by_gate) {
      if (!dense_[seg]) dense_[seg] = blocks_[seg].unitary<double>(n_);
      for (StateBatch& chunk : br.chunks) CompiledBlock::apply_dense(*dense_[seg], chunk);
      return;
    }
    for (StateBatch& chunk : br.chunks) blocks_[seg].apply(view(chunk));
  }

  /// Splits every branch at a measurement or reset on its qubit.
  void measure(const Instruction& at, Branches& br) {
    const Measure* m = std::get_if<Measure>(&at);
    const int q = m ? m->qubit : std::get<Reset>(at).qubit;
    const int required = m ? required_[m->clbit] : -1;
    const size_t mask = size_t{1} << q, dim = size_t{1} << n_;
    const std::vector<Branch>& branches = br.list;
    struct Child {
      int parent, outcome;
      double scale;
      Branch branch;
    };
    std::vector<Child> children;
    for (size_t b = 0; b < branches.size(); ++b) {
      double p1 = 0;
      for (size_t i = 0; i < dim; ++i) {
        if (i & mask) p1 += std::norm(br.amp(b, i));
      }
      p1 = std::clamp(p1, 0.0, 1.0);
      int ones = 0;
      for (int k = 0; k < branches[b].shots; ++k) ones += rng_.uniform() < p1;
      const int counts[2] = {branches[b].shots - ones, ones};
      for (int outcome = 0; outcome < 2; ++outcome) {
        if (counts[outcome] == 0) continue;
        uint64_t bits = branches[b].bits;
        if (m) bits = (bits & ~(uint64_t{1} << m->clbit)) | (uint64_t(outcome) << m->clbit);
        if (required >= 0 && outcome != required) {
          out_.insert(out_.end(), counts[outcome], bits);  // rejected: stops here
          continue;
        }
        const double p = outcome ? p1 : 1 - p1;
        children.push_back(
            {static_cast<int>(b), outcome, 1 / std::sqrt(p), {bits, counts[outcome]}});
      }
    }
    std::vector<StateBatch> next;
    for (size_t first = 0; first < children.size(); first += br.per_chunk) {
      const int count = static_cast<int>(std::min<size_t>(br.per_chunk, children.size() - first));
      StateBatch chunk(n_, count);
      for (int c = 0; c < count; ++c) {
        const Child& ch = children[first + c];
        for (size_t i = 0; i < dim; ++i) {
          if (((i & mask) != 0) != (ch.outcome == 1)) continue;
          // A reset that read 1 flips the qubit back: amplitude i moves to i without the bit.
          const size_t to = (!m && ch.outcome == 1) ? (i & ~mask) : i;
          chunk.set_amp(c, to, br.amp(ch.parent, i) * ch.scale);
        }
      }
      next.push_back(std::move(chunk));
    }
    br.list.clear();
    for (const Child& c : children) br.list.push_back(c.branch);
    br.chunks = std::move(next);
  }

  /// Draws each branch's shots from its final state.
  void finish(const Branches& br) {
    const size_t dim = size_t{1} << n_;
    for (size_t b = 0; b < br.list.size(); ++b) {
      const Branch& branch = br.list[b];
      if (tail_.empty()) {
        out_.insert(out_.end(), branch.shots, branch.bits);
        continue;
      }
      std::vector<double> cdf(dim);
      double acc = 0;
      for (size_t i = 0; i < dim; ++i) cdf[i] = (acc += std::norm(br.amp(b, i)));
      for (int k = 0; k < branch.shots; ++k) {
        const double u = rng_.uniform() * acc;
        const size_t index =
            std::min<size_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin(), dim - 1);
        uint64_t shot = branch.bits;
        for (const Measure& m : tail_) {
          const uint64_t bit = (index >> m.qubit) & 1;
          shot = (shot & ~(uint64_t{1} << m.clbit)) | (bit << m.clbit);
        }
        out_.push_back(shot);
      }
    }
  }

  int n_;
  Rng rng_;
  std::vector<int> required_;
  std::vector<Segment> segments_;
  std::vector<CompiledBlock> blocks_;
  std::vector<std::optional<DenseUnitary>> dense_;  ///< built on first use
  std::vector<Measure> tail_;
  std::vector<uint64_t> out_;
};

}  // namespace

std::vector<uint64_t> sample_program(const Program& program, int shots, uint64_t seed,
                                     std::span<const ClbitValue> stop_unless) {
  require_in_range("shot count", shots, 1, 100'000'000);
  require(program.num_qubits() <= kMaxQubits,
          "a program of {} qubits is wider than the {} a state vector here holds",
          program.num_qubits(), kMaxQubits);
  BranchSampler sampler(program, seed, stop_unless);
  return sampler.run(shots);
}

}  // namespace qdm::sv
