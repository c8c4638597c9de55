#include "framework/circuit/chain_circuit.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "framework/circuit/state_prep.h"
#include "framework/error.h"
#include "framework/overloaded.h"

namespace qdm {
namespace {

/// A wire freed by an earlier step and the value it holds in every kept shot (-1: unknown).
struct FreeWire {
  int wire = 0;
  int value = -1;
};

/// Builds the program instruction by instruction while tracking which wire holds each logical
/// qubit.
class ChainBuilder {
 public:
  ChainBuilder(int data_qubits, int label, ChainWiring wiring) : label_(label), wiring_(wiring) {
    for (int q = 0; q < data_qubits; ++q) logical_.push_back(new_wire());
  }

  void prepare(std::span<const std::complex<double>> noise) {
    const Circuit prep = prepare_state(noise);
    for (const Op& op : prep.ops()) emit(op, {}, 0);
  }

  void run(const Pipeline& p, std::span<const double> params, int step) {
    step_ = step;
    for (const Stage& stage : p.stages()) {
      std::visit(
          Overloaded{
              [&](const UnitaryBlock& b) {
                for (const Op& op : b.circuit.ops()) emit(op, params, b.param_offset);
              },
              [&](const AppendAncilla& a) {
                for (int k = 0; k < a.count; ++k) logical_.push_back(acquire(0));
              },
              [&](const PostSelect& s) {
                std::vector<ChainBit> bits;
                for (size_t i = 0; i < s.qubits.size(); ++i) {
                  bits.push_back({step_, BitRole::Ancilla, static_cast<int>(i), s.values[i]});
                }
                remove(s.qubits, bits);
              },
              [&](const SampleMeasure& s) {
                std::vector<ChainBit> bits;
                for (size_t i = 0; i < s.qubits.size(); ++i) {
                  bits.push_back({step_, BitRole::Sampled, static_cast<int>(i), -1});
                }
                remove(s.qubits, bits);
              },
              [&](const Normalise&) {},
              [&](const ComplexLeakyReLU&) {
                throw UnsupportedError(
                    "the denoiser has a ComplexLeakyReLU stage, which is not a quantum "
                    "operation: it cannot run on hardware (train with "
                    "model.leaky_relu = false to sample on a QPU)");
              },
              [&](const LabelEncode& e) {
                for (int k = 0; k < e.label_qubits; ++k) {
                  logical_.push_back(acquire(label_bit(k)));
                }
              },
              [&](const LabelPostSelect& s) {
                const int n = static_cast<int>(logical_.size());
                std::vector<int> qubits;
                std::vector<ChainBit> bits;
                for (int k = 0; k < s.label_qubits; ++k) {
                  qubits.push_back(n - s.label_qubits + k);
                  bits.push_back({step_, BitRole::Label, k, label_bit(k)});
                }
                remove(qubits, bits);
              },
          },
          stage);
    }
  }

  ChainCircuit finish() {
    ChainCircuit out;
    for (size_t k = 0; k < logical_.size(); ++k) {
      removed_.push_back({logical_[k], {0, BitRole::Data, static_cast<int>(k), -1}});
    }
    if (wiring_ == ChainWiring::Fresh) {
      // Every wire measured at the end into the classical bit of its own index.
      out.bits.resize(wires_);
      for (const auto& [wire, bit] : removed_) {
        out.bits[wire] = bit;
        instructions_.push_back(Measure{wire, wire});
      }
    } else {
      for (const auto& [wire, bit] : removed_) {
        if (bit.role == BitRole::Data) instructions_.push_back(Measure{wire, next_clbit_++});
        if (bit.role != BitRole::Sampled) out.bits.push_back(bit);
      }
    }
    require(static_cast<int>(out.bits.size()) <= kMaxProgramBits,
            "the reverse chain needs {} classical bits; at most {} fit a shot", out.bits.size(),
            kMaxProgramBits);
    out.program = Program(wires_, static_cast<int>(out.bits.size()));
    for (const Instruction& i : instructions_) {
      std::visit(Overloaded{[&](const Op& op) { out.program.gate(op); },
                            [&](const Measure& m) { out.program.measure(m.qubit, m.clbit); },
                            [&](const Reset& r) { out.program.reset(r.qubit); }},
                 i);
    }
    return out;
  }

 private:
  int label_bit(int k) const { return (label_ >> k) & 1; }

  int new_wire() {
    if (wires_ >= kMaxProgramBits) {
      throw std::invalid_argument(fmt::format(
          "the reverse chain as one circuit needs more than {} qubits (every step's ancillas and "
          "label register are fresh qubits); use fewer diffusion steps or a QPU with mid-circuit "
          "measurement (dynamic circuits reuse them)",
          kMaxProgramBits));
    }
    return wires_++;
  }

  /// A wire holding `value` in every kept shot: a freed one when there is one (flipped or reset
  /// as needed), else a new one (|0>, flipped for 1).
  int acquire(int value) {
    int wire = -1, held = 0;
    if (wiring_ == ChainWiring::Reuse && !free_.empty()) {
      // Prefer a wire already holding the value, then one with a known value, then any.
      auto best = std::min_element(free_.begin(), free_.end(), [&](const auto& a, const auto& b) {
        const auto rank = [&](const FreeWire& f) {
          return f.value == value ? 0 : f.value >= 0 ? 1 : 2;
        };
        return rank(a) < rank(b);
      });
      wire = best->wire;
      held = best->value;
      free_.erase(best);
      if (held < 0) {
        instructions_.push_back(Reset{wire});
        held = 0;
      }
    } else {
      wire = new_wire();
    }
    if (held != value) instructions_.push_back(Op{GateKind::X, {wire, 0}, {}});
    return wire;
  }

  void emit(const Op& op, std::span<const double> params, int offset) {
    Op out = op;
    for (Angle& a : out.angles) {
      a = Angle::constant(a.is_parameter() ? params[offset + a.param] : a.value);
    }
    for (int k = 0; k < gate_qubit_count(op.kind); ++k) out.qubits[k] = logical_.at(op.qubits[k]);
    instructions_.push_back(out);
  }

  /// Removes logical `qubits` (bits[i] describes qubits[i]); in the reuse wiring each
  /// post-selected wire is measured now and every removed wire becomes free.
  void remove(const std::vector<int>& qubits, const std::vector<ChainBit>& bits) {
    for (size_t i = 0; i < qubits.size(); ++i) {
      const int wire = logical_.at(qubits[i]);
      if (wiring_ == ChainWiring::Fresh) {
        removed_.push_back({wire, bits[i]});
      } else if (bits[i].role == BitRole::Sampled) {
        free_.push_back({wire, -1});  // traced out: reset before reuse
      } else {
        instructions_.push_back(Measure{wire, next_clbit_++});
        removed_.push_back({wire, bits[i]});
        free_.push_back({wire, bits[i].select});
      }
    }
    std::vector<int> order = qubits;
    std::sort(order.begin(), order.end(), std::greater<>());
    for (int q : order) logical_.erase(logical_.begin() + q);
  }

  int label_;
  ChainWiring wiring_;
  int step_ = 0;
  int wires_ = 0;
  int next_clbit_ = 0;
  std::vector<int> logical_;  ///< wire of each logical qubit, least significant first
  std::vector<Instruction> instructions_;
  std::vector<FreeWire> free_;
  /// Wires removed so far with what their bit holds, in clbit order for the reuse wiring.
  std::vector<std::pair<int, ChainBit>> removed_;
};

}  // namespace

std::string to_string(ChainWiring w) { return w == ChainWiring::Fresh ? "static" : "dynamic"; }

std::string to_string(BitRole r) {
  switch (r) {
    case BitRole::Data:
      return "data";
    case BitRole::Ancilla:
      return "ancilla";
    case BitRole::Sampled:
      return "sampled";
    case BitRole::Label:
      return "label";
  }
  return "?";
}

ChainCircuit compile_reverse_chain(const Pipeline& denoiser,
                                   const std::vector<std::span<const double>>& step_params,
                                   std::span<const std::complex<double>> noise, int label,
                                   ChainWiring wiring) {
  const int n = denoiser.input_qubits();
  require(noise.size() == (size_t{1} << n), "the noise state has {} amplitudes; {} expected",
          noise.size(), size_t{1} << n);
  require(denoiser.output_qubits() == n,
          "the denoiser maps {} qubits to {}; a chain needs the same count", n,
          denoiser.output_qubits());
  ChainBuilder builder(n, label, wiring);
  builder.prepare(noise);
  const int T = static_cast<int>(step_params.size());
  for (int k = 0; k < T; ++k) {
    require(step_params[k].size() == static_cast<size_t>(denoiser.num_params()),
            "a step has {} parameters; the denoiser takes {}", step_params[k].size(),
            denoiser.num_params());
    builder.run(denoiser, step_params[k], T - k);
  }
  return builder.finish();
}

ChainEstimate estimate_from_counts(const ChainCircuit& chain,
                                   const std::map<uint64_t, double>& counts) {
  std::vector<int> data_bits;
  std::vector<std::pair<int, int>> selects;  // (clbit, value)
  for (size_t k = 0; k < chain.bits.size(); ++k) {
    const ChainBit& b = chain.bits[k];
    if (b.role == BitRole::Data) {
      if (static_cast<int>(data_bits.size()) <= b.index) data_bits.resize(b.index + 1);
      data_bits[b.index] = static_cast<int>(k);
    }
    if (b.select >= 0) selects.emplace_back(static_cast<int>(k), b.select);
  }
  ChainEstimate e;
  const size_t dim = size_t{1} << data_bits.size();
  std::vector<double> hist(dim, 0.0);
  for (const auto& [bits, count] : counts) {
    e.shots += count;
    bool keep = true;
    for (const auto& [clbit, value] : selects) {
      keep = keep && static_cast<int>((bits >> clbit) & 1) == value;
    }
    if (!keep) continue;
    size_t index = 0;
    for (size_t k = 0; k < data_bits.size(); ++k) {
      index |= static_cast<size_t>((bits >> data_bits[k]) & 1) << k;
    }
    hist[index] += count;
    e.kept += count;
  }
  e.magnitudes.resize(dim, 0.0);
  if (e.kept > 0) {
    for (size_t i = 0; i < dim; ++i) e.magnitudes[i] = std::sqrt(hist[i] / e.kept);
  }
  return e;
}

std::string bit_map_json(const std::vector<ChainBit>& bits) {
  nlohmann::json out = nlohmann::json::array();
  for (size_t k = 0; k < bits.size(); ++k) {
    nlohmann::json b = {{"bit", k},
                        {"step", bits[k].step},
                        {"role", to_string(bits[k].role)},
                        {"index", bits[k].index}};
    if (bits[k].select >= 0) b["select"] = bits[k].select;
    out.push_back(b);
  }
  return out.dump();
}

std::string bit_map_compact(const std::vector<ChainBit>& bits) {
  std::string out;
  for (size_t k = 0; k < bits.size(); ++k) {
    out += fmt::format("{}{}={}/{}/{}", k ? " " : "", k, to_string(bits[k].role), bits[k].step,
                       bits[k].index);
    if (bits[k].select >= 0) out += fmt::format("={}", bits[k].select);
  }
  return out;
}

}  // namespace qdm
