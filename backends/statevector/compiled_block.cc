#include "backends/statevector/compiled_block.h"

namespace qdm::sv {

CompiledBlock::CompiledBlock(const Circuit& circuit, std::span<const double> params,
                             int param_offset) {
  gates_.reserve(circuit.ops().size());
  const auto local = params.subspan(param_offset);
  for (const Op& op : circuit.ops()) {
    CompiledGate g{op.kind, op.qubits[0], op.qubits[1], Matrix2::Identity(), 0, {}, {}};
    if (gate_qubit_count(op.kind) == 1) {
      std::array<double, 3> angles{};
      for (int k = 0; k < gate_angle_count(op.kind); ++k) angles[k] = op.angles[k].resolve(local);
      g.matrix = single_qubit_matrix(op.kind, angles);
      for (int k = 0; k < gate_angle_count(op.kind); ++k) {
        if (!op.angles[k].is_parameter()) continue;
        g.param[g.num_params] = param_offset + op.angles[k].param;
        g.derivative[g.num_params] = single_qubit_derivative(op.kind, angles, k);
        ++g.num_params;
      }
    }
    gates_.push_back(g);
  }
}

template <typename Real>
void apply_gate(const CompiledGate& g, BasicStateView<Real> x) {
  switch (g.kind) {
    case GateKind::CNOT:
      apply_cnot(x, g.q0, g.q1);
      break;
    case GateKind::CZ:
      apply_cz(x, g.q0, g.q1);
      break;
    case GateKind::SWAP:
      apply_swap(x, g.q0, g.q1);
      break;
    default:
      apply_1q(x, g.q0, g.matrix);
      break;
  }
}

template <typename Real>
void CompiledBlock::apply(BasicStateView<Real> x) const {
  for (const auto& g : gates_) apply_gate(g, x);
}

template <typename Real>
void CompiledBlock::adjoint(BasicStateView<Real> psi, BasicStateView<Real> lam,
                            std::span<double> grad) const {
  for (auto it = gates_.rbegin(); it != gates_.rend(); ++it) {
    const CompiledGate& g = *it;
    if (gate_qubit_count(g.kind) == 2) {  // CNOT, CZ and SWAP are their own inverses
      apply_gate(g, psi);
      apply_gate(g, lam);
      continue;
    }
    if (g.num_params == 0) {
      adjoint_1q(psi, lam, g.q0, g.matrix, nullptr);
      continue;
    }
    Matrix2 acc = Matrix2::Zero();
    adjoint_1q(psi, lam, g.q0, g.matrix, &acc);
    for (int k = 0; k < g.num_params; ++k) {
      grad[g.param[k]] += 2.0 * (g.derivative[k].array() * acc.array()).sum().real();
    }
  }
}

namespace {

template <typename Real>
using RowMatrix = typename BasicDenseUnitary<Real>::RowMatrix;
template <typename Real>
using RowMap = Eigen::Map<RowMatrix<Real>>;
template <typename Real>
using ConstRowMap = Eigen::Map<const RowMatrix<Real>>;

template <typename Real>
ConstRowMap<Real> re_of(const BasicStateBatch<Real>& s) {
  return ConstRowMap<Real>(s.re(), static_cast<Eigen::Index>(s.dim()), s.batch_size());
}
template <typename Real>
ConstRowMap<Real> im_of(const BasicStateBatch<Real>& s) {
  return ConstRowMap<Real>(s.im(), static_cast<Eigen::Index>(s.dim()), s.batch_size());
}

}  // namespace

template <typename Real>
BasicDenseUnitary<Real> CompiledBlock::unitary(int num_qubits) const {
  const size_t dim = size_t{1} << num_qubits;
  StateBatch basis(num_qubits, static_cast<int>(dim), BatchLayout::BatchInner);
  for (size_t j = 0; j < dim; ++j) basis.set_amp(static_cast<int>(j), j, 1.0);
  apply(view(basis));
  return {re_of(basis).template cast<Real>(), im_of(basis).template cast<Real>()};
}

template <typename Real>
void CompiledBlock::apply_dense(const BasicDenseUnitary<Real>& u, BasicStateBatch<Real>& x) {
  const RowMatrix<Real> xr = re_of(x), xi = im_of(x);
  RowMap<Real>(x.re(), xr.rows(), xr.cols()).noalias() = u.re * xr - u.im * xi;
  RowMap<Real>(x.im(), xr.rows(), xr.cols()).noalias() = u.re * xi + u.im * xr;
}

template <typename Real>
void CompiledBlock::adjoint_dense(const BasicDenseUnitary<Real>& u,
                                  const BasicStateBatch<Real>& psi_in, BasicStateBatch<Real>& lam,
                                  std::span<double> grad) const {
  const auto pr = re_of(psi_in), pi = im_of(psi_in);
  const RowMatrix<Real> lr = re_of(lam), li = im_of(lam);
  const RowMatrix<Real> wr = pr * lr.transpose() + pi * li.transpose();
  const RowMatrix<Real> wi = pi * lr.transpose() - pr * li.transpose();
  const int n = psi_in.num_qubits();
  const auto dim = static_cast<int>(psi_in.dim());
  BasicStateBatch<Real> outputs(n, dim, BatchLayout::BatchInner);
  RowMap<Real>(outputs.re(), dim, dim).noalias() = u.re * wr - u.im * wi;
  RowMap<Real>(outputs.im(), dim, dim).noalias() = u.re * wi + u.im * wr;
  BasicStateBatch<Real> identity(n, dim, BatchLayout::BatchInner);
  for (int j = 0; j < dim; ++j) identity.set_amp(j, j, 1.0);
  adjoint(view(outputs), view(identity), grad);
  RowMap<Real>(lam.re(), lr.rows(), lr.cols()).noalias() =
      u.re.transpose() * lr + u.im.transpose() * li;
  RowMap<Real>(lam.im(), lr.rows(), lr.cols()).noalias() =
      u.re.transpose() * li - u.im.transpose() * lr;
}

#define QDM_BLOCKS(Real)                                                                           \
  template void apply_gate(const CompiledGate&, BasicStateView<Real>);                             \
  template void CompiledBlock::apply(BasicStateView<Real>) const;                                  \
  template void CompiledBlock::adjoint(BasicStateView<Real>, BasicStateView<Real>,                 \
                                       std::span<double>) const;                                   \
  template BasicDenseUnitary<Real> CompiledBlock::unitary(int) const;                              \
  template void CompiledBlock::apply_dense(const BasicDenseUnitary<Real>&,                         \
                                           BasicStateBatch<Real>&);                                \
  template void CompiledBlock::adjoint_dense(const BasicDenseUnitary<Real>&,                       \
                                             const BasicStateBatch<Real>&, BasicStateBatch<Real>&, \
                                             std::span<double>) const;
QDM_BLOCKS(double)
QDM_BLOCKS(float)
#undef QDM_BLOCKS

}  // namespace qdm::sv
