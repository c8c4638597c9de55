#include "framework/chain_circuit.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "framework/error.h"
#include "framework/overloaded.h"
#include "framework/state_prep.h"

namespace qdm {
namespace {

// Circuit holds at most kMaxQubits wires, the simulators' limit.
constexpr int kMaxChainWires = kMaxQubits;

/// Builds the circuit op by op while tracking which wire holds each logical qubit.
class ChainBuilder {
 public:
  ChainBuilder(int data_qubits, int label) : label_(label) {
    for (int q = 0; q < data_qubits; ++q) logical_.push_back(fresh());
  }

  void prepare(std::span<const std::complex<double>> noise) {
    const Circuit prep = prepare_state(noise);
    for (const Op& op : prep.ops()) emit(op, {}, 0);
  }

  void run(const Pipeline& p, std::span<const double> params) {
    for (const Stage& stage : p.stages()) {
      std::visit(Overloaded{
                     [&](const UnitaryBlock& b) {
                       for (const Op& op : b.circuit.ops()) emit(op, params, b.param_offset);
                     },
                     [&](const AppendAncilla& a) {
                       for (int k = 0; k < a.count; ++k) logical_.push_back(fresh());
                     },
                     [&](const PostSelect& s) { remove(s.qubits, s.values, true); },
                     [&](const SampleMeasure& s) {
                       remove(s.qubits, std::vector<int>(s.qubits.size(), 0), false);
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
                         const int wire = fresh();
                         logical_.push_back(wire);
                         if ((label_ >> k) & 1) ops_.push_back({GateKind::X, {wire, 0}, {}});
                       }
                     },
                     [&](const LabelPostSelect& s) {
                       const int n = static_cast<int>(logical_.size());
                       std::vector<int> qubits, values;
                       for (int k = 0; k < s.label_qubits; ++k) {
                         qubits.push_back(n - s.label_qubits + k);
                         values.push_back((label_ >> k) & 1);
                       }
                       remove(qubits, values, true);
                     },
                 },
                 stage);
    }
  }

  ChainCircuit finish() {
    ChainCircuit out;
    out.circuit = Circuit(wires_);
    for (const Op& op : ops_) out.circuit.add(op);
    out.data_wires = logical_;
    out.select_wires = select_wires_;
    out.select_values = select_values_;
    return out;
  }

 private:
  int fresh() {
    if (wires_ >= kMaxChainWires) {
      throw std::invalid_argument(fmt::format(
          "the reverse chain as one circuit needs more than {} qubits (every step's ancillas and "
          "label register are fresh qubits); use fewer diffusion steps",
          kMaxChainWires));
    }
    return wires_++;
  }

  void emit(const Op& op, std::span<const double> params, int offset) {
    Op out = op;
    for (Angle& a : out.angles) {
      a = Angle::constant(a.is_parameter() ? params[offset + a.param] : a.value);
    }
    for (int k = 0; k < gate_qubit_count(op.kind); ++k) out.qubits[k] = logical_.at(op.qubits[k]);
    ops_.push_back(out);
  }

  void remove(const std::vector<int>& qubits, const std::vector<int>& values, bool select) {
    std::vector<size_t> order(qubits.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (select) {
      for (size_t i = 0; i < qubits.size(); ++i) {
        select_wires_.push_back(logical_.at(qubits[i]));
        select_values_.push_back(values[i]);
      }
    }
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return qubits[a] > qubits[b]; });
    for (size_t i : order) logical_.erase(logical_.begin() + qubits[i]);
  }

  int label_;
  int wires_ = 0;
  std::vector<int> logical_;  ///< wire of each logical qubit, least significant first
  std::vector<Op> ops_;
  std::vector<int> select_wires_, select_values_;
};

}  // namespace

ChainCircuit compile_reverse_chain(const Pipeline& denoiser,
                                   const std::vector<std::span<const double>>& step_params,
                                   std::span<const std::complex<double>> noise, int label) {
  const int n = denoiser.input_qubits();
  require(noise.size() == (size_t{1} << n), "the noise state has {} amplitudes; {} expected",
          noise.size(), size_t{1} << n);
  require(denoiser.output_qubits() == n,
          "the denoiser maps {} qubits to {}; a chain needs the same count", n,
          denoiser.output_qubits());
  ChainBuilder builder(n, label);
  builder.prepare(noise);
  for (const auto& params : step_params) {
    require(params.size() == static_cast<size_t>(denoiser.num_params()),
            "a step has {} parameters; the denoiser takes {}", params.size(),
            denoiser.num_params());
    builder.run(denoiser, params);
  }
  return builder.finish();
}

ChainEstimate estimate_from_counts(const ChainCircuit& chain,
                                   const std::map<uint64_t, double>& counts) {
  ChainEstimate e;
  const size_t dim = size_t{1} << chain.data_wires.size();
  std::vector<double> hist(dim, 0.0);
  for (const auto& [bits, count] : counts) {
    e.shots += count;
    bool keep = true;
    for (size_t k = 0; k < chain.select_wires.size() && keep; ++k) {
      keep = static_cast<int>((bits >> chain.select_wires[k]) & 1) == chain.select_values[k];
    }
    if (!keep) continue;
    size_t index = 0;
    for (size_t k = 0; k < chain.data_wires.size(); ++k) {
      index |= static_cast<size_t>((bits >> chain.data_wires[k]) & 1) << k;
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

}  // namespace qdm
