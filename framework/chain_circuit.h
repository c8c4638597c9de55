#pragma once
/// The whole reverse chain as one circuit, for hardware that starts in |0...0> and measures once
/// at the end: the noise state is prepared by gates (state_prep.h), then P(theta, T) ... P(theta,
/// 1) follow with every ancilla and label register on fresh wires. A qubit a stage removes is
/// never touched again, so its projection or measurement can wait until the end (the principle of
/// deferred measurement): PostSelect and LabelPostSelect become a filter on the returned shots,
/// SampleMeasure a measurement whose outcome is ignored, Normalise the renormalisation that
/// counting kept shots implies. Non-physical stages (ComplexLeakyReLU) have no circuit.

#include <complex>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "framework/circuit.h"
#include "framework/pipeline.h"

namespace qdm {

struct ChainCircuit {
  Circuit circuit{1};
  std::vector<int> data_wires;     ///< wire of data qubit k at the end of the chain
  std::vector<int> select_wires;   ///< shots are kept only when these wires read...
  std::vector<int> select_values;  ///< ...these values
  int width() const { return circuit.num_qubits(); }
};

/// `step_params[k]` serves the k-th denoiser applied (step T - k); `label` is the conditioning
/// label (ignored unless the pipeline has label stages). UnsupportedError for a non-physical
/// stage; std::invalid_argument for a chain wider than 63 wires.
ChainCircuit compile_reverse_chain(const Pipeline& denoiser,
                                   const std::vector<std::span<const double>>& step_params,
                                   std::span<const std::complex<double>> noise, int label);

/// Per-basis-state magnitudes sqrt(p_i) of the data register from measured bitstrings (bit w is
/// wire w) with their counts, keeping only shots that pass the post-selection.
struct ChainEstimate {
  std::vector<double> magnitudes;
  double kept = 0;   ///< shots that passed the post-selection
  double shots = 0;  ///< all shots
};
ChainEstimate estimate_from_counts(const ChainCircuit& chain,
                                   const std::map<uint64_t, double>& counts);

}  // namespace qdm
