#pragma once
/// Forward and backward rules of the non-unitary pipeline stages on pure states.

#include <cstdint>
#include <vector>

#include "framework/pipeline.h"
#include "framework/state_batch.h"

namespace qdm::sv {

/// Per-state record a stage's backward needs beyond its input and output states: the outcome
/// offset that SampleMeasure drew (0 for every other stage).
using Branches = std::vector<size_t>;

/// Forward of a non-unitary stage on states [first, first + B) of the call (Real: double or
/// float; norms and probabilities are summed in double).
template <typename Real>
BasicStateBatch<Real> stage_forward(const Stage& stage, size_t stage_index,
                                    const BasicStateBatch<Real>& in, const EvolveContext& context,
                                    int first, Branches& branches);

/// Cotangent at the stage's input from the cotangent at its output.
template <typename Real>
BasicStateBatch<Real> stage_backward(const Stage& stage, const BasicStateBatch<Real>& in,
                                     const BasicStateBatch<Real>& out,
                                     const BasicStateBatch<Real>& out_cotangent,
                                     const EvolveContext& context, int first,
                                     const Branches& branches);

}  // namespace qdm::sv
