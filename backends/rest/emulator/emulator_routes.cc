// The provider routes of QpuEmulator: IonQ v0.4 and IBM Qiskit Runtime, as their documentation
// describes them, over the emulator's job store.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>
#include <random>

#include "backends/rest/emulator/emulator_job.h"
#include "backends/rest/emulator/qpu_emulator.h"
#include "backends/rest/wire_formats.h"
#include "framework/transpile/transpile.h"

namespace qdm::rest {

using nlohmann::json;

namespace {

std::string job_id_from(const std::string& path, size_t prefix) {
  const size_t end = path.find('/', prefix);
  return path.substr(prefix, end == std::string::npos ? std::string::npos : end - prefix);
}

std::string form_field(const std::string& body, const std::string& key) {
  size_t start = 0;
  while (start <= body.size()) {
    const size_t amp = std::min(body.find('&', start), body.size());
    const std::string pair = body.substr(start, amp - start);
    if (pair.rfind(key + "=", 0) == 0) {
      const std::string v = pair.substr(key.size() + 1);
      std::string out;
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%' && i + 2 < v.size()) {
          out += static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          out += v[i] == '+' ? ' ' : v[i];
        }
      }
      return out;
    }
    start = amp + 1;
  }
  return "";
}

const char* ionq_status(const std::string& state, int polls) {
  if (state == "queued") return polls == 0 ? "submitted" : "ready";
  if (state == "running") return "started";
  if (state == "cancelled") return "canceled";
  return state == "completed" ? "completed" : "failed";
}

const char* ibm_status(const std::string& state) {
  if (state == "queued") return "Queued";
  if (state == "running") return "Running";
  if (state == "completed") return "Completed";
  if (state == "cancelled") return "Cancelled";
  return "Failed";
}

}  // namespace

ServerReply QpuEmulator::route_ionq(const ServerRequest& req, const std::string& route) {
  if (req.header("authorization") != "apiKey " + options_.api_key) {
    return ionq_error(401, "Unauthorized", "invalid or missing API key");
  }
  if (route == "create") {
    // The v0.4 Create job body: type, backend, shots, name, metadata, noise, input.
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) return ionq_error(400, "Bad Request", "the body is not JSON");
    const std::string type = body.value("type", std::string());
    if (type != "ionq.circuit.v1" && type != "ionq.multi-circuit.v1") {
      return ionq_error(400, "Bad Request",
                        "type must be ionq.circuit.v1 or ionq.multi-circuit.v1");
    }
    if (!body.contains("backend") || !body["backend"].is_string()) {
      return ionq_error(400, "Bad Request", "backend is required (simulator or qpu.NAME)");
    }
    const std::string backend = body["backend"];
    if (backend != "simulator" && backend.rfind("qpu.", 0) != 0) {
      return ionq_error(400, "Bad Request",
                        "backend '" + backend + "' is not simulator or qpu.NAME");
    }
    std::string noise_model = "ideal";
    if (body.contains("noise")) {
      const json& noise = body["noise"];
      if (!noise.is_object() || !noise.contains("model") || !noise["model"].is_string()) {
        return ionq_error(400, "Bad Request", "noise must be {\"model\": NAME[, \"seed\": N]}");
      }
      noise_model = noise["model"];
      static const std::vector<std::string> models = {"ideal",  "harmony", "aria-1",
                                                      "aria-2", "forte-1", "forte-enterprise-1"};
      if (std::find(models.begin(), models.end(), noise_model) == models.end()) {
        return ionq_error(400, "Bad Request", "noise model '" + noise_model + "' is not known");
      }
      if (backend != "simulator" && noise_model != "ideal") {
        return ionq_error(400, "Bad Request", "noise models apply to the simulator backend only");
      }
    }
    const json input = body.value("input", json::object());
    if (input.value("gateset", std::string()) != "qis") {
      return ionq_error(400, "Bad Request", "input.gateset must be qis");
    }
    const int qubits = input.value("qubits", 0);
    if (qubits < 1 || qubits > options_.max_qubits) {
      return ionq_error(
          400, "Bad Request",
          fmt::format("input.qubits {} is outside 1..{}", qubits, options_.max_qubits));
    }
    if (!body.contains("shots") || !body["shots"].is_number_integer()) {
      return ionq_error(400, "Bad Request", "shots must be an integer");
    }
    const int shots = body["shots"];
    if (shots < 1 || shots > 100000) {
      return ionq_error(400, "Bad Request", "shots must be 1..100000");
    }
    if (body.contains("metadata")) {
      const json& m = body["metadata"];
      if (!m.is_object() || m.size() > 10) {
        return ionq_error(400, "Bad Request", "metadata must be an object of at most 10 keys");
      }
      for (const auto& [k, v] : m.items()) {
        if (k.size() > 40 || !v.is_string() || v.get<std::string>().size() > 400) {
          return ionq_error(400, "Bad Request",
                            "metadata '" + k +
                                "': keys of at most 40 and string values of at "
                                "most 400 characters");
        }
      }
    }
    auto job = std::make_shared<Job>();
    job->id = fmt::format("ionq-{:08x}-{}", options_.seed, next_id_);
    job->seed = options_.seed * 1000003 + next_id_++;
    job->name = body.value("name", std::string());
    job->type = type;
    job->backend = backend;
    job->noise_model = noise_model;
    job->metadata = body.value("metadata", json::object());
    job->shots = shots;
    job->qubits = qubits;
    const auto program = [&](const json& circuit) {
      NativeCircuit c = parse_ionq_json(circuit, qubits);
      for (int q = 0; q < qubits; ++q) c.ops.push_back({"measure", {q}, 0, q});  // every qubit
      return to_program(c);
    };
    try {
      if (type == "ionq.circuit.v1") {
        job->programs.push_back(program(input.at("circuit")));
      } else {
        const json& list = input.at("circuits");
        if (!list.is_array() || list.empty()) throw std::invalid_argument("circuits is empty");
        for (size_t k = 0; k < list.size(); ++k) {
          job->programs.push_back(program(list[k].at("circuit")));
          job->children.push_back(fmt::format("{}-{}", job->id, k));
        }
      }
    } catch (const std::exception& e) {
      return ionq_error(400, "Bad Request", e.what());
    }
    jobs_[job->id] = job;
    job_order_.push_back(job->id);
    ++stats_.jobs_created;
    return reply_json(200, {{"id", job->id}, {"status", "submitted"}, {"session_id", nullptr}});
  }
  if (route == "list") return ionq_list(req);
  const std::string id = job_id_from(req.path, std::string("/v0.4/jobs/").size());
  const auto it = jobs_.find(id);
  if (it == jobs_.end()) return ionq_error(404, "Not Found", "no job " + id);
  Job& job = *it->second;
  if (route == "cancel") {
    if (job.state == "queued" || job.state == "running") job.state = "cancelled";
    ++stats_.cancels;
    return reply_json(200, {{"id", job.id}, {"status", ionq_status(job.state, job.polls)}});
  }
  if (route == "results") {
    if (job.state != "completed")
      return ionq_error(400, "Bad Request", "the job has not completed");
    // The ideal simulator: exact probabilities; otherwise the frequencies of the shots.
    const auto probabilities = [&](size_t k) {
      json p = json::object();
      if (!job.exact.empty()) {
        for (const auto& [bits, q] : job.exact[k]) p[std::to_string(bits)] = q;
        return p;
      }
      std::map<uint64_t, int> counts;
      for (uint64_t s : job.samples[k]) ++counts[s];
      for (const auto& [bits, n] : counts) {
        p[std::to_string(bits)] = static_cast<double>(n) / job.shots;
      }
      return p;
    };
    if (job.children.empty()) return reply_json(200, probabilities(0));
    json all = json::object();
    for (size_t k = 0; k < job.children.size(); ++k) all[job.children[k]] = probabilities(k);
    return reply_json(200, all);
  }
  advance(job);
  // The v0.4 Get job reply (IonQ's OpenAPI, GetJob).
  json j = {
      {"id", job.id},
      {"name", job.name},
      {"type", job.type},
      {"backend", job.backend},
      {"dry_run", false},
      {"status", ionq_status(job.state, job.polls)},
      {"parent_job_id", nullptr},
      {"child_job_ids", job.children.empty() ? json(nullptr) : json(job.children)},
      {"session_id", nullptr},
      {"metadata", job.metadata},
      {"stats", {{"qubits", job.qubits}, {"circuits", std::max<size_t>(1, job.programs.size())}}},
      {"noise", {{"model", job.noise_model}}},
      {"failure", nullptr},
      {"results", nullptr},
      {"output", json::object()}};
  if (job.backend != "simulator" || job.noise_model != "ideal") j["shots"] = job.shots;
  if (job.state == "failed") j["failure"] = {{"code", job.reason_code}, {"error", job.reason}};
  if (job.state == "cancelled" && !job.reason.empty()) {
    j["failure"] = {{"code", "canceled"}, {"error", job.reason}};
  }
  if (job.state == "completed") {
    j["results"] = {
        {"probabilities", {{"url", "/v0.4/jobs/" + job.id + "/results/probabilities"}}}};
  }
  return reply_json(200, j);
}

ServerReply QpuEmulator::ionq_list(const ServerRequest& req) const {
  constexpr int kDefaultLimit = 25, kMaxLimit = 100;
  int limit = kDefaultLimit;
  if (req.query.count("limit")) {
    const std::string& text = req.query.at("limit");
    size_t used = 0;
    try {
      limit = std::stoi(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || limit < 1 || limit > kMaxLimit) {
      return ionq_error(400, "Bad Request",
                        fmt::format("limit '{}' is not an integer in [1, {}]", text, kMaxLimit));
    }
  }
  auto it = job_order_.rbegin();
  if (req.query.count("next")) {
    const std::string& cursor = req.query.at("next");
    it = std::find(job_order_.rbegin(), job_order_.rend(), cursor);
    if (it == job_order_.rend()) return ionq_error(400, "Bad Request", "unknown cursor " + cursor);
    ++it;  // the cursor is the last job of the previous page
  }
  json list = json::array();
  for (; it != job_order_.rend() && static_cast<int>(list.size()) < limit; ++it) {
    const Job& j = *jobs_.at(*it);
    list.push_back({{"id", j.id},
                    {"name", j.name},
                    {"status", ionq_status(j.state, j.polls)},
                    {"metadata", j.metadata}});
  }
  const json next = it == job_order_.rend() ? json(nullptr) : json(list.back()["id"]);
  return reply_json(200, {{"jobs", list}, {"next", next}});
}

ServerReply QpuEmulator::route_ibm(const ServerRequest& req, const std::string& route) {
  if (route == "token") {
    if (form_field(req.body, "grant_type") != "urn:ibm:params:oauth:grant-type:apikey") {
      return reply_json(400, {{"errorCode", "BXNIM0109E"},
                              {"errorMessage", "Property missing or empty: grant_type"}});
    }
    if (form_field(req.body, "apikey") != options_.api_key) {
      return reply_json(400, {{"errorCode", "BXNIM0415E"},
                              {"errorMessage", "Provided API key could not be found."}});
    }
    std::mt19937_64 bits(options_.seed + 7919 * (next_id_ + tokens_.size()));
    const std::string token = fmt::format("tok{:016x}{:016x}", bits(), bits());
    tokens_[token] = true;
    return reply_json(200, {{"access_token", token},
                            {"token_type", "Bearer"},
                            {"expires_in", options_.token_lifetime_s}});
  }
  const std::string auth = req.header("authorization");
  if (auth.rfind("Bearer ", 0) != 0 || !tokens_.count(auth.substr(7))) {
    return ibm_error(401, "3401", "invalid or expired access token");
  }
  if (req.header("service-crn").empty()) return ibm_error(400, "3400", "Service-CRN is missing");
  if (route == "backend") return ibm_backend_route(req, route);
  if (route == "create") {
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || body.value("program_id", std::string()) != "sampler") {
      return ibm_error(400, "3400", "program_id must be sampler");
    }
    const std::string backend = body.value("backend", std::string());
    if (backend != device_->name()) {
      return ibm_error(404, "1007", "Backend not found: '" + backend + "'");
    }
    const json params = body.value("params", json::object());
    const json pubs = params.value("pubs", json::array());
    if (!pubs.is_array() || pubs.empty()) return ibm_error(400, "3400", "params.pubs is empty");
    auto job = std::make_shared<Job>();
    job->id = fmt::format("ibm{:08x}n{}", options_.seed, next_id_);
    job->seed = options_.seed * 1000003 + next_id_++;
    job->backend = backend;
    for (const auto& t : body.value("tags", json::array())) {
      if (t.is_string()) job->tags.push_back(t);
    }
    std::vector<std::string> not_isa;
    try {
      for (size_t k = 0; k < pubs.size(); ++k) {
        const json& pub = pubs[k];
        if (!pub.is_array() || pub.empty() || pub.size() > 3 || !pub[0].is_string() ||
            (pub.size() == 3 && !pub[2].is_null() && !pub[2].is_number_integer())) {
          throw std::invalid_argument(
              "each pub must be [qasm], [qasm, params] or "
              "[qasm, params, shots]");
        }
        const NativeCircuit c = parse_qasm3(pub[0].get<std::string>());
        // Since March 2024 only ISA circuits run: the device's gates on its coupled qubits.
        for (const std::string& why : isa_violations(c, *device_, 3)) {
          not_isa.push_back(fmt::format("pub {} {}", k, why));
        }
        if (not_isa.empty()) {
          job->programs.push_back(to_program(c));
          job->circuits.push_back(c);
        }
        job->shots = pub.size() == 3 && pub[2].is_number_integer() ? pub[2].get<int>() : 4096;
        if (job->shots < 1 || job->shots > 100000) throw std::invalid_argument("shots 1..100000");
      }
    } catch (const std::exception& e) {
      return ibm_error(400, "3400", e.what());
    }
    if (!not_isa.empty()) {
      job->fails = true;
      job->reason_code = "1517";
      job->reason = fmt::format(
          "Circuits do not match the target definition (non-ISA circuits). -- {} -- Transpile "
          "your circuits for the target before submitting a primitive query. -- "
          "https://ibm.biz/error_codes#1517",
          fmt::join(not_isa, "; "));
      job->programs.clear();
      job->circuits.clear();
    }
    for (const Program& p : job->programs) {
      if (p.num_qubits() > options_.max_qubits) {
        return ibm_error(400, "3400",
                         fmt::format("the emulator simulates at most {} qubits; a "
                                     "circuit uses {}",
                                     options_.max_qubits, p.num_qubits()));
      }
    }
    jobs_[job->id] = job;
    job_order_.push_back(job->id);
    ++stats_.jobs_created;
    return reply_json(200, {{"id", job->id}, {"backend", backend}});
  }
  if (route == "list") {
    const std::string want = req.query.count("tags") ? req.query.at("tags") : "";
    json list = json::array();
    for (const std::string& id : job_order_) {
      const Job& j = *jobs_[id];
      if (!want.empty() && std::find(j.tags.begin(), j.tags.end(), want) == j.tags.end()) continue;
      list.push_back({{"id", j.id}, {"tags", j.tags}, {"status", ibm_status(j.state)}});
    }
    return reply_json(200, {{"jobs", list}, {"count", list.size()}});
  }
  const std::string id = job_id_from(req.path, std::string("/api/v1/jobs/").size());
  const auto it = jobs_.find(id);
  if (it == jobs_.end()) return ibm_error(404, "3404", "job " + id + " not found");
  Job& job = *it->second;
  if (route == "cancel") {
    if (job.state == "queued" || job.state == "running") job.state = "cancelled";
    ++stats_.cancels;
    ServerReply r;
    r.status = 204;
    return r;
  }
  if (route == "results") {
    if (job.state != "completed") return ibm_error(400, "3400", "the job has not completed");
    json results = json::array();
    for (size_t k = 0; k < job.samples.size(); ++k) {
      json hex = json::array();
      for (uint64_t s : job.samples[k]) hex.push_back(fmt::format("0x{:x}", s));
      const int bits = job.programs[k].num_clbits();
      results.push_back({{"data", {{"c", {{"samples", hex}, {"num_bits", bits}}}}},
                         {"metadata", {{"circuit_metadata", json::object()}}}});
    }
    return reply_json(200, {{"results", results}, {"metadata", {{"version", 2}}}});
  }
  advance(job);
  const std::string status = job.state == "cancelled" ? job.cancelled_as : ibm_status(job.state);
  json state = {{"status", status}};
  if (!job.reason.empty()) state["reason"] = job.reason;
  if (!job.reason_code.empty()) state["reason_code"] = std::stoi(job.reason_code);
  return reply_json(200, {{"id", job.id},
                          {"backend", job.backend},
                          {"program", {{"id", "sampler"}}},
                          {"status", status},
                          {"state", state},
                          {"tags", job.tags}});
}

ServerReply QpuEmulator::ibm_backend_route(const ServerRequest& req, const std::string&) const {
  // GET /api/v1/backends/{name}/configuration or /properties: the device's own documents.
  const std::string prefix = "/api/v1/backends/";
  const size_t slash = req.path.find('/', prefix.size());
  const std::string name = req.path.substr(prefix.size(), slash - prefix.size());
  const std::string what = req.path.substr(slash + 1);
  if (req.method != "GET") return ibm_error(405, "3405", "method not allowed");
  if (name != device_->name()) return ibm_error(404, "1007", "Backend not found: '" + name + "'");
  return reply_json(
      200, what == "configuration" ? options_.device_configuration : options_.device_properties);
}

}  // namespace qdm::rest
