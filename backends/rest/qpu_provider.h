#pragma once
/// Cloud QPU providers behind one interface: build a job's payload, submit it (looking the job up
/// by its nonce after an ambiguous failure instead of sending it twice), poll, fetch counts,
/// cancel. IonQ speaks API v0.4, IBM the Qiskit Runtime REST API with its sampler primitive.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/rest/qpu_settings.h"
#include "backends/rest/rest_client.h"
#include "framework/circuit/native_circuit.h"
#include "framework/circuit/program.h"
#include "framework/device/device.h"
#include "framework/transpile/transpile.h"

namespace qdm::rest {

/// The provider answered the submission with a definite no (4xx other than 429): nothing was
/// created, so the journal entry can be closed.
class JobRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class JobState { Queued, Running, Completed, Failed, Cancelled };
std::string to_string(JobState s);

struct JobStatus {
  JobState state = JobState::Queued;
  std::string raw;     ///< the provider's own word
  std::string reason;  ///< why, when Failed or Cancelled (the provider's words, with its code)
};

/// Classical bitstring (bit k = clbit k of the circuit) -> shots that read it.
using Histogram = std::map<uint64_t, double>;

/// One job: its circuits in the provider's instruction set and what describes them.
struct JobRequest {
  std::vector<NativeCircuit> circuits;
  std::vector<std::string> names;  ///< per circuit (IonQ's multi-circuit names); may be empty
  std::vector<std::string>
      comments;         ///< per circuit, written into its OpenQASM (IBM); may be empty
  std::string bit_map;  ///< what each classical bit holds, one line (job metadata)
  /// What makes two requests "the same": the logical circuits, shots and device, so a resumed run
  /// finds its job even after the device was recalibrated and the layout changed.
  std::string identity;
  int shots = 1000;
  bool resume = false;
  /// IonQ's ideal simulator returns exact probabilities: counts are `shots` multinomial draws
  /// seeded by this (recorded in the journal), or the exact p x shots when `exact_counts`.
  uint64_t sampling_seed = 1;
  bool exact_counts = false;
};

/// What transpilation did to a job's circuits, for the dry run's report and the journal.
struct TranspileReport {
  std::string layout;          ///< "logical -> physical" pairs; empty without routing
  TranspileStats per_circuit;  ///< means over the job's circuits
  std::string summary() const;
};

class QpuProvider {
 public:
  virtual ~QpuProvider() = default;
  const QpuSettings& settings() const { return settings_; }

  /// Reads the credentials now (std::invalid_argument naming a missing variable), so nothing is
  /// journaled for a job that could never be sent.
  virtual void check_credentials() = 0;
  /// Reads the target device before circuits are built for it (IBM: its configuration and
  /// properties from the API); nothing for providers that need none.
  virtual void load_device(const Deadline& deadline);
  /// The device from files instead (dry runs, exports, offline tests). IBM only.
  virtual void set_device(const Device& device);
  /// The device circuits are built for; null when the provider needs none (IonQ).
  virtual const Device* device() const { return nullptr; }
  /// Whether the target measures mid-circuit and resets (IBM: the configuration lists measure and
  /// reset); false means every qubit is measured once, at the end.
  virtual bool dynamic_circuits() const = 0;
  /// The programs in the provider's instruction set (IBM: one layout for all, routed, in the
  /// device's basis); `report` says what that did.
  virtual std::vector<NativeCircuit> transpile(const std::vector<Program>& programs,
                                               TranspileReport* report = nullptr) const = 0;
  /// The POST body of a job; `nonce` ("" for dry runs) goes in its name and metadata/tags.
  virtual std::string payload(const JobRequest& request, const std::string& nonce) const = 0;
  /// Sends the job; after an ambiguous failure looks it up by `nonce` before resending.
  std::string submit(const std::string& payload, const std::string& nonce,
                     const Deadline& deadline);
  /// The id of a job created with `nonce`, if the provider has one.
  virtual std::optional<std::string> find_by_nonce(const std::string& nonce,
                                                   const Deadline& deadline) = 0;
  virtual JobStatus status(const std::string& id, const Deadline& deadline) = 0;
  /// Counts of each circuit of a completed job, in submission order, keyed by classical bits.
  virtual std::vector<Histogram> results(const std::string& id, const JobRequest& request,
                                         const Deadline& deadline) = 0;
  /// How the last results() made its counts ("shots", or the simulator's exact probabilities
  /// drawn as a seeded multinomial), for the journal.
  virtual std::string counts_kind() const { return "shots"; }
  virtual void cancel(const std::string& id, const Deadline& deadline) = 0;
  RestClient& client() { return client_; }

 protected:
  QpuProvider(QpuSettings settings, std::shared_ptr<HttpTransport> transport, Logger log);
  /// "IonQ" or "IBM", for messages.
  virtual std::string display_name() const = 0;
  /// Where jobs are POSTed, relative to the base URL.
  virtual std::string jobs_path() const = 0;
  /// A request to the base URL (or an absolute URL) carrying the credentials.
  virtual HttpRequest authorized(const std::string& method, const std::string& path_or_url,
                                 const std::string& body, const Deadline& deadline) = 0;
  /// Called once after a 401: renew the credentials if that can help (IBM's short-lived token).
  virtual bool refresh_credentials() { return false; }
  virtual std::string id_from_create_reply(const nlohmann::json& reply) const = 0;
  /// An authenticated request safe to repeat whose 2xx body is JSON: transient statuses, transport
  /// failures and unparseable bodies are retried within the policy; DataError with the provider's
  /// message for anything else.
  nlohmann::json fetch_json(const std::string& method, const std::string& path_or_url,
                            const Deadline& deadline);

  QpuSettings settings_;
  RestClient client_;
};

std::unique_ptr<QpuProvider> make_ionq_provider(const QpuSettings& settings, Logger log,
                                                std::shared_ptr<HttpTransport> transport);
std::unique_ptr<QpuProvider> make_ibm_provider(const QpuSettings& settings, Logger log,
                                               std::shared_ptr<HttpTransport> transport);

/// `transport` defaults to libcurl with the settings' limits.
std::unique_ptr<QpuProvider> make_provider(const QpuSettings& settings, Logger log,
                                           std::shared_ptr<HttpTransport> transport = nullptr);

}  // namespace qdm::rest
