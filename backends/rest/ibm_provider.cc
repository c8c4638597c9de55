// IBM Qiskit Runtime REST API: an IAM access token from the API key, then sampler jobs of
// OpenQASM 3 circuits in the backend's basis (rz, sx, x, cx), each result register's samples as
// hex bitstrings (bit q = qubit q).
#include <fmt/format.h>

#include <chrono>

#include "backends/rest/json_fields.h"
#include "backends/rest/qpu_provider.h"
#include "backends/rest/secrets.h"
#include "framework/error.h"

namespace qdm::rest {
namespace {

class IbmProvider : public QpuProvider {
 public:
  IbmProvider(const QpuSettings& s, Logger log, std::shared_ptr<HttpTransport> t)
      : QpuProvider(s, std::move(t), std::move(log)) {}

  void check_credentials() override {
    secret_from_env(settings_.api_key_env, "your IBM Cloud API key");
    require(!settings_.service_crn.empty(),
            "ibm.service_crn is empty: set it to your Qiskit Runtime instance's CRN");
  }

  NativeCircuit transpile(const Circuit& circuit) const override {
    return to_ibm_basis(circuit, {});
  }

  std::string payload(const std::vector<NativeCircuit>& circuits, int shots,
                      const std::string& nonce) const override {
    require(!circuits.empty(), "a job needs at least one circuit");
    nlohmann::json pubs = nlohmann::json::array();
    for (const NativeCircuit& c : circuits) pubs.push_back({to_qasm3(c), nullptr, shots});
    const nlohmann::json body = {{"program_id", "sampler"},
                                 {"backend", settings_.device},
                                 {"tags", {"qdm-" + nonce}},
                                 {"params", {{"pubs", pubs}, {"version", 2}}}};
    return body.dump();
  }

  std::optional<std::string> find_by_nonce(const std::string& nonce,
                                           const Deadline& deadline) override {
    const std::string path = "/api/v1/jobs?tags=qdm-" + url_escape(nonce);
    const nlohmann::json reply = fetch_json("GET", path, deadline);
    const nlohmann::json& jobs = field(reply, "jobs", "IBM GET " + path);
    if (!jobs.is_array()) throw DataError("IBM GET " + path + ": 'jobs' is not a list");
    for (const auto& job : jobs) {
      if (job.is_object() && job.contains("tags") && job["tags"].is_array()) {
        for (const auto& tag : job["tags"]) {
          if (tag == "qdm-" + nonce) return string_field(job, "id", "IBM GET " + path);
        }
      }
    }
    return std::nullopt;
  }

  JobStatus status(const std::string& id, const Deadline& deadline) override {
    const std::string where = "IBM GET /api/v1/jobs/" + id;
    const nlohmann::json job = fetch_json("GET", "/api/v1/jobs/" + id, deadline);
    const nlohmann::json& state = field(job, "state", where);
    JobStatus s;
    s.raw = string_field(state, "status", where);
    if (s.raw == "Queued") {
      s.state = JobState::Queued;
    } else if (s.raw == "Running") {
      s.state = JobState::Running;
    } else if (s.raw == "Completed") {
      s.state = JobState::Completed;
    } else if (s.raw == "Cancelled") {
      s.state = JobState::Cancelled;
    } else if (s.raw == "Failed") {
      s.state = JobState::Failed;
      s.failure = state.value("reason", std::string("no reason given"));
    } else {
      throw DataError(fmt::format(
          "{}: unknown job status '{}' (expected Queued, Running, Completed, Failed or Cancelled)",
          where, s.raw));
    }
    return s;
  }

  std::vector<Histogram> results(const std::string& id, int circuits, int,
                                 const Deadline& deadline) override {
    const std::string where = "IBM GET /api/v1/jobs/" + id + "/results";
    const nlohmann::json reply = fetch_json("GET", "/api/v1/jobs/" + id + "/results", deadline);
    const nlohmann::json& list = field(reply, "results", where);
    if (!list.is_array() || static_cast<int>(list.size()) != circuits) {
      throw DataError(fmt::format("{}: {} results for {} circuits", where,
                                  list.is_array() ? list.size() : 0, circuits));
    }
    std::vector<Histogram> out;
    for (const auto& pub : list) {
      const nlohmann::json& c = field(field(pub, "data", where), "c", where);
      const nlohmann::json& samples = field(c, "samples", where);
      if (!samples.is_array()) throw DataError(where + ": samples are not a list");
      Histogram h;
      for (const auto& s : samples) {
        if (!s.is_string()) throw DataError(where + ": a sample is not a string");
        h[parse_bitstring(s.get<std::string>(), true, where)] += 1;
      }
      out.push_back(std::move(h));
    }
    return out;
  }

  void cancel(const std::string& id, const Deadline& deadline) override {
    const HttpResponse r = client_.send_idempotent(
        authorized("POST", "/api/v1/jobs/" + id + "/cancel", "", deadline), deadline);
    if (r.status < 200 || r.status >= 300) {
      throw DataError(
          fmt::format("IBM POST /api/v1/jobs/{}/cancel: {}", id, describe_error_reply(r)));
    }
  }

 protected:
  std::string display_name() const override { return "IBM"; }
  std::string jobs_path() const override { return "/api/v1/jobs"; }

  HttpRequest authorized(const std::string& method, const std::string& path,
                         const std::string& body, const Deadline& deadline) override {
    if (token_.empty() || std::chrono::steady_clock::now() >= token_expiry_) fetch_token(deadline);
    require(!settings_.service_crn.empty(),
            "ibm.service_crn is empty: set it to your Qiskit Runtime instance's CRN");
    HttpRequest r;
    r.method = method;
    r.url = path.rfind("http", 0) == 0 ? path : settings_.base_url + path;
    r.headers = {{"Authorization", "Bearer " + token_},
                 {"Service-CRN", settings_.service_crn},
                 {"IBM-API-Version", settings_.api_version},
                 {"Accept", "application/json"},
                 {"Content-Type", "application/json"}};
    r.body = body;
    return r;
  }

  bool refresh_credentials() override {
    token_.clear();
    return true;
  }

  std::string id_from_create_reply(const nlohmann::json& reply) const override {
    return string_field(reply, "id", "IBM POST /api/v1/jobs");
  }

 private:
  void fetch_token(const Deadline& deadline) {
    const std::string key = secret_from_env(settings_.api_key_env, "your IBM Cloud API key");
    HttpRequest r;
    r.method = "POST";
    r.url = settings_.token_url;
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
    r.body =
        "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=" + url_escape(key);
    register_secret(url_escape(key));
    // Asking for a token changes nothing on the server, so it is safe to repeat.
    const HttpResponse reply = client_.send_idempotent(r, deadline);
    if (reply.status < 200 || reply.status >= 300) {
      throw DataError(redact(fmt::format("IBM IAM refused the API key in {}: {}",
                                         settings_.api_key_env, describe_error_reply(reply))));
    }
    const nlohmann::json j = parse_json_reply(reply, "IBM IAM token reply");
    token_ = string_field(j, "access_token", "IBM IAM token reply");
    register_secret(token_);
    const nlohmann::json& expires = field(j, "expires_in", "IBM IAM token reply");
    const double seconds = expires.is_number() ? expires.get<double>() : 0;
    // Renew early (a minute, or a tenth of a short lifetime) so a token never expires in use.
    token_expiry_ = std::chrono::steady_clock::now() +
                    std::chrono::seconds(static_cast<long>(seconds - std::min(60.0, seconds / 10)));
    client_.log(fmt::format("IBM: access token obtained (valid {:.0f} s)", seconds));
  }

  std::string token_;
  std::chrono::steady_clock::time_point token_expiry_{};
};

}  // namespace

std::unique_ptr<QpuProvider> make_ibm_provider(const QpuSettings& settings, Logger log,
                                               std::shared_ptr<HttpTransport> transport) {
  return std::make_unique<IbmProvider>(settings, std::move(log), std::move(transport));
}

}  // namespace qdm::rest
