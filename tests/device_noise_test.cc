// Device noise models from the IBM fixtures' calibrations (tests/fixtures/ibm): thermal relaxation
// against its closed form, the depolarising strength against the gate error it must reproduce,
// one gate on one qubit against a hand calculation from the properties, and the trajectories
// backend against the exact density matrix on transpiled random circuits of every fixture, with
// the calibration as it is and amplified 30-fold (so that gate noise, not only readout, decides).
// Seeds stated; shot comparisons are Pearson chi-square within 5 sd.
#include "backends/noise/device_noise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "framework/error.h"
#include "framework/transpile/transpile.h"
#include "tests/test_util.h"

namespace qdm {
namespace {

using nlohmann::json;

std::string fixture(const std::string& name) {
  return std::string(QDM_SOURCE_DIR) + "/tests/fixtures/ibm/" + name;
}

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

/// A fixture's device, its gate errors multiplied and its T1, T2 divided by `factor`.
Device amplified(const std::string& name, double factor) {
  json conf = read_json(fixture("conf_" + name + ".json"));
  json props = read_json(fixture("props_" + name + ".json"));
  for (json& q : props["qubits"]) {
    for (json& p : q) {
      if (p["name"] == "T1" || p["name"] == "T2") p["value"] = p["value"].get<double>() / factor;
    }
  }
  for (json& g : props["gates"]) {
    for (json& p : g["parameters"]) {
      if (p["name"] == "gate_error") {
        p["value"] = std::min(0.5, p["value"].get<double>() * factor);
      }
    }
  }
  return Device::from_ibm_json(conf, props);
}

/// rho -> sum K rho K^dagger for one qubit.
Eigen::Matrix2cd evolve(const dm::KrausChannel& c, const Eigen::Matrix2cd& rho) {
  Eigen::Matrix2cd out = Eigen::Matrix2cd::Zero();
  for (const auto& k : c.kraus) out += k * rho * k.adjoint();
  return out;
}

TEST(DeviceNoise, ThermalRelaxationDecaysPopulationsByT1AndCoherencesByT2) {
  const double t1 = 150e3, t2 = 90e3, t = 660;  // ns
  const dm::KrausChannel c = noise::thermal_relaxation(t1, t2, t);
  EXPECT_LT(dm::trace_preservation_error(c), 1e-14);
  Eigen::Matrix2cd one = Eigen::Matrix2cd::Zero(), plus = Eigen::Matrix2cd::Constant(0.5);
  one(1, 1) = 1;
  EXPECT_NEAR(evolve(c, one)(1, 1).real(), std::exp(-t / t1), 1e-14);
  EXPECT_NEAR(std::abs(evolve(c, plus)(0, 1)), 0.5 * std::exp(-t / t2), 1e-14);
  // T2 beyond 2 T1 is capped there: the coherence then decays by T1 alone.
  const dm::KrausChannel capped = noise::thermal_relaxation(100e3, 500e3, t);
  EXPECT_NEAR(std::abs(evolve(capped, plus)(0, 1)), 0.5 * std::exp(-t / 200e3), 1e-14);
  // Unknown times (0) mean no decay of that kind.
  EXPECT_NEAR(std::abs(evolve(noise::thermal_relaxation(0, 0, t), plus)(0, 1)), 0.5, 1e-15);
}

/// Average gate fidelity of a channel from its process fidelity.
double average_fidelity(const dm::KrausChannel& c) {
  const double d = std::ldexp(1.0, c.qubits);
  return (d * noise::process_fidelity(c) + 1) / (d + 1);
}

/// The Kraus operators of b after a (both on the same qubits).
dm::KrausChannel compose(const dm::KrausChannel& a, const dm::KrausChannel& b) {
  dm::KrausChannel out{"composed", a.qubits, {}};
  for (const auto& kb : b.kraus) {
    for (const auto& ka : a.kraus) out.kraus.push_back(kb * ka);
  }
  return out;
}

dm::KrausChannel tensor(const dm::KrausChannel& low, const dm::KrausChannel& high) {
  dm::KrausChannel out{"tensor", 2, {}};
  for (const auto& h : high.kraus) {
    for (const auto& l : low.kraus) {
      Eigen::MatrixXcd k(4, 4);  // index bit 0 is the low qubit
      for (int r = 0; r < 4; ++r) {
        for (int c = 0; c < 4; ++c) k(r, c) = h(r >> 1, c >> 1) * l(r & 1, c & 1);
      }
      out.kraus.push_back(k);
    }
  }
  return out;
}

TEST(DeviceNoise, DepolarisingThenRelaxationHasTheReportedGateError) {
  const dm::KrausChannel relax = noise::thermal_relaxation(120e3, 80e3, 68);
  for (double error : {1e-3, 4e-3, 0.05}) {
    const double p = noise::depolarizing_for_gate_error(error, 1, noise::process_fidelity(relax));
    EXPECT_NEAR(1 - average_fidelity(compose(dm::depolarizing(1, p), relax)), error, 1e-12)
        << error;
  }
  const dm::KrausChannel pair = tensor(relax, noise::thermal_relaxation(200e3, 150e3, 68));
  const double p2 = noise::depolarizing_for_gate_error(4e-3, 2, noise::process_fidelity(pair));
  EXPECT_NEAR(1 - average_fidelity(compose(dm::depolarizing(2, p2), pair)), 4e-3, 1e-12);
  // Relaxation alone worse than the reported error: no depolarising on top.
  EXPECT_EQ(noise::depolarizing_for_gate_error(1e-6, 1, noise::process_fidelity(relax)), 0.0);
}

TEST(DeviceNoise, OneXGateAndReadoutMatchTheCalibrationByHand) {
  const Device device = load_ibm_device(fixture("props_torino.json"));
  const int q = 5;
  NativeCircuit c{device.num_qubits(), 1, {{"x", {q}}, {"measure", {q}, 0, 0}}};
  const noise::NoisyProgram noisy = noise::with_device_noise(c, device);
  const GateCalibration x = device.gate("x", q);
  const QubitCalibration& cal = device.qubit(q);
  const double t1 = cal.t1_us * 1000, t2 = std::min(cal.t2_us, 2 * cal.t1_us) * 1000;
  // Relaxation's average infidelity for one qubit: 1 - (2 F_pro + 1) / 3 with
  // F_pro = (1 + e^{-t/T1} + 2 e^{-t/T2}) / 4.
  const double f_pro = (1 + std::exp(-x.length_ns / t1) + 2 * std::exp(-x.length_ns / t2)) / 4;
  const double f_relax = (2 * f_pro + 1) / 3;
  const double p = 2 * (f_relax - (1 - x.error)) / (2 * f_relax - 1);
  ASSERT_GT(p, 0) << "this qubit's x error should exceed its relaxation";
  const double excited = ((1 - p) + p / 2) * std::exp(-x.length_ns / t1);
  const double read_one =
      excited * (1 - cal.prob_meas0_prep1) + (1 - excited) * cal.prob_meas1_prep0;
  const auto dist = dm::noisy_program_distribution(noisy);
  EXPECT_NEAR(dist.at(1), read_one, 1e-12);
  EXPECT_NEAR(dist.at(0), 1 - read_one, 1e-12);
}

/// Random logical circuits transpiled for `device`, sampled by the trajectories backend and
/// compared with the density matrix's exact distribution.
void expect_trajectories_match_density_matrix(const Device& device, uint64_t seed,
                                              const std::string& what) {
  Rng rng(seed);
  const DeviceTarget target(device);
  BackendOptions o;
  o.threads = 2;
  const auto trajectories = make_backend("trajectories", o);
  for (int trial = 0; trial < 2; ++trial) {
    const Circuit logical = testing::random_circuit(rng, 3, 24);
    const auto params = testing::random_params(rng, logical.num_params());
    const Transpiled isa = target.transpile(Program::measure_all(logical, params));
    const noise::NoisyProgram noisy = noise::with_device_noise(isa.circuit, device);
    ASSERT_FALSE(noisy.noiseless());
    testing::expect_within_5sd(trajectories->sample(noisy, 30000, seed + trial),
                               dm::noisy_program_distribution(noisy),
                               what + " trial " + std::to_string(trial));
  }
}

TEST(DeviceNoise, TrajectoriesMatchTheDensityMatrixOnEveryFixture) {
  for (const std::string name : {"torino", "fez", "brisbane"}) {
    expect_trajectories_match_density_matrix(load_ibm_device(fixture("conf_" + name + ".json")),
                                             401, name);                                // seed
    expect_trajectories_match_density_matrix(amplified(name, 30), 409, name + " x30");  // seed
  }
}

TEST(DeviceNoise, AmplifiedNoiseMovesTheDistributionAwayFromTheIdealOne) {
  // The x30 device is not close to noiseless: the test above compares distributions that differ.
  Rng rng(419);  // seed
  const Device device = amplified("fez", 30);
  const Circuit logical = testing::random_circuit(rng, 4, 24);
  const auto params = testing::random_params(rng, logical.num_params());
  const Transpiled isa = DeviceTarget(device).transpile(Program::measure_all(logical, params));
  const auto noisy = dm::noisy_program_distribution(noise::with_device_noise(isa.circuit, device));
  const auto ideal = reference::program_distribution(Program::measure_all(logical, params));
  double tv = 0;
  for (uint64_t k = 0; k < 16; ++k) {
    tv += std::abs((noisy.count(k) ? noisy.at(k) : 0) - (ideal.count(k) ? ideal.at(k) : 0)) / 2;
  }
  EXPECT_GT(tv, 0.05);
}

TEST(DeviceNoise, DynamicCircuitsSampleAndTheStatevectorRefusesNoisyPrograms) {
  Rng rng(421);  // seed
  const Device device = load_ibm_device(fixture("conf_torino.json"));
  const Program p = testing::random_dynamic_program(rng, 3, 24);
  const Transpiled isa = DeviceTarget(device).transpile(p);
  const noise::NoisyProgram noisy = noise::with_device_noise(isa.circuit, device);
  EXPECT_EQ(make_backend("trajectories")->sample(noisy, 100, 1).size(), 100u);
  EXPECT_THROW(make_backend("statevector")->sample(noisy, 100, 1), UnsupportedError);
  EXPECT_THROW(make_backend("density-matrix")->sample(noisy, 100, 1), UnsupportedError);
}

}  // namespace
}  // namespace qdm
