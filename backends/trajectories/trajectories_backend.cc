#include "backends/trajectories/trajectories_backend.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <variant>

#include "backends/statevector/compiled_block.h"
#include "backends/statevector/stages.h"
#include "framework/error.h"
#include "framework/parallel.h"
#include "framework/rng.h"

namespace qdm {
namespace {

// Separate families of counter-based draws, so noise, measurements, readout flips and resampling
// never reuse each other's numbers (nor the statevector backend's SampleMeasure draws).
constexpr uint64_t kNoiseDraws = 0x6e6f697365ull;
constexpr uint64_t kMeasureDraws = 0x6d65617375ull;
constexpr uint64_t kReadoutDraws = 0x726561646full;
constexpr uint64_t kResampleDraws = 0x7265736d70ull;

/// A chunk of states is swept gate by gate while it sits in cache (as the statevector backend).
constexpr size_t kChunkBytes = size_t{1} << 20;

/// [first, first + count) pieces of `total` items, `per_chunk` at most, at least one per thread.
std::vector<std::pair<int, int>> split(int total, int per_chunk, int threads) {
  const int count = std::max({1, (total + per_chunk - 1) / per_chunk, std::min(threads, total)});
  std::vector<std::pair<int, int>> chunks;
  for (int c = 0; c < count; ++c) {
    const int lo = static_cast<int>(int64_t(total) * c / count);
    const int hi = static_cast<int>(int64_t(total) * (c + 1) / count);
    if (hi > lo) chunks.emplace_back(lo, hi - lo);
  }
  return chunks;
}

int states_per_chunk(int qubits, int group, size_t real_bytes) {
  const size_t state_bytes = (size_t{1} << qubits) * 2 * real_bytes;
  return static_cast<int>(std::max<size_t>(1, kChunkBytes / (state_bytes * group)));
}

/// Sequential importance resampling before a renormalisation: within each group of `per` states
/// (one sample's particles), `per` systematic draws by squared norm, copied in place. Groups whose
/// weights are all equal (nothing was post-selected) stay as they are.
template <typename Real>
void resample(BasicStateBatch<Real>& x, int per, std::span<const uint64_t> group_ids, uint64_t seed,
              uint64_t stream, uint64_t key) {
  const std::vector<double> w = x.squared_norms();
  const size_t dim = x.dim();
  std::vector<Real> re(per * dim), im(per * dim);
  for (size_t g = 0; g < group_ids.size(); ++g) {
    const auto first = w.begin() + static_cast<std::ptrdiff_t>(g * per);
    const double total = std::accumulate(first, first + per, 0.0);
    const auto [lo, hi] = std::minmax_element(first, first + per);
    if (!(total > 1e-300)) {
      throw std::runtime_error(fmt::format(
          "normalise: every trajectory of sample {} has zero norm (post-selection probability 0)",
          group_ids[g]));
    }
    if (*hi - *lo <= 1e-12 * *hi) continue;
    std::copy_n(x.re() + g * per * dim, per * dim, re.begin());
    std::copy_n(x.im() + g * per * dim, per * dim, im.begin());
    const double u = counter_uniform(seed ^ kResampleDraws, stream, key, group_ids[g]);
    int src = 0;
    double acc = first[0];
    for (int r = 0; r < per; ++r) {
      const double position = (u + r) / per * total;
      while (src + 1 < per && position >= acc) acc += first[++src];
      std::copy_n(re.begin() + src * dim, dim, x.re() + (g * per + r) * dim);
      std::copy_n(im.begin() + src * dim, dim, x.im() + (g * per + r) * dim);
    }
  }
}

/// A program's instructions with its gates compiled, in program order.
struct CompiledInstruction {
  std::variant<sv::CompiledGate, Measure, Reset> what;
};

std::vector<CompiledInstruction> compile_program(const Program& program) {
  Circuit gates(program.num_qubits());
  for (const Instruction& i : program.instructions()) {
    if (const Op* op = std::get_if<Op>(&i)) gates.add(*op);
  }
  const sv::CompiledBlock block(gates, {}, 0);
  std::vector<CompiledInstruction> out;
  size_t next_gate = 0;
  for (const Instruction& i : program.instructions()) {
    if (std::holds_alternative<Op>(i)) {
      out.push_back({block.gates()[next_gate++]});
    } else if (const Measure* m = std::get_if<Measure>(&i)) {
      out.push_back({*m});
    } else {
      out.push_back({std::get<Reset>(i)});
    }
  }
  return out;
}

/// The basis state `u` selects by the Born rule of one state.
template <typename Real>
uint64_t draw_basis_state(sv::BasicStateView<Real> psi, double u) {
  const auto p = [&](size_t i) {
    const double re = psi.re[i], im = psi.im[i];
    return re * re + im * im;
  };
  double total = 0;
  for (size_t i = 0; i < psi.dim; ++i) total += p(i);
  double x = u * total;
  for (size_t i = 0; i + 1 < psi.dim; ++i) {
    x -= p(i);
    if (x < 0) return i;
  }
  return psi.dim - 1;
}

}  // namespace

TrajectoriesBackend::TrajectoriesBackend(const BackendOptions& options)
    : Backend("trajectories",
              Capabilities{
                  .exact_states = true,
                  .density_matrices = false,
                  .noise_models = true,
                  .shots = true,
                  .mid_circuit_measurement = true,
                  .non_physical_stages = false,
                  .gradient = GradientMethod::None,
                  .max_qubits = 28,
                  .native_gates = ir_gate_names(),
              }),
      noise_(options.noise),
      threads_(options.threads > 0 ? options.threads : omp_get_max_threads()),
      particles_(options.trajectories),
      precision_(options.precision) {
  require_in_range("thread count", threads_, 1, 4096);
  require_in_range("trajectories per sample (backend.trajectories)", particles_, 1, 4096);
  // Every channel is prepared (and checked) once here, so a bad strength fails before any work.
  for (int k : {1, 2}) {
    GateNoise& g = k == 1 ? after_1q_ : after_2q_;
    for (const dm::KrausChannel& c : noise_.after_gate(k)) {
      g.channels.emplace_back(c);
      g.on_pair.push_back(c.qubits == k);
    }
  }
  dm::require_cptp(dm::bit_flip(noise_.readout_error));
}

template <typename Real>
void TrajectoriesBackend::noisy_gate(const sv::CompiledGate& g, BasicStateBatch<Real>& x,
                                     std::span<const uint64_t> ids, uint64_t seed, uint64_t stream,
                                     uint64_t key) const {
  sv::apply_gate(g, sv::view(x));
  const int arity = gate_qubit_count(g.kind);
  const GateNoise& noise = arity == 1 ? after_1q_ : after_2q_;
  if (noise.channels.empty()) return;
  const std::array<int, 2> qubits{g.q0, g.q1};
  const std::span<const int> all(qubits.data(), static_cast<size_t>(arity));
  for (int b = 0; b < x.batch_size(); ++b) {
    const auto psi = traj::state_view(x, b);
    uint64_t slot = 0;
    const auto u = [&] {
      return counter_uniform(seed ^ kNoiseDraws, stream, key * 8 + slot++, ids[b]);
    };
    for (size_t c = 0; c < noise.channels.size(); ++c) {
      if (noise.on_pair[c]) {
        noise.channels[c].apply(psi, all, u());
      } else {
        for (int j = 0; j < arity; ++j) noise.channels[c].apply(psi, all.subspan(j, 1), u());
      }
    }
  }
}

ForwardResult TrajectoriesBackend::forward_impl(const Pipeline& pipeline,
                                                std::span<const double> params,
                                                const StateBatch& input,
                                                const EvolveContext& context,
                                                bool keep_tape) const {
  if (keep_tape) {
    throw UnsupportedError(
        "backend trajectories gives no gradients (every pass is a random draw of the noise): "
        "train on statevector, then sample with --backend trajectories");
  }
  StateBatch out = precision_ == BackendOptions::Precision::Single
                       ? forward_in<float>(pipeline, params, input, context)
                       : forward_in<double>(pipeline, params, input, context);
  return {std::move(out), nullptr};
}

template <typename Real>
StateBatch TrajectoriesBackend::forward_in(const Pipeline& pipeline, std::span<const double> params,
                                           const StateBatch& input,
                                           const EvolveContext& context) const {
  using Batch = BasicStateBatch<Real>;
  const auto& stages = pipeline.stages();
  std::vector<std::optional<sv::CompiledBlock>> blocks(stages.size());
  int widest = pipeline.output_qubits();
  for (size_t k = 0; k < stages.size(); ++k) {
    widest = std::max(widest, pipeline.qubits_before(k));
    if (const auto* u = std::get_if<UnitaryBlock>(&stages[k])) {
      blocks[k].emplace(u->circuit, params, u->param_offset);
    }
  }
  const int B = input.batch_size(), R = particles_;
  // Each particle sees its sample's label; stage_forward indexes labels by particle.
  EvolveContext particles = context;
  if (!context.labels.empty()) {
    particles.labels.resize(static_cast<size_t>(B) * R);
    for (int b = 0; b < B; ++b) {
      std::fill_n(particles.labels.begin() + b * R, R, context.labels[b]);
    }
  }
  const auto chunks = split(B, states_per_chunk(widest, R, sizeof(Real)), threads_);
  std::vector<Batch> outputs(chunks.size());
  parallel_for(chunks.size(), threads_, [&](size_t c) {
    // Named, not a structured binding: clang 14 cannot capture bindings in the lambdas below.
    const int first = chunks[c].first, count = chunks[c].second;
    Batch x(input.num_qubits(), count * R, BatchLayout::BatchOuter);
    std::vector<uint64_t> ids(static_cast<size_t>(count) * R), samples(count);
    for (int b = 0; b < count; ++b) {
      const std::vector<Complex> state = input.state(first + b);
      samples[b] = context.state_offset + first + b;
      for (int r = 0; r < R; ++r) {
        x.set_state(b * R + r, state);
        ids[b * R + r] = samples[b] * R + r;
      }
    }
    sv::Branches scratch;
    for (size_t k = 0; k < stages.size(); ++k) {
      if (blocks[k]) {
        const auto& gates = blocks[k]->gates();
        for (size_t g = 0; g < gates.size(); ++g) {
          noisy_gate(gates[g], x, ids, context.seed, context.stream, k << 32 | g);
        }
        continue;
      }
      if (R > 1 && std::holds_alternative<Normalise>(stages[k])) {
        resample(x, R, samples, context.seed, context.stream, k);
      }
      x = sv::stage_forward(stages[k], k, x, particles, first * R, scratch);
    }
    Batch out(x.num_qubits(), count, BatchLayout::BatchOuter);
    for (int b = 0; b < count; ++b) out.set_state(b, x.state(b * R));
    outputs[c] = std::move(out);
  });
  StateBatch out = output_in_double<Real>(outputs, pipeline.output_normalised(), input.layout());
  return out;
}

GradientResult TrajectoriesBackend::backward_impl(const Pipeline&, std::span<const double>,
                                                  const Tape&, const StateBatch&) const {
  throw std::logic_error("trajectories backward_impl: forward never hands out a tape");
}

std::vector<uint64_t> TrajectoriesBackend::sample_impl(const Circuit& circuit,
                                                       std::span<const double> params, int shots,
                                                       uint64_t seed) const {
  return sample_program_impl(Program::measure_all(circuit, params), shots, seed, {});
}

std::vector<uint64_t> TrajectoriesBackend::sample_program_impl(
    const Program& program, int shots, uint64_t seed,
    std::span<const std::pair<int, int>> stop_unless) const {
  return sample_noisy_impl(noise::with_uniform_noise(program, noise_), shots, seed, stop_unless);
}

std::vector<uint64_t> TrajectoriesBackend::sample_noisy_impl(
    const noise::NoisyProgram& noisy, int shots, uint64_t seed,
    std::span<const std::pair<int, int>> stop_unless) const {
  return precision_ == BackendOptions::Precision::Single
             ? sample_noisy_in<float>(noisy, shots, seed, stop_unless)
             : sample_noisy_in<double>(noisy, shots, seed, stop_unless);
}

template <typename Real>
std::vector<uint64_t> TrajectoriesBackend::sample_noisy_in(
    const noise::NoisyProgram& noisy, int shots, uint64_t seed,
    std::span<const std::pair<int, int>> stop_unless) const {
  using Batch = BasicStateBatch<Real>;
  const Program& program = noisy.program;
  const int n = program.num_qubits();
  std::vector<int> required(program.num_clbits(), -1);
  for (const auto& [clbit, value] : stop_unless) {
    require_in_range("post-selected classical bit", clbit, 0, program.num_clbits() - 1);
    required[clbit] = value;
  }
  std::vector<traj::Unravelling> channels;
  for (const dm::KrausChannel& c : noisy.channels) channels.emplace_back(c);
  const std::vector<CompiledInstruction> steps = compile_program(program);
  // Measurements with nothing after them (no gate, no channel) read one basis state drawn from
  // the final state.
  size_t tail = steps.size();
  while (tail > 0 && std::holds_alternative<Measure>(steps[tail - 1].what) &&
         noisy.after[tail].empty()) {
    --tail;
  }
  const Matrix2 x_gate = single_qubit_matrix(GateKind::X, {});
  std::vector<uint64_t> bits(shots, 0);
  const auto chunks = split(shots, states_per_chunk(n, 1, sizeof(Real)), threads_);
  parallel_for(chunks.size(), threads_, [&](size_t c) {
    // Named, not a structured binding: clang 14 cannot capture bindings in the lambdas below.
    const int first = chunks[c].first, count = chunks[c].second;
    Batch x = Batch::basis_zero(n, count, BatchLayout::BatchOuter);
    std::vector<uint64_t> ids(count);  // shot index of each live state
    for (int b = 0; b < count; ++b) ids[b] = static_cast<uint64_t>(first + b);
    // Channels placed once `place` instructions have run, each state its own draws.
    const auto apply_noise = [&](size_t place) {
      const auto& placed = noisy.after[place];
      if (placed.empty()) return;
      for (int b = 0; b < x.batch_size(); ++b) {
        const auto psi = traj::state_view(x, b);
        for (size_t j = 0; j < placed.size(); ++j) {
          const noise::PlacedChannel& p = placed[j];
          const traj::Unravelling& u = channels[p.channel];
          const double draw = counter_uniform(seed ^ kNoiseDraws, 0, place * 64 + j, ids[b]);
          u.apply(psi, std::span(p.qubits.data(), static_cast<size_t>(u.qubits())), draw);
        }
      }
    };
    // records clbit of shot `id` from `qubit`'s measured `outcome`, misread with the qubit's
    // readout error; false when post-selection rejects it
    const auto record = [&](uint64_t id, size_t step, const Measure& m, int outcome) {
      const noise::ReadoutError& r = noisy.readout[m.qubit];
      const double misread = outcome ? r.zero_given_one : r.one_given_zero;
      const bool flip = misread > 0 && counter_uniform(seed ^ kReadoutDraws, 0, step, id) < misread;
      const int read = outcome ^ static_cast<int>(flip);
      bits[id] |= static_cast<uint64_t>(read) << m.clbit;
      return required[m.clbit] < 0 || read == required[m.clbit];
    };
    apply_noise(0);
    for (size_t s = 0; s < tail && x.batch_size() > 0; ++s) {
      if (const auto* g = std::get_if<sv::CompiledGate>(&steps[s].what)) {
        sv::apply_gate(*g, sv::view(x));
        apply_noise(s + 1);
        continue;
      }
      std::vector<int> live;
      for (int b = 0; b < x.batch_size(); ++b) {
        const auto psi = traj::state_view(x, b);
        const double u = counter_uniform(seed ^ kMeasureDraws, 0, s, ids[b]);
        if (const auto* m = std::get_if<Measure>(&steps[s].what)) {
          if (record(ids[b], s, *m, traj::measure(psi, m->qubit, u))) live.push_back(b);
        } else {
          const int q = std::get<Reset>(steps[s].what).qubit;
          if (traj::measure(psi, q, u) == 1) sv::apply_1q(psi, q, x_gate);
          live.push_back(b);
        }
      }
      if (static_cast<int>(live.size()) < x.batch_size()) {
        // Rejected shots stop here (their later bits read 0); the rest run on as a smaller batch.
        Batch kept(n, static_cast<int>(live.size()), BatchLayout::BatchOuter);
        std::vector<uint64_t> kept_ids(live.size());
        for (size_t j = 0; j < live.size(); ++j) {
          kept.set_state(static_cast<int>(j), x.state(live[j]));
          kept_ids[j] = ids[live[j]];
        }
        x = std::move(kept);
        ids = std::move(kept_ids);
      }
      apply_noise(s + 1);
    }
    for (int b = 0; b < x.batch_size(); ++b) {
      const uint64_t basis = draw_basis_state(
          traj::state_view(x, b), counter_uniform(seed ^ kMeasureDraws, 0, tail, ids[b]));
      for (size_t s = tail; s < steps.size(); ++s) {
        const Measure& m = std::get<Measure>(steps[s].what);
        record(ids[b], s, m, static_cast<int>(basis >> m.qubit & 1));
      }
    }
  });
  return bits;
}

}  // namespace qdm
