// The cross-backend conformance suite: every registered backend, on pure states and without
// noise, must agree with the dense reference simulator to 1e-10 (state vectors, or |psi><psi| for
// backends that return density matrices), keep qubit 0 the least significant bit, sample shots
// with the Born frequencies (within 5 standard deviations), and refuse non-physical stages unless
// it declares them. Seeds stated per test.
#include <gtest/gtest.h>

#include "backends/backend.h"
#include "framework/error.h"
#include "tests/test_util.h"

namespace qdm {
namespace {

/// The backend's output for pure inputs as density matrices, whatever it returns.
std::vector<Eigen::MatrixXcd> run_pure(const Backend& backend, const Pipeline& p,
                                       std::span<const double> params,
                                       const std::vector<reference::Vector>& inputs,
                                       const EvolveContext& context) {
  std::vector<Eigen::MatrixXcd> out;
  if (backend.capabilities().exact_states) {
    const StateBatch s =
        backend.forward(p, params, testing::to_batch(inputs, p.input_qubits()), context).output;
    for (int b = 0; b < s.batch_size(); ++b) {
      reference::Vector v(static_cast<Eigen::Index>(s.dim()));
      for (size_t i = 0; i < s.dim(); ++i) v[i] = s.amp(b, i);
      out.push_back(v * v.adjoint());
    }
  } else {
    std::vector<dm::DensityMatrix> rho;
    for (const reference::Vector& v : inputs) rho.push_back(dm::DensityMatrix::pure(v));
    for (const dm::DensityMatrix& r : backend.forward_mixed(p, params, rho, context)) {
      out.push_back(r.matrix());
    }
  }
  return out;
}

class Conformance : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Backend> backend() const {
    BackendOptions o;
    o.threads = 2;
    return make_backend(GetParam(), o);
  }
};

// 1..6 qubits, 6 random circuits each (every gate kind), 2 inputs each; seed 2025.
TEST_P(Conformance, RandomCircuitsMatchTheReference) {
  const auto b = backend();
  Rng rng(2025);
  for (int n = 1; n <= 6; ++n) {
    for (int trial = 0; trial < 6; ++trial) {
      const Circuit c = testing::random_circuit(rng, n, 30);
      const auto params = testing::random_params(rng, c.num_params());
      const std::vector<reference::Vector> in = {testing::random_state(rng, n),
                                                 testing::random_state(rng, n)};
      Pipeline p(n);
      p.add(UnitaryBlock{c, 0});
      const auto got = run_pure(*b, p, params, in, {});
      for (int k = 0; k < 2; ++k) {
        const reference::Vector want = reference::run_circuit(c, params, in[k]);
        EXPECT_LT((got[k] - want * want.adjoint()).cwiseAbs().maxCoeff(), 1e-10)
            << GetParam() << " n=" << n << " trial=" << trial;
      }
    }
  }
}

TEST_P(Conformance, QubitZeroIsTheLeastSignificantBit) {
  const auto b = backend();
  Circuit c(3);
  c.add(GateKind::X, {0}).add(GateKind::CNOT, {0, 2});
  Pipeline p(3);
  p.add(UnitaryBlock{c, 0});
  reference::Vector zero = reference::Vector::Zero(8);
  zero[0] = 1;
  // X on qubit 0, then CNOT 0 -> 2: |101> = index 5.
  EXPECT_NEAR(run_pure(*b, p, {}, {zero}, {})[0](5, 5).real(), 1.0, 1e-15) << GetParam();
}

// 100000 shots of a random 3-qubit circuit; seed 8.
TEST_P(Conformance, ShotsFollowTheBornRule) {
  const auto b = backend();
  ASSERT_TRUE(b->capabilities().shots);
  Rng rng(8);
  const Circuit c = testing::random_circuit(rng, 3, 20);
  const auto params = testing::random_params(rng, c.num_params());
  reference::Vector zero = reference::Vector::Zero(8);
  zero[0] = 1;
  const reference::Vector want = reference::run_circuit(c, params, zero);
  const int shots = 100000;
  std::vector<int> counts(8, 0);
  for (uint64_t s : b->sample(c, params, shots, 3)) ++counts[s];
  for (int i = 0; i < 8; ++i) {
    const double p = std::norm(want[i]);
    EXPECT_LE(std::abs(counts[i] - shots * p), 5 * std::sqrt(shots * p * (1 - p)) + 1e-9)
        << GetParam() << " outcome " << i;
  }
}

TEST_P(Conformance, NonPhysicalStagesOnlyWhereDeclared) {
  const auto b = backend();
  Pipeline p(1);
  p.add(ComplexLeakyReLU{0.1});
  reference::Vector v = reference::Vector::Zero(2);
  v[0] = 1;
  if (b->capabilities().non_physical_stages) {
    EXPECT_NO_THROW(run_pure(*b, p, {}, {v}, {}));
  } else {
    EXPECT_THROW(run_pure(*b, p, {}, {v}, {}), UnsupportedError);
  }
}

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  // Cloud QPUs answer with shots only; tests/rest_test.cc runs them against the emulator.
  for (const BackendEntry& e : backend_registry()) {
    if (!e.remote) names.push_back(e.name);
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(EveryBackend, Conformance, ::testing::ValuesIn(backend_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace qdm
