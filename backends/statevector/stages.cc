#include "backends/statevector/stages.h"

#include <cmath>
#include <stdexcept>

#include "framework/error.h"
#include "framework/overloaded.h"
#include "framework/rng.h"

namespace qdm::sv {
namespace {

/// out index -> in index with the removed qubits' bits zero.
std::vector<size_t> kept_index_map(int in_qubits, const std::vector<int>& removed) {
  std::vector<bool> is_removed(in_qubits, false);
  for (int q : removed) is_removed[q] = true;
  std::vector<int> kept;
  for (int q = 0; q < in_qubits; ++q) {
    if (!is_removed[q]) kept.push_back(q);
  }
  std::vector<size_t> map(size_t{1} << kept.size());
  for (size_t m = 0; m < map.size(); ++m) {
    size_t i = 0;
    for (size_t k = 0; k < kept.size(); ++k) i |= ((m >> k) & 1) << kept[k];
    map[m] = i;
  }
  return map;
}

size_t outcome_offset(const std::vector<int>& qubits, size_t outcome) {
  size_t off = 0;
  for (size_t k = 0; k < qubits.size(); ++k) off |= ((outcome >> k) & 1) << qubits[k];
  return off;
}

/// out[b][m] = in[b][map[m] | offset[b]] * scale[b].
template <typename Real>
BasicStateBatch<Real> gather(const BasicStateBatch<Real>& in, int out_qubits,
                             const std::vector<size_t>& map, const Branches& offset,
                             const std::vector<double>& scale) {
  BasicStateBatch<Real> out(out_qubits, in.batch_size(), in.layout());
  for_each_in_storage_order(out, map.size(), [&](int b, size_t m) {
    out.set_amp(b, m, in.amp(b, map[m] | offset[b]) * static_cast<Real>(scale[b]));
  });
  return out;
}

/// The adjoint of gather: in-shaped, zero outside the gathered entries.
template <typename Real>
BasicStateBatch<Real> scatter(const BasicStateBatch<Real>& out, int in_qubits,
                              const std::vector<size_t>& map, const Branches& offset,
                              const std::vector<double>& scale) {
  BasicStateBatch<Real> in(in_qubits, out.batch_size(), out.layout());
  for_each_in_storage_order(out, map.size(), [&](int b, size_t m) {
    in.set_amp(b, map[m] | offset[b], out.amp(b, m) * static_cast<Real>(scale[b]));
  });
  return in;
}

template <typename Real>
std::vector<double> norms_or_throw(const BasicStateBatch<Real>& s, const char* stage, int first) {
  auto n = s.squared_norms();
  for (int b = 0; b < s.batch_size(); ++b) {
    if (!(n[b] > 1e-300)) {
      throw std::runtime_error(fmt::format(
          "{}: state {} has zero norm (post-selection probability 0); cannot renormalise", stage,
          first + b));
    }
    n[b] = std::sqrt(n[b]);
  }
  return n;
}

/// Backward of x -> x / |x| given the output y and the norms r: g_in = (g - y Re<g, y>) / r.
template <typename Real>
BasicStateBatch<Real> normalise_backward(const BasicStateBatch<Real>& y,
                                         const BasicStateBatch<Real>& g,
                                         const std::vector<double>& r) {
  BasicStateBatch<Real> gin(y.num_qubits(), y.batch_size(), y.layout());
  std::vector<double> proj(y.batch_size(), 0.0);
  for_each_in_storage_order(y, y.dim(), [&](int b, size_t i) {
    proj[b] += (std::conj(g.amp(b, i)) * y.amp(b, i)).real();
  });
  for_each_in_storage_order(y, y.dim(), [&](int b, size_t i) {
    gin.set_amp(b, i,
                (g.amp(b, i) - static_cast<Real>(proj[b]) * y.amp(b, i)) / static_cast<Real>(r[b]));
  });
  return gin;
}

std::vector<double> inverse(std::vector<double> v) {
  for (double& x : v) x = 1.0 / x;
  return v;
}

Branches label_offsets(const EvolveContext& ctx, int first, int batch, int label_qubits,
                       int data_qubits) {
  Branches off(batch);
  const int max_label = (1 << label_qubits) - 1;
  for (int b = 0; b < batch; ++b) {
    const int label = ctx.labels[first + b];
    require(label >= 0 && label <= max_label,
            "label {} of state {} is outside 0..{} ({} label qubits)", label, first + b, max_label,
            label_qubits);
    off[b] = static_cast<size_t>(label) << data_qubits;
  }
  return off;
}

std::vector<int> top_qubits(int total, int count) {
  std::vector<int> q;
  for (int k = total - count; k < total; ++k) q.push_back(k);
  return q;
}

}  // namespace

template <typename Real>
BasicStateBatch<Real> stage_forward(const Stage& stage, size_t stage_index,
                                    const BasicStateBatch<Real>& in, const EvolveContext& ctx,
                                    int first, Branches& branches) {
  using Batch = BasicStateBatch<Real>;
  const int n = in.num_qubits();
  const int batch = in.batch_size();
  branches.assign(batch, 0);
  const std::vector<double> ones(batch, 1.0);
  return std::visit(
      Overloaded{
          [&](const UnitaryBlock&) -> Batch {
            throw std::logic_error("unitary blocks run in the backend, not stage_forward");
          },
          [&](const AppendAncilla& s) {
            return scatter(in, n + s.count,
                           kept_index_map(n + s.count, top_qubits(n + s.count, s.count)), branches,
                           ones);
          },
          [&](const PostSelect& s) {
            const size_t off = outcome_offset(s.qubits, [&] {
              size_t v = 0;
              for (size_t k = 0; k < s.values.size(); ++k) v |= size_t(s.values[k]) << k;
              return v;
            }());
            branches.assign(batch, off);
            return gather(in, n - static_cast<int>(s.qubits.size()), kept_index_map(n, s.qubits),
                          branches, ones);
          },
          [&](const SampleMeasure& s) {
            const auto map = kept_index_map(n, s.qubits);
            const size_t outcomes = size_t{1} << s.qubits.size();
            std::vector<double> scale(batch);
            std::vector<double> prob(batch * outcomes, 0.0);  // prob[b * outcomes + v]
            for_each_in_storage_order(in, in.dim(), [&](int b, size_t i) {
              size_t v = 0;
              for (size_t k = 0; k < s.qubits.size(); ++k) v |= ((i >> s.qubits[k]) & 1) << k;
              prob[b * outcomes + v] += std::norm(std::complex<double>(in.amp(b, i)));
            });
            for (int b = 0; b < batch; ++b) {
              const double* p = &prob[b * outcomes];
              double total = 0.0;
              for (size_t v = 0; v < outcomes; ++v) total += p[v];
              double u = counter_uniform(ctx.seed, ctx.stream, stage_index, first + b) * total;
              size_t v = 0;
              while (v + 1 < outcomes && (u >= p[v] || p[v] == 0.0)) u -= p[v++];
              if (!(p[v] > 1e-300)) {
                throw std::runtime_error(fmt::format(
                    "sample-measure: state {} has zero norm; cannot draw an outcome", first + b));
              }
              branches[b] = outcome_offset(s.qubits, v);
              scale[b] = 1.0 / std::sqrt(p[v]);
            }
            return gather(in, n - static_cast<int>(s.qubits.size()), map, branches, scale);
          },
          [&](const Normalise&) {
            const auto r = norms_or_throw(in, "normalise", first);
            return gather(in, n, kept_index_map(n, {}), branches, inverse(r));
          },
          [&](const ComplexLeakyReLU& s) {
            Batch out = in;
            const auto slope = static_cast<Real>(s.slope);
            for (size_t k = 0; k < out.size(); ++k) {
              if (out.re()[k] <= 0) out.re()[k] *= slope;
              if (out.im()[k] <= 0) out.im()[k] *= slope;
            }
            return out;
          },
          [&](const LabelEncode& s) {
            branches = label_offsets(ctx, first, batch, s.label_qubits, n);
            return scatter(
                in, n + s.label_qubits,
                kept_index_map(n + s.label_qubits, top_qubits(n + s.label_qubits, s.label_qubits)),
                branches, ones);
          },
          [&](const LabelPostSelect& s) {
            branches = label_offsets(ctx, first, batch, s.label_qubits, n - s.label_qubits);
            return gather(in, n - s.label_qubits, kept_index_map(n, top_qubits(n, s.label_qubits)),
                          branches, ones);
          },
      },
      stage);
}

template <typename Real>
BasicStateBatch<Real> stage_backward(const Stage& stage, const BasicStateBatch<Real>& in,
                                     const BasicStateBatch<Real>& out,
                                     const BasicStateBatch<Real>& g, const EvolveContext&,
                                     int first, const Branches& branches) {
  using Batch = BasicStateBatch<Real>;
  const int n = in.num_qubits();
  const std::vector<double> ones(in.batch_size(), 1.0);
  return std::visit(
      Overloaded{
          [&](const UnitaryBlock&) -> Batch {
            throw std::logic_error("unitary blocks run in the backend, not stage_backward");
          },
          [&](const AppendAncilla& s) {
            return gather(g, n, kept_index_map(n + s.count, top_qubits(n + s.count, s.count)),
                          branches, ones);
          },
          [&](const PostSelect& s) {
            return scatter(g, n, kept_index_map(n, s.qubits), branches, ones);
          },
          [&](const SampleMeasure& s) {
            // out = P x / |P x|: normalise backward with r = |P x|, then scatter.
            const auto r = norms_or_throw(
                gather(in, out.num_qubits(), kept_index_map(n, s.qubits), branches, ones),
                "sample-measure", first);
            return scatter(normalise_backward(out, g, r), n, kept_index_map(n, s.qubits), branches,
                           ones);
          },
          [&](const Normalise&) {
            return normalise_backward(out, g, norms_or_throw(in, "normalise", first));
          },
          [&](const ComplexLeakyReLU& s) {
            Batch gin = g;
            const auto slope = static_cast<Real>(s.slope);
            for (size_t k = 0; k < gin.size(); ++k) {
              if (in.re()[k] <= 0) gin.re()[k] *= slope;
              if (in.im()[k] <= 0) gin.im()[k] *= slope;
            }
            return gin;
          },
          [&](const LabelEncode& s) {
            return gather(
                g, n,
                kept_index_map(n + s.label_qubits, top_qubits(n + s.label_qubits, s.label_qubits)),
                branches, ones);
          },
          [&](const LabelPostSelect& s) {
            return scatter(g, n, kept_index_map(n, top_qubits(n, s.label_qubits)), branches, ones);
          },
      },
      stage);
}

#define QDM_STAGES(Real)                                                                           \
  template BasicStateBatch<Real> stage_forward(const Stage&, size_t, const BasicStateBatch<Real>&, \
                                               const EvolveContext&, int, Branches&);              \
  template BasicStateBatch<Real> stage_backward(                                                   \
      const Stage&, const BasicStateBatch<Real>&, const BasicStateBatch<Real>&,                    \
      const BasicStateBatch<Real>&, const EvolveContext&, int, const Branches&);
QDM_STAGES(double)
QDM_STAGES(float)
#undef QDM_STAGES

}  // namespace qdm::sv
