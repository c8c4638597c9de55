// The QPU emulator's HTTP requests: the bytes clients send (head, blank line, body) parsed by the
// server, then routed by an IonQ and an IBM emulator. A malformed head throws
// std::invalid_argument or std::length_error (answered 400 or 413); every routed request gets an
// answer that is not 500, since a 500 would mean the emulator failed on the client's input.
#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "backends/rest/emulator/http_server.h"
#include "backends/rest/emulator/qpu_emulator.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

nlohmann::json fixture(const char* name) {
  std::ifstream in(std::string(QDM_SOURCE_DIR) + "/tests/fixtures/ibm/" + name);
  return nlohmann::json::parse(in);
}

qdm::rest::EmulatorOptions options(const std::string& provider) {
  qdm::rest::EmulatorOptions o;
  o.provider = provider;
  o.api_key = "fuzz-key";
  o.max_qubits = 8;  // every accepted job stays quick to simulate
  if (provider == "ibm") {
    static const nlohmann::json conf = fixture("conf_torino.json");
    static const nlohmann::json props = fixture("props_torino.json");
    o.device_configuration = conf;
    o.device_properties = props;
  }
  return o;
}

/// The IBM emulator's bearer token, from its IAM route as a client gets it.
std::string ibm_token(qdm::rest::QpuEmulator& emulator) {
  qdm::rest::ServerRequest t;
  t.method = "POST";
  t.path = "/identity/token";
  t.headers["content-type"] = "application/x-www-form-urlencoded";
  t.body = "grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=fuzz-key";
  return nlohmann::json::parse(emulator.handle(t).body).at("access_token");
}

/// `text` with every `$NAME` replaced by its value.
std::string substitute(std::string text, const std::string& name, const std::string& value) {
  for (size_t at; (at = text.find(name)) != std::string::npos;)
    text.replace(at, name.size(), value);
  return text;
}

}  // namespace

QDM_FUZZ_TARGET(http_request) {
  // The input is up to eight requests back to back, sent to a fresh emulator of each provider in
  // turn: "$TOKEN" in a header stands for a valid IBM token, "$JOB" in a path for the last job
  // created, so a sequence can create a job, poll it to the end and fetch its results.
  std::vector<qdm::rest::ServerRequest> requests;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (!rest.empty() && requests.size() < 8) {
    const size_t head_end = rest.find("\r\n\r\n");
    if (head_end == std::string_view::npos || head_end > qdm::rest::kMaxRequestHead) break;
    try {
      qdm::rest::ServerRequest r = qdm::rest::parse_request_head(rest.substr(0, head_end));
      const size_t length = qdm::rest::request_body_length(r);
      r.body = std::string(rest.substr(head_end + 4, length));
      rest.remove_prefix(std::min(rest.size(), head_end + 4 + length));
      requests.push_back(std::move(r));
    } catch (const std::invalid_argument&) {
      break;
    } catch (const std::length_error&) {
      break;
    }
  }
  for (const char* provider : {"ionq", "ibm"}) {
    qdm::rest::QpuEmulator emulator(options(provider));
    const std::string token = std::string(provider) == "ibm" ? ibm_token(emulator) : "";
    std::string job;
    for (qdm::rest::ServerRequest request : requests) {
      request.path = substitute(request.path, "$JOB", job);
      for (auto& [name, value] : request.headers) value = substitute(value, "$TOKEN", token);
      const qdm::rest::ServerReply reply = emulator.handle(request);
      if (reply.status == 500) {
        fmt::print(stderr, "{} emulator answered 500 to {} {}: {}\n", provider, request.method,
                   request.path, reply.body);
      }
      qdm::fuzz::fuzz_check(reply.status != 500, "the emulator answers a client's input, not 500");
      const nlohmann::json body = nlohmann::json::parse(reply.body, nullptr, false);
      if (request.method == "POST" && body.is_object() && body.contains("id") &&
          body["id"].is_string()) {
        job = body["id"];
      }
    }
  }
  return 0;
}
