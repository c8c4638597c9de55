#include "backends/backend.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "backends/density_matrix/density_matrix_backend.h"
#include "backends/rest/remote_backend.h"
#include "backends/statevector/statevector_backend.h"
#include "backends/trajectories/trajectories_backend.h"
#include "framework/error.h"

namespace qdm {

std::string to_string(GradientMethod m) {
  switch (m) {
    case GradientMethod::Adjoint:
      return "adjoint";
    case GradientMethod::ParameterShift:
      return "parameter-shift";
    default:
      return "none";
  }
}

ForwardResult Backend::forward(const Pipeline& pipeline, std::span<const double> params,
                               const StateBatch& input, const EvolveContext& context,
                               bool keep_tape) const {
  require(static_cast<int>(params.size()) == pipeline.num_params(),
          "parameter vector has {} values; this pipeline needs exactly {}", params.size(),
          pipeline.num_params());
  require(input.num_qubits() == pipeline.input_qubits(),
          "input states have {} qubits; this pipeline takes {}", input.num_qubits(),
          pipeline.input_qubits());
  require(input.batch_size() > 0, "input batch is empty");
  if (!caps_.exact_states) {
    throw UnsupportedError(fmt::format(
        "backend {} returns density matrices, not state vectors (forward_mixed); training needs "
        "a backend with exact states and adjoint gradients, such as statevector",
        name_));
  }
  input.require_normalised();
  for (size_t k = 0; k < pipeline.stages().size(); ++k) {
    if (!caps_.non_physical_stages && !stage_is_physical(pipeline.stages()[k])) {
      throw UnsupportedError(
          fmt::format("backend {} cannot run stage {} ({}): no quantum device implements it", name_,
                      k, stage_name(pipeline.stages()[k])));
    }
  }
  if (pipeline.uses_labels()) {
    require(static_cast<int>(context.labels.size()) == input.batch_size(),
            "this pipeline needs one label per state: {} labels for {} states",
            context.labels.size(), input.batch_size());
  }
  require(
      pipeline.output_qubits() <= caps_.max_qubits && pipeline.input_qubits() <= caps_.max_qubits,
      "backend {} handles at most {} qubits", name_, caps_.max_qubits);
  if (keep_tape && caps_.gradient == GradientMethod::None) {
    throw UnsupportedError(fmt::format("backend {} computes no gradients", name_));
  }
  return forward_impl(pipeline, params, input, context, keep_tape);
}

GradientResult Backend::backward(const Pipeline& pipeline, std::span<const double> params,
                                 const Tape& tape, const StateBatch& output_cotangent) const {
  require(static_cast<int>(params.size()) == pipeline.num_params(),
          "parameter vector has {} values; this pipeline needs exactly {}", params.size(),
          pipeline.num_params());
  require(output_cotangent.num_qubits() == pipeline.output_qubits(),
          "output cotangent has {} qubits; this pipeline outputs {}", output_cotangent.num_qubits(),
          pipeline.output_qubits());
  return backward_impl(pipeline, params, tape, output_cotangent);
}

std::vector<uint64_t> Backend::sample(const Circuit& circuit, std::span<const double> params,
                                      int shots, uint64_t seed) const {
  circuit.check_params(params);
  require_in_range("shot count", shots, 1, 100'000'000);
  require(circuit.num_qubits() <= caps_.max_qubits, "backend {} handles at most {} qubits, got {}",
          name_, caps_.max_qubits, circuit.num_qubits());
  return sample_impl(circuit, params, shots, seed);
}

void Backend::check_program(const Program& program, int shots) const {
  require_in_range("shot count", shots, 1, 100'000'000);
  require(program.num_qubits() <= caps_.max_qubits,
          "backend {} handles at most {} qubits; the program has {}", name_, caps_.max_qubits,
          program.num_qubits());
  if (program.is_dynamic() && !caps_.mid_circuit_measurement) {
    throw UnsupportedError(fmt::format(
        "backend {} measures only at the end of a circuit; this program measures or resets a "
        "qubit and then uses it again",
        name_));
  }
}

std::vector<uint64_t> Backend::sample(const Program& program, int shots, uint64_t seed,
                                      std::span<const std::pair<int, int>> stop_unless) const {
  check_program(program, shots);
  return sample_program_impl(program, shots, seed, stop_unless);
}

std::vector<uint64_t> Backend::sample(const noise::NoisyProgram& noisy, int shots, uint64_t seed,
                                      std::span<const std::pair<int, int>> stop_unless) const {
  if (!caps_.noise_models) {
    throw UnsupportedError(fmt::format(
        "backend {} has no noise models: sample a noisy program with --backend trajectories",
        name_));
  }
  check_program(noisy.program, shots);
  noise::check(noisy);
  return sample_noisy_impl(noisy, shots, seed, stop_unless);
}

std::vector<uint64_t> Backend::sample_noisy_impl(const noise::NoisyProgram&, int, uint64_t,
                                                 std::span<const std::pair<int, int>>) const {
  throw UnsupportedError(fmt::format("backend {} samples no noisy programs", name_));
}

std::vector<uint64_t> Backend::sample_program_impl(const Program& program, int shots, uint64_t seed,
                                                   std::span<const std::pair<int, int>>) const {
  // Only terminal measurements (is_dynamic() is false): run the gates, then copy each measured
  // qubit's bit to its classical bit.
  Circuit gates(program.num_qubits());
  std::vector<Measure> measures;
  for (const Instruction& i : program.instructions()) {
    if (const Op* op = std::get_if<Op>(&i)) gates.add(*op);
    if (const Measure* m = std::get_if<Measure>(&i)) measures.push_back(*m);
  }
  std::vector<uint64_t> out = sample_impl(gates, {}, shots, seed);
  for (uint64_t& shot : out) {
    uint64_t bits = 0;
    for (const Measure& m : measures) bits |= ((shot >> m.qubit) & 1) << m.clbit;
    shot = bits;
  }
  return out;
}

std::vector<dm::DensityMatrix> Backend::forward_mixed(const Pipeline& pipeline,
                                                      std::span<const double> params,
                                                      const std::vector<dm::DensityMatrix>& inputs,
                                                      const EvolveContext& context) const {
  if (!caps_.density_matrices) {
    throw UnsupportedError(fmt::format(
        "backend {} has no density matrices (qdm backends lists those that do)", name_));
  }
  require(static_cast<int>(params.size()) == pipeline.num_params(),
          "parameter vector has {} values; this pipeline needs exactly {}", params.size(),
          pipeline.num_params());
  require(!inputs.empty(), "input batch is empty");
  for (const dm::DensityMatrix& rho : inputs) {
    require(rho.num_qubits() == pipeline.input_qubits(),
            "input density matrices have {} qubits; this pipeline takes {}", rho.num_qubits(),
            pipeline.input_qubits());
  }
  for (size_t k = 0; k < pipeline.stages().size(); ++k) {
    if (!stage_is_physical(pipeline.stages()[k])) {
      throw UnsupportedError(
          fmt::format("backend {} cannot run stage {} ({}): no quantum device implements it", name_,
                      k, stage_name(pipeline.stages()[k])));
    }
  }
  if (pipeline.uses_labels()) {
    require(context.labels.size() == inputs.size(),
            "this pipeline needs one label per state: {} labels for {} states",
            context.labels.size(), inputs.size());
  }
  require(
      pipeline.output_qubits() <= caps_.max_qubits && pipeline.input_qubits() <= caps_.max_qubits,
      "backend {} handles at most {} qubits", name_, caps_.max_qubits);
  return forward_mixed_impl(pipeline, params, inputs, context);
}

std::vector<dm::DensityMatrix> Backend::forward_mixed_impl(const Pipeline&, std::span<const double>,
                                                           const std::vector<dm::DensityMatrix>&,
                                                           const EvolveContext&) const {
  throw std::logic_error("forward_mixed_impl of a backend that declares density matrices");
}

std::vector<std::string> ir_gate_names() {
  std::vector<std::string> names;
  for (GateKind g : kAllGateKinds) names.emplace_back(gate_name(g));
  return names;
}

const std::vector<BackendEntry>& backend_registry() {
  static const std::vector<BackendEntry> registry = {
      {"statevector", "dense statevector simulator, batched, adjoint gradients",
       [](const BackendOptions& o) -> std::unique_ptr<Backend> {
         return std::make_unique<StatevectorBackend>(o);
       }},
      {"density-matrix",
       "dense density-matrix simulator: noise channels after every gate (noise.*), mixed states, "
       "parameter-shift gradients",
       [](const BackendOptions& o) -> std::unique_ptr<Backend> {
         return std::make_unique<DensityMatrixBackend>(o);
       }},
      {"trajectories",
       "the density-matrix backend's noise (noise.*) as stochastic pure-state trajectories on "
       "the statevector kernels: one per shot or sample, up to 28 qubits, mid-circuit measurement",
       [](const BackendOptions& o) -> std::unique_ptr<Backend> {
         return std::make_unique<TrajectoriesBackend>(o);
       }},
      {"ionq",
       "IonQ cloud QPUs and simulator over REST (API v0.4, qis gates); key from QDM_IONQ_API_KEY",
       [](const BackendOptions& o) -> std::unique_ptr<Backend> {
         return std::make_unique<rest::RemoteBackend>(
             "ionq", o.qpu.provider == "ionq" ? o.qpu : rest::default_qpu_settings("ionq"));
       },
       true},
      {"ibm",
       "IBM Quantum over the Qiskit Runtime REST API (sampler, OpenQASM 3 in rz sx x cx); key "
       "from QDM_IBM_API_KEY",
       [](const BackendOptions& o) -> std::unique_ptr<Backend> {
         return std::make_unique<rest::RemoteBackend>(
             "ibm", o.qpu.provider == "ibm" ? o.qpu : rest::default_qpu_settings("ibm"));
       },
       true},
  };
  return registry;
}

const BackendEntry& find_backend(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& entry : backend_registry()) {
    if (entry.name == name) return entry;
    names.push_back(entry.name);
  }
  throw std::invalid_argument(
      fmt::format("unknown backend '{}'; known backends: {}", name, fmt::join(names, ", ")));
}

std::unique_ptr<Backend> make_backend(const std::string& name, const BackendOptions& options) {
  return find_backend(name).create(options);
}

}  // namespace qdm
