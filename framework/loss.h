#pragma once
/// Losses on output states and their cotangents.
///
/// Cotangent convention used by every backward pass: for a real loss L of complex amplitudes psi,
/// the cotangent g satisfies dL = 2 Re(sum_i conj(g_i) dpsi_i), i.e. g = dL/d(conj psi).

#include "framework/state_batch.h"

namespace qdm {

struct LossResult {
  double value = 0.0;
  std::vector<double> per_state;  ///< the loss of each state before averaging
  StateBatch cotangent;           ///< dL/d(conj output), same shape and layout as the output
};

/// 1 - mean_b |<target_b|out_b>|^2. Shapes must match. On unnormalised outputs (a post-selected
/// branch) it is one minus the fidelity times the probability of keeping the branch.
LossResult infidelity(const StateBatch& output, const StateBatch& targets);
/// 1 - mean_b |<target_b|out_b>|^2 / ||out_b||^2: the infidelity of each output renormalised.
LossResult normalised_infidelity(const StateBatch& output, const StateBatch& targets);

}  // namespace qdm
