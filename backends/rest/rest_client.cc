#include "backends/rest/rest_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <ctime>
#include <thread>

#include "backends/rest/secrets.h"
#include "framework/error.h"

namespace qdm::rest {
namespace {

/// A short printable excerpt of a body for error messages (redacted by the caller's log).
std::string excerpt(const std::string& body) {
  std::string out;
  for (char c : body.substr(0, 80)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  return body.size() > 80 ? out + "..." : out;
}

void on_signal(int) { interrupt_requested().store(true); }

}  // namespace

double backoff_delay(const RetryPolicy& p, int attempt, double uniform01) {
  const double raw = p.base_delay_s * std::ldexp(1.0, std::min(attempt - 1, 30));
  const double capped = std::min(p.max_delay_s, raw);
  return capped * (1.0 - p.jitter + 2.0 * p.jitter * uniform01);
}

std::optional<double> parse_retry_after(const std::string& value,
                                        std::chrono::system_clock::time_point now) {
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return value.size() > 9 ? 1e9 : std::stod(value);
  }
  std::tm tm{};
  const char* end = strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
  return std::max(0.0, std::chrono::duration<double>(when - now).count());
}

bool is_transient_status(long s) {
  return s == 429 || s == 502 || s == 503 || s == 504 || (s >= 520 && s <= 529);
}

Deadline::Deadline(double seconds)
    : end_(std::chrono::steady_clock::now() +
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(
               std::chrono::duration<double>(seconds))),
      total_s_(seconds) {}

void Deadline::check() const {
  if (passed()) throw DeadlineExceeded(fmt::format("the deadline of {:g} s passed", total_s_));
}

double Deadline::remaining_s() const {
  return std::chrono::duration<double>(end_ - std::chrono::steady_clock::now()).count();
}

std::atomic<bool>& interrupt_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

InterruptScope::InterruptScope() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

InterruptScope::~InterruptScope() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

RestClient::RestClient(std::shared_ptr<HttpTransport> transport, RetryPolicy policy, Logger log,
                       uint64_t jitter_seed)
    : transport_(std::move(transport)),
      policy_(policy),
      log_(std::move(log)),
      jitter_(jitter_seed) {}

void RestClient::log(const std::string& line) const {
  if (log_) log_(redact(line));
}

void RestClient::wait(double seconds, const Deadline& deadline) {
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(std::max(0.0, seconds)));
  while (std::chrono::steady_clock::now() < until) {
    if (interrupt_requested().load()) throw Interrupted("interrupted (Ctrl-C)");
    deadline.check();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (interrupt_requested().load()) throw Interrupted("interrupted (Ctrl-C)");
}

double RestClient::retry_delay(int attempt, const HttpResponse* response) {
  if (response != nullptr) {
    const auto after =
        parse_retry_after(response->header("retry-after"), std::chrono::system_clock::now());
    if (after) return std::min(*after, policy_.max_delay_s);
  }
  return backoff_delay(policy_, attempt, std::uniform_real_distribution<double>(0, 1)(jitter_));
}

HttpResponse RestClient::send_idempotent(const HttpRequest& request, const Deadline& deadline) {
  for (int attempt = 1;; ++attempt) {
    deadline.check();
    std::optional<HttpResponse> response;
    std::string failure;
    try {
      response = transport_->send(request);
      if (!is_transient_status(response->status)) return *response;
      failure = describe_error_reply(*response);
    } catch (const TransportError& e) {
      failure = e.what();
    }
    if (attempt >= policy_.max_attempts) {
      if (response) return *response;
      throw TransportError(redact(fmt::format("{} (after {} attempts)", failure, attempt)), true);
    }
    const double delay = retry_delay(attempt, response ? &*response : nullptr);
    log(fmt::format("{} {}: {}; retry {} of {} in {:.1f} s", request.method, request.url, failure,
                    attempt, policy_.max_attempts - 1, delay));
    wait(delay, deadline);
  }
}

RestClient::CreateResult RestClient::send_create(const HttpRequest& request,
                                                 const Deadline& deadline) {
  for (int attempt = 1;; ++attempt) {
    deadline.check();
    std::optional<HttpResponse> response;
    std::string failure;
    try {
      response = transport_->send(request);
      // Only 429 says the request was turned away unprocessed; a 5xx may come from a proxy after
      // the server created the job.
      if (response->status != 429) {
        if (is_transient_status(response->status)) {
          return {std::nullopt, describe_error_reply(*response)};
        }
        return {response, ""};
      }
      failure = describe_error_reply(*response);
    } catch (const TransportError& e) {
      if (e.may_have_arrived()) return {std::nullopt, redact(e.what())};
      failure = e.what();
    }
    if (attempt >= policy_.max_attempts) {
      if (response) return {response, ""};
      throw TransportError(redact(fmt::format("{} (after {} attempts)", failure, attempt)), false);
    }
    const double delay = retry_delay(attempt, response ? &*response : nullptr);
    log(fmt::format("{} {}: {}; retry {} of {} in {:.1f} s", request.method, request.url, failure,
                    attempt, policy_.max_attempts - 1, delay));
    wait(delay, deadline);
  }
}

nlohmann::json parse_json_reply(const HttpResponse& response, const std::string& what) {
  nlohmann::json j = nlohmann::json::parse(response.body, nullptr, false);
  if (j.is_discarded()) {
    const std::string type = response.header("content-type");
    throw DataError(redact(fmt::format(
        "{}: the reply (HTTP {}, {} bytes{}) is not valid JSON (truncated or not JSON): '{}'", what,
        response.status, response.body.size(), type.empty() ? "" : ", " + type,
        excerpt(response.body))));
  }
  return j;
}

std::string describe_error_reply(const HttpResponse& r) {
  const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  std::string detail;
  if (j.is_object()) {
    if (j.contains("message") && j["message"].is_string()) {
      detail = j["message"].get<std::string>();
      if (j.contains("error") && j["error"].is_string()) {
        detail = j["error"].get<std::string>() + ": " + detail;
      }
    } else if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty() &&
               j["errors"][0].is_object() && j["errors"][0].contains("message") &&
               j["errors"][0]["message"].is_string()) {
      detail = j["errors"][0]["message"].get<std::string>();
    } else if (j.contains("errorMessage") && j["errorMessage"].is_string()) {
      detail = j["errorMessage"].get<std::string>();
    }
  }
  if (detail.empty()) {
    const bool html = r.body.find("<html") != std::string::npos ||
                      r.body.find("<HTML") != std::string::npos ||
                      r.header("content-type").find("text/html") != std::string::npos;
    detail = html ? "an HTML error page" : r.body.empty() ? "no body" : "'" + excerpt(r.body) + "'";
  }
  return redact(fmt::format("HTTP {}: {}", r.status, detail));
}

}  // namespace qdm::rest
