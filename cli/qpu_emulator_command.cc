// qdm qpu-emulator: a cloud QPU on loopback for trying the ionq and ibm backends without an
// account, and for the REST tests.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "backends/density_matrix/density_matrix.h"
#include "backends/rest/emulator/qpu_emulator.h"
#include "backends/rest/rest_client.h"
#include "backends/rest/secrets.h"
#include "cli/commands.h"
#include "framework/device/device.h"
#include "framework/error.h"

namespace qdm::cli {

namespace po = boost::program_options;

namespace {

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  require(static_cast<bool>(in), "cannot read device file '{}'", path);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  require(!j.is_discarded(), "device file '{}' is not JSON", path);
  return j;
}

}  // namespace

int run_qpu_emulator(const std::vector<std::string>& args) {
  rest::EmulatorOptions o;
  std::string faults, key_env, noise, device_file;
  int port = 0;
  po::options_description options("options");
  options.add_options()("provider", po::value(&o.provider)->default_value("ionq"),
                        "protocol to speak: ionq (API v0.4) or ibm (Qiskit Runtime)")(
      "port", po::value(&port)->default_value(0), "TCP port on 127.0.0.1 (0: a free one)")(
      "api-key-env", po::value(&key_env),
      "environment variable holding the key clients must present (default: QDM_IONQ_API_KEY "
      "or QDM_IBM_API_KEY)")("faults", po::value(&faults)->default_value(""),
                             "faults to inject, NAME[@ROUTE][*COUNT],... (see --help)")(
      "polls", po::value(&o.polls_to_finish)->default_value(3),
      "status polls before a job completes (half of them queued)")(
      "max-qubits", po::value(&o.max_qubits), "widest circuit accepted (default 26)")(
      "noise", po::value(&noise)->default_value(""),
      "run jobs on the trajectories backend with this noise, NAME=P,... (depolarizing, "
      "depolarizing_2q, amplitude_damping, phase_damping, readout_error), or `device`: the "
      "served IBM device's calibrated noise (per-gate depolarising and T1/T2 relaxation, "
      "readout errors)")(
      "device", po::value(&device_file),
      "ibm: the device served (conf_NAME.json or props_NAME.json, the pair side by side, as "
      "GET /api/v1/backends/NAME/configuration and /properties return them); jobs whose "
      "circuits are not in its ISA fail with IBM's error 1517")(
      "seed", po::value(&o.seed)->default_value(1), "seed of the shots")(
      "stall-seconds", po::value(&o.stall_s)->default_value(30),
      "how long a stalled reply stays silent")("help,h", "show this help");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout
        << "usage: qdm qpu-emulator --provider ionq|ibm [--device CONF.json] [--port P]\n"
           "                        [--faults LIST]\n\n"
           "Serves the provider's REST protocol on 127.0.0.1 and runs each job's circuits with\n"
           "shots on the statevector backend, or with --noise on the trajectories backend\n"
           "under that noise model (e.g. --noise depolarizing=0.001,readout_error=0.01), to\n"
           "preview a noisy device. Prints `listening on http://127.0.0.1:PORT` and serves\n"
           "until SIGINT or SIGTERM.\n\n"
           "Faults (each hits the next request of its route; routes: token, create, list,\n"
           "status, results, cancel, any): 429, 429-bare, 503, 502-html, create-then-503, stall,\n"
           "drop, truncated-json, unknown-status, never-finishes, fail, ran-too-long,\n"
           "legacy-children, token-expired.\n"
           "More can be queued while it runs: POST /_emulator/faults {\"faults\": \"...\"};\n"
           "GET /_emulator/stats counts requests, jobs created and cancels.\n\n"
        << options << "\n";
    return 0;
  }
  require_in_range("--port", port, 0, 65535);
  require_in_range("--polls", o.polls_to_finish, 1, 1000);
  o.device_noise = noise == "device";
  require(!o.device_noise || o.provider == "ibm",
          "--noise device is the served IBM device's calibration: it needs --provider ibm and "
          "--device");
  if (!o.device_noise) o.noise = dm::NoiseModel::parse(noise);
  if (!vm.count("max-qubits")) o.max_qubits = 26;
  require_in_range("--max-qubits", o.max_qubits, 1, 30);
  require(o.stall_s > 0 && o.stall_s <= 3600, "--stall-seconds {} is outside (0, 3600]", o.stall_s);
  require(o.provider == "ionq" || o.provider == "ibm", "--provider '{}' is not one of ionq, ibm",
          o.provider);
  require(device_file.empty() || o.provider == "ibm",
          "--device applies to --provider ibm (IonQ's trapped ions couple every pair)");
  if (o.provider == "ibm") {
    require(!device_file.empty(),
            "--provider ibm needs --device CONF.json: the IBM device to serve and enforce (e.g. "
            "tests/fixtures/ibm/conf_torino.json)");
    const auto [conf, props] = ibm_device_files(device_file);
    o.device_configuration = read_json_file(conf);
    o.device_properties = read_json_file(props);
  }
  if (key_env.empty()) key_env = o.provider == "ionq" ? "QDM_IONQ_API_KEY" : "QDM_IBM_API_KEY";
  o.api_key = rest::secret_from_env(key_env, "the API key clients must present");
  rest::QpuEmulator emulator(o);
  emulator.add_faults(faults);
  rest::HttpServer server([&](const rest::ServerRequest& r) { return emulator.handle(r); }, port);
  const rest::InterruptScope interrupts;
  fmt::print(
      "listening on http://127.0.0.1:{} ({} protocol{}, noise: {})\n", server.port(), o.provider,
      o.provider == "ibm" ? ", device " + o.device_configuration["backend_name"].get<std::string>()
                          : "",
      o.device_noise ? "the device's calibration" : o.noise.describe());
  std::fflush(stdout);
  while (!rest::interrupt_requested().load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  server.stop();
  const rest::EmulatorStats s = emulator.stats();
  fmt::print(stderr, "qpu-emulator: {} requests, {} jobs created, {} cancelled\n", s.requests,
             s.jobs_created, s.cancels);
  return 0;
}

}  // namespace qdm::cli
