// The provider routes of QpuEmulator: IonQ v0.4 and IBM Qiskit Runtime, as their documentation
// describes them, over the emulator's job store.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <random>

#include "backends/rest/emulator/emulator_job.h"
#include "backends/rest/emulator/qpu_emulator.h"
#include "backends/rest/native_circuit.h"

namespace qdm::rest {

using nlohmann::json;

namespace {

ServerReply reply_json(int status, const json& body) {
  ServerReply r;
  r.status = status;
  r.body = body.dump();
  return r;
}
ServerReply ionq_fail(int status, const std::string& error, const std::string& message) {
  return reply_json(status, {{"error", error}, {"message", message}, {"statusCode", status}});
}
ServerReply ibm_fail(int status, const std::string& code, const std::string& message) {
  return reply_json(status,
                    {{"errors", {{{"code", code}, {"message", message}, {"more_info", ""}}}},
                     {"trace", "emulator"}});
}

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
    return ionq_fail(401, "Unauthorized", "invalid or missing API key");
  }
  if (route == "create") {
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) return ionq_fail(400, "Bad Request", "the body is not JSON");
    const std::string type = body.value("type", std::string());
    if (type != "ionq.circuit.v1" && type != "ionq.multi-circuit.v1") {
      return ionq_fail(400, "Bad Request", "type must be ionq.circuit.v1 or ionq.multi-circuit.v1");
    }
    const json input = body.value("input", json::object());
    if (input.value("gateset", std::string()) != "qis") {
      return ionq_fail(400, "Bad Request", "input.gateset must be qis");
    }
    const int qubits = input.value("qubits", 0);
    if (qubits < 1 || qubits > options_.max_qubits) {
      return ionq_fail(
          400, "Bad Request",
          fmt::format("input.qubits {} is outside 1..{}", qubits, options_.max_qubits));
    }
    const int shots = body.value("shots", 0);
    if (shots < 1 || shots > 100000)
      return ionq_fail(400, "Bad Request", "shots must be 1..100000");
    auto job = std::make_shared<Job>();
    job->id = fmt::format("ionq-{:08x}-{}", options_.seed, next_id_);
    job->seed = options_.seed * 1000003 + next_id_++;
    job->name = body.value("name", std::string());
    job->metadata = body.value("metadata", json::object());
    job->shots = shots;
    try {
      if (type == "ionq.circuit.v1") {
        job->circuits.push_back(to_ir(parse_ionq_json(input.at("circuit"), qubits)));
      } else {
        const json& list = input.at("circuits");
        if (!list.is_array() || list.empty()) throw std::invalid_argument("circuits is empty");
        for (size_t k = 0; k < list.size(); ++k) {
          job->circuits.push_back(to_ir(parse_ionq_json(list[k].at("circuit"), qubits)));
          job->children.push_back(fmt::format("{}-{}", job->id, k));
        }
      }
    } catch (const std::exception& e) {
      return ionq_fail(400, "Bad Request", e.what());
    }
    jobs_[job->id] = job;
    job_order_.push_back(job->id);
    ++stats_.jobs_created;
    return reply_json(200, {{"id", job->id}, {"status", "submitted"}});
  }
  if (route == "list") return ionq_list(req);
  const std::string id = job_id_from(req.path, std::string("/v0.4/jobs/").size());
  const auto it = jobs_.find(id);
  if (it == jobs_.end()) return ionq_fail(404, "Not Found", "no job " + id);
  Job& job = *it->second;
  if (route == "cancel") {
    if (job.state == "queued" || job.state == "running") job.state = "cancelled";
    ++stats_.cancels;
    return reply_json(200, {{"id", job.id}, {"status", ionq_status(job.state, job.polls)}});
  }
  if (route == "results") {
    if (job.state != "completed") return ionq_fail(400, "Bad Request", "the job has not completed");
    const auto probabilities = [&](const std::vector<uint64_t>& samples) {
      std::map<uint64_t, int> counts;
      for (uint64_t s : samples) ++counts[s];
      json p = json::object();
      for (const auto& [bits, n] : counts) {
        p[std::to_string(bits)] = static_cast<double>(n) / job.shots;
      }
      return p;
    };
    if (job.children.empty()) return reply_json(200, probabilities(job.samples.front()));
    json all = json::object();
    for (size_t k = 0; k < job.children.size(); ++k) {
      all[job.children[k]] = probabilities(job.samples[k]);
    }
    return reply_json(200, all);
  }
  advance(job);
  json j = {{"id", job.id},
            {"name", job.name},
            {"status", ionq_status(job.state, job.polls)},
            {"shots", job.shots},
            {"metadata", job.metadata}};
  if (!job.children.empty()) j["children"] = job.children;
  if (job.state == "failed") {
    j["failure"] = {{"code", "internal_error"},
                    {"error", "the emulator failed this job on request"}};
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
      return ionq_fail(400, "Bad Request",
                       fmt::format("limit '{}' is not an integer in [1, {}]", text, kMaxLimit));
    }
  }
  auto it = job_order_.rbegin();
  if (req.query.count("next")) {
    const std::string& cursor = req.query.at("next");
    it = std::find(job_order_.rbegin(), job_order_.rend(), cursor);
    if (it == job_order_.rend()) return ionq_fail(400, "Bad Request", "unknown cursor " + cursor);
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
    return ibm_fail(401, "3401", "invalid or expired access token");
  }
  if (req.header("service-crn").empty()) return ibm_fail(400, "3400", "Service-CRN is missing");
  if (route == "create") {
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || body.value("program_id", std::string()) != "sampler") {
      return ibm_fail(400, "3400", "program_id must be sampler");
    }
    const json params = body.value("params", json::object());
    const json pubs = params.value("pubs", json::array());
    if (!pubs.is_array() || pubs.empty()) return ibm_fail(400, "3400", "params.pubs is empty");
    auto job = std::make_shared<Job>();
    job->id = fmt::format("ibm{:08x}n{}", options_.seed, next_id_);
    job->seed = options_.seed * 1000003 + next_id_++;
    for (const auto& t : body.value("tags", json::array())) {
      if (t.is_string()) job->tags.push_back(t);
    }
    try {
      for (const json& pub : pubs) {
        if (!pub.is_array() || pub.size() != 3 || !pub[0].is_string() || !pub[2].is_number()) {
          throw std::invalid_argument("each pub must be [qasm, null, shots]");
        }
        const NativeCircuit c = parse_qasm3(pub[0].get<std::string>());
        if (c.num_qubits > options_.max_qubits) {
          throw std::invalid_argument(
              fmt::format("{} qubits exceed the backend's {}", c.num_qubits, options_.max_qubits));
        }
        job->circuits.push_back(to_ir(c));
        job->shots = pub[2].get<int>();
        if (job->shots < 1 || job->shots > 100000) throw std::invalid_argument("shots 1..100000");
      }
    } catch (const std::exception& e) {
      return ibm_fail(400, "3400", e.what());
    }
    jobs_[job->id] = job;
    job_order_.push_back(job->id);
    ++stats_.jobs_created;
    return reply_json(200, {{"id", job->id}, {"backend", body.value("backend", std::string())}});
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
  if (it == jobs_.end()) return ibm_fail(404, "3404", "job " + id + " not found");
  Job& job = *it->second;
  if (route == "cancel") {
    if (job.state == "queued" || job.state == "running") job.state = "cancelled";
    ++stats_.cancels;
    ServerReply r;
    r.status = 204;
    return r;
  }
  if (route == "results") {
    if (job.state != "completed") return ibm_fail(400, "3400", "the job has not completed");
    json results = json::array();
    const int bits = job.circuits.front().num_qubits();
    for (const auto& samples : job.samples) {
      json hex = json::array();
      for (uint64_t s : samples) hex.push_back(fmt::format("0x{:x}", s));
      results.push_back({{"data", {{"c", {{"samples", hex}, {"num_bits", bits}}}}},
                         {"metadata", {{"circuit_metadata", json::object()}}}});
    }
    return reply_json(200, {{"results", results}, {"metadata", {{"version", 2}}}});
  }
  advance(job);
  json state = {{"status", ibm_status(job.state)}};
  if (job.state == "failed") state["reason"] = "the emulator failed this job on request";
  return reply_json(
      200,
      {{"id", job.id}, {"status", ibm_status(job.state)}, {"state", state}, {"tags", job.tags}});
}

}  // namespace qdm::rest
