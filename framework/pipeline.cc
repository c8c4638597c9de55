#include "framework/pipeline.h"

#include <algorithm>
#include <set>

#include "framework/error.h"
#include "framework/overloaded.h"

namespace qdm {
namespace {

void check_qubit_list(const char* stage, const std::vector<int>& qubits, int n) {
  require(!qubits.empty(), "{} needs at least one qubit", stage);
  require(static_cast<int>(qubits.size()) < n, "{} of {} qubits would leave none of the {}", stage,
          qubits.size(), n);
  std::set<int> seen;
  for (int q : qubits) {
    require(q >= 0 && q < n, "{}: qubit index {} is outside 0..{}", stage, q, n - 1);
    require(seen.insert(q).second, "{}: qubit {} is listed twice", stage, q);
  }
}

}  // namespace

std::string stage_name(const Stage& stage) {
  return std::visit(Overloaded{
                        [](const UnitaryBlock&) { return "unitary-block"; },
                        [](const AppendAncilla&) { return "append-ancilla"; },
                        [](const PostSelect&) { return "post-select"; },
                        [](const SampleMeasure&) { return "sample-measure"; },
                        [](const Normalise&) { return "normalise"; },
                        [](const ComplexLeakyReLU&) { return "complex-leaky-relu"; },
                        [](const LabelEncode&) { return "label-encode"; },
                        [](const LabelPostSelect&) { return "label-post-select"; },
                    },
                    stage);
}

bool stage_is_physical(const Stage& stage) {
  return !std::holds_alternative<ComplexLeakyReLU>(stage);
}

Pipeline::Pipeline(int input_qubits) : input_qubits_(input_qubits) {
  require_in_range("pipeline input qubit count", input_qubits, 1, kMaxQubits);
}

bool Pipeline::is_physical() const {
  return std::all_of(stages_.begin(), stages_.end(), stage_is_physical);
}

bool Pipeline::output_normalised() const {
  for (auto s = stages_.rbegin(); s != stages_.rend(); ++s) {
    if (std::holds_alternative<Normalise>(*s)) return true;
    // SampleMeasure renormalises the branch it draws; the others are unitary or add wires.
    const bool keeps_norm =
        std::holds_alternative<UnitaryBlock>(*s) || std::holds_alternative<AppendAncilla>(*s) ||
        std::holds_alternative<LabelEncode>(*s) || std::holds_alternative<SampleMeasure>(*s);
    if (!keeps_norm) return false;
  }
  return true;
}

bool Pipeline::uses_labels() const {
  return std::any_of(stages_.begin(), stages_.end(), [](const Stage& s) {
    return std::holds_alternative<LabelEncode>(s) || std::holds_alternative<LabelPostSelect>(s);
  });
}

Pipeline& Pipeline::add(Stage stage) {
  const int n = output_qubits();
  const int after = std::visit(
      Overloaded{
          [&](const UnitaryBlock& s) {
            require(s.circuit.num_qubits() == n,
                    "unitary block acts on {} qubits but the pipeline has {} here",
                    s.circuit.num_qubits(), n);
            require(s.param_offset >= 0, "unitary block parameter offset {} is negative",
                    s.param_offset);
            num_params_ = std::max(num_params_, s.param_offset + s.circuit.num_params());
            return n;
          },
          [&](const AppendAncilla& s) {
            require_in_range("ancilla count", s.count, 1, kMaxQubits - n);
            return n + s.count;
          },
          [&](const PostSelect& s) {
            check_qubit_list("post-select", s.qubits, n);
            require(s.values.size() == s.qubits.size(), "post-select has {} qubits but {} values",
                    s.qubits.size(), s.values.size());
            for (int v : s.values) require_in_range("post-select value", v, 0, 1);
            return n - static_cast<int>(s.qubits.size());
          },
          [&](const SampleMeasure& s) {
            check_qubit_list("sample-measure", s.qubits, n);
            return n - static_cast<int>(s.qubits.size());
          },
          [&](const Normalise&) { return n; },
          [&](const ComplexLeakyReLU& s) {
            require(s.slope >= 0.0 && s.slope <= 1.0, "leaky-relu slope {} is outside 0..1",
                    s.slope);
            return n;
          },
          [&](const LabelEncode& s) {
            require_in_range("label register size", s.label_qubits, 1, kMaxQubits - n);
            return n + s.label_qubits;
          },
          [&](const LabelPostSelect& s) {
            require_in_range("label register size", s.label_qubits, 1, n - 1);
            return n - s.label_qubits;
          },
      },
      stage);
  stages_.push_back(std::move(stage));
  qubits_after_.push_back(after);
  return *this;
}

Pipeline without_normalise(const Pipeline& pipeline) {
  Pipeline out(pipeline.input_qubits());
  for (const Stage& stage : pipeline.stages()) {
    if (!std::holds_alternative<Normalise>(stage)) out.add(stage);
  }
  return out;
}

}  // namespace qdm
