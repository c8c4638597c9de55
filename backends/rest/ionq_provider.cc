// IonQ API v0.4 (https://docs.ionq.com/api-reference/v0.4): jobs of type ionq.circuit.v1 /
// ionq.multi-circuit.v1 in the "qis" gate set, authenticated by "Authorization: apiKey KEY"; a
// job's results as probabilities keyed by the decimal value of the bitstring (qubit 0 least
// significant), for multi-circuit jobs one map per child job, whose ids the v0.4 job lists as
// `child_job_ids` (`children` in v0.3). IonQ measures every qubit once, at the end: no dynamic
// circuits. The ideal simulator returns exact probabilities; QPUs and noise-model simulations
// return the frequencies of their shots.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "backends/rest/json_fields.h"
#include "backends/rest/qpu_provider.h"
#include "backends/rest/secrets.h"
#include "backends/rest/wire_formats.h"
#include "framework/error.h"
#include "framework/rng.h"

namespace qdm::rest {
namespace {

/// IonQ's documented limit on a metadata value ("a string, maximum 400 chars").
constexpr size_t kMetadataValueChars = 400;

class IonqProvider : public QpuProvider {
 public:
  IonqProvider(const QpuSettings& s, Logger log, std::shared_ptr<HttpTransport> t)
      : QpuProvider(s, std::move(t), std::move(log)) {}

  void check_credentials() override {
    if (key_.empty()) key_ = secret_from_env(settings_.api_key_env, "your IonQ API key");
  }

  bool dynamic_circuits() const override { return false; }

  std::vector<NativeCircuit> transpile(const std::vector<Program>& programs,
                                       TranspileReport* report) const override {
    require(!programs.empty(), "a job needs at least one circuit");
    std::vector<NativeCircuit> out;
    TranspileStats mean{};
    for (const Program& p : programs) {
      require(p.num_qubits() <= settings_.max_qubits,
              "the circuit needs {} qubits; ionq.backend = {} has {} (ionq.max_qubits)",
              p.num_qubits(), settings_.device, settings_.max_qubits);
      out.push_back(to_ionq_qis(p));  // all-to-all: no routing
      mean.logical_two_qubit += p.two_qubit_gate_count();
      mean.logical_depth += p.depth();
      mean.isa_two_qubit += out.back().two_qubit_gates();
      mean.isa_depth += out.back().depth();
    }
    if (report) {
      const int n = static_cast<int>(programs.size());
      mean.logical_two_qubit /= n, mean.logical_depth /= n, mean.isa_two_qubit /= n;
      mean.isa_depth /= n;
      report->per_circuit = mean;
      report->layout.clear();
    }
    return out;
  }

  std::string payload(const JobRequest& r, const std::string& nonce) const override {
    require(!r.circuits.empty(), "a job needs at least one circuit");
    nlohmann::json input = {{"gateset", "qis"}, {"qubits", r.circuits.front().num_qubits}};
    if (r.circuits.size() == 1) {
      input["circuit"] = to_ionq_json(r.circuits.front());
    } else {
      nlohmann::json list = nlohmann::json::array();
      for (size_t k = 0; k < r.circuits.size(); ++k) {
        const std::string name = k < r.names.size() ? r.names[k] : fmt::format("circuit-{}", k);
        list.push_back({{"name", name}, {"circuit", to_ionq_json(r.circuits[k])}});
      }
      input["circuits"] = list;
    }
    nlohmann::json metadata = {{"qdm_nonce", nonce}};
    // The bit map in values of at most 400 characters, split at spaces.
    std::string rest = r.bit_map;
    for (int part = 0; !rest.empty() && part < 8; ++part) {
      size_t cut = rest.size();
      if (cut > kMetadataValueChars) {
        cut = rest.rfind(' ', kMetadataValueChars);
        if (cut == std::string::npos || cut == 0) cut = kMetadataValueChars;
      }
      metadata[part == 0 ? "qdm_bits" : fmt::format("qdm_bits_{}", part)] = rest.substr(0, cut);
      rest = rest.substr(std::min(rest.size(), cut + 1));
    }
    nlohmann::json body = {
        {"type", r.circuits.size() == 1 ? "ionq.circuit.v1" : "ionq.multi-circuit.v1"},
        {"backend", settings_.device},
        {"shots", r.shots},
        {"name", "qdm-" + nonce},
        {"metadata", metadata},
        {"input", input}};
    if (!settings_.noise_model.empty() && settings_.noise_model != "ideal") {
      // Noise models apply to the simulator only (v0.4 "noise": {"model", "seed"}).
      body["noise"] = {{"model", settings_.noise_model},
                       {"seed", static_cast<int64_t>(r.sampling_seed % 2147483647)}};
    }
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
    if (last_job_.contains("failure") && last_job_["failure"].is_object()) {
      const nlohmann::json& f = last_job_["failure"];
      s.reason = fmt::format("{} ({})", f.value("error", std::string("no reason given")),
                             f.value("code", std::string("no code")));
    }
    // v0.4 statuses (IonQ's OpenAPI, JobStatus): submitted, ready, started, completed, failed,
    // canceled; "running" is v0.3's word for started.
    if (s.raw == "submitted" || s.raw == "ready") {
      s.state = JobState::Queued;
    } else if (s.raw == "started" || s.raw == "running") {
      s.state = JobState::Running;
    } else if (s.raw == "completed") {
      s.state = JobState::Completed;
    } else if (s.raw == "canceled" || s.raw == "cancelled") {
      s.state = JobState::Cancelled;
    } else if (s.raw == "failed") {
      s.state = JobState::Failed;
      if (s.reason.empty()) s.reason = "no reason given";
    } else {
      // A status this client does not know may be final: end the entry rather than poll forever.
      s.state = JobState::Failed;
      s.reason = fmt::format(
          "IonQ reported status '{}', which qdm does not know (submitted, ready, started, "
          "completed, failed, canceled); the job is taken as failed{}",
          s.raw, s.reason.empty() ? "" : ": " + s.reason);
    }
    return s;
  }

  std::vector<Histogram> results(const std::string& id, const JobRequest& request,
                                 const Deadline& deadline) override {
    if (!last_job_.is_object() || last_job_.value("id", std::string()) != id) status(id, deadline);
    const std::string job_where = "IonQ GET /v0.4/jobs/" + id;
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
    const bool exact = exact_probabilities();
    counts_kind_ = !exact ? "shots"
                   : request.exact_counts
                       ? "exact probabilities x shots (IonQ's ideal simulator; not integer)"
                       : fmt::format(
                             "multinomial draws of the shots from the ideal simulator's exact "
                             "probabilities, seed {} (+ circuit index)",
                             request.sampling_seed);
    const int circuits = static_cast<int>(request.circuits.size());
    std::vector<Histogram> out;
    const auto add = [&](const nlohmann::json& p, int k) {
      out.push_back(histogram(p, request, k, exact, where));
    };
    if (circuits == 1) {
      add(probs, 0);
      return out;
    }
    // v0.4 names the children child_job_ids; v0.3 called them children.
    const nlohmann::json* children = nullptr;
    for (const char* key : {"child_job_ids", "children"}) {
      if (last_job_.contains(key) && last_job_[key].is_array()) {
        children = &last_job_[key];
        break;
      }
    }
    if (!children || static_cast<int>(children->size()) != circuits) {
      throw DataError(
          fmt::format("{}: the job lists {} child jobs (child_job_ids); {} circuits were submitted",
                      job_where, children ? children->size() : 0, circuits));
    }
    for (int k = 0; k < circuits; ++k) {
      const nlohmann::json& child = (*children)[k];
      if (!child.is_string()) throw DataError(job_where + ": a child job id is not a string");
      add(field(probs, child.get<std::string>(), where), k);
    }
    return out;
  }

  std::string counts_kind() const override { return counts_kind_; }

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
  /// The ideal simulator computes the distribution itself; QPUs and noise-model simulations
  /// (which are shot-aware) report the frequencies of their shots.
  bool exact_probabilities() const {
    std::string backend = settings_.device;
    for (const char* key : {"backend", "target"}) {
      if (last_job_.contains(key) && last_job_[key].is_string()) {
        backend = last_job_[key].get<std::string>();
        break;
      }
    }
    if (backend != "simulator") return false;
    std::string model = settings_.noise_model.empty() ? "ideal" : settings_.noise_model;
    if (last_job_.contains("noise") && last_job_["noise"].is_object() &&
        last_job_["noise"].contains("model") && last_job_["noise"]["model"].is_string()) {
      model = last_job_["noise"]["model"].get<std::string>();
    }
    return model == "ideal";
  }

  /// Circuit k's counts keyed by its classical bits.
  static Histogram histogram(const nlohmann::json& probs, const JobRequest& request, int k,
                             bool exact, const std::string& where) {
    if (!probs.is_object()) throw DataError(where + ": probabilities are not an object");
    std::vector<std::pair<uint64_t, double>> p;
    double total = 0;
    for (const auto& [key, value] : probs.items()) {
      if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 1 + 1e-9) {
        throw DataError(fmt::format("{}: probability of '{}' is {}", where, key, value.dump()));
      }
      p.emplace_back(parse_bitstring(key, false, where), value.get<double>());
      total += value.get<double>();
    }
    if (std::abs(total - 1) > 1e-6) {
      throw DataError(fmt::format("{}: probabilities sum to {}, not 1", where, total));
    }
    const double shots = request.shots;
    Histogram h;
    const NativeCircuit& c = request.circuits[k];
    if (exact && !request.exact_counts) {
      // `shots` draws from the exact distribution, as a device would give.
      std::vector<double> cdf;
      double acc = 0;
      for (const auto& [bits, q] : p) cdf.push_back(acc += q);
      Rng rng(request.sampling_seed + static_cast<uint64_t>(k) * 0x9E3779B97F4A7C15ull);
      for (int s = 0; s < request.shots; ++s) {
        const size_t i = std::min<size_t>(
            std::upper_bound(cdf.begin(), cdf.end(), rng.uniform() * acc) - cdf.begin(),
            p.size() - 1);
        h[qubits_to_clbits(p[i].first, c)] += 1;
      }
      return h;
    }
    for (const auto& [bits, q] : p) {
      // Frequencies of real shots are k / shots: back to counts. Exact ones stay fractional.
      h[qubits_to_clbits(bits, c)] += exact ? q * shots : std::round(q * shots);
    }
    return h;
  }

  std::string key_;
  nlohmann::json last_job_;
  std::string counts_kind_ = "shots";
};

}  // namespace

std::unique_ptr<QpuProvider> make_ionq_provider(const QpuSettings& settings, Logger log,
                                                std::shared_ptr<HttpTransport> transport) {
  return std::make_unique<IonqProvider>(settings, std::move(log), std::move(transport));
}

}  // namespace qdm::rest
