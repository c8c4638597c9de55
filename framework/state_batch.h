#pragma once
/// B pure states of n qubits, stored planar (real and imaginary parts in separate arrays) so a
/// gate sweeps the whole batch with plain SIMD loads.

#include <algorithm>
#include <complex>
#include <cstddef>
#include <span>
#include <vector>

namespace qdm {

using Complex = std::complex<double>;

/// Where the batch index sits. BatchInner: element (b, i) at i * B + b, so amplitude i of every
/// state is contiguous and a gate streams long runs whatever qubit it acts on. BatchOuter: (b, i)
/// at b * 2^n + i, one state after the other. qdm-bench measures both; BatchInner is the default.
enum class BatchLayout { BatchInner, BatchOuter };

/// B states in precision Real (double, or float for backend.precision = single; std::complex of
/// it is what PyTorch calls complex128 / complex64). Amplitudes are read and written as Complex
/// (double) at the boundaries (state, set_state, squared_norms) whatever the storage.
template <typename Real>
class BasicStateBatch {
 public:
  using Amplitude = std::complex<Real>;

  BasicStateBatch() = default;
  /// All amplitudes zero.
  BasicStateBatch(int num_qubits, int batch_size, BatchLayout layout = BatchLayout::BatchInner);

  /// Every state |0...0>.
  static BasicStateBatch basis_zero(int num_qubits, int batch_size,
                                    BatchLayout layout = BatchLayout::BatchInner);
  /// States from row-major amplitudes (state b's amplitudes at [b * 2^n, (b+1) * 2^n)).
  static BasicStateBatch from_amplitudes(int num_qubits, std::span<const Complex> amplitudes,
                                         BatchLayout layout = BatchLayout::BatchInner);

  int num_qubits() const { return num_qubits_; }
  int batch_size() const { return batch_size_; }
  size_t dim() const { return size_t{1} << num_qubits_; }
  size_t size() const { return re_.size(); }
  BatchLayout layout() const { return layout_; }

  /// Element (o, i, j) is at o * dim() * inner() + i * inner() + j; (outer, inner) = (1, B) for
  /// BatchInner and (B, 1) for BatchOuter. Kernels are written once against this view.
  size_t inner() const { return layout_ == BatchLayout::BatchInner ? batch_size_ : 1; }
  size_t outer() const { return layout_ == BatchLayout::BatchInner ? 1 : batch_size_; }
  size_t index(int b, size_t i) const {
    return layout_ == BatchLayout::BatchInner ? i * batch_size_ + b : b * dim() + i;
  }

  Amplitude amp(int b, size_t i) const { return {re_[index(b, i)], im_[index(b, i)]}; }
  void set_amp(int b, size_t i, Amplitude v) {
    re_[index(b, i)] = v.real();
    im_[index(b, i)] = v.imag();
  }
  std::vector<Complex> state(int b) const;
  void set_state(int b, std::span<const Complex> amplitudes);

  Real* re() { return re_.data(); }
  Real* im() { return im_.data(); }
  const Real* re() const { return re_.data(); }
  const Real* im() const { return im_.data(); }

  /// Squared L2 norm of every state (summed in double).
  std::vector<double> squared_norms() const;
  /// Throws std::invalid_argument naming the first state whose norm is off by more than `tol`.
  void require_normalised(double tol = 1e-8) const;

  /// The same states in the other layout.
  BasicStateBatch with_layout(BatchLayout layout) const;
  /// States [first, first + count) as their own batch.
  BasicStateBatch slice(int first, int count) const;
  /// The same states in precision Other (rounded to it), layout kept.
  template <typename Other>
  BasicStateBatch<Other> cast() const {
    BasicStateBatch<Other> out(num_qubits_, batch_size_, layout_);
    std::copy(re_.begin(), re_.end(), out.re());
    std::copy(im_.begin(), im_.end(), out.im());
    return out;
  }

 private:
  int num_qubits_ = 0;
  int batch_size_ = 0;
  BatchLayout layout_ = BatchLayout::BatchInner;
  std::vector<Real> re_, im_;
};

using StateBatch = BasicStateBatch<double>;
/// Single precision (complex64), for backend.precision = single.
using StateBatch32 = BasicStateBatch<float>;

/// Calls f(b, i) for i < dim over every state, in the order the layout stores amplitudes, so
/// element-wise passes stream memory instead of striding by the batch size.
template <typename Real, typename F>
void for_each_in_storage_order(const BasicStateBatch<Real>& s, size_t dim, F&& f) {
  if (s.layout() == BatchLayout::BatchInner) {
    for (size_t i = 0; i < dim; ++i) {
      for (int b = 0; b < s.batch_size(); ++b) f(b, i);
    }
  } else {
    for (int b = 0; b < s.batch_size(); ++b) {
      for (size_t i = 0; i < dim; ++i) f(b, i);
    }
  }
}

/// Rescales every state of non-zero norm to norm 1 (computed in double).
void renormalise(StateBatch& s);

/// A backend's output chunks as one double batch in `layout`. Float keeps unit norms only to
/// ~1e-7, so when the output is `normalised` its norms are rescaled in double: a chain's next
/// step (and its input check) then sees norm 1.
template <typename Real>
StateBatch output_in_double(std::span<const BasicStateBatch<Real>> parts, bool normalised,
                            BatchLayout layout);

/// Concatenates batches of equal qubit count and layout, in order.
StateBatch concatenate(std::span<const StateBatch> parts);
StateBatch32 concatenate(std::span<const StateBatch32> parts);

}  // namespace qdm
