#pragma once
/// Pipelines on density matrices: unitary blocks (with the noise model after every gate) and
/// every physical stage. SampleMeasure draws its outcome as the statevector backend does (the same
/// counter-based uniform for the same seed, stream, stage and state), so on pure states without
/// noise both backends follow the same branch and agree.

#include <span>
#include <vector>

#include "backends/density_matrix/density_matrix.h"
#include "framework/pipeline.h"

namespace qdm::dm {

/// State `state_index` of a call (its label is context.labels[state_index] when the pipeline
/// uses labels) through `pipeline`; std::invalid_argument for a stage that is not physical.
DensityMatrix run_pipeline(const Pipeline& pipeline, std::span<const double> params,
                           DensityMatrix rho, const NoiseModel& noise, const EvolveContext& context,
                           int state_index);

/// Traces `qubits` out: the state of the others, their order kept.
DensityMatrix partial_trace(const DensityMatrix& rho, std::span<const int> qubits);

}  // namespace qdm::dm
