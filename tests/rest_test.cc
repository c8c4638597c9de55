// The REST clients against the QPU emulator over real loopback HTTP (libcurl on one side, sockets
// on the other), one test per injected fault: each run ends with the right counts or one clear
// error, within its deadline, with exactly one job created, the journal consistent and no API key
// in any message. The emulator follows the providers' documents: IBM serves a real device's
// configuration (tests/fixtures/ibm) and fails non-ISA jobs with error 1517; IonQ answers v0.4
// replies (child_job_ids, exact probabilities on the ideal simulator). Also the retry arithmetic,
// secret redaction and the wire formats (checked by the reference simulator). Seeds stated.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <set>

#include "backends/backend.h"
#include "backends/density_matrix/density_matrix.h"
#include "backends/rest/emulator/qpu_emulator.h"
#include "backends/rest/qpu_job.h"
#include "backends/rest/secrets.h"
#include "backends/rest/wire_formats.h"
#include "framework/circuit/native_circuit.h"
#include "framework/denoisers.h"
#include "framework/device/device.h"
#include "framework/error.h"
#include "framework/record_stamps.h"
#include "framework/transpile/transpile.h"
#include "tests/test_util.h"

namespace qdm::rest {
namespace {

constexpr char kKey[] = "test-key-7d1e-never-print";

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

std::string fixture(const std::string& name) {
  return std::string(QDM_SOURCE_DIR) + "/tests/fixtures/ibm/" + name;
}

/// An emulator on a free loopback port and a client configured for it; IBM serves `device`.
struct Loopback {
  explicit Loopback(const std::string& provider, const std::string& faults = "",
                    const std::string& noise = "", const std::string& device = "torino") {
    setenv("QDM_TEST_QPU_KEY", kKey, 1);
    EmulatorOptions o;
    o.provider = provider;
    if (provider == "ibm") {
      o.device_configuration = read_json(fixture("conf_" + device + ".json"));
      o.device_properties = read_json(fixture("props_" + device + ".json"));
    }
    o.api_key = kKey;
    o.polls_to_finish = 3;
    o.stall_s = 10;
    o.noise = dm::NoiseModel::parse(noise);
    emulator = std::make_unique<QpuEmulator>(o);
    emulator->add_faults(faults);
    server = std::make_unique<HttpServer>(
        [this](const ServerRequest& r) { return emulator->handle(r); });
    settings = default_qpu_settings(provider);
    if (provider == "ibm") settings.device = "ibm_" + device;
    settings.base_url = "http://127.0.0.1:" + std::to_string(server->port());
    settings.token_url = settings.base_url + "/identity/token";
    settings.service_crn = "crn:v1:test";
    settings.api_key_env = "QDM_TEST_QPU_KEY";
    settings.poll_interval_s = 0.02;
    settings.deadline_s = 20;
    settings.retry.base_delay_s = 0.02;
    settings.retry.max_delay_s = 2;
    settings.limits.total_timeout_s = 30;
    settings.limits.low_speed_s = 1;
  }
  std::unique_ptr<QpuProvider> client() {
    return make_provider(settings, [this](const std::string& line) { log += line + "\n"; });
  }
  /// X on qubit 0 and H on qubit 1 of 3: outcomes 0b001 and 0b011, half each.
  std::vector<Histogram> run(QpuProvider& p, JobJournal& journal, int circuits = 2) {
    return run_job(p, journal, bell_like_request(p, circuits));
  }
  static JobRequest bell_like_request(QpuProvider& p, int circuits) {
    Circuit c(3);
    c.add(GateKind::X, {0}).add(GateKind::H, {1});
    p.load_device(Deadline(10));  // IBM: configuration and properties first
    JobRequest request;
    request.circuits = p.transpile(std::vector<Program>(circuits, Program::measure_all(c, {})));
    request.shots = 400;
    return request;
  }
  /// The message of the error that `run` ends with; a test failure when it ends without one.
  template <class Error = DataError>
  std::string run_error(JobJournal& journal) {
    auto client = this->client();
    try {
      run(*client, journal);
    } catch (const Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "the run ended without an error";
    return "";
  }
  std::unique_ptr<QpuEmulator> emulator;
  std::unique_ptr<HttpServer> server;
  QpuSettings settings;
  std::string log;
};

void expect_bell_like(const std::vector<Histogram>& counts, int circuits = 2) {
  ASSERT_EQ(counts.size(), static_cast<size_t>(circuits));
  for (const Histogram& h : counts) {
    double total = 0;
    for (const auto& [bits, n] : h) {
      EXPECT_TRUE(bits == 0b001 || bits == 0b011) << bits;
      total += n;
    }
    EXPECT_EQ(total, 400);
    // Binomial(400, 1/2): sd 10, so 5 sd is 50.
    EXPECT_NEAR(h.count(0b001) ? h.at(0b001) : 0, 200, 50);
  }
}

class EveryProvider : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryProvider, PlainJobGivesTheBornCounts) {
  Loopback lb(GetParam());
  MemoryJournal journal;
  auto client = lb.client();
  expect_bell_like(lb.run(*client, journal));
  const auto records = journal.load();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status, "fetched");
  EXPECT_FALSE(records[0].job_id.empty());
  EXPECT_EQ(lb.emulator->stats().jobs_created, 1);
}

/// Faults a client must ride out: the counts still come back and one job exists.
struct Recoverable {
  const char* fault;
  const char* log_mentions;
};
void PrintTo(const Recoverable& r, std::ostream* os) { *os << r.fault; }
class RecoverableFault : public ::testing::TestWithParam<std::tuple<std::string, Recoverable>> {};

TEST_P(RecoverableFault, EndsWithTheCountsAndOneJob) {
  const auto& [provider, f] = GetParam();
  Loopback lb(provider, f.fault);
  MemoryJournal journal;
  auto client = lb.client();
  const auto start = std::chrono::steady_clock::now();
  expect_bell_like(lb.run(*client, journal));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // A stalled body is abandoned by the low-speed limit (1 s here), long before the server's 10 s.
  EXPECT_LT(seconds, 5) << f.fault;
  EXPECT_EQ(lb.emulator->stats().jobs_created, 1) << f.fault;
  EXPECT_EQ(lb.emulator->stats().faults_left, 0) << f.fault;
  EXPECT_NE(lb.log.find(f.log_mentions), std::string::npos) << f.fault << "\n" << lb.log;
  EXPECT_EQ(lb.log.find(kKey), std::string::npos);
  EXPECT_EQ(journal.load().at(0).status, "fetched");
}

const Recoverable kRecoverable[] = {
    {"429", "HTTP 429"},
    {"429-bare", "HTTP 429"},
    {"503", "HTTP 503"},
    {"502-html", "an HTML error page"},
    {"create-then-503", "found job"},
    {"stall", "stalled reply"},
    {"drop@create", "found job"},
    {"drop", "retry 1"},
    {"truncated-json", "not valid JSON"},
    {"truncated-json@create", "looking the job up by its nonce"},
    {"truncated-json@results", "not valid JSON"},
    {"503@list,create-then-503", "found job"},
};

INSTANTIATE_TEST_SUITE_P(Faults, RecoverableFault,
                         ::testing::Combine(::testing::Values("ionq", "ibm"),
                                            ::testing::ValuesIn(kRecoverable)),
                         [](const auto& info) {
                           std::string name =
                               std::get<0>(info.param) + "_" + std::get<1>(info.param).fault;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST_P(EveryProvider, RetryAfterIsHonoured) {
  Loopback lb(GetParam(), "429@status");
  MemoryJournal journal;
  auto client = lb.client();
  const auto start = std::chrono::steady_clock::now();
  expect_bell_like(lb.run(*client, journal));
  // Retry-After: 1 beats the 0.02 s backoff.
  EXPECT_GE(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.9);
}

TEST_P(EveryProvider, UnknownStatusEndsTheJournalEntryAsFailed) {
  // A status qdm does not know may be final: the entry must not stay "running" (which would
  // block the run file and send --resume polling into the same answer).
  Loopback lb(GetParam(), "unknown-status");
  MemoryJournal journal;
  const std::string what = lb.run_error(journal);
  EXPECT_NE(what.find("eleporting', which qdm does not know"), std::string::npos) << what;
  EXPECT_EQ(lb.emulator->stats().jobs_created, 1);
  const JobRecord r = journal.load().at(0);
  EXPECT_EQ(r.status, "failed");
  EXPECT_TRUE(r.finished());
  EXPECT_NE(r.detail.find("eleporting"), std::string::npos) << r.detail;
}

TEST_P(EveryProvider, CancellationByTheProviderKeepsItsReason) {
  Loopback lb(GetParam(), "ran-too-long");
  MemoryJournal journal;
  const std::string what = lb.run_error(journal);
  const JobRecord r = journal.load().at(0);
  EXPECT_EQ(r.status, "cancelled");
  EXPECT_NE(r.detail.find("exceeded its maximum execution time"), std::string::npos) << r.detail;
  if (GetParam() == "ibm") {
    EXPECT_NE(r.detail.find("Cancelled - Ran too long"), std::string::npos) << r.detail;
  }
  EXPECT_NE(what.find("cancelled on the provider's side"), std::string::npos) << what;
  EXPECT_NE(what.find("exceeded its maximum execution time"), std::string::npos) << what;
}

TEST_P(EveryProvider, FailedJobIsReportedAndJournaled) {
  Loopback lb(GetParam(), "fail");
  MemoryJournal journal;
  const std::string what = lb.run_error(journal);
  EXPECT_NE(what.find("failed: "), std::string::npos) << what;
  EXPECT_NE(what.find("the emulator failed this job"), std::string::npos);
  EXPECT_EQ(journal.load().at(0).status, "failed");
}

TEST_P(EveryProvider, JobThatNeverFinishesIsCancelledAtTheDeadline) {
  Loopback lb(GetParam(), "never-finishes");
  lb.settings.deadline_s = 1;
  MemoryJournal journal;
  const auto start = std::chrono::steady_clock::now();
  const std::string what = lb.run_error(journal);
  EXPECT_NE(what.find("it was cancelled"), std::string::npos) << what;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5);
  EXPECT_EQ(lb.emulator->stats().cancels, 1);
  EXPECT_EQ(journal.load().at(0).status, "cancelled");
}

TEST_P(EveryProvider, ServerThatKeepsFailingEndsWithoutADuplicateJob) {
  Loopback lb(GetParam(), "503@create*20");
  lb.settings.retry.max_attempts = 3;
  MemoryJournal journal;
  const std::string what = lb.run_error(journal);
  EXPECT_NE(what.find("did not confirm the job after 3 attempts"), std::string::npos) << what;
  EXPECT_EQ(lb.emulator->stats().jobs_created, 0);
  // The journal keeps the entry open with its nonce, so --resume can look for it again.
  EXPECT_EQ(journal.load().at(0).status, "submitting");
}

TEST_P(EveryProvider, WrongKeyIsRefusedWithoutPrintingIt) {
  Loopback lb(GetParam());
  setenv("QDM_TEST_WRONG_KEY", "wrong-key-3f9a-secret", 1);
  lb.settings.api_key_env = "QDM_TEST_WRONG_KEY";
  MemoryJournal journal;
  const std::string what = lb.run_error(journal);
  EXPECT_EQ(what, redact(what));
  EXPECT_NE(what.find(GetParam() == "ionq" ? "HTTP 401" : "refused the API key"), std::string::npos)
      << what;
  EXPECT_EQ(what.find("wrong-key-3f9a-secret"), std::string::npos);
  EXPECT_EQ(lb.emulator->stats().jobs_created, 0);
}

TEST_P(EveryProvider, MissingKeyVariableIsNamed) {
  Loopback lb(GetParam());
  lb.settings.api_key_env = "QDM_TEST_UNSET_KEY_VARIABLE";
  unsetenv("QDM_TEST_UNSET_KEY_VARIABLE");
  MemoryJournal journal;
  const std::string what = lb.run_error<std::invalid_argument>(journal);
  EXPECT_NE(what.find("QDM_TEST_UNSET_KEY_VARIABLE is not set"), std::string::npos);
  EXPECT_TRUE(journal.load().empty());
}

TEST_P(EveryProvider, UnknownJobIdIsAClearError) {
  Loopback lb(GetParam());
  auto client = lb.client();
  try {
    client->status("no-such-job", Deadline(5));
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 404"), std::string::npos) << e.what();
  }
}

TEST_P(EveryProvider, RemoteBackendSamplesFollowBitOrderAndTheBornRule) {
  // The conformance suite's shot checks for the registered backend, through the emulator.
  Loopback lb(GetParam());
  BackendOptions options;
  options.qpu = lb.settings;
  const auto backend = make_backend(GetParam(), options);
  EXPECT_TRUE(backend->capabilities().shots && !backend->capabilities().exact_states);
  Circuit x(3);
  x.add(GateKind::X, {0});
  for (uint64_t bits : backend->sample(x, {}, 50, 1)) EXPECT_EQ(bits, 1u);  // qubit 0 = bit 0
  Rng rng(79);                                                              // seed
  const Circuit c = testing::random_circuit(rng, 3, 24);
  const auto params = testing::random_params(rng, c.num_params());
  reference::Vector zero = reference::Vector::Zero(8);
  zero[0] = 1;
  const reference::Vector exact = reference::run_circuit(c, params, zero);
  const int shots = 4000;
  std::vector<double> counts(8, 0.0);
  for (uint64_t bits : backend->sample(c, params, shots, 2)) counts.at(bits) += 1;
  for (int i = 0; i < 8; ++i) {
    const double p = std::norm(exact[i]);
    EXPECT_NEAR(counts[i] / shots, p, 5 * std::sqrt(p * (1 - p) / shots) + 1e-12) << i;
  }
  EXPECT_THROW(
      backend->forward(pixel_denoiser({}), std::vector<double>(150, 0.0), StateBatch(8, 1), {}),
      UnsupportedError);
}

INSTANTIATE_TEST_SUITE_P(Providers, EveryProvider, ::testing::Values("ionq", "ibm"));

TEST_P(EveryProvider, NoisyEmulatorAppliesItsReadoutError) {
  Loopback lb(GetParam(), "", "readout_error=0.1");
  auto client = lb.client();
  MemoryJournal journal;
  const std::vector<Histogram> counts = lb.run(*client, journal, 1);
  // X on qubit 0, H on qubit 1: bit 0 reads 1 with 0.9, bit 1 with 0.5, bit 2 with 0.1.
  std::array<double, 3> ones{};
  for (const auto& [bits, n] : counts.at(0)) {
    for (int q = 0; q < 3; ++q) ones[q] += (bits >> q & 1) * n;
  }
  const std::array<double, 3> expected = {0.9, 0.5, 0.1};
  for (int q = 0; q < 3; ++q) {
    const double sd = std::sqrt(400 * expected[q] * (1 - expected[q]));
    EXPECT_NEAR(ones[q], 400 * expected[q], 5 * sd) << "qubit " << q;
  }
  // Noiseless, bit 2 would never read 1: the noise reached the shots.
  EXPECT_GT(ones[2], 0);
}

TEST(EmulatorOptions, NoisyEmulatorRunsCircuitsWiderThanADensityMatrixHolds) {
  // Noisy jobs run as trajectories, so a 16-qubit circuit (a density matrix stops at 12) runs.
  Loopback lb("ionq", "", "readout_error=0.1");
  auto client = lb.client();
  Circuit c(16);
  c.add(GateKind::X, {15});
  client->load_device(Deadline(10));
  JobRequest request;
  request.circuits = client->transpile({Program::measure_all(c, {})});
  request.shots = 400;
  MemoryJournal journal;
  const std::vector<Histogram> counts = run_job(*client, journal, request);
  double high = 0, low = 0;
  for (const auto& [bits, n] : counts.at(0)) {
    high += (bits >> 15 & 1) * n;
    low += (bits & 1) * n;
  }
  const double sd = std::sqrt(400 * 0.9 * 0.1);
  EXPECT_NEAR(high, 360, 5 * sd);
  EXPECT_NEAR(low, 40, 5 * sd);
}

TEST(IbmToken, ExpiredTokenIsRenewedOnce) {
  Loopback lb("ibm", "token-expired");
  MemoryJournal journal;
  auto client = lb.client();
  expect_bell_like(lb.run(*client, journal));
  EXPECT_EQ(lb.emulator->stats().per_route.at("token"), 2);
  EXPECT_NE(lb.log.find("renewed the access token"), std::string::npos) << lb.log;
}

TEST(IbmToken, TokenThatStaysInvalidEndsWithHttp401) {
  Loopback lb("ibm", "token-expired@status*5");
  MemoryJournal journal;
  const std::string what = lb.run_error(journal);
  EXPECT_NE(what.find("HTTP 401"), std::string::npos) << what;
  EXPECT_EQ(lb.emulator->stats().per_route.at("token"), 2);  // renewed once, not in a loop
}

/// A run that crashed with one journaled job: the Bell-like request of Loopback::run, and the
/// entry it left, its POST already received by the provider.
struct CrashedRun {
  CrashedRun(const std::string& provider, const std::string& nonce, bool id_was_stored)
      : lb(provider), client(lb.client()) {
    request = Loopback::bell_like_request(*client, 2);
    JobRecord crashed;
    crashed.provider = provider;
    crashed.nonce = nonce;
    crashed.fingerprint = stable_hash(client->payload(request, ""));
    crashed.status = "submitting";
    const std::string id = client->submit(client->payload(request, nonce), nonce, Deadline(5));
    if (id_was_stored) {
      crashed.job_id = id;
      crashed.status = "queued";
    }
    journal.save(crashed);
  }
  Loopback lb;
  std::unique_ptr<QpuProvider> client;
  MemoryJournal journal;
  JobRequest request;
};

TEST(Journal, ResumeFetchesTheJobByIdInsteadOfSubmittingAgain) {
  CrashedRun run("ionq", "feedfacefeedface", /*id_was_stored=*/true);
  EXPECT_THROW(run_job(*run.client, run.journal, run.request),
               std::invalid_argument);  // needs --resume
  run.request.resume = true;
  expect_bell_like(run_job(*run.client, run.journal, run.request));
  EXPECT_EQ(run.lb.emulator->stats().jobs_created, 1);
  EXPECT_EQ(run.journal.load().at(0).status, "fetched");
  EXPECT_THROW(run_job(*run.client, run.journal, run.request),
               std::invalid_argument);  // nothing to resume
}

TEST(Journal, ResumeAfterACrashBeforeTheIdFindsTheJobByNonce) {
  // The POST arrived; its reply was lost with the process.
  CrashedRun run("ibm", "0123456789abcdef", /*id_was_stored=*/false);
  run.request.resume = true;
  expect_bell_like(run_job(*run.client, run.journal, run.request));
  EXPECT_EQ(run.lb.emulator->stats().jobs_created, 1);
}

TEST(Journal, NonceLookupFollowsIonqPagesPastNewerJobs) {
  CrashedRun run("ionq", "00000000cafef00d", /*id_was_stored=*/false);
  // 250 newer jobs from other clients of the account put ours on the third page of 100.
  const JobRequest other = Loopback::bell_like_request(*run.client, 1);
  for (int k = 0; k < 250; ++k) {
    const std::string nonce = fmt::format("{:016x}", k + 1);
    run.client->submit(run.client->payload(other, nonce), nonce, Deadline(5));
  }
  run.request.resume = true;
  expect_bell_like(run_job(*run.client, run.journal, run.request));
  EXPECT_EQ(run.lb.emulator->stats().jobs_created, 251);
  EXPECT_EQ(run.lb.emulator->stats().per_route.at("list"), 3);
  EXPECT_EQ(run.journal.load().at(0).status, "fetched");
}

TEST(EmulatorList, IonqPagesAreNewestFirstAndRefuseABadLimit) {
  Loopback lb("ionq");
  auto client = lb.client();
  const JobRequest request = Loopback::bell_like_request(*client, 1);
  for (int k = 0; k < 3; ++k) {
    const std::string nonce = fmt::format("{:016x}", k);
    client->submit(client->payload(request, nonce), nonce, Deadline(5));
  }
  ServerRequest req;
  req.method = "GET";
  req.path = "/v0.4/jobs";
  req.headers["authorization"] = std::string("apiKey ") + kKey;
  req.query["limit"] = "2";
  const auto first = nlohmann::json::parse(lb.emulator->handle(req).body);
  ASSERT_EQ(first["jobs"].size(), 2u);
  EXPECT_EQ(first["jobs"][0]["name"], "qdm-0000000000000002");
  req.query["next"] = first["next"].get<std::string>();
  const auto second = nlohmann::json::parse(lb.emulator->handle(req).body);
  ASSERT_EQ(second["jobs"].size(), 1u);
  EXPECT_EQ(second["jobs"][0]["name"], "qdm-0000000000000000");
  EXPECT_TRUE(second["next"].is_null());
  req.query = {{"limit", "500"}};
  const ServerReply bad = lb.emulator->handle(req);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("limit '500' is not an integer in [1, 100]"), std::string::npos);
}

TEST(Retry, BackoffDoublesUpToTheCapWithBoundedJitter) {
  RetryPolicy p;
  p.base_delay_s = 0.5;
  p.max_delay_s = 4;
  p.jitter = 0.25;
  EXPECT_DOUBLE_EQ(backoff_delay(p, 1, 0.5), 0.5);
  EXPECT_DOUBLE_EQ(backoff_delay(p, 2, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(backoff_delay(p, 3, 0.5), 2.0);
  EXPECT_DOUBLE_EQ(backoff_delay(p, 10, 0.5), 4.0);
  EXPECT_DOUBLE_EQ(backoff_delay(p, 1, 0.0), 0.375);
  EXPECT_NEAR(backoff_delay(p, 60, 0.999999), 5.0, 1e-5);
}

TEST(Retry, RetryAfterTakesSecondsOrAnHttpDate) {
  const auto now = std::chrono::system_clock::from_time_t(1'700'000'000);  // 2023-11-14 22:13:20
  EXPECT_EQ(parse_retry_after("7", now), 7.0);
  EXPECT_NEAR(*parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now), 30.0, 1e-9);
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now), 0.0);  // in the past
  EXPECT_FALSE(parse_retry_after("soon", now));
  EXPECT_FALSE(parse_retry_after("", now));
  EXPECT_TRUE(is_transient_status(429) && is_transient_status(503) && is_transient_status(524));
  EXPECT_FALSE(is_transient_status(401) || is_transient_status(404) || is_transient_status(500));
}

TEST(Secrets, RegisteredSecretsAreRedactedEverywhereInAText) {
  register_secret("s3cr3t-token");
  EXPECT_EQ(redact("Bearer s3cr3t-token and again s3cr3t-token."),
            "Bearer [REDACTED] and again [REDACTED].");
  register_secret("ab");  // too short to redact safely
  EXPECT_EQ(redact("abc"), "abc");
}

TEST(EmulatorFaults, BadSpecsNameTheEntryAndTheChoices) {
  EmulatorOptions o;
  o.api_key = kKey;
  QpuEmulator e(o);
  EXPECT_NO_THROW(e.add_faults("429,drop@create*2,stall@any"));
  EXPECT_EQ(e.stats().faults_left, 4);
  try {
    e.add_faults("429,explode");
    FAIL();
  } catch (const std::invalid_argument& err) {
    EXPECT_NE(std::string(err.what()).find("'explode'"), std::string::npos);
    EXPECT_NE(std::string(err.what()).find("never-finishes"), std::string::npos);
  }
  EXPECT_THROW(e.add_faults("429@nowhere"), std::invalid_argument);
}

/// The exact distributions of two programs agree to `tol` on every outcome.
void expect_same_distribution(const Program& want, const Program& got, double tol,
                              const std::string& what) {
  const auto a = reference::program_distribution(want), b = reference::program_distribution(got);
  std::set<uint64_t> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  for (uint64_t k : keys) {
    const double x = a.count(k) ? a.at(k) : 0, y = b.count(k) ? b.at(k) : 0;
    EXPECT_NEAR(x, y, tol) << what << " outcome " << k;
  }
}

TEST(WireFormats, IonqJsonRoundTripsRandomCircuits) {
  Rng rng(71);  // seed
  for (int n = 1; n <= 4; ++n) {
    for (int trial = 0; trial < 4; ++trial) {
      const Circuit c = testing::random_circuit(rng, n, 30);
      const Program p = Program::measure_all(c, testing::random_params(rng, c.num_params()));
      const NativeCircuit ionq = to_ionq_qis(p);
      NativeCircuit back = parse_ionq_json(to_ionq_json(ionq), n);
      for (int q = 0; q < n; ++q) back.ops.push_back({"measure", {q}, 0, q});  // IonQ reads all
      expect_same_distribution(p, to_program(ionq), 1e-10, "ionq");
      expect_same_distribution(p, to_program(back), 1e-10, "ionq json");
    }
  }
  // The v0.4 OpenAPI's cnot: controls and targets lists.
  Program cx(2, 2);
  cx.gate({GateKind::CNOT, {0, 1}, {}});
  EXPECT_EQ(to_ionq_json(to_ionq_qis(cx))[0].dump(),
            R"({"controls":[0],"gate":"cnot","targets":[1]})");
}

TEST(WireFormats, IonqRefusesDynamicCircuitsAndSaysWhy) {
  Program p(2, 2);
  p.gate({GateKind::H, {0, 0}, {}}).measure(0, 0).reset(0).measure(0, 1);
  try {
    to_ionq_qis(p);
    FAIL() << "a dynamic circuit was accepted";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("no mid-circuit measurement or reset"), std::string::npos);
  }
}

TEST(WireFormats, Qasm3RoundTripsPhysicalAndLogicalDynamicCircuits) {
  Rng rng(73);  // seed
  const Circuit c = testing::random_circuit(rng, 3, 20);
  Program p(3, 4);
  for (Op op : c.ops()) {
    for (Angle& a : op.angles) a = Angle::constant(a.is_parameter() ? rng.uniform() * 6 : a.value);
    p.gate(op);
  }
  p.measure(1, 3)
      .reset(1)
      .gate({GateKind::H, {1, 0}, {}})
      .measure(0, 0)
      .measure(1, 1)
      .measure(2, 2);
  const std::string logical = logical_qasm3(p, "a comment\non two lines");
  EXPECT_EQ(logical.rfind("// a comment\n// on two lines\nOPENQASM 3.0;", 0), 0u) << logical;
  expect_same_distribution(p, to_program(parse_qasm3(logical)), 1e-10, "logical qasm3");
  // Physical qubits far apart (a device's numbering) read back to the same program.
  const DeviceTarget torino(load_ibm_device(fixture("conf_torino.json")));
  const NativeCircuit isa = torino.transpile(p).circuit;
  const std::string text = to_qasm3(isa);
  EXPECT_NE(text.find("reset $"), std::string::npos);
  EXPECT_NE(text.find("= measure $"), std::string::npos);
  expect_same_distribution(p, to_program(parse_qasm3(text)), 1e-9, "isa qasm3");
}

TEST(WireFormats, EmulatorReadersRefuseWhatTheyDoNotKnow) {
  EXPECT_THROW(parse_qasm3("OPENQASM 3.0;\nqubit[2] q;\nfoo q[0];\n"), std::invalid_argument);
  EXPECT_THROW(parse_qasm3("OPENQASM 3.0;\nqubit[2] q;\ncx q[0], q[2];\n"), std::invalid_argument);
  EXPECT_THROW(parse_qasm3("OPENQASM 3.0;\nqubit[1] q;\nrz(pie) q[0];\n"), std::invalid_argument);
  EXPECT_THROW(parse_qasm3("OPENQASM 3.0;\nbit[1] c;\nc[3] = measure $0;\n"),
               std::invalid_argument);
  EXPECT_THROW(parse_qasm3("OPENQASM 3.0;\nx $0"), std::invalid_argument);  // no ';'
  EXPECT_THROW(parse_ionq_json(nlohmann::json::parse(R"([{"gate":"zz","targets":[0]}])"), 2),
               std::invalid_argument);
  EXPECT_THROW(parse_ionq_json(nlohmann::json::parse(R"([{"gate":"rx","targets":[0]}])"), 2),
               std::invalid_argument);
  EXPECT_THROW(parse_ionq_json(nlohmann::json::parse(R"([{"gate":"h","targets":[5]}])"), 2),
               std::invalid_argument);
  EXPECT_THROW(parse_ionq_json(nlohmann::json::parse(R"([{"gate":"cnot","targets":[1]}])"), 2),
               std::invalid_argument);
}

/// A payload of one hand-written OpenQASM 3 circuit, as another client might send it.
JobRequest raw_qasm_request(const std::string& qasm) {
  JobRequest r;
  r.circuits.push_back(parse_qasm3(qasm));
  r.shots = 100;
  return r;
}

/// Submits `qasm` to an IBM emulator of `device` and returns how the job ended.
std::string ibm_verdict(const std::string& device, const std::string& qasm) {
  Loopback lb("ibm", "", "", device);
  auto client = lb.client();
  client->load_device(Deadline(10));
  MemoryJournal journal;
  try {
    run_job(*client, journal, raw_qasm_request(qasm));
  } catch (const DataError& e) {
    EXPECT_EQ(journal.load().at(0).status, "failed");
    return e.what();
  }
  return "ran";
}

TEST(IbmIsa, TheEmulatorFailsNonIsaJobsAsTheServiceDoes) {
  // What qdm used to send: cx on virtual qubits.
  const std::string cx =
      "OPENQASM 3.0;\nqubit[2] q;\nbit[2] c;\nx q[0];\ncx q[0], q[1];\n"
      "c[0] = measure q[0];\nc[1] = measure q[1];\n";
  std::string v = ibm_verdict("torino", cx);
  EXPECT_NE(v.find("non-ISA circuits"), std::string::npos) << v;
  EXPECT_NE(v.find("1517"), std::string::npos) << v;
  EXPECT_NE(v.find("'cx' is not a basis gate"), std::string::npos) << v;
  // cz between qubits the coupling map does not join (0 and 5 on ibm_torino).
  v = ibm_verdict("torino", "OPENQASM 3.0;\nbit[1] c;\ncz $0, $5;\nc[0] = measure $0;\n");
  EXPECT_NE(v.find("no such pair"), std::string::npos) << v;
  // A cz the calibration marks faulty (error 1 on 96-97).
  v = ibm_verdict("torino", "OPENQASM 3.0;\nbit[1] c;\ncz $96, $97;\nc[0] = measure $96;\n");
  EXPECT_NE(v.find("faulty"), std::string::npos) << v;
  // ibm_brisbane's ECR runs one way only: (1, 0) is listed, (0, 1) is not.
  v = ibm_verdict("brisbane", "OPENQASM 3.0;\nbit[1] c;\necr $0, $1;\nc[0] = measure $0;\n");
  EXPECT_NE(v.find("in that direction"), std::string::npos) << v;
  EXPECT_EQ(ibm_verdict("brisbane", "OPENQASM 3.0;\nbit[1] c;\necr $1, $0;\nc[0] = measure $0;\n"),
            "ran");
  // Native gates on coupled qubits, with mid-circuit measurement and reset: runs.
  EXPECT_EQ(ibm_verdict("torino",
                        "OPENQASM 3.0;\nbit[2] c;\nsx $0;\ncz $0, $1;\n"
                        "c[0] = measure $0;\nreset $0;\nx $0;\nc[1] = measure $0;\n"),
            "ran");
}

TEST(IbmIsa, TheClientReadsTheDeviceAndRecordsItsCalibration) {
  for (const std::string device : {"torino", "fez", "brisbane"}) {
    Loopback lb("ibm", "", "", device);
    MemoryJournal journal;
    auto client = lb.client();
    expect_bell_like(lb.run(*client, journal));
    const JobRecord r = journal.load().at(0);
    EXPECT_EQ(r.status, "fetched");
    EXPECT_EQ(r.device, "ibm_" + device);
    EXPECT_FALSE(r.device_version.empty());
    EXPECT_EQ(r.calibration_date.substr(0, 8), "2025-02-") << r.calibration_date;
    EXPECT_EQ(lb.emulator->stats().per_route.at("backend"), 2);  // configuration + properties
  }
}

TEST(IbmIsa, AnUnknownBackendIsNamed) {
  Loopback lb("ibm");
  lb.settings.device = "ibm_nowhere";
  auto client = lb.client();
  try {
    client->load_device(Deadline(10));
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 404"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("ibm_nowhere"), std::string::npos) << e.what();
  }
}

/// H on each of 8 qubits: 256 outcomes of probability 1/256, fewer than 0.5 / 100 shots each.
JobRequest uniform_request(QpuProvider& p, int shots, int circuits = 1) {
  Circuit c(8);
  for (int q = 0; q < 8; ++q) c.add(GateKind::H, {q});
  JobRequest r;
  r.circuits = p.transpile(std::vector<Program>(circuits, Program::measure_all(c, {})));
  r.shots = shots;
  return r;
}

TEST(IonqResults, IdealSimulatorProbabilitiesBecomeSeededShots) {
  // IonQ's ideal simulator answers exact probabilities; rounding p x shots would drop every
  // outcome (1/256 x 100 < 0.5). Drawn as a seeded multinomial they are shots again.
  Loopback lb("ionq");
  auto client = lb.client();
  MemoryJournal journal;
  JobRequest r = uniform_request(*client, 100);
  r.sampling_seed = 5;
  const Histogram a = run_job(*client, journal, r).at(0);
  double total = 0;
  for (const auto& [bits, n] : a) {
    EXPECT_EQ(n, std::round(n));
    total += n;
  }
  EXPECT_EQ(total, 100);
  EXPECT_GT(a.size(), 50u);  // ~82 distinct outcomes expected in 100 draws from 256
  EXPECT_NE(client->counts_kind().find("seed 5"), std::string::npos) << client->counts_kind();
  EXPECT_NE(journal.load().at(0).counts_kind.find("multinomial"), std::string::npos);
  // The same seed draws the same shots; another seed others.
  MemoryJournal j2, j3;
  EXPECT_EQ(run_job(*client, j2, r).at(0), a);
  r.sampling_seed = 6;
  EXPECT_NE(run_job(*client, j3, r).at(0), a);
  // Exact mode keeps p x shots: 100 / 256 for every outcome.
  MemoryJournal j4;
  r.exact_counts = true;
  const Histogram exact = run_job(*client, j4, r).at(0);
  ASSERT_EQ(exact.size(), 256u);
  for (const auto& [bits, n] : exact) EXPECT_NEAR(n, 100.0 / 256, 1e-9);
  EXPECT_NE(client->counts_kind().find("exact probabilities"), std::string::npos);
}

TEST(IonqResults, QpuFrequenciesAreShotCounts) {
  Loopback lb("ionq");
  lb.settings.device = "qpu.aria-1";
  auto client = lb.client();
  MemoryJournal journal;
  const Histogram h = run_job(*client, journal, uniform_request(*client, 300)).at(0);
  double total = 0;
  for (const auto& [bits, n] : h) {
    EXPECT_EQ(n, std::round(n));
    total += n;
  }
  EXPECT_EQ(total, 300);
  EXPECT_EQ(journal.load().at(0).counts_kind, "shots");
}

TEST(IbmLimits, JobsBeyondTheConfigurationsLimitsAreRefused) {
  Loopback lb("ibm");
  auto client = lb.client();
  JobRequest r = Loopback::bell_like_request(*client, 301);  // max_experiments 300
  EXPECT_THROW(client->payload(r, "n"), std::invalid_argument);
  r = Loopback::bell_like_request(*client, 1);
  r.shots = 100001;  // max_shots 100000
  EXPECT_THROW(client->payload(r, "n"), std::invalid_argument);
}

TEST(IonqResults, MultiCircuitJobsReadChildJobIdsAndTheV03Name) {
  for (const std::string fault : {"", "legacy-children@any*100"}) {
    Loopback lb("ionq", fault);
    auto client = lb.client();
    MemoryJournal journal;
    const auto counts = run_job(*client, journal, uniform_request(*client, 200, 3));
    ASSERT_EQ(counts.size(), 3u) << fault;
    for (const Histogram& h : counts) {
      double total = 0;
      for (const auto& [bits, n] : h) total += n;
      EXPECT_EQ(total, 200) << fault;
    }
    EXPECT_EQ(journal.load().at(0).status, "fetched") << fault;
  }
}

TEST(IonqResults, NoiseModelJobsReturnTheirShots) {
  Loopback lb("ionq");
  lb.settings.noise_model = "aria-1";
  auto client = lb.client();
  MemoryJournal journal;
  JobRequest r = Loopback::bell_like_request(*client, 1);
  EXPECT_NE(client->payload(r, "n").find(R"("noise":{"model":"aria-1")"), std::string::npos);
  const Histogram h = run_job(*client, journal, r).at(0);
  double total = 0, wrong = 0;
  for (const auto& [bits, n] : h) {
    total += n;
    if (bits != 0b001 && bits != 0b011) wrong += n;
  }
  EXPECT_EQ(total, 400);
  EXPECT_EQ(client->counts_kind(), "shots");
  // Depolarising at aria-1's rates: a few percent of shots at most land elsewhere.
  EXPECT_LT(wrong, 40);
}

TEST(IonqPayload, TheBitMapTravelsInMetadataValuesOfAtMost400Characters) {
  Loopback lb("ionq");
  auto client = lb.client();
  JobRequest r = Loopback::bell_like_request(*client, 1);
  for (int k = 0; k < 100; ++k) r.bit_map += fmt::format("{}{}=label/3/1=1", k ? " " : "", k);
  const auto body = nlohmann::json::parse(client->payload(r, "abc"));
  std::string joined;
  for (const auto& [key, value] : body["metadata"].items()) {
    EXPECT_LE(value.get<std::string>().size(), 400u) << key;
    if (key.rfind("qdm_bits", 0) != 0) continue;
    if (!joined.empty()) joined += ' ';
    joined += value.get<std::string>();
  }
  EXPECT_EQ(joined, r.bit_map);
  MemoryJournal journal;
  expect_bell_like(run_job(*client, journal, r), 1);  // the emulator accepts it as IonQ would
}

}  // namespace
}  // namespace qdm::rest
