#pragma once
/// A quantum device as its provider describes it: the instruction set (basis gates, supported
/// instructions, which physical qubit pairs a two-qubit gate couples, in which direction) and its
/// calibration (per-qubit T1, T2 and readout errors, per-gate error and duration). Read from the
/// two documents IBM's Qiskit Runtime REST API serves for a backend, `GET
/// /api/v1/backends/{name}/configuration` and `GET /api/v1/backends/{name}/properties`; the
/// transpiler (framework/transpile/) routes onto it and the noise models are derived from it.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qdm {

struct QubitCalibration {
  double t1_us = 0;  ///< 0 when the properties do not say
  double t2_us = 0;
  double readout_error = 0;
  double prob_meas1_prep0 = 0;
  double prob_meas0_prep1 = 0;
  double readout_length_ns = 0;
  bool operational = true;
};

struct GateCalibration {
  double error = 0;
  double length_ns = 0;
  bool operational = true;  ///< false when the properties mark the gate faulty (error >= 1)
};

class Device {
 public:
  /// std::invalid_argument (DataError for replies) naming the field that is missing or malformed.
  static Device from_ibm_json(const nlohmann::json& configuration,
                              const nlohmann::json& properties);

  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  /// The properties' last_update_date: when the calibration was taken.
  const std::string& calibration_date() const { return calibration_date_; }
  int num_qubits() const { return num_qubits_; }
  const std::vector<std::string>& basis_gates() const { return basis_gates_; }
  /// The basis' two-qubit gate: "cz" (symmetric) or "ecr" (directed).
  const std::string& two_qubit_gate() const { return two_qubit_gate_; }
  /// The configuration's max_experiments and max_shots: circuits per job, shots per circuit
  /// (0 when it does not say).
  int max_circuits() const { return max_circuits_; }
  int max_shots() const { return max_shots_; }
  /// A basis gate or one of the configuration's supported_instructions (measure, reset, ...).
  bool supports(std::string_view instruction) const;

  /// The coupling map's directed pairs: the two-qubit gate runs on (control side, target side).
  const std::vector<std::pair<int, int>>& edges() const { return edges_; }
  bool coupled(int a, int b) const;
  /// Physical qubits joined to q in either direction by an operational two-qubit gate.
  const std::vector<int>& neighbours(int q) const { return neighbours_.at(q); }

  const QubitCalibration& qubit(int q) const { return qubits_.at(q); }
  /// Calibration of one-qubit gate `gate` on q (zero error when the properties do not list it).
  GateCalibration gate(std::string_view gate, int q) const;
  /// Calibration of the two-qubit gate on (a, b) in that direction.
  GateCalibration gate(int a, int b) const;

 private:
  std::string name_, version_, calibration_date_;
  int num_qubits_ = 0;
  int max_circuits_ = 0, max_shots_ = 0;
  std::vector<std::string> basis_gates_, supported_;
  std::string two_qubit_gate_;
  std::vector<std::pair<int, int>> edges_;
  std::vector<std::vector<int>> neighbours_;
  std::vector<QubitCalibration> qubits_;
  std::map<std::pair<std::string, int>, GateCalibration> one_qubit_;
  std::map<std::pair<int, int>, GateCalibration> two_qubit_;
};

/// Reads a device from files: `path` names either document of a pair named
/// `conf_NAME.json` / `props_NAME.json` in one folder (the fixtures' naming), and the other is
/// found beside it. std::invalid_argument naming the file that is missing or unreadable.
Device load_ibm_device(const std::string& path);
/// The two paths of the pair `path` belongs to: (configuration, properties).
std::pair<std::string, std::string> ibm_device_files(const std::string& path);

}  // namespace qdm
