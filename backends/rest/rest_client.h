#pragma once
/// Retries, backoff, deadlines and reply parsing shared by the provider clients.
///
/// What is retried: 429 (after Retry-After when given) and 502/503/504/520-529 for requests that
/// are safe to repeat (GET, cancel); transport failures likewise. A request that creates a job is
/// resent blindly only when the server certainly did not act on it (429, or no connection); after
/// an ambiguous failure (5xx, timeout, dropped reply) send_create reports the ambiguity and the
/// caller looks the job up by its nonce before resubmitting.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>

#include "backends/rest/http.h"

namespace qdm::rest {

struct RetryPolicy {
  int max_attempts = 6;  ///< per request, the first included
  double base_delay_s = 0.5;
  double max_delay_s = 30;
  double jitter = 0.25;  ///< each delay is scaled by a uniform factor in [1 - jitter, 1 + jitter]
};

/// Seconds before retry `attempt` (1 = the first retry): min(max, base 2^(attempt-1)) with jitter
/// from `uniform01` in [0, 1).
double backoff_delay(const RetryPolicy& policy, int attempt, double uniform01);
/// A Retry-After value: delta-seconds, or an HTTP-date relative to `now`; nullopt when neither.
std::optional<double> parse_retry_after(const std::string& value,
                                        std::chrono::system_clock::time_point now);
/// 429, 502, 503, 504, 520-529.
bool is_transient_status(long status);

/// A point in time after which no request is started and no wait runs.
class Deadline {
 public:
  explicit Deadline(double seconds_from_now);
  double remaining_s() const;
  bool passed() const { return remaining_s() <= 0; }
  /// DeadlineExceeded once it has passed.
  void check() const;
  double total_s() const { return total_s_; }

 private:
  std::chrono::steady_clock::time_point end_;
  double total_s_;
};

/// The job's deadline passed; the caller cancels the remote job.
class DeadlineExceeded : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
/// Ctrl-C (see interrupt_requested); the caller cancels the remote job.
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Set by the SIGINT/SIGTERM handler that an InterruptScope installs; waits poll it.
std::atomic<bool>& interrupt_requested();

/// While it lives, SIGINT and SIGTERM set interrupt_requested() instead of terminating, so a
/// waiting job can be cancelled; afterwards they terminate again.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

/// Where progress lines go (already redacted).
using Logger = std::function<void(const std::string&)>;

class RestClient {
 public:
  RestClient(std::shared_ptr<HttpTransport> transport, RetryPolicy policy, Logger log,
             uint64_t jitter_seed = 1);

  /// A request safe to repeat: retried on transient statuses and transport failures; returns the
  /// last response (any status). TransportError once the attempts are spent.
  HttpResponse send_idempotent(const HttpRequest& request, const Deadline& deadline);

  /// A request that creates a job: retried blindly only after 429 or when the connection failed.
  /// `response` is empty when the outcome is ambiguous (`why` says what happened).
  struct CreateResult {
    std::optional<HttpResponse> response;
    std::string why;
  };
  CreateResult send_create(const HttpRequest& request, const Deadline& deadline);

  /// Sleeps `seconds` in short slices; DeadlineExceeded or Interrupted when either comes first.
  void wait(double seconds, const Deadline& deadline);
  /// The wait before retry `attempt`, honouring a Retry-After header when `response` has one.
  double retry_delay(int attempt, const HttpResponse* response);
  const RetryPolicy& policy() const { return policy_; }
  void log(const std::string& line) const;

 private:
  std::shared_ptr<HttpTransport> transport_;
  RetryPolicy policy_;
  Logger log_;
  std::mt19937_64 jitter_;
};

/// The body of a 2xx reply as JSON; DataError naming `what` when it is not (truncated, HTML, ...).
nlohmann::json parse_json_reply(const HttpResponse& response, const std::string& what);
/// One line for a non-2xx reply: the provider's own message when the body is its JSON error
/// ({error, message, statusCode} or {errors: [{message, code}]}), else the status and body kind.
std::string describe_error_reply(const HttpResponse& response);

}  // namespace qdm::rest
