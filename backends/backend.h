#pragma once
/// The one interface every experiment talks to. Capabilities are queried, never guessed; public
/// non-virtual entry points validate input once and call the protected *_impl hooks.

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backends/density_matrix/density_matrix.h"
#include "backends/noise/noisy_program.h"
#include "backends/rest/qpu_settings.h"
#include "framework/circuit/circuit.h"
#include "framework/circuit/program.h"
#include "framework/pipeline.h"
#include "framework/state_batch.h"

namespace qdm {

enum class GradientMethod { None, Adjoint, ParameterShift };

struct Capabilities {
  bool exact_states = false;      ///< forward() returns amplitudes
  bool density_matrices = false;  ///< mixed states and noise channels
  bool noise_models = false;
  bool shots = false;                    ///< sample() draws bitstrings
  bool mid_circuit_measurement = false;  ///< programs may measure or reset and go on
  bool non_physical_stages = false;      ///< can run ComplexLeakyReLU and friends
  GradientMethod gradient = GradientMethod::None;
  int max_qubits = 0;
  std::vector<std::string> native_gates;  ///< the names the backend runs directly
};

std::string to_string(GradientMethod m);
/// Every gate of the circuit IR by name (what the simulators run natively).
std::vector<std::string> ir_gate_names();

/// What a backend keeps from forward() for backward(); each backend defines its own.
class Tape {
 public:
  virtual ~Tape() = default;
};

struct ForwardResult {
  StateBatch output;
  std::unique_ptr<Tape> tape;  ///< null unless requested
};

struct GradientResult {
  std::vector<double> params;  ///< dL/dparams, one per pipeline parameter
  StateBatch input;            ///< dL/d(conj input)
};

/// Options shared by every backend; each reads what applies to it.
struct BackendOptions {
  int threads = 0;  ///< 0: all hardware threads
  BatchLayout layout = BatchLayout::BatchInner;
  /// Statevector: the batch is cut into chunks of at most this many bytes of state, each swept
  /// gate by gate while it sits in cache (qdm-bench's chunk cases pick the default).
  size_t chunk_bytes = size_t{1} << 20;
  /// Statevector: run unitary blocks gate by gate (Never), as one dense 2^n x 2^n matrix product
  /// per block (Always), or choose per block and batch shape (Auto). See docs/performance.md.
  enum class Fusion { Never, Always, Auto } fusion = Fusion::Auto;
  /// Statevector backend: the arithmetic of forward and backward passes, double (complex128) or
  /// single (complex64, as the PyTorch references compute); states enter and leave in double and
  /// parameter gradients are summed in double.
  enum class Precision { Double, Single } precision = Precision::Double;
  /// Density-matrix backend: the channels after every gate and the readout error of sample().
  dm::NoiseModel noise{};
  /// Trajectories backend: trajectories (particles) per sample of a pipeline, resampled by their
  /// kept weight at every renormalisation after post-selection; 1 is exact without post-selection.
  int trajectories = 16;
  /// Cloud QPU backends (ionq, ibm): endpoint, device, key variable, limits. Empty provider: the
  /// documented defaults.
  rest::QpuSettings qpu{};
};

class Backend {
 public:
  virtual ~Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  const std::string& name() const { return name_; }
  const Capabilities& capabilities() const { return caps_; }

  /// Runs `pipeline` on `input` (normalised states of pipeline.input_qubits() qubits).
  ForwardResult forward(const Pipeline& pipeline, std::span<const double> params,
                        const StateBatch& input, const EvolveContext& context,
                        bool keep_tape = false) const;

  /// Reverse pass of a forward(keep_tape = true) call: gradients for the loss whose cotangent
  /// on the output is `output_cotangent` (see framework/loss.h for the convention).
  GradientResult backward(const Pipeline& pipeline, std::span<const double> params,
                          const Tape& tape, const StateBatch& output_cotangent) const;

  /// Backends with density matrices: each input through `pipeline` (state b draws as state b of
  /// `context`), with the backend's noise model.
  std::vector<dm::DensityMatrix> forward_mixed(const Pipeline& pipeline,
                                               std::span<const double> params,
                                               const std::vector<dm::DensityMatrix>& inputs,
                                               const EvolveContext& context) const;

  /// `shots` bitstrings (qubit q = bit q) measured after running `circuit` on |0...0>.
  std::vector<uint64_t> sample(const Circuit& circuit, std::span<const double> params, int shots,
                               uint64_t seed) const;
  /// `shots` runs of `program` from |0...0>, each the bitstring of its classical bits (bit k =
  /// clbit k). Measurements before the end and resets need `mid_circuit_measurement`. A backend
  /// may stop a shot that reads, on a bit of `stop_unless` (clbit, value), another value (its
  /// later bits then read 0): the caller's post-selection rejects it anyway.
  std::vector<uint64_t> sample(const Program& program, int shots, uint64_t seed,
                               std::span<const std::pair<int, int>> stop_unless = {}) const;
  /// Backends with noise models: as sample(Program), with the program's own channels and readout
  /// errors (a device's calibration, noise/device_noise.h) in place of the backend's noise model.
  std::vector<uint64_t> sample(const noise::NoisyProgram& program, int shots, uint64_t seed,
                               std::span<const std::pair<int, int>> stop_unless = {}) const;

 protected:
  Backend(std::string name, Capabilities caps) : name_(std::move(name)), caps_(std::move(caps)) {}

  virtual ForwardResult forward_impl(const Pipeline& pipeline, std::span<const double> params,
                                     const StateBatch& input, const EvolveContext& context,
                                     bool keep_tape) const = 0;
  virtual GradientResult backward_impl(const Pipeline& pipeline, std::span<const double> params,
                                       const Tape& tape,
                                       const StateBatch& output_cotangent) const = 0;
  virtual std::vector<uint64_t> sample_impl(const Circuit& circuit, std::span<const double> params,
                                            int shots, uint64_t seed) const = 0;
  /// Defaults to sample_impl for programs that only measure at the end.
  virtual std::vector<uint64_t> sample_program_impl(
      const Program& program, int shots, uint64_t seed,
      std::span<const std::pair<int, int>> stop_unless) const;
  /// UnsupportedError unless overridden (backends with noise models).
  virtual std::vector<uint64_t> sample_noisy_impl(
      const noise::NoisyProgram& program, int shots, uint64_t seed,
      std::span<const std::pair<int, int>> stop_unless) const;
  virtual std::vector<dm::DensityMatrix> forward_mixed_impl(
      const Pipeline& pipeline, std::span<const double> params,
      const std::vector<dm::DensityMatrix>& inputs, const EvolveContext& context) const;

 private:
  /// The shot count, the width and (without mid-circuit measurement) the program's shape.
  void check_program(const Program& program, int shots) const;

  std::string name_;
  Capabilities caps_;
};

/// Backends by name: `statevector`, `density-matrix`, `trajectories`, `ionq`, `ibm`.
struct BackendEntry {
  std::string name;
  std::string description;
  std::unique_ptr<Backend> (*create)(const BackendOptions&);
  bool remote = false;  ///< a cloud QPU reached over the network
};
const std::vector<BackendEntry>& backend_registry();
/// Both throw std::invalid_argument listing the known names when `name` is not one; find_backend
/// checks a name without building the backend.
const BackendEntry& find_backend(const std::string& name);
std::unique_ptr<Backend> make_backend(const std::string& name, const BackendOptions& options = {});

}  // namespace qdm
