#pragma once
/// Sampling from shots, the way a QPU does it: each sample's whole reverse chain is compiled into
/// one circuit (framework/chain_circuit.h) and measured `shots` times; its image is sqrt of the
/// post-selected data-register frequencies. On a cloud QPU the circuits of a request go out as one
/// job through the run file's journal; on a simulator the same circuits are sampled locally, which
/// is the reference the hardware path is tested against.

#include "experiments/qdm_training.h"

namespace qdm {

/// Thrown after a dry run printed its payload: nothing was sent and nothing is to be stored.
struct DryRunComplete {};

Generated sample_qdm_shots(const Pipeline& denoiser, const QdmSettings& settings,
                           const ParamSnapshots& params, const SampleRequest& request);

}  // namespace qdm
