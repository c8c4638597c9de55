#include "backends/rest/emulator/qpu_emulator.h"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>

#include "backends/backend.h"
#include "backends/density_matrix/density_matrix.h"
#include "backends/noise/device_noise.h"
#include "backends/rest/emulator/emulator_job.h"
#include "backends/rest/wire_formats.h"
#include "framework/error.h"

namespace qdm::rest {

using nlohmann::json;

struct QpuEmulator::Fault {
  std::string name, route;
  int remaining = 1;
};

namespace {

struct FaultInfo {
  const char* name;
  const char* default_route;
};
constexpr FaultInfo kFaults[] = {
    {"429", "create"},
    {"429-bare", "create"},
    {"503", "status"},
    {"502-html", "status"},
    {"create-then-503", "create"},
    {"stall", "status"},
    {"drop", "status"},
    {"truncated-json", "status"},
    {"unknown-status", "status"},
    {"never-finishes", "create"},
    {"fail", "create"},
    {"ran-too-long", "create"},
    {"legacy-children", "status"},
    {"token-expired", "status"},
};
const std::vector<std::string> kRoutes = {"token",   "create", "list",    "status",
                                          "results", "cancel", "backend", "any"};

}  // namespace

ServerReply reply_json(int status, const json& body) {
  ServerReply r;
  r.status = status;
  // Messages may quote a request's bytes, which need not be UTF-8 (found by fuzzing).
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

ServerReply ionq_error(int status, const std::string& error, const std::string& message) {
  return reply_json(status, {{"error", error}, {"message", message}, {"statusCode", status}});
}

ServerReply ibm_error(int status, const std::string& code, const std::string& message) {
  return reply_json(status,
                    {{"errors", {{{"code", code}, {"message", message}, {"more_info", ""}}}},
                     {"trace", "emulator"}});
}

QpuEmulator::QpuEmulator(EmulatorOptions options) : options_(std::move(options)) {
  require(options_.provider == "ionq" || options_.provider == "ibm",
          "--provider '{}' is not one of ionq, ibm", options_.provider);
  require(options_.api_key.size() >= 4, "the emulator's API key must have at least 4 characters");
  require(!options_.device_noise || (options_.provider == "ibm" && options_.noise.noiseless()),
          "the device's own noise applies to an IBM emulator serving a device, with no other "
          "noise model");
  if (options_.provider == "ibm") {
    require(!options_.device_configuration.is_null(),
            "an IBM emulator serves a device: give its configuration and properties (--device "
            "conf_NAME.json, e.g. tests/fixtures/ibm/conf_torino.json)");
    try {
      device_ = Device::from_ibm_json(options_.device_configuration, options_.device_properties);
    } catch (const DataError& e) {
      throw std::invalid_argument(fmt::format("the emulator's device: {}", e.what()));
    }
  }
}

QpuEmulator::~QpuEmulator() {
  // Simulations still running use this emulator's options: they finish before it goes.
  for (auto& [id, job] : jobs_) {
    if (job->work.valid()) job->work.wait();
  }
}

std::vector<QpuEmulator::Fault> QpuEmulator::parse_faults(const std::string& spec) {
  static const std::regex entry(R"(([a-z0-9-]+)(@([a-z]+))?(\*(\d+))?)");
  std::vector<Fault> parsed;
  size_t start = 0;
  while (start < spec.size()) {
    const size_t comma = std::min(spec.find(',', start), spec.size());
    const std::string item = spec.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) continue;
    std::smatch m;
    const FaultInfo* info = nullptr;
    if (std::regex_match(item, m, entry)) {
      for (const FaultInfo& f : kFaults) {
        if (m[1] == f.name) info = &f;
      }
    }
    std::string names;
    for (const FaultInfo& f : kFaults) names += std::string(names.empty() ? "" : ", ") + f.name;
    require(info != nullptr, "fault '{}' is not NAME[@ROUTE][*COUNT] with NAME one of {}", item,
            names);
    Fault f{info->name, m[3].matched ? m[3].str() : info->default_route, 1};
    require(std::find(kRoutes.begin(), kRoutes.end(), f.route) != kRoutes.end(),
            "fault '{}': route '{}' is not one of token, create, list, status, results, cancel, "
            "backend, any",
            item, f.route);
    if (m[5].matched) f.remaining = std::stoi(m[5]);
    require(f.remaining >= 1 && f.remaining <= 1000, "fault '{}': count must be 1..1000", item);
    parsed.push_back(f);
  }
  return parsed;
}

void QpuEmulator::add_faults(const std::string& spec) {
  const std::vector<Fault> parsed = parse_faults(spec);
  std::lock_guard lock(mutex_);
  faults_.insert(faults_.end(), parsed.begin(), parsed.end());
}

EmulatorStats QpuEmulator::stats() const {
  std::lock_guard lock(mutex_);
  EmulatorStats s = stats_;
  for (const Fault& f : faults_) s.faults_left += f.remaining;
  return s;
}

std::string QpuEmulator::take_fault(const std::string& route) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->route == route || it->route == "any") {
      const std::string name = it->name;
      if (--it->remaining == 0) faults_.erase(it);
      return name;
    }
  }
  return "";
}

std::string QpuEmulator::route_of(const ServerRequest& r) const {
  static const std::regex ionq_job(R"(/v0\.4/jobs/([^/]+))");
  static const std::regex ionq_results(R"(/v0\.4/jobs/([^/]+)/results/probabilities)");
  static const std::regex ionq_cancel(R"(/v0\.4/jobs/([^/]+)/status/cancel)");
  static const std::regex ibm_job(R"(/api/v1/jobs/([^/]+))");
  static const std::regex ibm_results(R"(/api/v1/jobs/([^/]+)/results)");
  static const std::regex ibm_cancel(R"(/api/v1/jobs/([^/]+)/cancel)");
  static const std::regex ibm_backend(R"(/api/v1/backends/([^/]+)/(configuration|properties))");
  if (options_.provider == "ionq") {
    if (r.path == "/v0.4/jobs") return r.method == "POST" ? "create" : "list";
    if (std::regex_match(r.path, ionq_results)) return "results";
    if (std::regex_match(r.path, ionq_cancel)) return "cancel";
    if (std::regex_match(r.path, ionq_job)) return "status";
  } else {
    if (r.path == "/identity/token") return "token";
    if (r.path == "/api/v1/jobs") return r.method == "POST" ? "create" : "list";
    if (std::regex_match(r.path, ibm_backend)) return "backend";
    if (std::regex_match(r.path, ibm_results)) return "results";
    if (std::regex_match(r.path, ibm_cancel)) return "cancel";
    if (std::regex_match(r.path, ibm_job)) return "status";
  }
  return "";
}

ServerReply QpuEmulator::handle(const ServerRequest& request) {
  std::lock_guard lock(mutex_);
  ++stats_.requests;
  if (request.path == "/_emulator/faults" && request.method == "POST") {
    const json body = json::parse(request.body, nullptr, false);
    if (!body.is_object() || !body.contains("faults") || !body["faults"].is_string()) {
      return reply_json(400, {{"error", "body must be {\"faults\": \"...\"}"}});
    }
    try {
      const std::vector<Fault> parsed = parse_faults(body["faults"]);
      faults_.insert(faults_.end(), parsed.begin(), parsed.end());
    } catch (const std::invalid_argument& e) {
      return reply_json(400, {{"error", e.what()}});
    }
    return reply_json(200, {{"queued", body["faults"]}});
  }
  if (request.path == "/_emulator/stats") {
    int left = 0;
    for (const Fault& f : faults_) left += f.remaining;
    return reply_json(200, {{"requests", stats_.requests},
                            {"jobs_created", stats_.jobs_created},
                            {"cancels", stats_.cancels},
                            {"faults_left", left},
                            {"per_route", stats_.per_route}});
  }
  const std::string route = route_of(request);
  if (route.empty()) {
    return options_.provider == "ionq" ? ionq_error(404, "Not Found", "no route " + request.path)
                                       : ibm_error(404, "1234", "no route " + request.path);
  }
  ++stats_.per_route[route];
  const std::string fault = take_fault(route);
  const bool ionq = options_.provider == "ionq";
  if (fault == "429" || fault == "429-bare") {
    ServerReply r = ionq ? ionq_error(429, "Too Many Requests", "rate limit exceeded")
                         : ibm_error(429, "3429", "rate limit exceeded");
    if (fault == "429") r.headers.push_back({"Retry-After", "1"});
    return r;
  }
  if (fault == "503") {
    return ionq ? ionq_error(503, "Service Unavailable", "try again later")
                : ibm_error(503, "3503", "try again later");
  }
  if (fault == "502-html") {
    ServerReply r;
    r.status = 502;
    r.content_type = "text/html";
    r.body =
        "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad "
        "Gateway</h1></body></html>";
    return r;
  }
  if (fault == "token-expired") {
    tokens_.clear();
    return ionq ? ionq_error(401, "Unauthorized", "token expired")
                : ibm_error(401, "3401", "the access token has expired");
  }
  ServerReply reply;
  if (fault == "never-finishes" || fault == "fail" || fault == "ran-too-long") {
    reply = ionq ? route_ionq(request, route) : route_ibm(request, route);
    if (reply.status < 300 && !job_order_.empty()) {
      Job& job = *jobs_[job_order_.back()];
      job.never_finishes = fault == "never-finishes";
      job.runs_too_long = fault == "ran-too-long";
      if (fault == "fail") {
        job.fails = true;
        job.reason = "the emulator failed this job on request";
        job.reason_code = ionq ? "internal_error" : "1000";
      }
    }
  } else {
    reply = ionq ? route_ionq(request, route) : route_ibm(request, route);
  }
  if (fault == "create-then-503") {
    return ionq ? ionq_error(503, "Service Unavailable", "upstream timeout")
                : ibm_error(503, "3503", "upstream timeout");
  }
  if (fault == "drop") reply.wire = ServerReply::Wire::Drop;
  if (fault == "stall") {
    reply.wire = ServerReply::Wire::Stall;
    reply.stall_s = options_.stall_s;
  }
  if (fault == "truncated-json") reply.body = reply.body.substr(0, reply.body.size() / 2);
  if (fault == "legacy-children" && reply.status == 200) {
    json j = json::parse(reply.body);
    if (j.contains("child_job_ids")) {
      j["children"] = j["child_job_ids"];
      j.erase("child_job_ids");
    }
    reply.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (fault == "unknown-status" && reply.status == 200) {
    json j = json::parse(reply.body);
    if (ionq) {
      j["status"] = "teleporting";
    } else {
      j["state"]["status"] = "Teleporting";
    }
    reply.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return reply;
}

void QpuEmulator::advance(Job& job) {
  if (job.state != "queued" && job.state != "running") return;
  ++job.polls;
  if (job.never_finishes) {
    job.state = "running";
    return;
  }
  if (job.polls < (options_.polls_to_finish + 1) / 2) return;
  if (job.polls < options_.polls_to_finish) {
    job.state = "running";
    return;
  }
  if (job.runs_too_long) {
    job.state = "cancelled";
    job.cancelled_as = "Cancelled - Ran too long";
    job.reason = "the job exceeded its maximum execution time";
    return;
  }
  if (job.fails) {
    job.state = "failed";
    return;
  }
  // The simulation runs on its own thread; the job stays running until it is done.
  if (!job.work.valid()) {
    job.state = "running";
    job.work = std::async(std::launch::async, [this, &job]() -> std::string {
      try {
        run(job);
        return "";
      } catch (const std::exception& e) {
        return e.what();
      }
    });
    return;
  }
  if (job.work.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
  const std::string failure = job.work.get();
  if (!failure.empty()) {
    job.reason = fmt::format("the emulator could not run the job: {}", failure);
    job.reason_code = "1003";
  }
  job.state = failure.empty() ? "completed" : "failed";
}

void QpuEmulator::run(Job& job) const {
  // IonQ's noise models are depolarising channels after every gate, at the one- and two-qubit
  // error rates IonQ publishes for each QPU ("Simulation with noise models").
  static const std::map<std::string, std::pair<double, double>> kIonqNoise = {
      {"aria-1", {0.0005, 0.0133}},
      {"aria-2", {0.0006573333333333332, 0.01856}},
      {"forte-1", {0.0002666666666666667, 0.004949333333333333}},
      {"forte-enterprise-1", {0.0002666666666666667, 0.004949333333333333}},
      {"harmony", {0.0005, 0.0133}}};
  dm::NoiseModel noise = options_.noise;
  if (job.noise_model != "ideal") {
    const auto it = kIonqNoise.find(job.noise_model);
    require(it != kIonqNoise.end(), "no noise model '{}'", job.noise_model);
    noise.depolarizing = it->second.first;
    noise.depolarizing_2q = it->second.second;
  }
  BackendOptions o;
  o.threads = 1;
  o.noise = noise;
  // Noisy jobs run as trajectories: dynamic circuits and every device width fit, as on the device.
  const auto backend = make_backend(noise.noiseless() ? "statevector" : "trajectories", o);
  const bool exact = options_.provider == "ionq" && job.backend == "simulator" &&
                     job.noise_model == "ideal" && noise.noiseless();
  if (options_.device_noise) {
    // As the device would run them: its calibrated noise on its ISA circuits, one trajectory a
    // shot (IBM circuits; the constructor refuses device noise for IonQ).
    const auto noisy_backend = make_backend("trajectories", o);
    for (size_t k = 0; k < job.circuits.size(); ++k) {
      job.samples.push_back(noisy_backend->sample(
          noise::with_device_noise(job.circuits[k], *device_), job.shots, job.seed + k));
    }
    return;
  }
  for (size_t k = 0; k < job.programs.size(); ++k) {
    const Program& p = job.programs[k];
    if (!exact) {
      job.samples.push_back(backend->sample(p, job.shots, job.seed + k));
      continue;
    }
    // The ideal simulator's answer: the exact distribution over every qubit.
    Circuit gates(p.num_qubits());
    for (const Instruction& i : p.instructions()) {
      if (const Op* op = std::get_if<Op>(&i)) gates.add(*op);
    }
    Pipeline pipeline(p.num_qubits());
    pipeline.add(UnitaryBlock{gates, 0});
    const StateBatch out =
        backend->forward(pipeline, {}, StateBatch::basis_zero(p.num_qubits(), 1), {}).output;
    std::map<uint64_t, double> dist;
    for (size_t i = 0; i < out.dim(); ++i) {
      const double q = std::norm(out.amp(0, i));
      if (q > 1e-15) dist[i] = q;
    }
    job.exact.push_back(std::move(dist));
  }
}

}  // namespace qdm::rest
