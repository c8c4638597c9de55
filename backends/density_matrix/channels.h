#pragma once
/// Noise channels in Kraus form (rho -> sum_k K_k rho K_k^dagger) on one or two qubits, their
/// trace-preservation and complete-positivity checks, and a noise model that says which channel
/// follows which gate.

#include <Eigen/Dense>
#include <string>
#include <vector>

namespace qdm::dm {

/// The channels with a closed form the simulator applies in one pass (Custom: the Kraus sum).
enum class ChannelKind { Custom, Depolarizing, AmplitudeDamping, PhaseDamping, BitFlip };

struct KrausChannel {
  std::string name;
  int qubits = 1;                       ///< 1 or 2; operators are 2^qubits square
  std::vector<Eigen::MatrixXcd> kraus;  ///< in the bit order of the circuit IR (qubit 0 = bit 0)
  ChannelKind kind = ChannelKind::Custom;
  double strength = 0;  ///< p, gamma or lambda of the named kinds
};

/// rho -> (1 - p) rho + p I/2^q on q = 1 or 2 qubits: the identity with weight 1 - p (4^q - 1)/4^q
/// and each other Pauli product with p / 4^q. p in [0, 4^q / (4^q - 1)].
KrausChannel depolarizing(int qubits, double p);
/// |1> decays to |0> with probability gamma.
KrausChannel amplitude_damping(double gamma);
/// Off-diagonal terms shrink by sqrt(1 - lambda), populations stay.
KrausChannel phase_damping(double lambda);
/// X with probability p (the readout error's quantum equivalent just before measurement).
KrausChannel bit_flip(double p);

/// max |sum_k K^dagger K - I|: 0 for a trace-preserving channel.
double trace_preservation_error(const KrausChannel& channel);
/// The Choi matrix sum_{ij} |i><j| (x) E(|i><j|), 4^q square.
Eigen::MatrixXcd choi_matrix(const KrausChannel& channel);
/// The Choi matrix's smallest eigenvalue: >= 0 (to rounding) iff the channel is completely
/// positive.
double choi_min_eigenvalue(const KrausChannel& channel);
/// std::invalid_argument naming the channel unless it is CPTP within `tolerance`.
void require_cptp(const KrausChannel& channel, double tolerance = 1e-10);

/// Noise after every gate, as configured (`noise.*` keys); all zero: noiseless.
struct NoiseModel {
  double depolarizing = 0;     ///< after each one-qubit gate, on its qubit
  double depolarizing_2q = 0;  ///< after each two-qubit gate, on its pair
  double amplitude_damping = 0;
  double phase_damping = 0;  ///< both damping channels follow every gate on each qubit it touches
  double readout_error = 0;  ///< each measured bit flips with this probability
  bool noiseless() const;
  /// "depolarizing=0.01 readout_error=0.02" (the non-zero strengths), or "none".
  std::string describe() const;
  /// "depolarizing=0.01,readout_error=0.02" (names as describe() writes them, comma- or
  /// space-separated); std::invalid_argument naming a bad entry, the names and each range.
  static NoiseModel parse(const std::string& spec);
  /// The channels that follow a gate on `gate_qubits` (1 or 2) qubits, in order.
  std::vector<KrausChannel> after_gate(int gate_qubits) const;
};

}  // namespace qdm::dm
