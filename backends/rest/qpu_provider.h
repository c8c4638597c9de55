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

#include "backends/rest/native_circuit.h"
#include "backends/rest/qpu_settings.h"
#include "backends/rest/rest_client.h"

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
  std::string raw;      ///< the provider's own word
  std::string failure;  ///< why, when Failed
};

/// Bitstring (qubit q = bit q) -> shots that read it.
using Histogram = std::map<uint64_t, double>;

class QpuProvider {
 public:
  virtual ~QpuProvider() = default;
  const QpuSettings& settings() const { return settings_; }

  /// Reads the credentials now (std::invalid_argument naming a missing variable), so nothing is
  /// journaled for a job that could never be sent.
  virtual void check_credentials() = 0;
  /// The provider's gate set.
  virtual NativeCircuit transpile(const Circuit& circuit) const = 0;
  /// The POST body of a job; `nonce` ("" for the fingerprint) goes in its name and metadata/tags.
  virtual std::string payload(const std::vector<NativeCircuit>& circuits, int shots,
                              const std::string& nonce) const = 0;
  /// Sends the job; after an ambiguous failure looks it up by `nonce` before resending.
  std::string submit(const std::string& payload, const std::string& nonce,
                     const Deadline& deadline);
  /// The id of a job created with `nonce`, if the provider has one.
  virtual std::optional<std::string> find_by_nonce(const std::string& nonce,
                                                   const Deadline& deadline) = 0;
  virtual JobStatus status(const std::string& id, const Deadline& deadline) = 0;
  /// Counts of each circuit of a completed job, in submission order.
  virtual std::vector<Histogram> results(const std::string& id, int circuits, int shots,
                                         const Deadline& deadline) = 0;
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
