#include "backends/rest/qpu_provider.h"

#include <fmt/format.h>

#include "backends/rest/secrets.h"
#include "framework/error.h"

namespace qdm::rest {

std::string to_string(JobState s) {
  switch (s) {
    case JobState::Queued:
      return "queued";
    case JobState::Running:
      return "running";
    case JobState::Completed:
      return "completed";
    case JobState::Failed:
      return "failed";
    case JobState::Cancelled:
      return "cancelled";
  }
  return "unknown";
}

std::string TranspileReport::summary() const {
  const TranspileStats& s = per_circuit;
  return fmt::format(
      "two-qubit gates {} -> {} ({} SWAPs), depth {} -> {}, estimated success {:.3g}{}",
      s.logical_two_qubit, s.isa_two_qubit, s.swaps, s.logical_depth, s.isa_depth,
      s.estimated_success, layout.empty() ? "" : "; layout " + layout);
}

void QpuProvider::load_device(const Deadline&) {}

void QpuProvider::set_device(const Device&) {
  throw std::invalid_argument(
      fmt::format("{} circuits are not built for a device file", display_name()));
}

QpuProvider::QpuProvider(QpuSettings settings, std::shared_ptr<HttpTransport> transport, Logger log)
    : settings_(std::move(settings)),
      client_(transport ? std::move(transport) : std::make_shared<CurlTransport>(settings_.limits),
              settings_.retry, std::move(log)) {}

nlohmann::json QpuProvider::fetch_json(const std::string& method, const std::string& path,
                                       const Deadline& deadline) {
  bool refreshed = false;
  for (int attempt = 1;; ++attempt) {
    const HttpResponse r =
        client_.send_idempotent(authorized(method, path, "", deadline), deadline);
    if (r.status == 401 && !refreshed && refresh_credentials()) {
      refreshed = true;
      client_.log(fmt::format("{} {} {}: HTTP 401; renewed the access token", display_name(),
                              method, path));
      continue;
    }
    if (r.status < 200 || r.status >= 300) {
      throw DataError(redact(
          fmt::format("{} {} {}: {}", display_name(), method, path, describe_error_reply(r))));
    }
    try {
      return parse_json_reply(r, fmt::format("{} {} {}", display_name(), method, path));
    } catch (const DataError& e) {
      if (attempt >= settings_.retry.max_attempts) throw;
      const double delay = client_.retry_delay(attempt, nullptr);
      client_.log(fmt::format("{}; asking again in {:.1f} s", e.what(), delay));
      client_.wait(delay, deadline);
    }
  }
}

std::string QpuProvider::submit(const std::string& payload, const std::string& nonce,
                                const Deadline& deadline) {
  bool refreshed = false;
  for (int attempt = 1;; ++attempt) {
    const auto result =
        client_.send_create(authorized("POST", jobs_path(), payload, deadline), deadline);
    if (result.response) {
      const HttpResponse& r = *result.response;
      if (r.status == 401 && !refreshed && refresh_credentials()) {
        refreshed = true;
        continue;
      }
      if (r.status < 200 || r.status >= 300) {
        throw JobRefused(
            redact(fmt::format("{} refused the job: {}", display_name(), describe_error_reply(r))));
      }
      nlohmann::json reply;
      try {
        reply = parse_json_reply(r, fmt::format("{} POST {}", display_name(), jobs_path()));
      } catch (const DataError& e) {
        // The job exists but its id was lost in the reply: find it rather than send it again.
        client_.log(fmt::format("{}; looking the job up by its nonce", e.what()));
        if (auto id = find_by_nonce(nonce, deadline)) return *id;
        throw;
      }
      return id_from_create_reply(reply);
    }
    if (attempt >= settings_.retry.max_attempts) {
      throw DataError(redact(fmt::format(
          "{} did not confirm the job after {} attempts ({}); none was found with nonce {}",
          display_name(), attempt, result.why, nonce)));
    }
    const double delay = client_.retry_delay(attempt, nullptr);
    client_.log(
        fmt::format("{} POST {}: {}; the job may exist: looking it up by nonce {} in {:.1f} s",
                    display_name(), jobs_path(), result.why, nonce, delay));
    client_.wait(delay, deadline);
    if (auto id = find_by_nonce(nonce, deadline)) {
      client_.log(fmt::format("found job {}, created by the earlier attempt", *id));
      return *id;
    }
    client_.log("no job has that nonce: submitting again");
  }
}

std::unique_ptr<QpuProvider> make_provider(const QpuSettings& settings, Logger log,
                                           std::shared_ptr<HttpTransport> transport) {
  if (settings.provider == "ionq") return make_ionq_provider(settings, log, transport);
  if (settings.provider == "ibm") return make_ibm_provider(settings, log, transport);
  throw std::invalid_argument(
      fmt::format("QPU provider '{}' is not one of ionq, ibm", settings.provider));
}

}  // namespace qdm::rest
