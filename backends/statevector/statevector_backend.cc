#include "backends/statevector/statevector_backend.h"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <optional>

#include "backends/statevector/compiled_block.h"
#include "backends/statevector/stages.h"
#include "framework/error.h"
#include "framework/rng.h"

namespace qdm {
namespace {

/// What one chunk of the batch keeps for backward: states[k] enters stage k, states.back() is
/// the output; branches[k] are stage k's per-state outcome offsets.
struct ChunkTape {
  int first = 0;
  std::vector<StateBatch> states;
  std::vector<sv::Branches> branches;
};

struct SvTape final : Tape {
  EvolveContext context;
  std::vector<ChunkTape> chunks;
};

/// Splits [0, batch) into at most `threads` contiguous chunks; tiny batches stay whole.
std::vector<std::pair<int, int>> split(int batch, int threads) {
  constexpr int kMinChunk = 8;
  const int count = std::max(1, std::min(threads, batch / kMinChunk));
  std::vector<std::pair<int, int>> chunks;
  for (int c = 0; c < count; ++c) {
    const int lo = static_cast<int>(int64_t(batch) * c / count);
    const int hi = static_cast<int>(int64_t(batch) * (c + 1) / count);
    chunks.emplace_back(lo, hi - lo);
  }
  return chunks;
}

/// Runs f(c) for every chunk on its own thread and rethrows the first exception.
template <typename F>
void parallel_chunks(size_t count, F&& f) {
  std::exception_ptr error;
#pragma omp parallel for schedule(static, 1) num_threads(static_cast <int>(count)) if (count > 1)
  for (size_t c = 0; c < count; ++c) {
    try {
      f(c);
    } catch (...) {
#pragma omp critical
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
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

}  // namespace

StatevectorBackend::StatevectorBackend(const BackendOptions& options)
    : Backend("statevector",
              Capabilities{
                  .exact_states = true,
                  .density_matrices = false,
                  .noise_models = false,
                  .shots = true,
                  .non_physical_stages = true,
                  .gradient = GradientMethod::Adjoint,
                  .max_qubits = 28,
                  .native_gates = {kAllGateKinds.begin(), kAllGateKinds.end()},
              }),
      threads_(options.threads > 0 ? options.threads : omp_get_max_threads()),
      layout_(options.layout) {
  require_in_range("thread count", threads_, 1, 4096);
}

ForwardResult StatevectorBackend::forward_impl(const Pipeline& pipeline,
                                               std::span<const double> params,
                                               const StateBatch& input,
                                               const EvolveContext& context, bool keep_tape) const {
  const auto blocks = compile_blocks(pipeline, params);
  const auto chunks = split(input.batch_size(), threads_);
  std::vector<StateBatch> outputs(chunks.size());
  auto tape = std::make_unique<SvTape>();
  tape->context = context;
  tape->chunks.resize(chunks.size());
  const size_t num_stages = pipeline.stages().size();

  parallel_chunks(chunks.size(), [&](size_t c) {
    const auto [first, count] = chunks[c];
    StateBatch x = input.slice(first, count).with_layout(layout_);
    ChunkTape& ct = tape->chunks[c];
    ct.first = first;
    if (keep_tape) ct.branches.resize(num_stages);
    sv::Branches scratch;
    for (size_t k = 0; k < num_stages; ++k) {
      if (keep_tape) ct.states.push_back(x);
      if (blocks[k]) {
        blocks[k]->apply(sv::view(x));
      } else {
        x = sv::stage_forward(pipeline.stages()[k], k, x, context, first,
                              keep_tape ? ct.branches[k] : scratch);
      }
    }
    if (keep_tape) ct.states.push_back(x);
    outputs[c] = std::move(x);
  });

  StateBatch out = concatenate(outputs);
  if (out.layout() != input.layout()) out = out.with_layout(input.layout());
  return {std::move(out), keep_tape ? std::move(tape) : nullptr};
}

GradientResult StatevectorBackend::backward_impl(const Pipeline& pipeline,
                                                 std::span<const double> params, const Tape& tape,
                                                 const StateBatch& output_cotangent) const {
  const auto* sv_tape = dynamic_cast<const SvTape*>(&tape);
  require(sv_tape != nullptr, "backward() needs a tape from this backend's forward()");
  int total = 0;
  for (const auto& ct : sv_tape->chunks) total += ct.states.back().batch_size();
  require(output_cotangent.batch_size() == total,
          "output cotangent has {} states; the forward pass had {}", output_cotangent.batch_size(),
          total);
  const auto blocks = compile_blocks(pipeline, params);
  const size_t num_chunks = sv_tape->chunks.size();
  std::vector<std::vector<double>> grads(num_chunks, std::vector<double>(params.size(), 0.0));
  std::vector<StateBatch> input_grads(num_chunks);

  parallel_chunks(num_chunks, [&](size_t c) {
    const ChunkTape& ct = sv_tape->chunks[c];
    const int count = ct.states.back().batch_size();
    StateBatch g = output_cotangent.slice(ct.first, count).with_layout(layout_);
    for (size_t k = pipeline.stages().size(); k-- > 0;) {
      if (blocks[k]) {
        StateBatch psi = ct.states[k + 1];
        blocks[k]->adjoint(sv::view(psi), sv::view(g), grads[c]);
      } else {
        g = sv::stage_backward(pipeline.stages()[k], ct.states[k], ct.states[k + 1], g,
                               sv_tape->context, ct.first, ct.branches[k]);
      }
    }
    input_grads[c] = std::move(g);
  });

  GradientResult r{std::vector<double>(params.size(), 0.0), concatenate(input_grads)};
  for (const auto& g : grads) {
    for (size_t i = 0; i < g.size(); ++i) r.params[i] += g[i];
  }
  if (r.input.layout() != output_cotangent.layout())
    r.input = r.input.with_layout(output_cotangent.layout());
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

}  // namespace qdm
