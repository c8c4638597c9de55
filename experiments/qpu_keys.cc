#include "experiments/qpu_keys.h"

#include "framework/error.h"

namespace qdm {

void add_qpu_keys(ConfigSchema& s) {
  s.integer("qpu.shots", 1000, 1, 100000,
            "cloud QPUs: shots per circuit when qdm sample has no --shots");
  s.choice("qpu.circuit", "auto", {"auto", "dynamic", "static"},
           "shot sampling: a chain's circuit reuses its ancilla and label qubits after "
           "measuring them mid-circuit (dynamic) or takes fresh ones, all measured at the end "
           "(static); auto: dynamic where the backend measures mid-circuit and resets "
           "(statevector, IBM devices listing measure and reset), static elsewhere (IonQ)");
  s.boolean("qpu.skip_rejected", true,
            "shot sampling on a simulator: a shot that fails a post-selection stops there, its "
            "later bits read 0 in the stored counts (the estimates are the same, for far less "
            "work); false runs every shot to the end, as hardware does");
  s.real("qpu.poll_interval", 2, 0.01, 3600, "cloud QPUs: seconds between job status polls");
  s.real("qpu.deadline", 3600, 1, 7 * 86400,
         "cloud QPUs: seconds a job may take from submission to results; then it is cancelled");
  s.real("qpu.connect_timeout", 10, 0.1, 600, "cloud QPUs: seconds to open a connection");
  s.real("qpu.request_timeout", 60, 0.1, 3600, "cloud QPUs: seconds one HTTP exchange may take");
  s.integer("qpu.stall_timeout", 15, 1, 3600,
            "cloud QPUs: abort a reply whose body stops arriving for this many seconds");
  s.integer("qpu.max_attempts", 6, 1, 50,
            "cloud QPUs: tries per request on 429, 5xx and network failures");
  s.real("qpu.backoff_base", 0.5, 0, 600, "cloud QPUs: first retry delay in seconds (doubles)");
  s.real("qpu.backoff_max", 30, 0, 3600, "cloud QPUs: longest retry delay in seconds");
  for (const std::string provider : {"ionq", "ibm"}) {
    const rest::QpuSettings d = rest::default_qpu_settings(provider);
    s.text(provider + ".base_url", d.base_url, provider + ": API base URL");
    s.text(provider + ".backend", d.device,
           provider == "ionq"
               ? "ionq: simulator, or a QPU by its v0.4 name (qpu.aria-1, qpu.forte-1, ...)"
               : "ibm: the device the jobs run on; its configuration and calibration are read "
                 "from the API before any circuit is built for it");
    s.text(provider + ".api_key_env", d.api_key_env,
           provider + ": environment variable holding the API key");
    s.integer(provider + ".max_qubits", d.max_qubits, 1, 1000,
              provider == "ionq"
                  ? "ionq: the device's qubit count, checked before submission (simulator 29, "
                    "Aria 25, Forte 36)"
                  : "ibm: most qubits a circuit may use, checked before submission (the device's "
                    "own count, from its configuration, applies too)");
    if (provider == "ionq") {
      s.choice("ionq.noise_model", "ideal",
               {"ideal", "aria-1", "aria-2", "forte-1", "forte-enterprise-1", "harmony"},
               "ionq: the simulator's noise (IonQ's depolarising model of that QPU, run shot by "
               "shot); ideal returns exact probabilities. Simulator only");
      s.boolean("ionq.exact_probabilities", false,
                "ionq: keep the ideal simulator's exact probabilities as fractional counts p x "
                "shots instead of drawing the shots from them (a multinomial seeded by the "
                "sample seed, recorded in /jobs)");
    } else {
      s.text("ibm.token_url", d.token_url, "ibm: IAM endpoint that trades the API key for a token");
      s.text("ibm.service_crn", "", "ibm: the Qiskit Runtime instance's CRN (Service-CRN header)");
      s.text("ibm.api_version", d.api_version, "ibm: IBM-API-Version header");
    }
  }
}

rest::QpuSettings read_qpu_settings(const Config& c, const std::string& provider) {
  rest::QpuSettings s = rest::default_qpu_settings(provider);
  s.base_url = c.get_text(provider + ".base_url");
  while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
  s.device = c.get_text(provider + ".backend");
  s.api_key_env = c.get_text(provider + ".api_key_env");
  s.max_qubits = static_cast<int>(c.get_int(provider + ".max_qubits"));
  if (provider == "ionq") {
    s.noise_model = c.get_text("ionq.noise_model");
    s.exact_probabilities = c.get_bool("ionq.exact_probabilities");
    // IonQ's v0.4 backends: the simulator or a QPU named qpu.NAME (qpu.aria-1, qpu.forte-1, ...).
    require(s.device == "simulator" || (s.device.rfind("qpu.", 0) == 0 && s.device.size() > 4),
            "ionq.backend '{}' is not simulator or qpu.NAME (e.g. qpu.aria-1, qpu.forte-1)",
            s.device);
    require(s.device == "simulator" || s.noise_model == "ideal",
            "ionq.noise_model = {} applies to the simulator; ionq.backend = {} is a QPU",
            s.noise_model, s.device);
  }
  if (provider == "ibm") {
    s.token_url = c.get_text("ibm.token_url");
    s.service_crn = c.get_text("ibm.service_crn");
    s.api_version = c.get_text("ibm.api_version");
  }
  s.shots = static_cast<int>(c.get_int("qpu.shots"));
  s.poll_interval_s = c.get_real("qpu.poll_interval");
  s.deadline_s = c.get_real("qpu.deadline");
  s.limits.connect_timeout_s = c.get_real("qpu.connect_timeout");
  s.limits.total_timeout_s = c.get_real("qpu.request_timeout");
  s.limits.low_speed_s = static_cast<long>(c.get_int("qpu.stall_timeout"));
  s.retry.max_attempts = static_cast<int>(c.get_int("qpu.max_attempts"));
  s.retry.base_delay_s = c.get_real("qpu.backoff_base");
  s.retry.max_delay_s = c.get_real("qpu.backoff_max");
  return s;
}

bool is_qpu_key(const std::string& key) {
  return key.rfind("qpu.", 0) == 0 || key.rfind("ionq.", 0) == 0 || key.rfind("ibm.", 0) == 0;
}

}  // namespace qdm
