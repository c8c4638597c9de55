#include "backends/statevector/kernels.h"

#include <utility>

namespace qdm::sv {
namespace {

/// Inserts a zero bit at position `bit` of `m`.
inline size_t insert_zero(size_t m, int bit) {
  const size_t low = m & ((size_t{1} << bit) - 1);
  return ((m >> bit) << (bit + 1)) | low;
}

/// Calls f(offset_a, offset_b) for the element offsets of every amplitude pair (i, i') where i has
/// bits (a, b) = (va, vb) and i' = i with both bits flipped as requested; runs of `inner`.
template <typename Real, typename F>
void for_each_two_bit_index(const BasicStateView<Real>& x, int a, int b, F&& f) {
  const int lo = a < b ? a : b;
  const int hi = a < b ? b : a;
  const size_t quarter = x.dim >> 2;
  for (size_t o = 0; o < x.outer; ++o) {
    const size_t base = o * x.dim * x.inner;
    for (size_t m = 0; m < quarter; ++m) f(base, insert_zero(insert_zero(m, lo), hi));
  }
}

}  // namespace

template <typename Real>
void apply_1q(BasicStateView<Real> x, int q, const Matrix2& m) {
  const Real m00r = m(0, 0).real(), m00i = m(0, 0).imag();
  const Real m01r = m(0, 1).real(), m01i = m(0, 1).imag();
  const Real m10r = m(1, 0).real(), m10i = m(1, 0).imag();
  const Real m11r = m(1, 1).real(), m11i = m(1, 1).imag();
  const size_t s = (size_t{1} << q) * x.inner;
  const size_t n = x.size();
  for (size_t base = 0; base < n; base += 2 * s) {
    Real* __restrict r0 = x.re + base;
    Real* __restrict i0 = x.im + base;
    Real* __restrict r1 = r0 + s;
    Real* __restrict i1 = i0 + s;
#pragma omp simd
    for (size_t k = 0; k < s; ++k) {
      const Real ar = r0[k], ai = i0[k], br = r1[k], bi = i1[k];
      r0[k] = m00r * ar - m00i * ai + m01r * br - m01i * bi;
      i0[k] = m00r * ai + m00i * ar + m01r * bi + m01i * br;
      r1[k] = m10r * ar - m10i * ai + m11r * br - m11i * bi;
      i1[k] = m10r * ai + m10i * ar + m11r * bi + m11i * br;
    }
  }
}

template <typename Real>
void apply_cnot(BasicStateView<Real> x, int control, int target) {
  const size_t c = size_t{1} << control, t = size_t{1} << target, w = x.inner;
  for_each_two_bit_index(x, control, target, [&](size_t base, size_t i) {
    const size_t p = base + (i | c) * w, q = base + (i | c | t) * w;
    for (size_t j = 0; j < w; ++j) {
      std::swap(x.re[p + j], x.re[q + j]);
      std::swap(x.im[p + j], x.im[q + j]);
    }
  });
}

template <typename Real>
void apply_cz(BasicStateView<Real> x, int a, int b) {
  const size_t both = (size_t{1} << a) | (size_t{1} << b), w = x.inner;
  for_each_two_bit_index(x, a, b, [&](size_t base, size_t i) {
    const size_t p = base + (i | both) * w;
    for (size_t j = 0; j < w; ++j) {
      x.re[p + j] = -x.re[p + j];
      x.im[p + j] = -x.im[p + j];
    }
  });
}

template <typename Real>
void apply_swap(BasicStateView<Real> x, int a, int b) {
  const size_t ba = size_t{1} << a, bb = size_t{1} << b, w = x.inner;
  for_each_two_bit_index(x, a, b, [&](size_t base, size_t i) {
    const size_t p = base + (i | ba) * w, q = base + (i | bb) * w;
    for (size_t j = 0; j < w; ++j) {
      std::swap(x.re[p + j], x.re[q + j]);
      std::swap(x.im[p + j], x.im[q + j]);
    }
  });
}

template <typename Real>
void adjoint_1q(BasicStateView<Real> psi, BasicStateView<Real> lam, int q, const Matrix2& m,
                Matrix2* acc) {
  const Matrix2 d = m.adjoint();
  const Real d00r = d(0, 0).real(), d00i = d(0, 0).imag();
  const Real d01r = d(0, 1).real(), d01i = d(0, 1).imag();
  const Real d10r = d(1, 0).real(), d10i = d(1, 0).imag();
  const Real d11r = d(1, 1).real(), d11i = d(1, 1).imag();
  const size_t s = (size_t{1} << q) * psi.inner;
  const size_t n = psi.size();
  // Each run of pairs sums in Real lanes; the runs add up in double.
  double t00r = 0, t00i = 0, t01r = 0, t01i = 0, t10r = 0, t10i = 0, t11r = 0, t11i = 0;
  for (size_t base = 0; base < n; base += 2 * s) {
    Real c00r = 0, c00i = 0, c01r = 0, c01i = 0, c10r = 0, c10i = 0, c11r = 0, c11i = 0;
    Real* __restrict pr0 = psi.re + base;
    Real* __restrict pi0 = psi.im + base;
    Real* __restrict pr1 = pr0 + s;
    Real* __restrict pi1 = pi0 + s;
    Real* __restrict lr0 = lam.re + base;
    Real* __restrict li0 = lam.im + base;
    Real* __restrict lr1 = lr0 + s;
    Real* __restrict li1 = li0 + s;
#pragma omp simd reduction(+ : c00r, c00i, c01r, c01i, c10r, c10i, c11r, c11i)
    for (size_t k = 0; k < s; ++k) {
      const Real ar = pr0[k], ai = pi0[k], br = pr1[k], bi = pi1[k];
      const Real xr = d00r * ar - d00i * ai + d01r * br - d01i * bi;
      const Real xi = d00r * ai + d00i * ar + d01r * bi + d01i * br;
      const Real yr = d10r * ar - d10i * ai + d11r * br - d11i * bi;
      const Real yi = d10r * ai + d10i * ar + d11r * bi + d11i * br;
      pr0[k] = xr;
      pi0[k] = xi;
      pr1[k] = yr;
      pi1[k] = yi;
      const Real ur = lr0[k], ui = li0[k], vr = lr1[k], vi = li1[k];
      // conj(lam_r) * psi_s
      c00r += ur * xr + ui * xi;
      c00i += ur * xi - ui * xr;
      c01r += ur * yr + ui * yi;
      c01i += ur * yi - ui * yr;
      c10r += vr * xr + vi * xi;
      c10i += vr * xi - vi * xr;
      c11r += vr * yr + vi * yi;
      c11i += vr * yi - vi * yr;
      lr0[k] = d00r * ur - d00i * ui + d01r * vr - d01i * vi;
      li0[k] = d00r * ui + d00i * ur + d01r * vi + d01i * vr;
      lr1[k] = d10r * ur - d10i * ui + d11r * vr - d11i * vi;
      li1[k] = d10r * ui + d10i * ur + d11r * vi + d11i * vr;
    }
    t00r += c00r, t00i += c00i, t01r += c01r, t01i += c01i;
    t10r += c10r, t10i += c10i, t11r += c11r, t11i += c11i;
  }
  if (acc != nullptr) {
    (*acc)(0, 0) += Complex(t00r, t00i);
    (*acc)(0, 1) += Complex(t01r, t01i);
    (*acc)(1, 0) += Complex(t10r, t10i);
    (*acc)(1, 1) += Complex(t11r, t11i);
  }
}

#define QDM_KERNELS(Real)                                                                   \
  template void apply_1q(BasicStateView<Real>, int, const Matrix2&);                        \
  template void apply_cnot(BasicStateView<Real>, int, int);                                 \
  template void apply_cz(BasicStateView<Real>, int, int);                                   \
  template void apply_swap(BasicStateView<Real>, int, int);                                 \
  template void adjoint_1q(BasicStateView<Real>, BasicStateView<Real>, int, const Matrix2&, \
                           Matrix2*);
QDM_KERNELS(double)
QDM_KERNELS(float)
#undef QDM_KERNELS

}  // namespace qdm::sv
