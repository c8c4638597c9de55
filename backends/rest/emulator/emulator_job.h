#pragma once
/// The emulator's record of one job, shared by its core and its provider routes.

#include <cstdint>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backends/rest/emulator/qpu_emulator.h"
#include "framework/circuit/native_circuit.h"
#include "framework/circuit/program.h"

namespace qdm::rest {

struct QpuEmulator::Job {
  std::string id, name, type, backend;
  std::string noise_model = "ideal";  ///< IonQ simulator jobs
  std::vector<std::string> tags;
  nlohmann::json metadata = nlohmann::json::object();
  std::vector<Program> programs;
  std::vector<NativeCircuit> circuits;  ///< IBM: the ISA circuits as sent (device noise)
  int qubits = 0;                       ///< IonQ: input.qubits
  std::vector<std::string> children;
  int shots = 0;
  uint64_t seed = 0;
  int polls = 0;
  std::string state = "queued";            // queued, running, completed, failed, cancelled
  std::string reason;                      ///< why it failed or was cancelled
  std::string reason_code;                 ///< IBM's error code
  std::string cancelled_as = "Cancelled";  ///< IBM's status word when cancelled
  bool never_finishes = false, fails = false, runs_too_long = false;
  std::vector<std::vector<uint64_t>> samples;     ///< shots, per program
  std::vector<std::map<uint64_t, double>> exact;  ///< IonQ ideal simulator: distributions
  /// The simulation, on its own thread once the job is running: status replies never wait for
  /// it. Holds the reason when it failed, empty when it succeeded. Declared last, so that it is
  /// destroyed (and the thread joined) before the results the thread writes.
  std::future<std::string> work;
};

/// A JSON reply (invalid UTF-8 in quoted text replaced, never thrown over).
ServerReply reply_json(int status, const nlohmann::json& body);
/// IonQ's error shape: {"error", "message", "statusCode"}.
ServerReply ionq_error(int status, const std::string& error, const std::string& message);
/// Qiskit Runtime's error shape: {"errors": [{"code", "message", "more_info"}], "trace"}.
ServerReply ibm_error(int status, const std::string& code, const std::string& message);

}  // namespace qdm::rest
