#include "backends/trajectories/unravel.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include "framework/error.h"

namespace qdm::traj {
namespace {

using Matrix = Eigen::MatrixXcd;

/// Offsets of the 2^k amplitudes that differ only in `targets` (index bit j = targets[j]), for
/// every setting `rest` of the other bits; f(offsets) for each such group.
template <typename F>
void for_each_group(size_t dim, std::span<const int> targets, F&& f) {
  size_t mask = 0;
  for (int q : targets) mask |= size_t{1} << q;
  const size_t k = targets.size();
  std::array<size_t, 4> offsets{};
  for (size_t i = 0; i < dim; ++i) {
    if (i & mask) continue;
    for (size_t v = 0; v < (size_t{1} << k); ++v) {
      size_t index = i;
      for (size_t j = 0; j < k; ++j) {
        if (v >> j & 1) index |= size_t{1} << targets[j];
      }
      offsets[v] = index;
    }
    f(offsets);
  }
}

template <typename Real>
double norm2(sv::BasicStateView<Real> psi, size_t i) {
  const double re = psi.re[i], im = psi.im[i];
  return re * re + im * im;
}

template <typename Real>
Complex amplitude(sv::BasicStateView<Real> psi, size_t i) {
  return {psi.re[i], psi.im[i]};
}

template <typename Real>
double squared_norm(sv::BasicStateView<Real> psi) {
  double s = 0;
  for (size_t i = 0; i < psi.dim; ++i) s += norm2(psi, i);
  return s;
}

template <typename Real>
void scale(sv::BasicStateView<Real> psi, double factor) {
  const Real f = static_cast<Real>(factor);
  for (size_t i = 0; i < psi.dim; ++i) {
    psi.re[i] *= f;
    psi.im[i] *= f;
  }
}

}  // namespace

template <typename Real>
sv::BasicStateView<Real> state_view(BasicStateBatch<Real>& batch, int b) {
  require(batch.layout() == BatchLayout::BatchOuter, "trajectories keep each state contiguous");
  const size_t offset = static_cast<size_t>(b) * batch.dim();
  return {batch.re() + offset, batch.im() + offset, 1, batch.dim(), 1};
}

template <typename Real>
Matrix reduced_density(sv::BasicStateView<Real> psi, std::span<const int> targets) {
  const Eigen::Index d = Eigen::Index{1} << targets.size();
  Matrix rho = Matrix::Zero(d, d);
  for_each_group(psi.dim, targets, [&](const std::array<size_t, 4>& at) {
    for (Eigen::Index r = 0; r < d; ++r) {
      const Complex a = amplitude(psi, at[r]);
      for (Eigen::Index c = 0; c < d; ++c) rho(r, c) += a * std::conj(amplitude(psi, at[c]));
    }
  });
  return rho;
}

template <typename Real>
void apply_operator(sv::BasicStateView<Real> psi, const Matrix& a, std::span<const int> targets) {
  if (targets.size() == 1) {
    sv::apply_1q(psi, targets[0], Matrix2(a));
    return;
  }
  const Eigen::Index d = a.rows();
  std::array<Complex, 4> in{};
  for_each_group(psi.dim, targets, [&](const std::array<size_t, 4>& at) {
    for (Eigen::Index r = 0; r < d; ++r) in[r] = amplitude(psi, at[r]);
    for (Eigen::Index r = 0; r < d; ++r) {
      Complex out = 0;
      for (Eigen::Index c = 0; c < d; ++c) out += a(r, c) * in[c];
      psi.re[at[r]] = static_cast<Real>(out.real());
      psi.im[at[r]] = static_cast<Real>(out.imag());
    }
  });
}

template <typename Real>
int measure(sv::BasicStateView<Real> psi, int qubit, double u) {
  const size_t bit = size_t{1} << qubit;
  double p1 = 0, total = 0;
  for (size_t i = 0; i < psi.dim; ++i) {
    const double p = norm2(psi, i);
    total += p;
    if (i & bit) p1 += p;
  }
  const int outcome = u * total < total - p1 ? 0 : 1;
  const double kept = outcome ? p1 : total - p1;
  if (!(kept > 0)) {
    throw std::runtime_error(fmt::format("measuring qubit {}: the state has zero norm", qubit));
  }
  const Real factor = static_cast<Real>(1 / std::sqrt(kept));
  for (size_t i = 0; i < psi.dim; ++i) {
    const bool keep = ((i & bit) != 0) == (outcome == 1);
    psi.re[i] = keep ? psi.re[i] * factor : Real{0};
    psi.im[i] = keep ? psi.im[i] * factor : Real{0};
  }
  return outcome;
}

Unravelling::Unravelling(const dm::KrausChannel& channel) : qubits_(channel.qubits) {
  dm::require_cptp(channel);
  const Eigen::Index d = Eigen::Index{1} << qubits_;
  mixed_unitary_ = true;
  for (const Matrix& k : channel.kraus) {
    const Matrix gram = k.adjoint() * k;
    const double c2 = gram(0, 0).real();
    if (!(c2 > 0) || (gram - c2 * Matrix::Identity(d, d)).cwiseAbs().maxCoeff() > 1e-12) {
      mixed_unitary_ = false;
      break;
    }
  }
  require(qubits_ > 1 || mixed_unitary_ || channel.kraus.size() <= 8,
          "channel {} has {} Kraus operators; one-qubit channels here take at most 8", channel.name,
          channel.kraus.size());
  for (const Matrix& k : channel.kraus) {
    if (!mixed_unitary_) {
      ops_.push_back(k);
      if (qubits_ == 1) ops1_.push_back(k);
      continue;
    }
    const double c2 = (k.adjoint() * k)(0, 0).real();
    Matrix u = k / std::sqrt(c2);
    // A global phase does not matter to a trajectory; fold it out so the identity is recognised.
    const Complex phase = u(0, 0) == Complex(0) ? Complex(1) : u(0, 0) / std::abs(u(0, 0));
    u /= phase;
    identity_.push_back((u - Matrix::Identity(d, d)).cwiseAbs().maxCoeff() < 1e-12);
    ops_.push_back(std::move(u));
    fixed_probs_.push_back(c2);
  }
}

template <typename Real>
void Unravelling::apply_one_qubit(sv::BasicStateView<Real> psi, int q, double u) const {
  // The qubit's reduced state in one pass, without allocating: a channel follows every gate.
  const size_t bit = size_t{1} << q;
  double p0 = 0, p1 = 0;
  Complex c01 = 0;
  for (size_t i = 0; i < psi.dim; ++i) {
    if (i & bit) continue;
    const Complex a = amplitude(psi, i), b = amplitude(psi, i | bit);
    p0 += std::norm(a);
    p1 += std::norm(b);
    c01 += a * std::conj(b);
  }
  Eigen::Matrix2cd rho;
  rho << p0, c01, std::conj(c01), p1;
  std::array<double, 8> p{};
  double total = 0;
  for (size_t k = 0; k < ops1_.size(); ++k) {
    p[k] = std::max(0.0, (ops1_[k] * rho * ops1_[k].adjoint()).trace().real());
    total += p[k];
  }
  double x = u * total;
  size_t k = 0;
  while (k + 1 < ops1_.size() && (x >= p[k] || p[k] == 0.0)) x -= p[k++];
  if (!(p[k] > 0)) throw std::runtime_error("a noise channel met a state of zero norm");
  // K_k psi / ||K_k psi|| in one pass; ||K_k psi||^2 = p_k / tr(rho) for an unnormalised psi.
  sv::apply_1q(psi, q, Matrix2(ops1_[k] * std::sqrt((p0 + p1) / p[k])));
}

template <typename Real>
void Unravelling::apply(sv::BasicStateView<Real> psi, std::span<const int> targets,
                        double u) const {
  require(static_cast<int>(targets.size()) == qubits_, "a {}-qubit channel on {} qubits", qubits_,
          targets.size());
  if (mixed_unitary_) {
    size_t k = 0;
    double acc = fixed_probs_[0];
    while (k + 1 < ops_.size() && u >= acc) acc += fixed_probs_[++k];
    if (!identity_[k]) apply_operator(psi, ops_[k], targets);
    return;
  }
  if (qubits_ == 1) {
    apply_one_qubit(psi, targets[0], u);
    return;
  }
  // Branch probabilities from the targets' reduced state: p_k = tr(K_k rho K_k^dagger).
  const Matrix rho = reduced_density(psi, targets);
  std::vector<double> p(ops_.size());
  double total = 0;
  for (size_t k = 0; k < ops_.size(); ++k) {
    p[k] = std::max(0.0, (ops_[k] * rho * ops_[k].adjoint()).trace().real());
    total += p[k];
  }
  double x = u * total;
  size_t k = 0;
  while (k + 1 < ops_.size() && (x >= p[k] || p[k] == 0.0)) x -= p[k++];
  if (!(p[k] > 0)) throw std::runtime_error("a noise channel met a state of zero norm");
  apply_operator(psi, ops_[k], targets);
  scale(psi, 1 / std::sqrt(squared_norm(psi)));
}

#define QDM_UNRAVEL_INSTANTIATE(Real)                                                          \
  template sv::BasicStateView<Real> state_view(BasicStateBatch<Real>&, int);                   \
  template Matrix reduced_density(sv::BasicStateView<Real>, std::span<const int>);             \
  template void apply_operator(sv::BasicStateView<Real>, const Matrix&, std::span<const int>); \
  template int measure(sv::BasicStateView<Real>, int, double);                                 \
  template void Unravelling::apply(sv::BasicStateView<Real>, std::span<const int>, double) const;
QDM_UNRAVEL_INSTANTIATE(double)
QDM_UNRAVEL_INSTANTIATE(float)
#undef QDM_UNRAVEL_INSTANTIATE

}  // namespace qdm::traj
