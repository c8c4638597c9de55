#pragma once
/// Dense density matrices of n qubits (2^n x 2^n, qubit 0 = bit 0 of the index, as the circuit IR)
/// with gates (rho -> U rho U^dagger), Kraus channels, the global depolarising channel of the mixed
/// QDM's forward process, noisy circuit simulation and shot sampling.

#include <Eigen/Dense>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "backends/density_matrix/channels.h"
#include "backends/noise/noisy_program.h"
#include "framework/circuit/circuit.h"

namespace qdm::dm {

/// Largest density matrix this simulator builds: 2^12 x 2^12 complex doubles is 256 MiB.
inline constexpr int kMaxDensityQubits = 12;

class DensityMatrix {
 public:
  /// |0...0><0...0|.
  explicit DensityMatrix(int num_qubits);
  /// |psi><psi| (psi need not be normalised; it is used as given).
  static DensityMatrix pure(const Eigen::VectorXcd& psi);
  static DensityMatrix maximally_mixed(int num_qubits);
  /// A given Hermitian matrix; std::invalid_argument unless it is 2^n square.
  static DensityMatrix from_matrix(Eigen::MatrixXcd rho);

  int num_qubits() const { return num_qubits_; }
  Eigen::Index dim() const { return rho_.rows(); }
  const Eigen::MatrixXcd& matrix() const { return rho_; }

  /// rho -> A rho A^dagger for a 2^k x 2^k operator on `qubits` (k = 1 or 2; index bit j of A is
  /// qubits[j]).
  void apply_operator(const Eigen::MatrixXcd& a, std::span<const int> qubits);
  /// One gate of the IR at its resolved angles.
  void apply_gate(const Op& op, std::span<const double> params);
  /// rho -> sum_k K_k rho K_k^dagger on `qubits` (as many as the channel acts on).
  void apply_channel(const KrausChannel& channel, std::span<const int> qubits);
  /// rho -> (1 - p) rho + p I / 2^n: the depolarising channel on all qubits at once.
  void depolarize_all(double p);

  double trace() const { return rho_.trace().real(); }
  /// The diagonal: the probability of each basis state (clamped at 0 against rounding).
  std::vector<double> probabilities() const;

 private:
  explicit DensityMatrix(Eigen::MatrixXcd rho, int num_qubits)
      : num_qubits_(num_qubits), rho_(std::move(rho)) {}
  int num_qubits_;
  Eigen::MatrixXcd rho_;
};

/// The 2^k x 2^k matrix of a gate (k = 1 or 2) with index bit j for op.qubits[j].
Eigen::MatrixXcd gate_operator(const Op& op, std::span<const double> params);

/// `circuit` on `initial` with `noise` after every gate.
DensityMatrix simulate(const Circuit& circuit, std::span<const double> params,
                       const NoiseModel& noise, DensityMatrix initial);
/// The exact distribution of a noisy program's classical bits (bit k = clbit k): its gates, its
/// channels, its mid-circuit measurements and resets, and its readout errors. It holds one qubit
/// more per measurement (std::invalid_argument beyond kMaxDensityQubits).
std::map<uint64_t, double> noisy_program_distribution(const noise::NoisyProgram& program);
/// `shots` draws from `distribution` (its weights need not sum to 1).
std::vector<uint64_t> sample_distribution(const std::map<uint64_t, double>& distribution, int shots,
                                          uint64_t seed);

/// `shots` bitstrings (qubit q = bit q) drawn from rho's diagonal, each bit then flipped with
/// probability `readout_error`.
std::vector<uint64_t> sample_bitstrings(const DensityMatrix& rho, int shots, uint64_t seed,
                                        double readout_error);

}  // namespace qdm::dm
