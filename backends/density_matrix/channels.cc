#include "backends/density_matrix/channels.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <tuple>

namespace qdm::dm {
namespace {

using Matrix = Eigen::MatrixXcd;

Matrix pauli(int which) {
  Matrix m = Matrix::Zero(2, 2);
  const std::complex<double> i(0, 1);
  switch (which) {
    case 0:
      m(0, 0) = m(1, 1) = 1;
      break;
    case 1:
      m(0, 1) = m(1, 0) = 1;
      break;
    case 2:
      m(0, 1) = -i;
      m(1, 0) = i;
      break;
    default:
      m(0, 0) = 1;
      m(1, 1) = -1;
  }
  return m;
}

/// A (x) B with B on the low bit: in the IR's order B acts on the first qubit of the pair.
Matrix kron(const Matrix& a, const Matrix& b) {
  Matrix out(a.rows() * b.rows(), a.cols() * b.cols());
  for (Eigen::Index i = 0; i < a.rows(); ++i) {
    for (Eigen::Index j = 0; j < a.cols(); ++j) {
      out.block(i * b.rows(), j * b.cols(), b.rows(), b.cols()) = a(i, j) * b;
    }
  }
  return out;
}

void require_probability(const char* what, double p, double max) {
  if (!(p >= 0 && p <= max)) {
    throw std::invalid_argument(fmt::format("{} strength {} is outside [0, {}]", what, p, max));
  }
}

}  // namespace

KrausChannel depolarizing(int qubits, double p) {
  if (qubits != 1 && qubits != 2) {
    throw std::invalid_argument(fmt::format("depolarizing acts on 1 or 2 qubits, not {}", qubits));
  }
  const int paulis = qubits == 1 ? 4 : 16;
  require_probability("depolarizing", p, paulis / (paulis - 1.0));
  KrausChannel c{
      qubits == 1 ? "depolarizing" : "depolarizing-2q", qubits, {}, ChannelKind::Depolarizing, p};
  for (int k = 0; k < paulis; ++k) {
    const double weight = k == 0 ? 1 - p * (paulis - 1) / paulis : p / paulis;
    if (weight == 0) continue;
    const Matrix op = qubits == 1 ? pauli(k) : kron(pauli(k / 4), pauli(k % 4));
    c.kraus.push_back(std::sqrt(weight) * op);
  }
  return c;
}

KrausChannel amplitude_damping(double gamma) {
  require_probability("amplitude damping", gamma, 1);
  Matrix k0 = Matrix::Zero(2, 2), k1 = Matrix::Zero(2, 2);
  k0(0, 0) = 1;
  k0(1, 1) = std::sqrt(1 - gamma);
  k1(0, 1) = std::sqrt(gamma);
  return {"amplitude-damping", 1, {k0, k1}, ChannelKind::AmplitudeDamping, gamma};
}

KrausChannel phase_damping(double lambda) {
  require_probability("phase damping", lambda, 1);
  Matrix k0 = Matrix::Zero(2, 2), k1 = Matrix::Zero(2, 2);
  k0(0, 0) = 1;
  k0(1, 1) = std::sqrt(1 - lambda);
  k1(1, 1) = std::sqrt(lambda);
  return {"phase-damping", 1, {k0, k1}, ChannelKind::PhaseDamping, lambda};
}

KrausChannel bit_flip(double p) {
  require_probability("bit flip", p, 1);
  return {"bit-flip",
          1,
          {std::sqrt(1 - p) * pauli(0), std::sqrt(p) * pauli(1)},
          ChannelKind::BitFlip,
          p};
}

double trace_preservation_error(const KrausChannel& c) {
  const Eigen::Index d = Eigen::Index{1} << c.qubits;
  Matrix sum = Matrix::Zero(d, d);
  for (const Matrix& k : c.kraus) sum += k.adjoint() * k;
  return (sum - Matrix::Identity(d, d)).cwiseAbs().maxCoeff();
}

Matrix choi_matrix(const KrausChannel& c) {
  const Eigen::Index d = Eigen::Index{1} << c.qubits;
  Matrix choi = Matrix::Zero(d * d, d * d);
  for (Eigen::Index i = 0; i < d; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) {
      Matrix unit = Matrix::Zero(d, d);
      unit(i, j) = 1;
      Matrix image = Matrix::Zero(d, d);
      for (const Matrix& k : c.kraus) image += k * unit * k.adjoint();
      choi.block(i * d, j * d, d, d) = image;
    }
  }
  return choi;
}

double choi_min_eigenvalue(const KrausChannel& c) {
  const Eigen::SelfAdjointEigenSolver<Matrix> eig(choi_matrix(c), Eigen::EigenvaluesOnly);
  return eig.eigenvalues().minCoeff();
}

void require_cptp(const KrausChannel& c, double tolerance) {
  const double tp = trace_preservation_error(c);
  if (tp > tolerance) {
    throw std::invalid_argument(fmt::format(
        "channel {} is not trace preserving: sum K^dagger K differs from I by {:.3g}", c.name, tp));
  }
  const double cp = choi_min_eigenvalue(c);
  if (cp < -tolerance) {
    throw std::invalid_argument(
        fmt::format("channel {} is not completely positive: its Choi matrix has eigenvalue {:.3g}",
                    c.name, cp));
  }
}

bool NoiseModel::noiseless() const {
  return depolarizing == 0 && depolarizing_2q == 0 && amplitude_damping == 0 &&
         phase_damping == 0 && readout_error == 0;
}

std::string NoiseModel::describe() const {
  std::string out;
  for (const auto& [name, value] :
       {std::pair{"depolarizing", depolarizing}, std::pair{"depolarizing_2q", depolarizing_2q},
        std::pair{"amplitude_damping", amplitude_damping},
        std::pair{"phase_damping", phase_damping}, std::pair{"readout_error", readout_error}}) {
    if (value != 0) out += fmt::format("{}{}={}", out.empty() ? "" : " ", name, value);
  }
  return out.empty() ? "none" : out;
}

NoiseModel NoiseModel::parse(const std::string& spec) {
  NoiseModel m;
  // The upper bounds keep each channel completely positive: depolarising strengths up to the
  // fully depolarising-and-beyond limits 4/3 and 16/15, probabilities up to 1.
  const std::vector<std::tuple<std::string, double*, double>> fields = {
      {"depolarizing", &m.depolarizing, 4.0 / 3},
      {"depolarizing_2q", &m.depolarizing_2q, 16.0 / 15},
      {"amplitude_damping", &m.amplitude_damping, 1},
      {"phase_damping", &m.phase_damping, 1},
      {"readout_error", &m.readout_error, 1}};
  std::string allowed;
  for (const auto& [name, target, high] : fields) {
    allowed += fmt::format("{}{} in [0, {:.4g}]", allowed.empty() ? "" : ", ", name, high);
  }
  size_t start = 0;
  while (start < spec.size()) {
    const size_t end = std::min(spec.find_first_of(", ", start), spec.size());
    const std::string entry = spec.substr(start, end - start);
    start = end + 1;
    if (entry.empty()) continue;
    const size_t eq = entry.find('=');
    const std::string name = entry.substr(0, eq);
    const auto field = std::find_if(fields.begin(), fields.end(),
                                    [&](const auto& f) { return std::get<0>(f) == name; });
    double value = -1;
    size_t used = 0;
    if (eq != std::string::npos) {
      try {
        value = std::stod(entry.substr(eq + 1), &used);
      } catch (const std::exception&) {
        used = 0;
      }
    }
    if (field == fields.end() || eq == std::string::npos || used == 0 ||
        used != entry.size() - eq - 1 || !(value >= 0 && value <= std::get<2>(*field))) {
      throw std::invalid_argument(
          fmt::format("noise entry '{}' is not NAME=STRENGTH with one of: {}", entry, allowed));
    }
    *std::get<1>(*field) = value;
  }
  return m;
}

std::vector<KrausChannel> NoiseModel::after_gate(int gate_qubits) const {
  std::vector<KrausChannel> out;
  if (gate_qubits == 1 && depolarizing > 0) out.push_back(dm::depolarizing(1, depolarizing));
  if (gate_qubits == 2 && depolarizing_2q > 0) out.push_back(dm::depolarizing(2, depolarizing_2q));
  if (amplitude_damping > 0) out.push_back(dm::amplitude_damping(amplitude_damping));
  if (phase_damping > 0) out.push_back(dm::phase_damping(phase_damping));
  return out;
}

}  // namespace qdm::dm
