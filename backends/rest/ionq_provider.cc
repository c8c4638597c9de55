// IonQ API v0.4: jobs of type ionq.circuit.v1 / ionq.multi-circuit.v1 in the "qis" gate set,
// authenticated by "Authorization: apiKey KEY"; results as probabilities keyed by the decimal
// value of the bitstring (qubit 0 least significant), per child job for multi-circuit jobs.
#include <fmt/format.h>

#include <cmath>

#include "backends/rest/json_fields.h"
#include "backends/rest/qpu_provider.h"
#include "backends/rest/secrets.h"
#include "framework/error.h"

namespace qdm::rest {
namespace {

class IonqProvider : public QpuProvider {
 public:
  IonqProvider(const QpuSettings& s, Logger log, std::shared_ptr<HttpTransport> t)
      : QpuProvider(s, std::move(t), std::move(log)) {}

  void check_credentials() override {
    if (key_.empty()) key_ = secret_from_env(settings_.api_key_env, "your IonQ API key");
  }

  NativeCircuit transpile(const Circuit& circuit) const override {
    return to_ionq_qis(circuit, {});
  }

  std::string payload(const std::vector<NativeCircuit>& circuits, int shots,
                      const std::string& nonce) const override {
    require(!circuits.empty(), "a job needs at least one circuit");
    nlohmann::json input = {{"gateset", "qis"}, {"qubits", circuits.front().num_qubits}};
    if (circuits.size() == 1) {
      input["circuit"] = to_ionq_json(circuits.front());
    } else {
      nlohmann::json list = nlohmann::json::array();
      for (size_t k = 0; k < circuits.size(); ++k) {
        list.push_back(
            {{"name", fmt::format("sample-{}", k)}, {"circuit", to_ionq_json(circuits[k])}});
      }
      input["circuits"] = list;
    }
    const nlohmann::json body = {
        {"type", circuits.size() == 1 ? "ionq.circuit.v1" : "ionq.multi-circuit.v1"},
        {"backend", settings_.device},
        {"shots", shots},
        {"name", "qdm-" + nonce},
        {"metadata", {{"qdm_nonce", nonce}}},
        {"input", input}};
    return body.dump();
  }

  std::optional<std::string> find_by_nonce(const std::string& nonce,
                                           const Deadline& deadline) override {
    // Newest first, 100 per page: other clients of the account may have submitted many jobs
    // since ours, so follow the cursor, within a bound that keeps a huge history finite.
    constexpr int kMaxPages = 50;
    std::string path = "/v0.4/jobs?limit=100";
    for (int page = 1; page <= kMaxPages; ++page) {
      const std::string where = "IonQ GET " + path;
      const nlohmann::json reply = fetch_json("GET", path, deadline);
      const nlohmann::json& jobs = field(reply, "jobs", where);
      if (!jobs.is_array()) throw DataError(where + ": 'jobs' is not a list");
      for (const auto& job : jobs) {
        if (job.is_object() && job.contains("name") && job["name"] == "qdm-" + nonce) {
          return string_field(job, "id", where);
        }
      }
      const auto next = reply.find("next");
      if (next == reply.end() || next->is_null() || jobs.empty()) return std::nullopt;
      if (!next->is_string()) throw DataError(where + ": 'next' is not a string");
      path = "/v0.4/jobs?limit=100&next=" + url_escape(next->get<std::string>());
    }
    throw DataError(fmt::format(
        "IonQ: no job named qdm-{} among the newest {} jobs of the account; it may still exist, "
        "so nothing was resubmitted (look it up in the IonQ console)",
        nonce, kMaxPages * 100));
  }

  JobStatus status(const std::string& id, const Deadline& deadline) override {
    const std::string where = "IonQ GET /v0.4/jobs/" + id;
    last_job_ = fetch_json("GET", "/v0.4/jobs/" + id, deadline);
    JobStatus s;
    s.raw = string_field(last_job_, "status", where);
    if (s.raw == "submitted" || s.raw == "ready") {
      s.state = JobState::Queued;
    } else if (s.raw == "started") {
      s.state = JobState::Running;
    } else if (s.raw == "completed") {
      s.state = JobState::Completed;
    } else if (s.raw == "canceled") {
      s.state = JobState::Cancelled;
    } else if (s.raw == "failed") {
      s.state = JobState::Failed;
      const nlohmann::json f = last_job_.value("failure", nlohmann::json::object());
      s.failure = fmt::format("{} ({})", f.value("error", std::string("no reason given")),
                              f.value("code", std::string("no code")));
    } else {
      throw DataError(fmt::format(
          "{}: unknown job status '{}' (expected submitted, ready, started, completed, failed or "
          "canceled)",
          where, s.raw));
    }
    return s;
  }

  std::vector<Histogram> results(const std::string& id, int circuits, int shots,
                                 const Deadline& deadline) override {
    if (!last_job_.is_object() || last_job_.value("id", std::string()) != id) status(id, deadline);
    std::string url = "/v0.4/jobs/" + id + "/results/probabilities";
    if (last_job_.contains("results") && last_job_["results"].is_object()) {
      const auto& r = last_job_["results"];
      if (r.contains("probabilities") && r["probabilities"].is_object() &&
          r["probabilities"].contains("url") && r["probabilities"]["url"].is_string()) {
        url = r["probabilities"]["url"].get<std::string>();
      }
    }
    const nlohmann::json probs = fetch_json("GET", url, deadline);
    const std::string where = "IonQ GET " + url;
    std::vector<Histogram> out;
    if (circuits == 1) {
      out.push_back(histogram(probs, shots, where));
      return out;
    }
    const nlohmann::json& children = field(last_job_, "children", "IonQ GET /v0.4/jobs/" + id);
    if (!children.is_array() || static_cast<int>(children.size()) != circuits) {
      throw DataError(fmt::format("{}: the job has {} children; {} circuits were submitted", where,
                                  children.is_array() ? children.size() : 0, circuits));
    }
    for (const auto& child : children) {
      if (!child.is_string()) throw DataError(where + ": a child id is not a string");
      out.push_back(histogram(field(probs, child.get<std::string>(), where), shots, where));
    }
    return out;
  }

  void cancel(const std::string& id, const Deadline& deadline) override {
    fetch_json("PUT", "/v0.4/jobs/" + id + "/status/cancel", deadline);
  }

 protected:
  std::string display_name() const override { return "IonQ"; }
  std::string jobs_path() const override { return "/v0.4/jobs"; }

  HttpRequest authorized(const std::string& method, const std::string& path,
                         const std::string& body, const Deadline&) override {
    check_credentials();
    HttpRequest r;
    r.method = method;
    r.url = path.rfind("http", 0) == 0 ? path : settings_.base_url + path;
    r.headers = {{"Authorization", "apiKey " + key_},
                 {"Accept", "application/json"},
                 {"Content-Type", "application/json"}};
    r.body = body;
    return r;
  }

  std::string id_from_create_reply(const nlohmann::json& reply) const override {
    return string_field(reply, "id", "IonQ POST /v0.4/jobs");
  }

 private:
  static Histogram histogram(const nlohmann::json& probs, int shots, const std::string& where) {
    if (!probs.is_object()) throw DataError(where + ": probabilities are not an object");
    Histogram h;
    double total = 0;
    for (const auto& [key, value] : probs.items()) {
      if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 1 + 1e-9) {
        throw DataError(fmt::format("{}: probability of '{}' is {}", where, key, value.dump()));
      }
      // IonQ reports frequencies of `shots` shots; back to counts.
      h[parse_bitstring(key, false, where)] = std::round(value.get<double>() * shots);
      total += value.get<double>();
    }
    if (std::abs(total - 1) > 1e-6) {
      throw DataError(fmt::format("{}: probabilities sum to {}, not 1", where, total));
    }
    return h;
  }

  std::string key_;
  nlohmann::json last_job_;
};

}  // namespace

std::unique_ptr<QpuProvider> make_ionq_provider(const QpuSettings& settings, Logger log,
                                                std::shared_ptr<HttpTransport> transport) {
  return std::make_unique<IonqProvider>(settings, std::move(log), std::move(transport));
}

}  // namespace qdm::rest
