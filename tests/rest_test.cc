// The REST clients against the QPU emulator over real loopback HTTP (libcurl on one side, sockets
// on the other), one test per injected fault: each run ends with the right counts or one clear
// error, within its deadline, with exactly one job created, the journal consistent and no API key
// in any message. Also the retry arithmetic, secret redaction, and transpilation to each gate set
// (checked by the reference simulator to 1e-10 up to a global phase). Seeds stated.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <numbers>

#include "backends/backend.h"
#include "backends/density_matrix/density_matrix.h"
#include "backends/rest/emulator/qpu_emulator.h"
#include "backends/rest/native_circuit.h"
#include "backends/rest/qpu_job.h"
#include "backends/rest/secrets.h"
#include "framework/denoisers.h"
#include "framework/error.h"
#include "framework/record_stamps.h"
#include "tests/test_util.h"

namespace qdm::rest {
namespace {

constexpr char kKey[] = "test-key-7d1e-never-print";

/// An emulator on a free loopback port and a client configured for it.
struct Loopback {
  explicit Loopback(const std::string& provider, const std::string& faults = "",
                    const std::string& noise = "") {
    setenv("QDM_TEST_QPU_KEY", kKey, 1);
    EmulatorOptions o;
    o.provider = provider;
    o.api_key = kKey;
    o.polls_to_finish = 3;
    o.stall_s = 10;
    o.noise = dm::NoiseModel::parse(noise);
    if (!noise.empty()) o.max_qubits = dm::kMaxDensityQubits;
    emulator = std::make_unique<QpuEmulator>(o);
    emulator->add_faults(faults);
    server = std::make_unique<HttpServer>(
        [this](const ServerRequest& r) { return emulator->handle(r); });
    settings = default_qpu_settings(provider);
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
    Circuit c(3);
    c.add(GateKind::X, {0}).add(GateKind::H, {1});
    JobRequest request;
    for (int k = 0; k < circuits; ++k) request.circuits.push_back(p.transpile(c));
    request.shots = 400;
    return run_job(p, journal, request);
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

TEST_P(EveryProvider, UnknownStatusIsAClearError) {
  Loopback lb(GetParam(), "unknown-status");
  MemoryJournal journal;
  const std::string what = lb.run_error(journal);
  EXPECT_NE(what.find("unknown job status '"), std::string::npos) << what;
  EXPECT_EQ(lb.emulator->stats().jobs_created, 1);
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

TEST(EmulatorOptions, NoisyEmulatorRefusesCircuitsTooWideForDensityMatrices) {
  EmulatorOptions o;
  o.api_key = kKey;
  o.noise.depolarizing = 0.01;
  o.max_qubits = 26;
  try {
    QpuEmulator emulator(o);
    ADD_FAILURE() << "a 26-qubit noisy emulator was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("holds at most 12 qubits"), std::string::npos) << e.what();
  }
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
    Circuit c(3);
    c.add(GateKind::X, {0}).add(GateKind::H, {1});
    request.circuits = {client->transpile(c), client->transpile(c)};
    request.shots = 400;
    JobRecord crashed;
    crashed.provider = provider;
    crashed.nonce = nonce;
    crashed.fingerprint = stable_hash(client->payload(request.circuits, 400, ""));
    crashed.status = "submitting";
    const std::string id =
        client->submit(client->payload(request.circuits, 400, nonce), nonce, Deadline(5));
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
  Circuit c(1);
  c.add(GateKind::X, {0});
  for (int k = 0; k < 250; ++k) {
    const std::string nonce = fmt::format("{:016x}", k + 1);
    run.client->submit(run.client->payload({run.client->transpile(c)}, 10, nonce), nonce,
                       Deadline(5));
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
  Circuit c(1);
  c.add(GateKind::X, {0});
  for (int k = 0; k < 3; ++k) {
    const std::string nonce = fmt::format("{:016x}", k);
    client->submit(client->payload({client->transpile(c)}, 10, nonce), nonce, Deadline(5));
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

/// The unitary of `c` at `params`, column k the image of basis state k.
reference::Matrix unitary(const Circuit& c, std::span<const double> params) {
  const size_t dim = size_t{1} << c.num_qubits();
  const reference::Matrix identity = reference::Matrix::Identity(dim, dim);
  return reference::run_circuit(c, params, identity);
}

/// max |b - e^{ig} a| with g fixed by a's largest entry.
double distance_up_to_phase(const reference::Matrix& a, const reference::Matrix& b) {
  Eigen::Index r = 0, c = 0;
  a.cwiseAbs().maxCoeff(&r, &c);
  const Complex phase = b(r, c) / a(r, c);
  return (b - phase * a).cwiseAbs().maxCoeff();
}

TEST(Transpile, IbmBasisAndIonqGatesReproduceRandomCircuits) {
  Rng rng(71);  // seed
  for (int n = 1; n <= 4; ++n) {
    for (int trial = 0; trial < 5; ++trial) {
      const Circuit c = testing::random_circuit(rng, n, 40);
      const auto params = testing::random_params(rng, c.num_params());
      const reference::Matrix want = unitary(c, params);
      const NativeCircuit ibm = to_ibm_basis(c, params);
      for (const NativeOp& op : ibm.ops) {
        EXPECT_TRUE(op.gate == "rz" || op.gate == "sx" || op.gate == "x" || op.gate == "cx");
      }
      const NativeCircuit ionq = to_ionq_qis(c, params);
      EXPECT_LT(distance_up_to_phase(want, unitary(to_ir(ibm), {})), 1e-10) << n;
      EXPECT_LT(distance_up_to_phase(want, unitary(to_ir(ionq), {})), 1e-10) << n;
      // Through the wire formats and back, as the emulator reads them.
      EXPECT_LT(distance_up_to_phase(want, unitary(to_ir(parse_qasm3(to_qasm3(ibm))), {})), 1e-10);
      EXPECT_LT(
          distance_up_to_phase(want, unitary(to_ir(parse_ionq_json(to_ionq_json(ionq), n)), {})),
          1e-10);
    }
  }
}

TEST(Transpile, ConsecutiveSingleQubitGatesMergeIntoAtMostTwoSx) {
  Circuit c(1);
  for (int k = 0; k < 10; ++k) c.add(GateKind::RX, {0}, {Angle::constant(0.1 * k)});
  EXPECT_LE(to_ibm_basis(c, {}).gate_counts()["sx"], 2);
  Circuit z(1);
  z.add(GateKind::RZ, {0}, {Angle::constant(0.3)}).add(GateKind::T, {0});
  EXPECT_EQ(to_ibm_basis(z, {}).ops.size(), 1u);  // diagonal: one rz
}

TEST(Transpile, EmulatorReadersRefuseWhatTheyDoNotKnow) {
  EXPECT_THROW(parse_qasm3("OPENQASM 3.0;\nqubit[2] q;\nh q[0];\n"), std::invalid_argument);
  EXPECT_THROW(parse_qasm3("OPENQASM 3.0;\nqubit[2] q;\ncx q[0], q[2];\n"), std::invalid_argument);
  EXPECT_THROW(parse_qasm3("OPENQASM 3.0;\nqubit[1] q;\nrz(pi) q[0];\n"), std::invalid_argument);
  EXPECT_THROW(parse_ionq_json(nlohmann::json::parse(R"([{"gate":"zz","targets":[0]}])"), 2),
               std::invalid_argument);
  EXPECT_THROW(parse_ionq_json(nlohmann::json::parse(R"([{"gate":"rx","targets":[0]}])"), 2),
               std::invalid_argument);
  EXPECT_THROW(parse_ionq_json(nlohmann::json::parse(R"([{"gate":"h","targets":[5]}])"), 2),
               std::invalid_argument);
}

}  // namespace
}  // namespace qdm::rest
