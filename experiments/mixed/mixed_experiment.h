#pragma once
/// `mixed`: the density-matrix QDM of the seed (sections 1.3.5-1.3.8). rho_0 = |x0><x0| of an
/// amplitude-encoded image; the forward process depolarises, rho_t = a_t rho_0 + (1 - a_t) I/d
/// with a_t = prod_{s <= t} (1 - p_s) and p_t linear in t; the reverse step t is a PQC on the
/// data qubits plus fresh ancillas in |0>, which are traced out afterwards (equivalently measured
/// and reset). Each step learns rho_t -> rho_{t-1} under the configured loss (infidelity, trace
/// distance or Hilbert-Schmidt distance), with gradients by the parameter-shift rule on the
/// output state. Sampling starts from I/d; an image is sqrt(diag rho_0).

#include "experiments/experiment.h"

namespace qdm {

class MixedExperiment final : public Experiment {
 public:
  ConfigSchema schema() const override;
  std::unique_ptr<Training> prepare_training(const Config& config) const override;
  SampleSet sample(const Config& config, const RunFile& run,
                   const SampleRequest& request) const override;
};

}  // namespace qdm
