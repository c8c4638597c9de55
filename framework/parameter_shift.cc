#include "framework/parameter_shift.h"

#include <cmath>

#include "framework/error.h"

namespace qdm {

std::vector<double> parameter_shift_gradient(const Circuit& circuit, std::span<const double> params,
                                             const CircuitLoss& loss) {
  circuit.check_params(params);
  std::vector<double> grad(params.size(), 0.0);
  // The shifted occurrence reads an extra parameter at the end, so the others keep theirs.
  std::vector<double> shifted(params.begin(), params.end());
  shifted.push_back(0.0);
  const int extra = static_cast<int>(params.size());
  for (size_t i = 0; i < circuit.ops().size(); ++i) {
    const Op& op = circuit.ops()[i];
    for (int slot = 0; slot < gate_angle_count(op.kind); ++slot) {
      const Angle& a = op.angles[slot];
      if (!a.is_parameter()) continue;
      const Circuit moved = circuit.with_angle(i, slot, Angle::parameter(extra));
      shifted[extra] = params[a.param] + M_PI / 2;
      const double up = loss(moved, shifted);
      shifted[extra] = params[a.param] - M_PI / 2;
      const double down = loss(moved, shifted);
      grad[a.param] += (up - down) / 2;
    }
  }
  return grad;
}

}  // namespace qdm
