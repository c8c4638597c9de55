#pragma once
/// A program as a noisy machine runs it: the program, the Kraus channels that follow its
/// instructions (each on the qubits it names), and each qubit's readout assignment error. The
/// uniform `noise.*` model and a device's calibration (device_noise.h) both become one, so the
/// trajectories backend samples either the same way.

#include <array>
#include <string>
#include <vector>

#include "backends/density_matrix/channels.h"
#include "framework/circuit/program.h"

namespace qdm::noise {

/// Channel `channel` (an index into NoisyProgram::channels) on `qubits` (its first 1 or 2).
struct PlacedChannel {
  int channel = 0;
  std::array<int, 2> qubits{};
};

/// A measured bit reads 1 - outcome with these probabilities (IBM's prob_meas1_prep0 and
/// prob_meas0_prep1).
struct ReadoutError {
  double one_given_zero = 0;
  double zero_given_one = 0;
  bool none() const { return one_given_zero == 0 && zero_given_one == 0; }
};

struct NoisyProgram {
  Program program{1, 0};
  std::vector<dm::KrausChannel> channels;  ///< distinct channels, each CPTP
  /// after[i]: the channels applied once the first i instructions have run, in order (size
  /// instructions + 1).
  std::vector<std::vector<PlacedChannel>> after;
  std::vector<ReadoutError> readout;  ///< per qubit of the program
  std::string description;            ///< where the noise comes from, for logs and run files

  bool noiseless() const;
};

/// `noise` after every gate of `program` (NoiseModel::after_gate: two-qubit depolarising on the
/// pair, the other channels on each qubit the gate touches) and its readout error on every
/// measured bit.
NoisyProgram with_uniform_noise(const Program& program, const dm::NoiseModel& noise);

/// std::invalid_argument unless every placement names a channel and qubits of the program, the
/// channels are CPTP and the readout probabilities lie in [0, 1].
void check(const NoisyProgram& noisy);

}  // namespace qdm::noise
