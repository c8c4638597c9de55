#include "backends/statevector/statevector_backend.h"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <type_traits>

#include "backends/statevector/compiled_block.h"
#include "backends/statevector/program_sampler.h"
#include "backends/statevector/stages.h"
#include "framework/error.h"
#include "framework/parallel.h"
#include "framework/rng.h"

namespace qdm {
namespace {

/// What one chunk of the batch keeps for backward: states[k] enters stage k, states.back() is
/// the output; branches[k] are stage k's per-state outcome offsets.
template <typename Real>
struct ChunkTape {
  int first = 0;
  std::vector<BasicStateBatch<Real>> states;
  std::vector<sv::Branches> branches;
};

template <typename Real>
struct SvTape final : Tape {
  EvolveContext context;
  std::vector<bool> fused;  ///< the forward pass's fusion plan, reused by backward
  std::vector<ChunkTape<Real>> chunks;
};

/// Largest number of qubits any stage of the pipeline holds.
int widest(const Pipeline& p) {
  int n = p.output_qubits();
  for (size_t k = 0; k < p.stages().size(); ++k) n = std::max(n, p.qubits_before(k));
  return n;
}

/// Splits [0, batch) into contiguous chunks: at least one per thread, and small enough that a
/// chunk's widest state batch (planar re + im) stays within `cache_bytes`, since every gate is a
/// pass over the whole chunk and a chunk that spills the cache makes each pass memory-bound.
std::vector<std::pair<int, int>> split(int batch, int threads, int qubits, size_t cache_bytes,
                                       size_t real_bytes) {
  constexpr int kMinChunk = 8;
  const size_t state_bytes = (size_t{1} << qubits) * 2 * real_bytes;
  const int per_cache = static_cast<int>(std::max<size_t>(kMinChunk, cache_bytes / state_bytes));
  const int by_cache = (batch + per_cache - 1) / per_cache;
  const int count = std::max({1, std::min(threads, batch / kMinChunk), by_cache});
  std::vector<std::pair<int, int>> chunks;
  for (int c = 0; c < count; ++c) {
    const int lo = static_cast<int>(int64_t(batch) * c / count);
    const int hi = static_cast<int>(int64_t(batch) * (c + 1) / count);
    chunks.emplace_back(lo, hi - lo);
  }
  return chunks;
}

/// States [first, first + count) of `s` in `layout` and precision Real (no copy beyond the slice
/// in double).
template <typename Real>
BasicStateBatch<Real> slice_in(const StateBatch& s, int first, int count, BatchLayout layout) {
  StateBatch slice = s.slice(first, count).with_layout(layout);
  if constexpr (std::is_same_v<Real, double>) {
    return slice;
  } else {
    return slice.template cast<Real>();
  }
}

/// Dense unitaries of the blocks the plan fuses (empty elsewhere), built once per call.
template <typename Real>
std::vector<sv::BasicDenseUnitary<Real>> dense_unitaries(
    const Pipeline& p, const std::vector<std::optional<sv::CompiledBlock>>& blocks,
    const std::vector<bool>& fused) {
  std::vector<sv::BasicDenseUnitary<Real>> u(blocks.size());
  for (size_t k = 0; k < blocks.size(); ++k) {
    if (fused[k]) u[k] = blocks[k]->template unitary<Real>(p.qubits_before(k));
  }
  return u;
}

std::vector<std::optional<sv::CompiledBlock>> compile_blocks(const Pipeline& p,
                                                             std::span<const double> params) {
  std::vector<std::optional<sv::CompiledBlock>> blocks(p.stages().size());
  for (size_t k = 0; k < p.stages().size(); ++k) {
    if (const auto* u = std::get_if<UnitaryBlock>(&p.stages()[k])) {
      blocks[k].emplace(u->circuit, params, u->param_offset);
    }
  }
  return blocks;
}

/// Auto fuses a block only when a chunk holds this many times its dim states.
constexpr double kFuseMinBatchOverDim = 4;

}  // namespace

StatevectorBackend::StatevectorBackend(const BackendOptions& options)
    : Backend("statevector",
              Capabilities{
                  .exact_states = true,
                  .density_matrices = false,
                  .noise_models = false,
                  .shots = true,
                  .mid_circuit_measurement = true,
                  .non_physical_stages = true,
                  .gradient = GradientMethod::Adjoint,
                  .max_qubits = 28,
                  .native_gates = ir_gate_names(),
              }),
      threads_(options.threads > 0 ? options.threads : omp_get_max_threads()),
      layout_(options.layout),
      cache_bytes_(options.chunk_bytes),
      fusion_(options.fusion),
      precision_(options.precision) {
  require_in_range("thread count", threads_, 1, 4096);
}

std::vector<bool> StatevectorBackend::fusion_plan(const Pipeline& pipeline, int batch) const {
  std::vector<bool> fused(pipeline.stages().size(), false);
  if (fusion_ == BackendOptions::Fusion::Never || layout_ != BatchLayout::BatchInner) return fused;
  for (size_t k = 0; k < fused.size(); ++k) {
    const auto* u = std::get_if<UnitaryBlock>(&pipeline.stages()[k]);
    if (u == nullptr) continue;
    const double dim = double(size_t{1} << pipeline.qubits_before(k));
    double one_qubit_gates = 0;
    for (const Op& op : u->circuit.ops()) one_qubit_gates += gate_qubit_count(op.kind) == 1;
    // Cost model from qdm-bench: gate by gate ~58 flops per amplitude per single-qubit gate
    // (forward + adjoint), fused ~8 dim flops per amplitude per GEMM and ~4 GEMMs, plus sweeps of
    // dim states; fusing pays only for batches well above dim.
    fused[k] = fusion_ == BackendOptions::Fusion::Always ||
               (batch >= kFuseMinBatchOverDim * dim && 58 * one_qubit_gates > 32 * dim);
  }
  return fused;
}

ForwardResult StatevectorBackend::forward_impl(const Pipeline& pipeline,
                                               std::span<const double> params,
                                               const StateBatch& input,
                                               const EvolveContext& context, bool keep_tape) const {
  return precision_ == BackendOptions::Precision::Single
             ? forward_in<float>(pipeline, params, input, context, keep_tape)
             : forward_in<double>(pipeline, params, input, context, keep_tape);
}

GradientResult StatevectorBackend::backward_impl(const Pipeline& pipeline,
                                                 std::span<const double> params, const Tape& tape,
                                                 const StateBatch& output_cotangent) const {
  return precision_ == BackendOptions::Precision::Single
             ? backward_in<float>(pipeline, params, tape, output_cotangent)
             : backward_in<double>(pipeline, params, tape, output_cotangent);
}

template <typename Real>
ForwardResult StatevectorBackend::forward_in(const Pipeline& pipeline,
                                             std::span<const double> params,
                                             const StateBatch& input, const EvolveContext& context,
                                             bool keep_tape) const {
  using Batch = BasicStateBatch<Real>;
  const auto blocks = compile_blocks(pipeline, params);
  const int per_thread = input.batch_size() / threads_;
  const auto fused = fusion_plan(pipeline, per_thread);
  const auto dense = dense_unitaries<Real>(pipeline, blocks, fused);
  // Fused blocks are matrix products, which block for the cache themselves: one chunk a thread.
  const bool any_fused = std::find(fused.begin(), fused.end(), true) != fused.end();
  const auto chunks = split(input.batch_size(), threads_, widest(pipeline),
                            any_fused ? SIZE_MAX : cache_bytes_, sizeof(Real));
  std::vector<Batch> outputs(chunks.size());
  auto tape = std::make_unique<SvTape<Real>>();
  tape->context = context;
  tape->fused = fused;
  tape->chunks.resize(chunks.size());
  const size_t num_stages = pipeline.stages().size();

  parallel_for(chunks.size(), threads_, [&](size_t c) {
    // Named, not a structured binding: clang 14 cannot capture bindings in the lambdas below.
    const int first = chunks[c].first, count = chunks[c].second;
    Batch x = slice_in<Real>(input, first, count, layout_);
    ChunkTape<Real>& ct = tape->chunks[c];
    ct.first = first;
    if (keep_tape) ct.branches.resize(num_stages);
    sv::Branches scratch;
    for (size_t k = 0; k < num_stages; ++k) {
      if (keep_tape) ct.states.push_back(x);
      if (fused[k]) {
        sv::CompiledBlock::apply_dense(dense[k], x);
      } else if (blocks[k]) {
        blocks[k]->apply(sv::view(x));
      } else {
        x = sv::stage_forward(pipeline.stages()[k], k, x, context, first,
                              keep_tape ? ct.branches[k] : scratch);
      }
    }
    if (keep_tape) ct.states.push_back(x);
    outputs[c] = std::move(x);
  });

  StateBatch out = output_in_double<Real>(outputs, pipeline.output_normalised(), input.layout());
  return {std::move(out), keep_tape ? std::move(tape) : nullptr};
}

template <typename Real>
GradientResult StatevectorBackend::backward_in(const Pipeline& pipeline,
                                               std::span<const double> params, const Tape& tape,
                                               const StateBatch& output_cotangent) const {
  using Batch = BasicStateBatch<Real>;
  const auto* sv_tape = dynamic_cast<const SvTape<Real>*>(&tape);
  require(sv_tape != nullptr,
          "backward() needs a tape from this backend's forward() in the same precision");
  int total = 0;
  for (const auto& ct : sv_tape->chunks) total += ct.states.back().batch_size();
  require(output_cotangent.batch_size() == total,
          "output cotangent has {} states; the forward pass had {}", output_cotangent.batch_size(),
          total);
  const auto blocks = compile_blocks(pipeline, params);
  const auto& fused = sv_tape->fused;
  const auto dense = dense_unitaries<Real>(pipeline, blocks, fused);
  const size_t num_chunks = sv_tape->chunks.size();
  std::vector<std::vector<double>> grads(num_chunks, std::vector<double>(params.size(), 0.0));
  std::vector<Batch> input_grads(num_chunks);

  parallel_for(num_chunks, threads_, [&](size_t c) {
    const ChunkTape<Real>& ct = sv_tape->chunks[c];
    const int count = ct.states.back().batch_size();
    Batch g = slice_in<Real>(output_cotangent, ct.first, count, layout_);
    for (size_t k = pipeline.stages().size(); k-- > 0;) {
      if (fused[k]) {
        blocks[k]->adjoint_dense(dense[k], ct.states[k], g, grads[c]);
      } else if (blocks[k]) {
        Batch psi = ct.states[k + 1];
        blocks[k]->adjoint(sv::view(psi), sv::view(g), grads[c]);
      } else {
        g = sv::stage_backward(pipeline.stages()[k], ct.states[k], ct.states[k + 1], g,
                               sv_tape->context, ct.first, ct.branches[k]);
      }
    }
    input_grads[c] = std::move(g);
  });

  GradientResult r{std::vector<double>(params.size(), 0.0), {}};
  r.input = output_in_double<Real>(input_grads, false, output_cotangent.layout());
  for (const auto& g : grads) {
    for (size_t i = 0; i < g.size(); ++i) r.params[i] += g[i];
  }
  return r;
}

std::vector<uint64_t> StatevectorBackend::sample_impl(const Circuit& circuit,
                                                      std::span<const double> params, int shots,
                                                      uint64_t seed) const {
  StateBatch x = StateBatch::basis_zero(circuit.num_qubits(), 1);
  sv::CompiledBlock(circuit, params, 0).apply(sv::view(x));
  std::vector<double> cdf(x.dim());
  double acc = 0.0;
  for (size_t i = 0; i < x.dim(); ++i) cdf[i] = (acc += std::norm(x.amp(0, i)));
  Rng rng(seed);
  std::vector<uint64_t> out(shots);
  for (auto& s : out) {
    const double u = rng.uniform() * acc;
    s = std::min<uint64_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin(), x.dim() - 1);
  }
  return out;
}

std::vector<uint64_t> StatevectorBackend::sample_program_impl(
    const Program& program, int shots, uint64_t seed,
    std::span<const std::pair<int, int>> stop_unless) const {
  return sv::sample_program(program, shots, seed, stop_unless);
}

}  // namespace qdm
