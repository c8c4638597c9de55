#pragma once
/// A denoiser as an ordered list of stages applied to a StateBatch. This is a description;
/// backends execute it (forward) and differentiate it (backward).

#include <string>
#include <variant>
#include <vector>

#include "framework/circuit/circuit.h"

namespace qdm {

/// The circuit; its parameter k is params[param_offset + k] of the pipeline.
struct UnitaryBlock {
  Circuit circuit;
  int param_offset = 0;
};
/// Adds `count` qubits in |0> above the current ones (they become the most significant bits).
struct AppendAncilla {
  int count = 1;
};
/// Projects `qubits` onto `values` and removes them. Does not renormalise: add Normalise.
struct PostSelect {
  std::vector<int> qubits;
  std::vector<int> values;
};
/// Measures `qubits` of each state: draws the outcome with the Born probabilities (from the
/// context's seed), keeps that branch, removes the qubits and renormalises. Gradients flow
/// through the drawn branch.
struct SampleMeasure {
  std::vector<int> qubits;
};
struct Normalise {};
/// f(re) + i f(im) with f(x) = x for x > 0 and slope * x otherwise. Not a physical operation.
struct ComplexLeakyReLU {
  double slope = 0.01;
};
/// Adds a `label_qubits` register above the data holding each state's label: |label>|data>, so a
/// 2^d-amplitude vector lands in slot label * 2^d of the larger one.
struct LabelEncode {
  int label_qubits = 4;
};
/// Projects the top `label_qubits` register onto each state's label and removes it (no
/// renormalisation).
struct LabelPostSelect {
  int label_qubits = 4;
};

using Stage = std::variant<UnitaryBlock, AppendAncilla, PostSelect, SampleMeasure, Normalise,
                           ComplexLeakyReLU, LabelEncode, LabelPostSelect>;

std::string stage_name(const Stage& stage);
/// False for stages no quantum device can run (ComplexLeakyReLU).
bool stage_is_physical(const Stage& stage);

class Pipeline {
 public:
  explicit Pipeline(int input_qubits);

  int input_qubits() const { return input_qubits_; }
  int output_qubits() const { return qubits_after_.empty() ? input_qubits_ : qubits_after_.back(); }
  int num_params() const { return num_params_; }
  const std::vector<Stage>& stages() const { return stages_; }
  /// Qubits entering stage k.
  int qubits_before(size_t k) const { return k == 0 ? input_qubits_ : qubits_after_[k - 1]; }
  bool is_physical() const;
  bool uses_labels() const;
  /// True when a unit-norm input leaves as a unit-norm output: every stage after the last
  /// Normalise (or every stage, when there is none) keeps the norm.
  bool output_normalised() const;

  /// Appends a stage after checking it against the current qubit count; throws
  /// std::invalid_argument naming the stage and the offending value.
  Pipeline& add(Stage stage);

 private:
  int input_qubits_;
  int num_params_ = 0;
  std::vector<Stage> stages_;
  std::vector<int> qubits_after_;
};

/// `pipeline` without its Normalise stages. Every other stage is positively homogeneous or
/// scale-invariant, so the output is the original's times a positive factor; for a physical
/// pipeline it is the branch its post-selections keep, unnormalised, whose squared norm is the
/// probability that they keep it (hardware-aware training, experiments/qdm_training.h).
Pipeline without_normalise(const Pipeline& pipeline);

/// Per-call inputs of a pipeline run: labels for label stages, and the seed and stream of the
/// counter-based random numbers SampleMeasure draws (state b of stage k uses draw (seed, stream,
/// k, first_state + b), so results do not depend on how a batch is split across threads).
struct EvolveContext {
  std::vector<int> labels;
  uint64_t seed = 0;
  uint64_t stream = 0;
  /// Index of this call's first state among all the states of its run (the trajectories
  /// backend keys its noise draws by it, so calls over different samples never share draws).
  uint64_t state_offset = 0;
};

}  // namespace qdm
