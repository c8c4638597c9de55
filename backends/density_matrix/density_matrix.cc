#include "backends/density_matrix/density_matrix.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <variant>

#include "framework/circuit/program.h"
#include "framework/error.h"
#include "framework/rng.h"

namespace qdm::dm {
namespace {

using Matrix = Eigen::MatrixXcd;
using Index = Eigen::Index;

void require_qubits(int n) {
  if (n < 1 || n > kMaxDensityQubits) {
    throw std::invalid_argument(
        fmt::format("density matrices of {} qubits: 1..{} allowed (2^n x 2^n complex doubles)", n,
                    kMaxDensityQubits));
  }
}

using Complex = std::complex<double>;

/// The basis offsets of the 2^k states of `qubits` (offset s sets bit j of s on qubits[j]), and
/// the indices with all of those bits zero.
struct Groups {
  std::vector<Index> offsets, bases;
};
Groups groups(Index dim, std::span<const int> qubits) {
  Groups g;
  const size_t sub = size_t{1} << qubits.size();
  Index mask = 0;
  for (int q : qubits) mask |= Index{1} << q;
  for (size_t s = 0; s < sub; ++s) {
    Index off = 0;
    for (size_t j = 0; j < qubits.size(); ++j) {
      if (s >> j & 1) off |= Index{1} << qubits[j];
    }
    g.offsets.push_back(off);
  }
  for (Index i = 0; i < dim; ++i) {
    if ((i & mask) == 0) g.bases.push_back(i);
  }
  return g;
}

/// rho -> A rho A^dagger in place: A on the row bits column by column (contiguous in Eigen's
/// column-major storage), then A^dagger from the right as combinations of whole columns.
void sandwich(Matrix& rho, const Matrix& a, std::span<const int> qubits) {
  const Index dim = rho.rows();
  const Groups g = groups(dim, qubits);
  const size_t sub = g.offsets.size();
  Complex in[4], out[4];
  for (Index c = 0; c < dim; ++c) {
    Complex* col = rho.data() + c * dim;
    for (Index base : g.bases) {
      for (size_t s = 0; s < sub; ++s) in[s] = col[base + g.offsets[s]];
      for (size_t s = 0; s < sub; ++s) {
        Complex sum = 0;
        for (size_t j = 0; j < sub; ++j) sum += a(s, j) * in[j];
        out[s] = sum;
      }
      for (size_t s = 0; s < sub; ++s) col[base + g.offsets[s]] = out[s];
    }
  }
  // (rho A^dagger)[:, base + off_s] = sum_j conj(A(s, j)) rho[:, base + off_j].
  const Matrix ac = a.conjugate();
  Matrix cols(dim, static_cast<Index>(sub));
  for (Index base : g.bases) {
    for (size_t j = 0; j < sub; ++j) cols.col(j) = rho.col(base + g.offsets[j]);
    for (size_t s = 0; s < sub; ++s) {
      auto target = rho.col(base + g.offsets[s]);
      target = ac(s, 0) * cols.col(0);
      for (size_t j = 1; j < sub; ++j) target += ac(s, j) * cols.col(j);
    }
  }
}

/// The named one-qubit channels in one pass over the 2x2 blocks (rows and columns of qubit q):
/// [[A, B], [C, D]] -> the channel's image.
void one_qubit_closed_form(Matrix& rho, const KrausChannel& c, int q) {
  const Index dim = rho.rows(), m = Index{1} << q;
  const double p = c.strength, keep = std::sqrt(1 - p);
  for (Index c0 = 0; c0 < dim; ++c0) {
    if (c0 & m) continue;
    Complex* col0 = rho.data() + c0 * dim;
    Complex* col1 = rho.data() + (c0 | m) * dim;
    for (Index r0 = 0; r0 < dim; ++r0) {
      if (r0 & m) continue;
      const Index r1 = r0 | m;
      Complex &A = col0[r0], &C = col0[r1], &B = col1[r0], &D = col1[r1];
      switch (c.kind) {
        case ChannelKind::Depolarizing: {
          const Complex mix = p * (A + D) / 2.0;
          A = (1 - p) * A + mix;
          D = (1 - p) * D + mix;
          B *= 1 - p;
          C *= 1 - p;
          break;
        }
        case ChannelKind::AmplitudeDamping:
          A += p * D;
          D *= 1 - p;
          B *= keep;
          C *= keep;
          break;
        case ChannelKind::PhaseDamping:
          B *= keep;
          C *= keep;
          break;
        case ChannelKind::BitFlip: {
          const Complex a0 = A, b0 = B;
          A = (1 - p) * A + p * D;
          D = (1 - p) * D + p * a0;
          B = (1 - p) * B + p * C;
          C = (1 - p) * C + p * b0;
          break;
        }
        case ChannelKind::Custom:
          throw std::logic_error("no closed form for a custom channel");
      }
    }
  }
}

/// Two-qubit depolarizing: (1 - p) rho + p (tr_pair rho) (x) I/4, in one pass.
void two_qubit_depolarizing(Matrix& rho, double p, std::span<const int> qubits) {
  const Index dim = rho.rows();
  const Groups g = groups(dim, qubits);
  const Index n = static_cast<Index>(g.bases.size());
  Matrix partial = Matrix::Zero(n, n);  // tr_pair rho
  for (Index j = 0; j < n; ++j) {
    for (Index i = 0; i < n; ++i) {
      for (Index off : g.offsets) partial(i, j) += rho(g.bases[i] + off, g.bases[j] + off);
    }
  }
  rho *= 1 - p;
  for (Index j = 0; j < n; ++j) {
    for (Index i = 0; i < n; ++i) {
      for (Index off : g.offsets)
        rho(g.bases[i] + off, g.bases[j] + off) += p * partial(i, j) / 4.0;
    }
  }
}

}  // namespace

DensityMatrix::DensityMatrix(int num_qubits) : num_qubits_(num_qubits) {
  require_qubits(num_qubits);
  const Eigen::Index d = Eigen::Index{1} << num_qubits;
  rho_ = Matrix::Zero(d, d);
  rho_(0, 0) = 1;
}

DensityMatrix DensityMatrix::pure(const Eigen::VectorXcd& psi) {
  int n = 0;
  while ((Eigen::Index{1} << n) < psi.size()) ++n;
  if ((Eigen::Index{1} << n) != psi.size()) {
    throw std::invalid_argument(
        fmt::format("a state of {} amplitudes is not one of n qubits (2^n)", psi.size()));
  }
  require_qubits(n);
  return DensityMatrix(psi * psi.adjoint(), n);
}

DensityMatrix DensityMatrix::maximally_mixed(int num_qubits) {
  require_qubits(num_qubits);
  const Eigen::Index d = Eigen::Index{1} << num_qubits;
  return DensityMatrix(Matrix::Identity(d, d) / static_cast<double>(d), num_qubits);
}

DensityMatrix DensityMatrix::from_matrix(Matrix rho) {
  int n = 0;
  while ((Eigen::Index{1} << n) < rho.rows()) ++n;
  if (rho.rows() != rho.cols() || (Eigen::Index{1} << n) != rho.rows()) {
    throw std::invalid_argument(
        fmt::format("a {}x{} matrix is not the density matrix of n qubits (2^n square)", rho.rows(),
                    rho.cols()));
  }
  require_qubits(n);
  return DensityMatrix(std::move(rho), n);
}

void DensityMatrix::apply_operator(const Matrix& a, std::span<const int> qubits) {
  if ((qubits.size() != 1 && qubits.size() != 2) ||
      a.rows() != (Eigen::Index{1} << qubits.size()) || a.cols() != a.rows()) {
    throw std::invalid_argument("operators act on 1 or 2 qubits and are 2^k square");
  }
  for (int q : qubits) {
    if (q < 0 || q >= num_qubits_) {
      throw std::invalid_argument(
          fmt::format("qubit {} is outside a density matrix of {} qubits", q, num_qubits_));
    }
  }
  if (qubits.size() == 2 && qubits[0] == qubits[1]) {
    throw std::invalid_argument(fmt::format("a two-qubit operator on qubit {} twice", qubits[0]));
  }
  sandwich(rho_, a, qubits);
}

Matrix gate_operator(const Op& op, std::span<const double> params) {
  if (gate_qubit_count(op.kind) == 1) {
    double angles[3];
    for (int a = 0; a < 3; ++a) angles[a] = op.angles[a].resolve(params);
    return single_qubit_matrix(op.kind, angles);
  }
  // Index bit 0 is op.qubits[0] (the control), bit 1 op.qubits[1] (the target).
  Matrix m = Matrix::Identity(4, 4);
  switch (op.kind) {
    case GateKind::CNOT:
      m(1, 1) = m(3, 3) = 0;
      m(1, 3) = m(3, 1) = 1;
      break;
    case GateKind::CZ:
      m(3, 3) = -1;
      break;
    case GateKind::SWAP:
      m(1, 1) = m(2, 2) = 0;
      m(1, 2) = m(2, 1) = 1;
      break;
    default:
      throw std::logic_error(fmt::format("no two-qubit matrix for {}", gate_name(op.kind)));
  }
  return m;
}

void DensityMatrix::apply_gate(const Op& op, std::span<const double> params) {
  const int k = gate_qubit_count(op.kind);
  apply_operator(gate_operator(op, params), std::span(op.qubits).first(k));
}

void DensityMatrix::apply_channel(const KrausChannel& channel, std::span<const int> qubits) {
  if (static_cast<int>(qubits.size()) != channel.qubits) {
    throw std::invalid_argument(fmt::format("channel {} acts on {} qubits, not {}", channel.name,
                                            channel.qubits, qubits.size()));
  }
  for (int q : qubits) {
    if (q < 0 || q >= num_qubits_) {
      throw std::invalid_argument(
          fmt::format("qubit {} is outside a density matrix of {} qubits", q, num_qubits_));
    }
  }
  if (channel.kind != ChannelKind::Custom && channel.qubits == 1) {
    one_qubit_closed_form(rho_, channel, qubits[0]);
    return;
  }
  if (channel.kind == ChannelKind::Depolarizing && channel.qubits == 2 && qubits[0] != qubits[1]) {
    two_qubit_depolarizing(rho_, channel.strength, qubits);
    return;
  }
  Matrix sum = Matrix::Zero(dim(), dim());
  for (const Matrix& k : channel.kraus) {
    DensityMatrix term(rho_, num_qubits_);
    term.apply_operator(k, qubits);
    sum += term.rho_;
  }
  rho_ = std::move(sum);
}

void DensityMatrix::depolarize_all(double p) {
  if (!(p >= 0 && p <= 1)) {
    throw std::invalid_argument(fmt::format("depolarizing strength {} is outside [0, 1]", p));
  }
  const double t = trace();
  rho_ *= 1 - p;
  rho_.diagonal().array() += p * t / static_cast<double>(dim());
}

std::vector<double> DensityMatrix::probabilities() const {
  std::vector<double> p(static_cast<size_t>(dim()));
  for (Eigen::Index i = 0; i < dim(); ++i) p[i] = std::max(0.0, rho_(i, i).real());
  return p;
}

DensityMatrix simulate(const Circuit& circuit, std::span<const double> params,
                       const NoiseModel& noise, DensityMatrix rho) {
  if (rho.num_qubits() != circuit.num_qubits()) {
    throw std::invalid_argument(fmt::format("a circuit of {} qubits on a density matrix of {}",
                                            circuit.num_qubits(), rho.num_qubits()));
  }
  circuit.check_params(params);
  for (const Op& op : circuit.ops()) {
    rho.apply_gate(op, params);
    const int k = gate_qubit_count(op.kind);
    for (const KrausChannel& c : noise.after_gate(k)) {
      if (c.qubits == k) {
        rho.apply_channel(c, std::span(op.qubits).first(k));
      } else {
        for (int j = 0; j < k; ++j) rho.apply_channel(c, std::span(op.qubits).subspan(j, 1));
      }
    }
  }
  return rho;
}

std::vector<uint64_t> sample_bitstrings(const DensityMatrix& rho, int shots, uint64_t seed,
                                        double readout_error) {
  if (!(readout_error >= 0 && readout_error <= 1)) {
    throw std::invalid_argument(fmt::format("readout error {} is outside [0, 1]", readout_error));
  }
  const std::vector<double> p = rho.probabilities();
  std::vector<double> cdf(p.size());
  double acc = 0;
  for (size_t i = 0; i < p.size(); ++i) cdf[i] = (acc += p[i]);
  Rng rng(seed);
  std::vector<uint64_t> out(static_cast<size_t>(shots));
  for (uint64_t& s : out) {
    const double u = rng.uniform() * acc;
    s = std::min<uint64_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin(), p.size() - 1);
    if (readout_error > 0) {
      for (int q = 0; q < rho.num_qubits(); ++q) {
        if (rng.uniform() < readout_error) s ^= uint64_t{1} << q;
      }
    }
  }
  return out;
}

std::map<uint64_t, double> noisy_program_distribution(const noise::NoisyProgram& noisy) {
  const Program& program = noisy.program;
  const int n = program.num_qubits();
  // Deferred measurement: each measurement copies its qubit into a fresh qubit with a CNOT (the
  // measured qubit dephases just as a collapse would leave it), read at the end; a reset is the
  // channel |0><0| + |0><1|. Exact, without branching, for programs with no feed-forward.
  int measures = 0;
  for (const Instruction& i : program.instructions())
    measures += std::holds_alternative<Measure>(i);
  require(n + measures <= kMaxDensityQubits,
          "an exact distribution of this program needs {} qubits ({} and one per measurement); "
          "the density matrix holds at most {}",
          n + measures, n, kMaxDensityQubits);
  DensityMatrix rho(n + measures);
  const auto apply_noise = [&](size_t place) {
    for (const noise::PlacedChannel& p : noisy.after[place]) {
      const KrausChannel& c = noisy.channels[p.channel];
      rho.apply_channel(c, std::span(p.qubits.data(), static_cast<size_t>(c.qubits)));
    }
  };
  KrausChannel reset{"reset", 1, {Eigen::MatrixXcd::Zero(2, 2), Eigen::MatrixXcd::Zero(2, 2)}};
  reset.kraus[0](0, 0) = 1;
  reset.kraus[1](0, 1) = 1;
  std::vector<Measure> copies;  // (source qubit, clbit) of each copy qubit n + k
  apply_noise(0);
  for (size_t i = 0; i < program.instructions().size(); ++i) {
    const Instruction& instruction = program.instructions()[i];
    if (const Op* op = std::get_if<Op>(&instruction)) {
      rho.apply_gate(*op, {});
    } else if (const Measure* m = std::get_if<Measure>(&instruction)) {
      const int copy = n + static_cast<int>(copies.size());
      rho.apply_gate(Op{GateKind::CNOT, {m->qubit, copy}, {}}, {});
      copies.push_back(*m);
    } else {
      const int q = std::get<Reset>(instruction).qubit;
      rho.apply_channel(reset, std::span(&q, 1));
    }
    apply_noise(i + 1);
  }
  std::vector<double> p = rho.probabilities();
  // Each reading is misread with its measured qubit's readout error.
  for (size_t k = 0; k < copies.size(); ++k) {
    const noise::ReadoutError& r = noisy.readout[copies[k].qubit];
    const size_t bit = size_t{1} << (n + k);
    for (size_t i = 0; i < p.size(); ++i) {
      if (i & bit) continue;
      const double zero = p[i], one = p[i | bit];
      p[i] = zero * (1 - r.one_given_zero) + one * r.zero_given_one;
      p[i | bit] = zero * r.one_given_zero + one * (1 - r.zero_given_one);
    }
  }
  // A clbit written twice keeps its last reading.
  std::map<uint64_t, double> out;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] <= 0) continue;
    uint64_t bits = 0;
    for (size_t k = 0; k < copies.size(); ++k) {
      const uint64_t mask = uint64_t{1} << copies[k].clbit;
      bits = (bits & ~mask) | (static_cast<uint64_t>(i >> (n + k) & 1) << copies[k].clbit);
    }
    out[bits] += p[i];
  }
  return out;
}

std::vector<uint64_t> sample_distribution(const std::map<uint64_t, double>& distribution, int shots,
                                          uint64_t seed) {
  require(!distribution.empty(), "nothing to sample: the distribution is empty");
  std::vector<uint64_t> outcomes;
  std::vector<double> cdf;
  double acc = 0;
  for (const auto& [bits, q] : distribution) {
    outcomes.push_back(bits);
    cdf.push_back(acc += q);
  }
  Rng rng(seed);
  std::vector<uint64_t> out(static_cast<size_t>(shots));
  for (uint64_t& s : out) {
    const size_t k = std::upper_bound(cdf.begin(), cdf.end(), rng.uniform() * acc) - cdf.begin();
    s = outcomes[std::min(k, outcomes.size() - 1)];
  }
  return out;
}

}  // namespace qdm::dm
