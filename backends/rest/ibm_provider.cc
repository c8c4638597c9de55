// IBM Qiskit Runtime REST API: an IAM access token from the API key; the backend's configuration
// and properties (GET /api/v1/backends/{name}/configuration and /properties) before any circuit
// is built, because since March 2024 the service runs only ISA circuits (the device's basis gates
// on physical qubits its coupling map connects; error 1517 otherwise); then sampler jobs of
// OpenQASM 3 ISA circuits, dynamic (measure and reset mid-circuit) where the configuration lists
// both, and the result register's samples as hex bitstrings (bit k = classical bit k).
#include <fmt/format.h>

#include <chrono>
#include <optional>

#include "backends/rest/json_fields.h"
#include "backends/rest/qpu_provider.h"
#include "backends/rest/secrets.h"
#include "backends/rest/wire_formats.h"
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

  void load_device(const Deadline& deadline) override {
    const std::string base = "/api/v1/backends/" + url_escape(settings_.device);
    const nlohmann::json conf = fetch_json("GET", base + "/configuration", deadline);
    const nlohmann::json props = fetch_json("GET", base + "/properties", deadline);
    try {
      set_device(Device::from_ibm_json(conf, props));
    } catch (const DataError& e) {
      throw DataError(fmt::format("IBM GET {}/...: {}", base, e.what()));
    }
    client_.log(fmt::format("IBM: {} (version {}, calibrated {}): {} qubits, {} on {} pairs",
                            settings_.device, target_->device().version(),
                            target_->device().calibration_date(), target_->device().num_qubits(),
                            target_->device().two_qubit_gate(), target_->device().edges().size()));
  }

  void set_device(const Device& device) override {
    if (device.name() != settings_.device) {
      throw DataError(fmt::format("the device description is of '{}', but ibm.backend is '{}'",
                                  device.name(), settings_.device));
    }
    target_.emplace(device);
  }

  const Device* device() const override { return target_ ? &target_->device() : nullptr; }

  bool dynamic_circuits() const override {
    return target().device().supports("measure") && target().device().supports("reset");
  }

  std::vector<NativeCircuit> transpile(const std::vector<Program>& programs,
                                       TranspileReport* report) const override {
    require(!programs.empty(), "a job needs at least one circuit");
    const DeviceTarget& t = target();
    for (const Program& p : programs) {
      if (p.is_dynamic() && !dynamic_circuits()) {
        throw UnsupportedError(fmt::format(
            "{}'s configuration lists no mid-circuit measure and reset (supported instructions); "
            "sample with fresh qubits instead (qpu.circuit = static)",
            settings_.device));
      }
      require(p.num_qubits() <= t.device().num_qubits(), "the circuit needs {} qubits; {} has {}",
              p.num_qubits(), settings_.device, t.device().num_qubits());
    }
    // Every chain of a job has the same two-qubit gates, so one layout serves them all.
    BatchTranspiled batch = transpile_batch(t, programs);
    if (report) {
      report->per_circuit = batch.mean;
      report->layout.clear();
      for (size_t l = 0; l < batch.layout.initial.size(); ++l) {
        report->layout += fmt::format("{}{}->{}", l ? " " : "", l, batch.layout.initial[l]);
      }
    }
    return std::move(batch.circuits);
  }

  std::string payload(const JobRequest& r, const std::string& nonce) const override {
    require(!r.circuits.empty(), "a job needs at least one circuit");
    if (const Device* d = device()) {
      // The configuration's limits (max_experiments, max_shots): a bigger job is refused.
      require(d->max_circuits() == 0 || static_cast<int>(r.circuits.size()) <= d->max_circuits(),
              "{} takes at most {} circuits per job (max_experiments); this one has {}: sample "
              "fewer at once (--count)",
              d->name(), d->max_circuits(), r.circuits.size());
      require(d->max_shots() == 0 || r.shots <= d->max_shots(),
              "{} takes at most {} shots per circuit (max_shots); --shots is {}", d->name(),
              d->max_shots(), r.shots);
    }
    nlohmann::json pubs = nlohmann::json::array();
    for (size_t k = 0; k < r.circuits.size(); ++k) {
      const std::string comment = k < r.comments.size() ? r.comments[k] : "";
      pubs.push_back({to_qasm3(r.circuits[k], comment), nullptr, r.shots});
    }
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
    // The reason and its code (https://ibm.biz/error_codes), as the service gives them.
    if (state.contains("reason") && state["reason"].is_string()) s.reason = state["reason"];
    if (state.contains("reason_code") && !state["reason_code"].is_null()) {
      s.reason +=
          fmt::format("{}(code {})", s.reason.empty() ? "" : " ",
                      state["reason_code"].is_string() ? state["reason_code"].get<std::string>()
                                                       : state["reason_code"].dump());
    }
    if (s.raw == "Queued") {
      s.state = JobState::Queued;
    } else if (s.raw == "Running") {
      s.state = JobState::Running;
    } else if (s.raw == "Completed") {
      s.state = JobState::Completed;
    } else if (s.raw.rfind("Cancelled", 0) == 0) {  // also "Cancelled - Ran too long"
      s.state = JobState::Cancelled;
      if (s.reason.empty() && s.raw != "Cancelled") s.reason = s.raw;
    } else if (s.raw == "Failed") {
      s.state = JobState::Failed;
      if (s.reason.empty()) s.reason = "no reason given";
    } else {
      // A status this client does not know may be final: end the entry rather than poll forever.
      s.state = JobState::Failed;
      s.reason = fmt::format(
          "IBM reported status '{}', which qdm does not know (Queued, Running, Completed, "
          "Cancelled, Failed); the job is taken as failed{}",
          s.raw, s.reason.empty() ? "" : ": " + s.reason);
    }
    return s;
  }

  std::vector<Histogram> results(const std::string& id, const JobRequest& request,
                                 const Deadline& deadline) override {
    const int circuits = static_cast<int>(request.circuits.size());
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

  const DeviceTarget& target() const {
    if (!target_) {
      throw std::logic_error("IBM circuits are built for a device: call load_device() first");
    }
    return *target_;
  }

  std::string token_;
  std::chrono::steady_clock::time_point token_expiry_{};
  std::optional<DeviceTarget> target_;
};

}  // namespace

std::unique_ptr<QpuProvider> make_ibm_provider(const QpuSettings& settings, Logger log,
                                               std::shared_ptr<HttpTransport> transport) {
  return std::make_unique<IbmProvider>(settings, std::move(log), std::move(transport));
}

}  // namespace qdm::rest
