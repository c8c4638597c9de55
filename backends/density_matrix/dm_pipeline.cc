#include "backends/density_matrix/dm_pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "framework/error.h"
#include "framework/overloaded.h"
#include "framework/rng.h"

namespace qdm::dm {
namespace {

using Matrix = Eigen::MatrixXcd;
using Index = Eigen::Index;

/// Full indices of the basis states whose `removed` qubits hold `value` (bit k for removed[k]),
/// in the order of the kept qubits' own index.
std::vector<Index> slice(int n, std::span<const int> removed, uint64_t value) {
  std::vector<int> kept;
  for (int q = 0; q < n; ++q) {
    if (std::find(removed.begin(), removed.end(), q) == removed.end()) kept.push_back(q);
  }
  Index base = 0;
  for (size_t k = 0; k < removed.size(); ++k) {
    if (value >> k & 1) base |= Index{1} << removed[k];
  }
  std::vector<Index> out(size_t{1} << kept.size());
  for (size_t i = 0; i < out.size(); ++i) {
    Index full = base;
    for (size_t j = 0; j < kept.size(); ++j) {
      if (i >> j & 1) full |= Index{1} << kept[j];
    }
    out[i] = full;
  }
  return out;
}

Matrix take(const Matrix& rho, const std::vector<Index>& rows) {
  const Index d = static_cast<Index>(rows.size());
  Matrix out(d, d);
  for (Index i = 0; i < d; ++i) {
    for (Index j = 0; j < d; ++j) out(i, j) = rho(rows[i], rows[j]);
  }
  return out;
}

std::vector<int> top(int total, int count) {
  std::vector<int> q;
  for (int k = total - count; k < total; ++k) q.push_back(k);
  return q;
}

/// rho as the block at `offset` of a matrix `qubits` qubits wide (zero elsewhere).
DensityMatrix embed(const Matrix& rho, int qubits, Index offset) {
  const Index d = Index{1} << qubits;
  Matrix out = Matrix::Zero(d, d);
  out.block(offset, offset, rho.rows(), rho.cols()) = rho;
  return DensityMatrix::from_matrix(std::move(out));
}

int label_of(const EvolveContext& context, int state_index, int label_qubits) {
  require(state_index >= 0 && static_cast<size_t>(state_index) < context.labels.size(),
          "this pipeline needs a label for state {}", state_index);
  const int label = context.labels[state_index];
  require(label >= 0 && label < (1 << label_qubits), "label {} does not fit {} label qubits", label,
          label_qubits);
  return label;
}

}  // namespace

DensityMatrix partial_trace(const DensityMatrix& rho, std::span<const int> qubits) {
  const int n = rho.num_qubits();
  for (int q : qubits) require(q >= 0 && q < n, "qubit {} is outside {} qubits", q, n);
  const int k = static_cast<int>(qubits.size());
  require(k < n, "tracing out all {} qubits leaves nothing", n);
  Matrix out;
  for (uint64_t v = 0; v < (uint64_t{1} << k); ++v) {
    const Matrix block = take(rho.matrix(), slice(n, qubits, v));
    if (v == 0) {
      out = block;
    } else {
      out += block;
    }
  }
  return DensityMatrix::from_matrix(std::move(out));
}

DensityMatrix run_pipeline(const Pipeline& pipeline, std::span<const double> params,
                           DensityMatrix rho, const NoiseModel& noise, const EvolveContext& context,
                           int state_index) {
  require(rho.num_qubits() == pipeline.input_qubits(),
          "a density matrix of {} qubits into a pipeline taking {}", rho.num_qubits(),
          pipeline.input_qubits());
  for (size_t k = 0; k < pipeline.stages().size(); ++k) {
    const int n = rho.num_qubits();
    rho = std::visit(
        Overloaded{
            [&](const UnitaryBlock& b) {
              return simulate(b.circuit,
                              params.subspan(static_cast<size_t>(b.param_offset),
                                             static_cast<size_t>(b.circuit.num_params())),
                              noise, std::move(rho));
            },
            [&](const AppendAncilla& s) { return embed(rho.matrix(), n + s.count, 0); },
            [&](const PostSelect& s) {
              uint64_t value = 0;
              for (size_t j = 0; j < s.values.size(); ++j) value |= uint64_t(s.values[j]) << j;
              return DensityMatrix::from_matrix(take(rho.matrix(), slice(n, s.qubits, value)));
            },
            [&](const SampleMeasure& s) {
              const uint64_t outcomes = uint64_t{1} << s.qubits.size();
              std::vector<Matrix> blocks;
              std::vector<double> p(outcomes);
              double total = 0;
              for (uint64_t v = 0; v < outcomes; ++v) {
                blocks.push_back(take(rho.matrix(), slice(n, s.qubits, v)));
                p[v] = std::max(0.0, blocks.back().trace().real());
                total += p[v];
              }
              // The statevector backend's draw, so both follow one branch on pure states.
              double u = counter_uniform(context.seed, context.stream, k, state_index) * total;
              uint64_t v = 0;
              while (v + 1 < outcomes && (u >= p[v] || p[v] == 0.0)) u -= p[v++];
              if (!(p[v] > 1e-300)) {
                throw std::runtime_error(
                    fmt::format("sample-measure: state {} has zero trace; cannot draw an outcome",
                                state_index));
              }
              return DensityMatrix::from_matrix(blocks[v] / p[v]);
            },
            [&](const Normalise&) {
              const double t = rho.trace();
              if (!(t > 1e-300)) {
                throw std::runtime_error(fmt::format(
                    "normalise: state {} has zero trace after stage {}", state_index, k));
              }
              return DensityMatrix::from_matrix(rho.matrix() / t);
            },
            [&](const ComplexLeakyReLU&) -> DensityMatrix {
              throw std::invalid_argument(
                  "complex-leaky-relu acts on amplitudes, not on density matrices: no quantum "
                  "device implements it");
            },
            [&](const LabelEncode& s) {
              const Index offset = Index{label_of(context, state_index, s.label_qubits)} << n;
              return embed(rho.matrix(), n + s.label_qubits, offset);
            },
            [&](const LabelPostSelect& s) {
              const uint64_t label = label_of(context, state_index, s.label_qubits);
              return DensityMatrix::from_matrix(
                  take(rho.matrix(), slice(n, top(n, s.label_qubits), label)));
            },
        },
        pipeline.stages()[k]);
  }
  return rho;
}

}  // namespace qdm::dm
