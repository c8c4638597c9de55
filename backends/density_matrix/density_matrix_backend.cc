#include "backends/density_matrix/density_matrix_backend.h"

#include <omp.h>

#include <stdexcept>

#include "backends/density_matrix/dm_pipeline.h"

namespace qdm {
namespace {

Capabilities density_capabilities() {
  Capabilities c;
  c.exact_states = false;
  c.density_matrices = true;
  c.noise_models = true;
  c.shots = true;
  c.non_physical_stages = false;
  c.gradient = GradientMethod::ParameterShift;
  c.max_qubits = dm::kMaxDensityQubits;
  c.native_gates = ir_gate_names();
  return c;
}

}  // namespace

DensityMatrixBackend::DensityMatrixBackend(const BackendOptions& options)
    : Backend("density-matrix", density_capabilities()),
      noise_(options.noise),
      threads_(options.threads > 0 ? options.threads : omp_get_max_threads()) {
  // Every channel is built once here so a bad strength fails before any work.
  for (int k : {1, 2}) {
    for (const dm::KrausChannel& c : noise_.after_gate(k)) dm::require_cptp(c);
  }
  dm::require_cptp(dm::bit_flip(noise_.readout_error));
}

// Backend::forward and backward refuse first (no exact states, no tapes); these are unreachable.
ForwardResult DensityMatrixBackend::forward_impl(const Pipeline&, std::span<const double>,
                                                 const StateBatch&, const EvolveContext&,
                                                 bool) const {
  throw std::logic_error("density-matrix forward_impl: Backend::forward refuses this backend");
}
GradientResult DensityMatrixBackend::backward_impl(const Pipeline&, std::span<const double>,
                                                   const Tape&, const StateBatch&) const {
  throw std::logic_error("density-matrix backward_impl: it never hands out a tape");
}

std::vector<uint64_t> DensityMatrixBackend::sample_impl(const Circuit& circuit,
                                                        std::span<const double> params, int shots,
                                                        uint64_t seed) const {
  const dm::DensityMatrix rho =
      dm::simulate(circuit, params, noise_, dm::DensityMatrix(circuit.num_qubits()));
  return dm::sample_bitstrings(rho, shots, seed, noise_.readout_error);
}

std::vector<uint64_t> DensityMatrixBackend::sample_noisy_impl(
    const noise::NoisyProgram& program, int shots, uint64_t seed,
    std::span<const std::pair<int, int>>) const {
  return dm::sample_distribution(dm::noisy_program_distribution(program), shots, seed);
}

std::vector<dm::DensityMatrix> DensityMatrixBackend::forward_mixed_impl(
    const Pipeline& pipeline, std::span<const double> params,
    const std::vector<dm::DensityMatrix>& inputs, const EvolveContext& context) const {
  std::vector<dm::DensityMatrix> out(inputs.size(), dm::DensityMatrix(1));
  std::exception_ptr failure;
#pragma omp parallel for num_threads(threads_) schedule(dynamic)
  for (size_t b = 0; b < inputs.size(); ++b) {
    try {
      out[b] = dm::run_pipeline(pipeline, params, inputs[b], noise_, context, static_cast<int>(b));
    } catch (...) {
#pragma omp critical
      failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  return out;
}

}  // namespace qdm
