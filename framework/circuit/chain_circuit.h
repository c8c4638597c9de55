#pragma once
/// The whole reverse chain as one program, for hardware that starts in |0...0>: the noise state
/// is prepared by gates (state_prep.h), then P(theta, T) ... P(theta, 1) follow. Post-selection
/// becomes a filter on the returned classical bits, SampleMeasure a discarded qubit, Normalise the
/// renormalisation that counting kept shots implies. Non-physical stages (ComplexLeakyReLU) have
/// no circuit.
///
/// Two wirings:
/// - Fresh (static): every step's ancilla and label register are new qubits, all measured at the
///   end (clbit w = qubit w), for providers without mid-circuit measurement (deferred
///   measurement: a removed qubit is never touched again). 3 + 5T qubits for the paper's
///   conditioned-latent model.
/// - Reuse (dynamic): a removed qubit is measured when it is removed (post-selected wires) and
///   serves the next step. In every kept shot a post-selected wire holds its selected value, so it
///   is reused without a reset (an X when the next use needs the other value); a discarded wire
///   (SampleMeasure) is reset before reuse. Shots that fail any post-selection are dropped, so
///   what later bits of such shots read does not matter. 3 + 4 + 1 qubits for the same model.
/// Both give the step-by-step pipeline's distribution after post-selection
/// (tests/chain_circuit_test.cc).

#include <complex>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "framework/circuit/program.h"
#include "framework/pipeline.h"

namespace qdm {

enum class ChainWiring { Fresh, Reuse };
std::string to_string(ChainWiring w);

/// What a classical bit of a chain holds.
enum class BitRole {
  Data,     ///< data qubit `index` at the end of the chain
  Ancilla,  ///< a post-selected ancilla (PostSelect) of step `step`
  Sampled,  ///< a measured-and-discarded ancilla (SampleMeasure); ignored
  Label,    ///< bit `index` of step `step`'s label register, post-selected to the label's bit
};
std::string to_string(BitRole r);

struct ChainBit {
  int step = 0;  ///< diffusion step t (T first); 0 for the final data register
  BitRole role = BitRole::Data;
  int index = 0;    ///< data qubit, ancilla or label bit within its register
  int select = -1;  ///< the value a kept shot reads, or -1 when the bit is not post-selected
};

struct ChainCircuit {
  Program program{1, 0};
  std::vector<ChainBit> bits;  ///< bits[k] describes classical bit k
  int width() const { return program.num_qubits(); }
};

/// `step_params[k]` serves the k-th denoiser applied (step T - k, T = step_params.size());
/// `label` is the conditioning label (ignored unless the pipeline has label stages).
/// UnsupportedError for a non-physical stage; std::invalid_argument for a chain wider than 64
/// qubits or with more than 64 classical bits.
ChainCircuit compile_reverse_chain(const Pipeline& denoiser,
                                   const std::vector<std::span<const double>>& step_params,
                                   std::span<const std::complex<double>> noise, int label,
                                   ChainWiring wiring = ChainWiring::Fresh);

/// Per-basis-state magnitudes sqrt(p_i) of the data register from measured classical bitstrings
/// (bit k = clbit k) with their counts, keeping only shots that pass every post-selection.
struct ChainEstimate {
  std::vector<double> magnitudes;
  double kept = 0;   ///< shots that passed the post-selection
  double shots = 0;  ///< all shots
};
ChainEstimate estimate_from_counts(const ChainCircuit& chain,
                                   const std::map<uint64_t, double>& counts);

/// The bit map as JSON text: [{"bit": k, "step": t, "role": "label", "index": i, "select": v}, ...]
/// ("select" only on post-selected bits), as written into job metadata and the run file's /jobs.
std::string bit_map_json(const std::vector<ChainBit>& bits);
/// The same map in one short line, "k=role/t/i[=v] ..." (IonQ metadata values are short).
std::string bit_map_compact(const std::vector<ChainBit>& bits);

}  // namespace qdm
