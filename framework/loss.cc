#include "framework/loss.h"

#include "framework/error.h"

namespace qdm {

namespace {

void require_matching(const StateBatch& output, const StateBatch& targets) {
  require(
      output.num_qubits() == targets.num_qubits() && output.batch_size() == targets.batch_size(),
      "loss needs matching shapes: output {} states x {} qubits, targets {} x {}",
      output.batch_size(), output.num_qubits(), targets.batch_size(), targets.num_qubits());
  require(output.batch_size() > 0, "loss of an empty batch");
}

}  // namespace

LossResult infidelity(const StateBatch& output, const StateBatch& targets) {
  require_matching(output, targets);
  const int batch = output.batch_size();
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

LossResult normalised_infidelity(const StateBatch& output, const StateBatch& targets) {
  require_matching(output, targets);
  const int batch = output.batch_size();
  LossResult r{0.0, std::vector<double>(batch),
               StateBatch(output.num_qubits(), batch, output.layout())};
  std::vector<Complex> overlap(batch, 0.0);
  std::vector<double> norm2(batch, 0.0);
  for_each_in_storage_order(output, output.dim(), [&](int b, size_t i) {
    overlap[b] += std::conj(targets.amp(b, i)) * output.amp(b, i);
    norm2[b] += std::norm(output.amp(b, i));
  });
  for (int b = 0; b < batch; ++b) {
    require(norm2[b] > 1e-300, "loss: output state {} has zero norm (its post-selection kept none)",
            b);
    r.per_state[b] = 1.0 - std::norm(overlap[b]) / norm2[b];
    r.value += r.per_state[b] / batch;
  }
  // L = 1 - |o|^2 / N with o = <t|psi>, N = <psi|psi>:
  // dL/d(conj psi) = -(o t / N - |o|^2 psi / N^2) / B.
  for_each_in_storage_order(output, output.dim(), [&](int b, size_t i) {
    const double n = norm2[b];
    const Complex g =
        -(overlap[b] * targets.amp(b, i) / n - std::norm(overlap[b]) * output.amp(b, i) / (n * n)) /
        static_cast<double>(batch);
    r.cotangent.set_amp(b, i, g);
  });
  return r;
}

}  // namespace qdm
