#pragma once
/// The statevector hot loops, written once against the (outer, dim, inner) view of a StateBatch
/// so both batch layouts share them.

#include <array>
#include <cstddef>

#include "framework/circuit/gates.h"
#include "framework/state_batch.h"

namespace qdm::sv {

struct StateView {
  double* re;
  double* im;
  size_t outer;
  size_t dim;
  size_t inner;
  size_t size() const { return outer * dim * inner; }
};

inline StateView view(StateBatch& s) { return {s.re(), s.im(), s.outer(), s.dim(), s.inner()}; }

/// x <- m x on qubit q.
void apply_1q(StateView x, int q, const Matrix2& m);
void apply_cnot(StateView x, int control, int target);
void apply_cz(StateView x, int a, int b);
void apply_swap(StateView x, int a, int b);

/// One step of the adjoint sweep through a single-qubit gate m on qubit q, in one pass over both
/// arrays: psi <- m^dag psi (psi becomes the gate's input), then acc[r][s] += sum conj(lam_r)
/// psi_s over all pairs (lam is the cotangent at the gate's output), then lam <- m^dag lam.
/// Skip the accumulation with acc == nullptr. dL/dtheta = 2 Re sum_rs dm/dtheta[r][s] acc[r][s].
void adjoint_1q(StateView psi, StateView lam, int q, const Matrix2& m, Matrix2* acc);

}  // namespace qdm::sv
