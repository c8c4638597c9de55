#include "tests/reference_simulator.h"

#include <Eigen/Sparse>
#include <cmath>
#include <complex>
#include <stdexcept>
#include <unsupported/Eigen/KroneckerProduct>

namespace qdm::reference {
namespace {

using C = std::complex<double>;
constexpr C kI{0, 1};

SparseMatrix sparse(const Eigen::Matrix2cd& m) { return Matrix(m).sparseView(); }

SparseMatrix identity(size_t d) {
  SparseMatrix id(d, d);
  id.setIdentity();
  return id;
}

/// m on qubit q and w on qubit r (r = -1: none), identity elsewhere; qubit n-1 is the leftmost
/// Kronecker factor because qubit 0 is the least significant bit.
SparseMatrix embed(const Eigen::Matrix2cd& m, int q, const Eigen::Matrix2cd& w, int r, int n) {
  SparseMatrix out = identity(1);
  for (int k = n - 1; k >= 0; --k) {
    const SparseMatrix f = (k == q) ? sparse(m) : (k == r) ? sparse(w) : identity(2);
    out = SparseMatrix(Eigen::kroneckerProduct(out, f));
  }
  return out;
}

SparseMatrix embed_1q(const Eigen::Matrix2cd& m, int q, int n) { return embed(m, q, m, -1, n); }

Eigen::Matrix2cd proj(int value) {
  Eigen::Matrix2cd p = Eigen::Matrix2cd::Zero();
  p(value, value) = 1;
  return p;
}

SparseMatrix projector(int q, int value, int n) { return embed_1q(proj(value), q, n); }

/// Index of the kept basis states after removing `removed` qubits set to `bits`.
std::vector<size_t> kept_indices(int n, const std::vector<int>& removed,
                                 const std::vector<int>& bits) {
  std::vector<size_t> idx;
  for (size_t i = 0; i < (size_t{1} << n); ++i) {
    bool match = true;
    for (size_t k = 0; k < removed.size(); ++k) match &= int((i >> removed[k]) & 1) == bits[k];
    if (match) idx.push_back(i);  // increasing i keeps the remaining bits in order
  }
  return idx;
}

Vector take(const Vector& v, const std::vector<size_t>& idx) {
  Vector out(idx.size());
  for (size_t k = 0; k < idx.size(); ++k) out[k] = v[idx[k]];
  return out;
}

}  // namespace

Eigen::Matrix2cd textbook_matrix(GateKind kind, std::span<const double> a) {
  Eigen::Matrix2cd m;
  const double r = 1 / std::sqrt(2.0);
  auto rot = [&](double phi, double theta, double omega) {
    const double c = std::cos(theta / 2), s = std::sin(theta / 2);
    Eigen::Matrix2cd u;
    u << std::exp(-kI * (phi + omega) / 2.0) * c, -std::exp(kI * (phi - omega) / 2.0) * s,
        std::exp(-kI * (phi - omega) / 2.0) * s, std::exp(kI * (phi + omega) / 2.0) * c;
    return u;
  };
  switch (kind) {
    case GateKind::H:
      m << r, r, r, -r;
      break;
    case GateKind::X:
      m << 0, 1, 1, 0;
      break;
    case GateKind::Y:
      m << 0, -kI, kI, 0;
      break;
    case GateKind::Z:
      m << 1, 0, 0, -1;
      break;
    case GateKind::S:
      m << 1, 0, 0, kI;
      break;
    case GateKind::T:
      m << 1, 0, 0, std::exp(kI * M_PI / 4.0);
      break;
    case GateKind::RX:
      m << std::cos(a[0] / 2), -kI * std::sin(a[0] / 2), -kI * std::sin(a[0] / 2),
          std::cos(a[0] / 2);
      break;
    case GateKind::RY:
      m << std::cos(a[0] / 2), -std::sin(a[0] / 2), std::sin(a[0] / 2), std::cos(a[0] / 2);
      break;
    case GateKind::RZ:
      m << std::exp(-kI * a[0] / 2.0), 0, 0, std::exp(kI * a[0] / 2.0);
      break;
    case GateKind::Rot:
      m = rot(a[0], a[1], a[2]);
      break;  // Rot(phi, theta, omega)
    case GateKind::R3:
      m = rot(a[2], a[1], a[0]);
      break;  // R3(omega, theta, phi), REFERENCE.md
    default:
      throw std::logic_error("not a single-qubit gate");
  }
  return m;
}

SparseMatrix full_gate_matrix(const Op& op, int n, std::span<const double> params) {
  const int a = op.qubits[0], b = op.qubits[1];
  Eigen::Matrix2cd x, z;
  x << 0, 1, 1, 0;
  z << 1, 0, 0, -1;
  const size_t dim = size_t{1} << n;
  switch (op.kind) {
    // |0><0|_a (x) 1 + |1><1|_a (x) X_b, and the same with Z: each term's factors act on
    // different qubits, so the product is a plain Kronecker product of single-qubit factors.
    case GateKind::CNOT:
      return projector(a, 0, n) + embed(proj(1), a, x, b, n);
    case GateKind::CZ:
      return projector(a, 0, n) + embed(proj(1), a, z, b, n);
    case GateKind::SWAP: {
      std::vector<Eigen::Triplet<C>> entries;
      for (size_t i = 0; i < dim; ++i) {  // |..a..b..> -> |..b..a..>
        const size_t bit_a = (i >> a) & 1, bit_b = (i >> b) & 1;
        const size_t j = (i & ~((size_t{1} << a) | (size_t{1} << b))) | (bit_a << b) | (bit_b << a);
        entries.emplace_back(j, i, 1.0);
      }
      SparseMatrix s(dim, dim);
      s.setFromTriplets(entries.begin(), entries.end());
      return s;
    }
    default: {
      std::vector<double> angles;
      for (int k = 0; k < gate_angle_count(op.kind); ++k)
        angles.push_back(op.angles[k].resolve(params));
      return embed_1q(textbook_matrix(op.kind, angles), a, n);
    }
  }
}

Matrix run_circuit(const Circuit& c, std::span<const double> params, const Matrix& states) {
  Matrix v = states;
  for (const Op& op : c.ops()) v = Matrix(full_gate_matrix(op, c.num_qubits(), params) * v);
  return v;
}

Vector run_circuit(const Circuit& c, std::span<const double> params, const Vector& state) {
  return run_circuit(c, params, Matrix(state)).col(0);
}

Vector run_pipeline(const Pipeline& p, std::span<const double> params, const Vector& state,
                    int label, std::span<const double> uniforms) {
  Vector v = state;
  size_t draw = 0;
  for (size_t k = 0; k < p.stages().size(); ++k) {
    const int n = p.qubits_before(k);
    const Stage& s = p.stages()[k];
    if (const auto* u = std::get_if<UnitaryBlock>(&s)) {
      v = run_circuit(u->circuit, params.subspan(u->param_offset), v);
    } else if (const auto* a = std::get_if<AppendAncilla>(&s)) {
      Vector w = Vector::Zero(size_t{1} << (n + a->count));
      w.head(v.size()) = v;  // ancillas are the top bits, all 0
      v = w;
    } else if (const auto* ps = std::get_if<PostSelect>(&s)) {
      v = take(v, kept_indices(n, ps->qubits, ps->values));
    } else if (const auto* sm = std::get_if<SampleMeasure>(&s)) {
      const size_t outcomes = size_t{1} << sm->qubits.size();
      std::vector<double> prob(outcomes);
      double total = 0;
      for (size_t o = 0; o < outcomes; ++o) {
        std::vector<int> bits;
        for (size_t q = 0; q < sm->qubits.size(); ++q) bits.push_back(int((o >> q) & 1));
        prob[o] = take(v, kept_indices(n, sm->qubits, bits)).squaredNorm();
        total += prob[o];
      }
      double u = uniforms[draw++] * total;
      size_t o = 0;
      while (o + 1 < outcomes && (u >= prob[o] || prob[o] == 0.0)) u -= prob[o++];
      std::vector<int> bits;
      for (size_t q = 0; q < sm->qubits.size(); ++q) bits.push_back(int((o >> q) & 1));
      v = take(v, kept_indices(n, sm->qubits, bits));
      v /= v.norm();
    } else if (std::holds_alternative<Normalise>(s)) {
      v /= v.norm();
    } else if (const auto* r = std::get_if<ComplexLeakyReLU>(&s)) {
      for (auto& z : v) {
        z = C(z.real() > 0 ? z.real() : r->slope * z.real(),
              z.imag() > 0 ? z.imag() : r->slope * z.imag());
      }
    } else if (const auto* le = std::get_if<LabelEncode>(&s)) {
      Vector w = Vector::Zero(size_t{1} << (n + le->label_qubits));
      w.segment(size_t(label) << n, v.size()) = v;
      v = w;
    } else if (const auto* lp = std::get_if<LabelPostSelect>(&s)) {
      const size_t d = size_t{1} << (n - lp->label_qubits);
      v = Vector(v.segment(size_t(label) * d, d));
    }
  }
  return v;
}

namespace {

void branch(const Program& p, size_t at, const Vector& state, uint64_t bits, double weight,
            std::map<uint64_t, double>& out) {
  if (weight < 1e-14) return;
  const int n = p.num_qubits();
  const auto& ins = p.instructions();
  Vector v = state;
  for (; at < ins.size(); ++at) {
    if (const Op* op = std::get_if<Op>(&ins[at])) {
      v = full_gate_matrix(*op, n, {}) * v;
      continue;
    }
    const bool is_measure = std::holds_alternative<Measure>(ins[at]);
    const int q = is_measure ? std::get<Measure>(ins[at]).qubit : std::get<Reset>(ins[at]).qubit;
    for (int outcome = 0; outcome < 2; ++outcome) {
      Vector w = projector(q, outcome, n) * v;
      const double prob = w.squaredNorm();
      if (prob * weight < 1e-14) continue;
      w /= std::sqrt(prob);
      uint64_t next = bits;
      if (is_measure) {
        const int c = std::get<Measure>(ins[at]).clbit;
        next = (bits & ~(uint64_t{1} << c)) | (static_cast<uint64_t>(outcome) << c);
      } else if (outcome == 1) {
        w = embed_1q(textbook_matrix(GateKind::X, {}), q, n) * w;
      }
      branch(p, at + 1, w, next, weight * prob, out);
    }
    return;
  }
  out[bits] += weight;
}

}  // namespace

std::map<uint64_t, double> program_distribution(const Program& program) {
  Vector zero = Vector::Zero(size_t{1} << program.num_qubits());
  zero[0] = 1;
  std::map<uint64_t, double> out;
  branch(program, 0, zero, 0, 1.0, out);
  return out;
}

}  // namespace qdm::reference
