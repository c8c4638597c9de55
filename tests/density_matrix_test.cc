// The density-matrix simulator against obviously correct references: noiseless circuits against
// |psi><psi| of the dense reference simulator, channels against their textbook action and against
// Kraus operators lifted to the full space by Kronecker products, the depolarising forward process
// against its closed form, and the state metrics against known pairs. Seeds and tolerances stated.
#include "backends/density_matrix/density_matrix.h"

#include <gtest/gtest.h>

#include <cmath>

#include "backends/density_matrix/channels.h"
#include "backends/density_matrix/density_matrix_backend.h"
#include "backends/density_matrix/dm_pipeline.h"
#include "backends/density_matrix/state_metrics.h"
#include "backends/statevector/statevector_backend.h"
#include "framework/error.h"
#include "tests/test_util.h"

namespace qdm::dm {
namespace {

using Matrix = Eigen::MatrixXcd;
using Vector = Eigen::VectorXcd;

Matrix random_mixed(Rng& rng, int n, int rank) {
  const Eigen::Index d = Eigen::Index{1} << n;
  Matrix rho = Matrix::Zero(d, d);
  for (int r = 0; r < rank; ++r) {
    const Vector v = testing::random_state(rng, n);
    rho += rng.uniform() * v * v.adjoint();
  }
  return rho / rho.trace().real();
}

/// The operator `k` on qubit q of n, as I (x) k (x) I with qubit 0 the lowest bit.
Matrix lift(const Matrix& k, int q, int n) {
  const Eigen::Index hi = Eigen::Index{1} << (n - q - 1), lo = Eigen::Index{1} << q;
  Matrix out = Matrix::Zero(hi * 2 * lo, hi * 2 * lo);
  for (Eigen::Index h = 0; h < hi; ++h) {
    for (int a = 0; a < 2; ++a) {
      for (int b = 0; b < 2; ++b) {
        for (Eigen::Index l = 0; l < lo; ++l) {
          out((h * 2 + a) * lo + l, (h * 2 + b) * lo + l) = k(a, b);
        }
      }
    }
  }
  return out;
}

TEST(DensityMatrix, NoiselessCircuitsMatchTheReferenceStatevector) {
  Rng rng(2024);  // seed
  for (int n = 1; n <= 5; ++n) {
    for (int trial = 0; trial < 4; ++trial) {
      const Circuit c = testing::random_circuit(rng, n, 30);
      const std::vector<double> params = testing::random_params(rng, c.num_params());
      const Vector psi = testing::random_state(rng, n);
      const Vector out = reference::run_circuit(c, params, psi);
      const DensityMatrix rho = simulate(c, params, {}, DensityMatrix::pure(psi));
      EXPECT_LT((rho.matrix() - out * out.adjoint()).cwiseAbs().maxCoeff(), 1e-10)
          << n << " qubits, trial " << trial;
    }
  }
}

TEST(DensityMatrix, ChannelsAreCptpAtEveryStrength) {
  for (double p : {0.0, 1e-3, 0.05, 0.5, 1.0}) {
    for (const KrausChannel& c : {depolarizing(1, p), depolarizing(2, p), amplitude_damping(p),
                                  phase_damping(p), bit_flip(p)}) {
      EXPECT_LT(trace_preservation_error(c), 1e-12) << c.name << " " << p;
      EXPECT_GT(choi_min_eigenvalue(c), -1e-12) << c.name << " " << p;
      EXPECT_NO_THROW(require_cptp(c));
    }
  }
  // The largest depolarizing strengths are still channels (the fully depolarising point is 1).
  EXPECT_NO_THROW(require_cptp(depolarizing(1, 4.0 / 3)));
  EXPECT_THROW(depolarizing(1, 1.5), std::invalid_argument);
  EXPECT_THROW(amplitude_damping(-0.1), std::invalid_argument);
  // Scaled Kraus operators break trace preservation; the check names it.
  KrausChannel leaky = amplitude_damping(0.3);
  leaky.kraus[0] *= 0.9;
  EXPECT_GT(trace_preservation_error(leaky), 0.1);
  EXPECT_THROW(require_cptp(leaky), std::invalid_argument);
  // The Choi matrix of a map that is not CP (the transpose) has a negative eigenvalue: here
  // built by hand, since every Kraus form is CP.
  Matrix transpose_choi = Matrix::Zero(4, 4);
  transpose_choi(0, 0) = transpose_choi(3, 3) = 1;
  transpose_choi(1, 2) = transpose_choi(2, 1) = 1;
  EXPECT_LT(Eigen::SelfAdjointEigenSolver<Matrix>(transpose_choi).eigenvalues().minCoeff(), -0.5);
}

TEST(DensityMatrix, ChannelsActAsTheTextbookSays) {
  Rng rng(7);  // seed
  const Matrix rho = random_mixed(rng, 1, 2);
  const Matrix id = Matrix::Identity(2, 2);
  const int q0[] = {0};
  DensityMatrix d = DensityMatrix::from_matrix(rho);
  d.apply_channel(depolarizing(1, 0.3), q0);
  EXPECT_LT((d.matrix() - (0.7 * rho + 0.3 * id / 2.0)).cwiseAbs().maxCoeff(), 1e-14);

  DensityMatrix one = DensityMatrix::pure(Vector::Unit(2, 1));
  one.apply_channel(amplitude_damping(0.25), q0);
  EXPECT_NEAR(one.matrix()(0, 0).real(), 0.25, 1e-15);
  EXPECT_NEAR(one.matrix()(1, 1).real(), 0.75, 1e-15);

  DensityMatrix plus = DensityMatrix::pure(Vector::Constant(2, 1 / std::sqrt(2.0)));
  plus.apply_channel(phase_damping(0.36), q0);
  EXPECT_NEAR(plus.matrix()(0, 1).real(), 0.5 * 0.8, 1e-15);  // sqrt(1 - 0.36) = 0.8
  EXPECT_NEAR(plus.matrix()(0, 0).real(), 0.5, 1e-15);
}

TEST(DensityMatrix, ChannelsOnOneQubitOfManyMatchKroneckerLifts) {
  Rng rng(11);  // seed
  const int n = 4;
  const Matrix rho = random_mixed(rng, n, 3);
  for (int q = 0; q < n; ++q) {
    for (const KrausChannel& c :
         {amplitude_damping(0.2), phase_damping(0.4), depolarizing(1, 0.1)}) {
      Matrix expected = Matrix::Zero(rho.rows(), rho.cols());
      for (const Matrix& k : c.kraus) {
        const Matrix full = lift(k, q, n);
        expected += full * rho * full.adjoint();
      }
      DensityMatrix d = DensityMatrix::from_matrix(rho);
      const int qs[] = {q};
      d.apply_channel(c, qs);
      EXPECT_LT((d.matrix() - expected).cwiseAbs().maxCoeff(), 1e-13) << c.name << " on " << q;
      EXPECT_NEAR(d.trace(), 1.0, 1e-13);
    }
  }
}

// The one-pass closed forms of the named channels against their own Kraus sums (the generic
// path, forced by marking a copy Custom), on every qubit and pair of a random 4-qubit state.
TEST(DensityMatrix, ClosedFormChannelsMatchTheirKrausSums) {
  Rng rng(19);  // seed
  const Matrix rho = random_mixed(rng, 4, 3);
  const auto both = [&](const KrausChannel& c, std::span<const int> qubits) {
    KrausChannel generic = c;
    generic.kind = ChannelKind::Custom;
    DensityMatrix fast = DensityMatrix::from_matrix(rho), slow = DensityMatrix::from_matrix(rho);
    fast.apply_channel(c, qubits);
    slow.apply_channel(generic, qubits);
    return (fast.matrix() - slow.matrix()).cwiseAbs().maxCoeff();
  };
  for (int q = 0; q < 4; ++q) {
    const int one[] = {q};
    for (double p : {0.0, 0.1, 0.7, 1.0}) {
      for (const KrausChannel& c :
           {depolarizing(1, p), amplitude_damping(p), phase_damping(p), bit_flip(p)}) {
        EXPECT_LT(both(c, one), 1e-14) << c.name << " " << p << " on " << q;
      }
    }
    for (int r = 0; r < 4; ++r) {
      if (r == q) continue;
      const int pair[] = {q, r};
      for (double p : {0.05, 1.0, 16.0 / 15}) {
        EXPECT_LT(both(depolarizing(2, p), pair), 1e-14) << p << " on " << q << "," << r;
      }
    }
  }
}

TEST(DensityMatrix, DepolarisingForwardProcessMatchesItsClosedForm) {
  Rng rng(5);  // seed
  const int n = 3;
  const Matrix rho0 = random_mixed(rng, n, 2);
  const Matrix id = Matrix::Identity(8, 8) / 8.0;
  DensityMatrix rho = DensityMatrix::from_matrix(rho0);
  double a = 1;
  for (int t = 1; t <= 10; ++t) {
    const double p = 0.02 * t;  // a linear p_t schedule
    rho.depolarize_all(p);
    a *= 1 - p;
    EXPECT_LT((rho.matrix() - (a * rho0 + (1 - a) * id)).cwiseAbs().maxCoeff(), 1e-14) << t;
  }
  // On two qubits the global channel is the two-qubit depolarizing channel's Kraus form.
  const Matrix two = random_mixed(rng, 2, 2);
  DensityMatrix global = DensityMatrix::from_matrix(two), kraus = DensityMatrix::from_matrix(two);
  global.depolarize_all(0.3);
  const int both[] = {0, 1};
  kraus.apply_channel(depolarizing(2, 0.3), both);
  EXPECT_LT((global.matrix() - kraus.matrix()).cwiseAbs().maxCoeff(), 1e-14);
}

TEST(DensityMatrix, NoiseFollowsEveryGateAndKeepsTheTrace) {
  Rng rng(3);  // seed
  const Circuit c = testing::random_circuit(rng, 3, 20);
  const std::vector<double> params = testing::random_params(rng, c.num_params());
  NoiseModel noise;
  noise.depolarizing = 0.01;
  noise.depolarizing_2q = 0.02;
  noise.amplitude_damping = 0.005;
  noise.phase_damping = 0.005;
  const DensityMatrix noisy = simulate(c, params, noise, DensityMatrix(3));
  const DensityMatrix clean = simulate(c, params, {}, DensityMatrix(3));
  EXPECT_NEAR(noisy.trace(), 1.0, 1e-12);
  EXPECT_NEAR(purity(clean.matrix()), 1.0, 1e-12);
  EXPECT_LT(purity(noisy.matrix()), 0.95);
  EXPECT_GT(fidelity(noisy.matrix(), clean.matrix()), 0.7);
  EXPECT_LT(fidelity(noisy.matrix(), clean.matrix()), 0.999);
}

TEST(NoiseModel, ParsesWhatDescribeWritesAndNamesBadEntries) {
  const dm::NoiseModel m = dm::NoiseModel::parse("depolarizing=0.01, readout_error=2e-2");
  EXPECT_EQ(m.depolarizing, 0.01);
  EXPECT_EQ(m.readout_error, 0.02);
  EXPECT_EQ(m.depolarizing_2q, 0);
  EXPECT_EQ(dm::NoiseModel::parse(m.describe()).describe(), m.describe());
  EXPECT_TRUE(dm::NoiseModel::parse("").noiseless());
  for (const std::string bad : {"bitflip=0.1", "depolarizing", "depolarizing=x",
                                "depolarizing=0.1x", "readout_error=1.5", "phase_damping=-0.1"}) {
    try {
      dm::NoiseModel::parse("amplitude_damping=0.1," + bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("noise entry '" + bad + "'"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("readout_error in [0, 1]"), std::string::npos);
    }
  }
}

TEST(StateMetrics, KnownPairs) {
  const Vector zero = Vector::Unit(2, 0), one = Vector::Unit(2, 1);
  const Vector plus = Vector::Constant(2, 1 / std::sqrt(2.0));
  const auto pure = [](const Vector& v) { return Matrix(v * v.adjoint()); };
  EXPECT_NEAR(fidelity(pure(zero), pure(zero)), 1.0, 1e-12);
  EXPECT_NEAR(fidelity(pure(zero), pure(one)), 0.0, 1e-12);
  EXPECT_NEAR(fidelity(pure(zero), pure(plus)), 0.5, 1e-12);
  EXPECT_NEAR(trace_distance(pure(zero), pure(one)), 1.0, 1e-12);
  EXPECT_NEAR(trace_distance(pure(zero), pure(plus)), std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(hilbert_schmidt_distance(pure(zero), pure(one)), 2.0, 1e-12);
  const Matrix mixed = Matrix::Identity(4, 4) / 4.0;
  EXPECT_NEAR(purity(mixed), 0.25, 1e-15);
  EXPECT_NEAR(von_neumann_entropy(mixed), 2.0, 1e-12);
  EXPECT_NEAR(von_neumann_entropy(pure(plus)), 0.0, 1e-12);
  // A pure state against the maximally mixed one: F = 1/d.
  EXPECT_NEAR(fidelity(Matrix(Vector::Unit(4, 2) * Vector::Unit(4, 2).adjoint()), mixed), 0.25,
              1e-12);

  // Random mixed pairs: F symmetric, pure-state formula, Fuchs-van de Graaf bounds.
  Rng rng(9);  // seed
  for (int trial = 0; trial < 50; ++trial) {
    const Matrix a = random_mixed(rng, 2, 1 + trial % 3), b = random_mixed(rng, 2, 1 + trial % 4);
    const double f = fidelity(a, b), t = trace_distance(a, b);
    EXPECT_NEAR(f, fidelity(b, a), 1e-11);
    EXPECT_GE(f, -1e-12);
    EXPECT_LE(f, 1 + 1e-12);
    EXPECT_LE(1 - std::sqrt(f) - 1e-9, t);
    EXPECT_LE(t, std::sqrt(std::max(0.0, 1 - f)) + 1e-9);
    const Vector u = testing::random_state(rng, 2), v = testing::random_state(rng, 2);
    EXPECT_NEAR(fidelity(pure(u), pure(v)), std::norm(u.dot(v)), 1e-11);
  }
}

TEST(DensityMatrix, SamplesFollowTheDiagonalAndReadoutErrors) {
  Rng rng(13);  // seed
  const Matrix rho = random_mixed(rng, 2, 3);
  const int shots = 40000;
  const std::vector<uint64_t> s = sample_bitstrings(DensityMatrix::from_matrix(rho), shots, 1, 0);
  for (int k = 0; k < 4; ++k) {
    const double p = rho(k, k).real();
    const double seen = static_cast<double>(std::count(s.begin(), s.end(), uint64_t(k))) / shots;
    EXPECT_NEAR(seen, p, 5 * std::sqrt(p * (1 - p) / shots)) << k;  // 5 standard deviations
  }
  const std::vector<uint64_t> flipped = sample_bitstrings(DensityMatrix(1), shots, 2, 0.1);
  const double ones = static_cast<double>(std::count(flipped.begin(), flipped.end(), 1u)) / shots;
  EXPECT_NEAR(ones, 0.1, 5 * std::sqrt(0.1 * 0.9 / shots));
  EXPECT_THROW(sample_bitstrings(DensityMatrix(1), 1, 1, 1.5), std::invalid_argument);
  EXPECT_THROW(DensityMatrix(kMaxDensityQubits + 1), std::invalid_argument);
}

/// Every physical stage kind between random blocks (the statevector suite's pipeline without the
/// non-physical ComplexLeakyReLU).
Pipeline physical_pipeline(Rng& rng) {
  Pipeline p(3);
  int offset = 0;
  auto block = [&](int n) {
    Circuit c = testing::random_circuit(rng, n, 3 * n + 14);
    p.add(UnitaryBlock{c, offset});
    offset += c.num_params();
  };
  block(3);
  p.add(LabelEncode{2});
  block(5);
  p.add(AppendAncilla{1});
  block(6);
  p.add(SampleMeasure{{5}});
  block(5);
  p.add(PostSelect{{1}, {0}});
  p.add(Normalise{});
  block(4);
  p.add(LabelPostSelect{2});
  p.add(Normalise{});
  block(2);
  return p;
}

// Conformance: without noise, pure inputs through every physical stage give |psi><psi| of the
// statevector backend's output, same sampled branches included (seed 61, 16 states), to 1e-10.
TEST(DensityMatrixPipeline, AgreesWithTheStatevectorBackendOnPureStates) {
  Rng rng(61);  // seed
  const Pipeline p = physical_pipeline(rng);
  const std::vector<double> params = testing::random_params(rng, p.num_params());
  std::vector<reference::Vector> inputs;
  EvolveContext context{{}, 61, 3};
  for (int b = 0; b < 16; ++b) {
    inputs.push_back(testing::random_state(rng, 3));
    context.labels.push_back(static_cast<int>(rng.below(4)));
  }
  StatevectorBackend sv;
  const StateBatch out = sv.forward(p, params, testing::to_batch(inputs, 3), context).output;
  for (int b = 0; b < 16; ++b) {
    const DensityMatrix rho =
        run_pipeline(p, params, DensityMatrix::pure(inputs[b]), {}, context, b);
    Vector psi(static_cast<Eigen::Index>(out.dim()));
    for (size_t i = 0; i < out.dim(); ++i) psi[i] = out.amp(b, i);
    EXPECT_LT((rho.matrix() - psi * psi.adjoint()).cwiseAbs().maxCoeff(), 1e-10) << "state " << b;
  }
  // With noise the output is mixed but still a state.
  NoiseModel noise;
  noise.depolarizing = 0.01;
  const DensityMatrix noisy =
      run_pipeline(p, params, DensityMatrix::pure(inputs[0]), noise, context, 0);
  EXPECT_NEAR(noisy.trace(), 1.0, 1e-12);
  EXPECT_LT(purity(noisy.matrix()), 0.99);
  // A non-physical stage is refused with its name.
  Pipeline relu(1);
  relu.add(ComplexLeakyReLU{0.1});
  EXPECT_THROW(run_pipeline(relu, {}, DensityMatrix(1), {}, {}, 0), std::invalid_argument);
}

TEST(DensityMatrixPipeline, PartialTraceOfProductAndEntangledStates) {
  Rng rng(17);  // seed
  const Matrix a = random_mixed(rng, 1, 2), b = random_mixed(rng, 2, 2);
  // b (x) a: a on qubit 0, b on qubits 1 and 2.
  Matrix ba(8, 8);
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) ba.block(2 * i, 2 * j, 2, 2) = b(i, j) * a;
  }
  const DensityMatrix joint = DensityMatrix::from_matrix(ba);
  const int high[] = {1, 2}, low[] = {0};
  EXPECT_LT((partial_trace(joint, high).matrix() - a).cwiseAbs().maxCoeff(), 1e-14);
  EXPECT_LT((partial_trace(joint, low).matrix() - b).cwiseAbs().maxCoeff(), 1e-14);
  Vector bell = Vector::Zero(4);
  bell[0] = bell[3] = 1 / std::sqrt(2.0);
  const int one[] = {1};
  EXPECT_LT((partial_trace(DensityMatrix::pure(bell), one).matrix() - Matrix::Identity(2, 2) / 2.0)
                .cwiseAbs()
                .maxCoeff(),
            1e-15);
}

TEST(DensityMatrixBackend, RunsPipelinesAndCircuitsAndRefusesWhatItCannot) {
  Rng rng(71);  // seed
  const Pipeline p = physical_pipeline(rng);
  const std::vector<double> params = testing::random_params(rng, p.num_params());
  EvolveContext context{{1, 3}, 71, 2};
  const std::vector<DensityMatrix> in = {DensityMatrix::pure(testing::random_state(rng, 3)),
                                         DensityMatrix::pure(testing::random_state(rng, 3))};
  BackendOptions options;
  options.threads = 2;
  const auto dmb = make_backend("density-matrix", options);
  EXPECT_TRUE(dmb->capabilities().density_matrices);
  const std::vector<DensityMatrix> out = dmb->forward_mixed(p, params, in, context);
  ASSERT_EQ(out.size(), 2u);
  for (int b = 0; b < 2; ++b) {
    const DensityMatrix want = run_pipeline(p, params, in[b], {}, context, b);
    EXPECT_LT((out[b].matrix() - want.matrix()).cwiseAbs().maxCoeff(), 1e-14);
  }
  // It returns density matrices, never state vectors; the statevector backend has none.
  EXPECT_THROW(dmb->forward(p, params, StateBatch::basis_zero(3, 1), context), UnsupportedError);
  EXPECT_THROW(make_backend("statevector")->forward_mixed(p, params, in, context),
               UnsupportedError);
  EXPECT_THROW(dmb->forward_mixed(p, params, {DensityMatrix(2)}, context), std::invalid_argument);
  // A bad noise strength fails when the backend is made.
  options.noise.phase_damping = 2;
  EXPECT_THROW(make_backend("density-matrix", options), std::invalid_argument);
  // Noisy shots: readout error on |0> flips each bit with its probability.
  BackendOptions readout;
  readout.noise.readout_error = 0.2;
  Circuit identity(2);
  identity.add(GateKind::Z, {0});
  const std::vector<uint64_t> shots =
      make_backend("density-matrix", readout)->sample(identity, {}, 20000, 5);
  const double zeros = static_cast<double>(std::count(shots.begin(), shots.end(), 0u)) / 20000;
  EXPECT_NEAR(zeros, 0.64, 5 * std::sqrt(0.64 * 0.36 / 20000));  // (1 - 0.2)^2, 5 sd
}

}  // namespace
}  // namespace qdm::dm
