#pragma once
/// Sampling from shots, the way a QPU does it: each sample's whole reverse chain is compiled into
/// one circuit (framework/circuit/chain_circuit.h), dynamic (ancilla and label qubits measured
/// mid-circuit and reused) where the backend allows it, else static (fresh qubits, all measured at
/// the end), and measured `shots` times; its image is sqrt of the post-selected data-register
/// frequencies. On a cloud QPU the circuits of a request go out as one job through the run file's
/// journal; on a simulator the same circuits are sampled locally, shot by shot, which is the
/// reference the hardware path is tested against.

#include <string>
#include <vector>

#include "backends/rest/qpu_job.h"
#include "experiments/qdm_training.h"
#include "framework/circuit/chain_circuit.h"

namespace qdm {

/// Thrown after a dry run printed its payload: nothing was sent and nothing is to be stored.
struct DryRunComplete {};
/// Thrown after export_chains wrote its files: nothing is to be stored in the run.
struct ExportComplete {
  int files = 0;
};

/// `qdm export`: writes each chain of `request` (request.chain_export says how) as a file, plus
/// manifest.json (format, device, wiring, each file's bit map and label); throws ExportComplete.
[[noreturn]] void export_chains(const Pipeline& denoiser, const QdmSettings& settings,
                                const ParamSnapshots& params, const SampleRequest& request);

Generated sample_qdm_shots(const Pipeline& denoiser, const QdmSettings& settings,
                           const ParamSnapshots& params, const SampleRequest& request);

/// The chains of a sample request, compiled for one backend.
struct ChainBatch {
  std::vector<ChainCircuit> chains;
  std::vector<int32_t> labels;  ///< per chain; -1 unconditioned
  int per_label = 0;
  ChainWiring wiring = ChainWiring::Fresh;
  std::vector<std::string> names;  ///< "sample-3" or "sample-3-label-7"
};

/// Picks the wiring (qpu.circuit against what the backend can do: `why_not_dynamic` is empty
/// when it runs dynamic circuits, else the reason, the UnsupportedError of qpu.circuit = dynamic)
/// and compiles every chain of `request`.
ChainBatch compile_chain_batch(const Pipeline& denoiser, const QdmSettings& settings,
                               const ParamSnapshots& params, const SampleRequest& request,
                               const std::string& why_not_dynamic);

/// A cloud job of the batch's chains: circuits transpiled by `provider` (whose device must be
/// loaded), names, per-circuit comments and the bit map, identified by its logical circuits.
rest::JobRequest chain_job(const ChainBatch& batch, const rest::QpuProvider& provider, int shots,
                           rest::TranspileReport* report);

/// The journal's description of such a job: circuit kind, bit map (JSON), transpile report.
rest::JobRecord chain_job_description(const ChainBatch& batch, const rest::TranspileReport& report);

/// Why `backend` runs no dynamic circuit ("" when it does): for qpu.circuit = dynamic errors.
std::string why_no_dynamic_circuits(const std::string& backend, const rest::QpuProvider* provider);

}  // namespace qdm
