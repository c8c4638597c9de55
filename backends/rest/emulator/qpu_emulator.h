#pragma once
/// A cloud QPU on loopback: IonQ v0.4 or IBM Qiskit Runtime routes, jobs executed with shots on
/// the statevector backend (or, given a noise model, the trajectories backend with it, to
/// preview a noisy device) and moved through queued and running states over a few polls, auth
/// checked, and faults injected on demand so clients are tested against every failure the issue
/// lists.
///
/// Faults are `NAME[@ROUTE][*COUNT]`, comma-separated; each hits the next COUNT (default 1)
/// requests of ROUTE (token, create, list, status, results, cancel or any):
///   429               429 with Retry-After: 1             (default route: create)
///   429-bare          429 without Retry-After             (create)
///   503               503 with a JSON error body           (status)
///   502-html          502 with an HTML error page          (status)
///   create-then-503   creates the job, answers 503         (create)
///   stall             headers and half the body, then silence (status)
///   drop              closes the connection without a reply (status)
///   truncated-json    200 with the JSON body cut in half   (status)
///   unknown-status    the job reports status "teleporting" (status)
///   never-finishes    the job stays running forever        (create)
///   fail              the job fails                        (create)
///   ran-too-long      the job ends cancelled for running too long (IBM: "Cancelled - Ran too
///                     long"; IonQ: canceled with a failure reason)  (create)
///   legacy-children   IonQ's job reply lists child jobs as v0.3's "children" (status)
///   token-expired     every token is revoked, 401          (status)
///
/// IonQ follows API v0.4 (Get job: child_job_ids, stats, results.probabilities.url): the ideal
/// simulator answers exact probabilities, QPUs and noise-model simulations the frequencies of
/// their shots (the noise models at the depolarising rates IonQ publishes for them). IBM needs a
/// device (`--device`): it serves its configuration and properties and, like the real service
/// since March 2024, fails every job whose circuits are not in its ISA (error 1517).
/// Control (no auth): POST /_emulator/faults {"faults": "..."}, GET /_emulator/stats.

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "backends/density_matrix/channels.h"
#include "backends/rest/emulator/http_server.h"
#include "backends/rest/qpu_provider.h"
#include "framework/circuit/program.h"
#include "framework/device/device.h"

namespace qdm::rest {

struct EmulatorOptions {
  std::string provider = "ionq";  ///< ionq | ibm
  std::string api_key;            ///< the key clients must present
  int polls_to_finish = 3;        ///< status polls before a job completes
  int max_qubits = 26;
  uint64_t seed = 1;
  double stall_s = 30;
  double token_lifetime_s = 3600;
  /// Noiseless: the statevector backend. Otherwise the trajectories backend applies it after
  /// every gate and to the readout (each shot one trajectory, dynamic circuits included).
  dm::NoiseModel noise{};
  /// IBM: run each ISA circuit under the served device's calibrated noise (noise/device_noise.h)
  /// on the trajectories backend; excludes `noise`.
  bool device_noise = false;
  /// IBM: the device served and enforced, from its two documents (as the REST API returns them).
  nlohmann::json device_configuration, device_properties;
};

struct EmulatorStats {
  int requests = 0;
  int jobs_created = 0;
  int cancels = 0;
  int faults_left = 0;
  std::map<std::string, int> per_route;
};

class QpuEmulator {
 public:
  explicit QpuEmulator(EmulatorOptions options);
  ~QpuEmulator();
  /// Queues faults; std::invalid_argument naming a bad entry and the allowed names.
  void add_faults(const std::string& spec);
  EmulatorStats stats() const;
  ServerReply handle(const ServerRequest& request);

 private:
  struct Job;
  struct Fault;
  ServerReply route_ionq(const ServerRequest& request, const std::string& route);
  ServerReply route_ibm(const ServerRequest& request, const std::string& route);
  /// IonQ's job list: newest first, `limit` per page, `next` the cursor to the following page.
  ServerReply ionq_list(const ServerRequest& request) const;
  static std::vector<Fault> parse_faults(const std::string& spec);
  std::string route_of(const ServerRequest& request) const;
  /// The first queued fault for `route`, consumed; empty name when none.
  std::string take_fault(const std::string& route);
  void advance(Job& job);
  void run(Job& job) const;
  ServerReply ibm_backend_route(const ServerRequest& request, const std::string& route) const;

  EmulatorOptions options_;
  std::optional<Device> device_;
  mutable std::mutex mutex_;
  std::vector<Fault> faults_;
  std::map<std::string, std::shared_ptr<Job>> jobs_;
  std::vector<std::string> job_order_;
  std::map<std::string, bool> tokens_;
  EmulatorStats stats_;
  uint64_t next_id_ = 1;
};

}  // namespace qdm::rest
