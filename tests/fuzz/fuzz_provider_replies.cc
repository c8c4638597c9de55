// What IonQ's and IBM's servers answer, as the clients read it: every reply body (and status) is
// the fuzz input, for job creation, status, results, lookup by nonce and (IBM) the device
// documents. A reply the client cannot use is a DataError (or, for statuses it retries, a
// deadline); never a JSON library error, a crash or a hang.
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "backends/rest/qpu_provider.h"
#include "backends/rest/qpu_settings.h"
#include "framework/circuit/circuit.h"
#include "framework/circuit/program.h"
#include "framework/device/device.h"
#include "framework/error.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

using namespace qdm::rest;

/// Answers every request with the same status and body; the IAM token endpoint with a token.
class ReplayTransport : public HttpTransport {
 public:
  ReplayTransport(long status, std::string body) : status_(status), body_(std::move(body)) {}
  HttpResponse send(const HttpRequest& request) override {
    HttpResponse r;
    if (request.url.find("/identity/token") != std::string::npos) {
      r.status = 200;
      r.body = R"({"access_token": "t", "expires_in": 3600, "token_type": "Bearer"})";
      return r;
    }
    r.status = status_;
    r.body = body_;
    return r;
  }

 private:
  long status_;
  std::string body_;
};

QpuSettings settings(const std::string& provider) {
  QpuSettings s = default_qpu_settings(provider);
  s.base_url = "http://fuzz.invalid";
  s.token_url = s.base_url + "/identity/token";
  s.service_crn = "crn:v1:fuzz";
  s.api_key_env = "QDM_FUZZ_QPU_KEY";
  s.device = provider == "ibm" ? "ibm_torino" : "simulator";
  s.retry.max_attempts = 2;
  s.retry.base_delay_s = 0;
  s.retry.max_delay_s = 0;
  s.poll_interval_s = 0;
  return s;
}

const qdm::Device& torino() {
  static const qdm::Device d =
      qdm::load_ibm_device(std::string(QDM_SOURCE_DIR) + "/tests/fixtures/ibm/conf_torino.json");
  return d;
}

template <class F>
void expect_clear_error(F&& call) {
  try {
    call();
  } catch (const qdm::DataError&) {
  } catch (const std::invalid_argument&) {
  } catch (const DeadlineExceeded&) {
  } catch (const TransportError&) {
  } catch (const JobRefused&) {  // a 4xx answer to a job submission, with the provider's words
  }
}

}  // namespace

QDM_FUZZ_TARGET(provider_replies) {
  if (size < 1) return 0;
  static const long kStatuses[] = {200, 201, 400, 401, 404, 409, 429, 500, 503};
  const long status = kStatuses[data[0] % (sizeof kStatuses / sizeof kStatuses[0])];
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  setenv("QDM_FUZZ_QPU_KEY", "fuzz-key", 1);
  for (const char* provider : {"ionq", "ibm"}) {
    auto transport = std::make_shared<ReplayTransport>(status, body);
    auto p = make_provider(
        settings(provider), [](const std::string&) {}, transport);
    if (std::string(provider) == "ibm") p->set_device(torino());
    qdm::Circuit c(3);
    c.add(qdm::GateKind::X, {0}).add(qdm::GateKind::H, {1});
    JobRequest request;
    request.circuits = p->transpile(std::vector<qdm::Program>(2, qdm::Program::measure_all(c, {})));
    request.shots = 100;
    const Deadline deadline(2);
    expect_clear_error([&] { p->submit(p->payload(request, "n1"), "n1", deadline); });
    expect_clear_error([&] { p->status("job-1", deadline); });
    expect_clear_error([&] { p->results("job-1", request, deadline); });
    expect_clear_error([&] { p->find_by_nonce("n1", deadline); });
    expect_clear_error([&] { p->cancel("job-1", deadline); });
    if (std::string(provider) == "ibm") expect_clear_error([&] { p->load_device(deadline); });
  }
  return 0;
}
