#include "framework/state_batch.h"

#include <cmath>
#include <type_traits>

#include "framework/circuit/circuit.h"
#include "framework/error.h"

namespace qdm {

template <typename Real>
BasicStateBatch<Real>::BasicStateBatch(int num_qubits, int batch_size, BatchLayout layout)
    : num_qubits_(num_qubits), batch_size_(batch_size), layout_(layout) {
  require_in_range("state qubit count", num_qubits, 0, kMaxQubits);
  require(batch_size >= 0, "batch size {} is negative", batch_size);
  re_.assign(dim() * batch_size, 0.0);
  im_.assign(dim() * batch_size, 0.0);
}

template <typename Real>
BasicStateBatch<Real> BasicStateBatch<Real>::basis_zero(int num_qubits, int batch_size,
                                                        BatchLayout layout) {
  BasicStateBatch s(num_qubits, batch_size, layout);
  for (int b = 0; b < batch_size; ++b) s.set_amp(b, 0, 1.0);
  return s;
}

template <typename Real>
BasicStateBatch<Real> BasicStateBatch<Real>::from_amplitudes(int num_qubits,
                                                             std::span<const Complex> amplitudes,
                                                             BatchLayout layout) {
  require_in_range("state qubit count", num_qubits, 0, kMaxQubits);
  const size_t dim = size_t{1} << num_qubits;
  require(amplitudes.size() % dim == 0,
          "{} amplitudes is not a whole number of {}-qubit states (multiples of {})",
          amplitudes.size(), num_qubits, dim);
  BasicStateBatch s(num_qubits, static_cast<int>(amplitudes.size() / dim), layout);
  for (int b = 0; b < s.batch_size(); ++b) s.set_state(b, amplitudes.subspan(b * dim, dim));
  return s;
}

template <typename Real>
std::vector<Complex> BasicStateBatch<Real>::state(int b) const {
  std::vector<Complex> out(dim());
  for (size_t i = 0; i < dim(); ++i) out[i] = Complex(amp(b, i));
  return out;
}

template <typename Real>
void BasicStateBatch<Real>::set_state(int b, std::span<const Complex> amplitudes) {
  require_in_range("state index", b, 0, batch_size_ - 1);
  require(amplitudes.size() == dim(), "a {}-qubit state has {} amplitudes, got {}", num_qubits_,
          dim(), amplitudes.size());
  for (size_t i = 0; i < dim(); ++i) set_amp(b, i, Amplitude(amplitudes[i]));
}

template <typename Real>
std::vector<double> BasicStateBatch<Real>::squared_norms() const {
  std::vector<double> n(batch_size_, 0.0);
  for_each_in_storage_order(
      *this, dim(), [&](int b, size_t i) { n[b] += std::norm(std::complex<double>(amp(b, i))); });
  return n;
}

template <typename Real>
void BasicStateBatch<Real>::require_normalised(double tol) const {
  const auto norms = squared_norms();
  for (int b = 0; b < batch_size_; ++b) {
    require(std::abs(std::sqrt(norms[b]) - 1.0) <= tol,
            "state {} has norm {:.12g}; a normalised state (norm 1 +- {:g}) is required", b,
            std::sqrt(norms[b]), tol);
  }
}

template <typename Real>
BasicStateBatch<Real> BasicStateBatch<Real>::with_layout(BatchLayout layout) const {
  if (layout == layout_) return *this;
  BasicStateBatch out(num_qubits_, batch_size_, layout);
  for_each_in_storage_order(out, dim(), [&](int b, size_t i) { out.set_amp(b, i, amp(b, i)); });
  return out;
}

template <typename Real>
BasicStateBatch<Real> BasicStateBatch<Real>::slice(int first, int count) const {
  require(first >= 0 && count >= 0 && first + count <= batch_size_,
          "slice [{}, {}) is outside the batch of {} states", first, first + count, batch_size_);
  if (first == 0 && count == batch_size_) return *this;
  BasicStateBatch out(num_qubits_, count, layout_);
  for_each_in_storage_order(out, dim(),
                            [&](int b, size_t i) { out.set_amp(b, i, amp(first + b, i)); });
  return out;
}

namespace {

template <typename Real>
BasicStateBatch<Real> concatenate_parts(std::span<const BasicStateBatch<Real>> parts) {
  require(!parts.empty(), "nothing to concatenate");
  int total = 0;
  for (const auto& p : parts) {
    require(p.num_qubits() == parts[0].num_qubits() && p.layout() == parts[0].layout(),
            "cannot concatenate batches of {} and {} qubits or of different layouts",
            parts[0].num_qubits(), p.num_qubits());
    total += p.batch_size();
  }
  if (parts.size() == 1) return parts[0];
  BasicStateBatch<Real> out(parts[0].num_qubits(), total, parts[0].layout());
  int b0 = 0;
  for (const auto& p : parts) {
    for_each_in_storage_order(p, p.dim(),
                              [&](int b, size_t i) { out.set_amp(b0 + b, i, p.amp(b, i)); });
    b0 += p.batch_size();
  }
  return out;
}

}  // namespace

StateBatch concatenate(std::span<const StateBatch> parts) { return concatenate_parts(parts); }
StateBatch32 concatenate(std::span<const StateBatch32> parts) { return concatenate_parts(parts); }

template class BasicStateBatch<double>;
template class BasicStateBatch<float>;

void renormalise(StateBatch& s) {
  const auto norms = s.squared_norms();
  for_each_in_storage_order(s, s.dim(), [&](int b, size_t i) {
    if (norms[b] > 0) s.set_amp(b, i, s.amp(b, i) / std::sqrt(norms[b]));
  });
}

template <typename Real>
StateBatch output_in_double(std::span<const BasicStateBatch<Real>> parts, bool normalised,
                            BatchLayout layout) {
  StateBatch out;
  if constexpr (std::is_same_v<Real, double>) {
    out = concatenate(parts);
  } else {
    out = concatenate(parts).template cast<double>();
    if (normalised) renormalise(out);
  }
  return out.layout() == layout ? out : out.with_layout(layout);
}
template StateBatch output_in_double(std::span<const StateBatch>, bool, BatchLayout);
template StateBatch output_in_double(std::span<const StateBatch32>, bool, BatchLayout);

}  // namespace qdm
