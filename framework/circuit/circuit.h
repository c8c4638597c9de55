#pragma once
/// The circuit IR: a qubit count and an ordered list of gates whose angles are constants or
/// references into a parameter vector.
///
/// Bit order: qubit q is bit q of the basis-state index (qubit 0 is the least significant bit),
/// so amplitude k of a state belongs to |b_{n-1} ... b_1 b_0> with k = sum_q b_q 2^q.

#include <array>
#include <span>
#include <string>
#include <vector>

#include "framework/circuit/gates.h"

namespace qdm {

/// An angle: a constant, or params[param] when bound to a parameter.
struct Angle {
  double value = 0.0;
  int param = -1;  ///< parameter index, or -1 for a constant

  static Angle constant(double v) { return {v, -1}; }
  static Angle parameter(int index) { return {0.0, index}; }
  bool is_parameter() const { return param >= 0; }
  double resolve(std::span<const double> params) const {
    return is_parameter() ? params[param] : value;
  }
};

struct Op {
  GateKind kind;
  std::array<int, 2> qubits{0, 0};  ///< target, or (control, target) for two-qubit gates
  std::array<Angle, 3> angles{};
};

class Circuit {
 public:
  explicit Circuit(int num_qubits);

  int num_qubits() const { return num_qubits_; }
  /// One more than the largest parameter index referenced; 0 when nothing is bound.
  int num_params() const { return num_params_; }
  const std::vector<Op>& ops() const { return ops_; }

  /// Appends a gate; throws std::invalid_argument naming the bad qubit, angle count or index.
  Circuit& add(GateKind kind, std::initializer_list<int> qubits,
               std::initializer_list<Angle> angles = {});
  /// Appends a gate already laid out as an Op (its unused qubit and angle slots ignored).
  Circuit& add(const Op& op);
  Circuit& append(const Circuit& other);
  /// A copy whose gate `op` has `angle` in slot `slot` (the parameter-shift rule's way of moving
  /// one occurrence of a shared parameter).
  Circuit with_angle(size_t op, int slot, Angle angle) const;

  /// Resolves every angle against `params`; the vector must hold exactly num_params() values.
  void check_params(std::span<const double> params) const;

 private:
  int num_qubits_;
  int num_params_ = 0;
  std::vector<Op> ops_;
};

/// Largest qubit count any simulator here accepts (2^30 amplitudes is 16 GiB per state).
inline constexpr int kMaxQubits = 30;

}  // namespace qdm
