#pragma once
/// The statevector hot loops, written once against the (outer, dim, inner) view of a StateBatch
/// so both batch layouts share them.

#include <array>
#include <cstddef>

#include "framework/circuit/gates.h"
#include "framework/state_batch.h"

namespace qdm::sv {

/// A batch's planar arrays as (outer, dim, inner); Real is double or float.
template <typename Real>
struct BasicStateView {
  Real* re;
  Real* im;
  size_t outer;
  size_t dim;
  size_t inner;
  size_t size() const { return outer * dim * inner; }
};
using StateView = BasicStateView<double>;

template <typename Real>
BasicStateView<Real> view(BasicStateBatch<Real>& s) {
  return {s.re(), s.im(), s.outer(), s.dim(), s.inner()};
}

/// x <- m x on qubit q (m rounded to Real).
template <typename Real>
void apply_1q(BasicStateView<Real> x, int q, const Matrix2& m);
template <typename Real>
void apply_cnot(BasicStateView<Real> x, int control, int target);
template <typename Real>
void apply_cz(BasicStateView<Real> x, int a, int b);
template <typename Real>
void apply_swap(BasicStateView<Real> x, int a, int b);

/// One step of the adjoint sweep through a single-qubit gate m on qubit q, in one pass over both
/// arrays: psi <- m^dag psi (psi becomes the gate's input), then acc[r][s] += sum conj(lam_r)
/// psi_s over all pairs (lam is the cotangent at the gate's output), then lam <- m^dag lam.
/// Skip the accumulation with acc == nullptr. dL/dtheta = 2 Re sum_rs dm/dtheta[r][s] acc[r][s].
/// In single precision each pass's sums are float lanes, added to acc in double.
template <typename Real>
void adjoint_1q(BasicStateView<Real> psi, BasicStateView<Real> lam, int q, const Matrix2& m,
                Matrix2* acc);

}  // namespace qdm::sv
