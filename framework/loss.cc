#include "framework/loss.h"

#include "framework/error.h"

namespace qdm {

LossResult infidelity(const StateBatch& output, const StateBatch& targets) {
  require(
      output.num_qubits() == targets.num_qubits() && output.batch_size() == targets.batch_size(),
      "loss needs matching shapes: output {} states x {} qubits, targets {} x {}",
      output.batch_size(), output.num_qubits(), targets.batch_size(), targets.num_qubits());
  const int batch = output.batch_size();
  require(batch > 0, "loss of an empty batch");
  LossResult r{0.0, std::vector<double>(batch),
               StateBatch(output.num_qubits(), batch, output.layout())};
  std::vector<Complex> overlap(batch, 0.0);
  for_each_in_storage_order(output, output.dim(), [&](int b, size_t i) {
    overlap[b] += std::conj(targets.amp(b, i)) * output.amp(b, i);
  });
  for (int b = 0; b < batch; ++b) {
    r.per_state[b] = 1.0 - std::norm(overlap[b]);
    r.value += r.per_state[b] / batch;
  }
  // dL = -2 Re(conj(o) <t|dpsi>) / B  =>  g = -o t / B.
  for_each_in_storage_order(output, output.dim(), [&](int b, size_t i) {
    r.cotangent.set_amp(b, i, -overlap[b] * targets.amp(b, i) / static_cast<double>(batch));
  });
  return r;
}

}  // namespace qdm
