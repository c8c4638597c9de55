#pragma once
/// What a cloud QPU client is configured with (the [qpu], [ionq] and [ibm] config keys).

#include <string>

#include "backends/rest/http.h"
#include "backends/rest/rest_client.h"

namespace qdm::rest {

/// Everything a provider client needs; from the [qpu], [ionq] and [ibm] config keys. API keys are
/// named by environment variable only.
struct QpuSettings {
  std::string provider;   ///< ionq | ibm
  std::string base_url;   ///< https://api.ionq.co or https://quantum.cloud.ibm.com
  std::string token_url;  ///< IBM: the IAM token endpoint
  std::string device;     ///< the provider's backend name (simulator, qpu.aria-1, ibm_torino, ...)
  std::string api_key_env;
  std::string service_crn;  ///< IBM: the instance's CRN
  std::string api_version;  ///< IBM: IBM-API-Version header
  /// IonQ's simulator: "ideal" (exact probabilities) or a QPU's noise model (aria-1, forte-1, ...)
  std::string noise_model = "ideal";
  /// IonQ's ideal simulator: keep its exact probabilities as fractional counts.
  bool exact_probabilities = false;
  int max_qubits = 0;  ///< the device's width, checked before submission
  int shots = 1000;    ///< per circuit, when the command line does not say
  double poll_interval_s = 2;
  double deadline_s = 3600;
  TransportLimits limits;
  RetryPolicy retry;
};

/// The documented public endpoints and sensible limits for `provider` (ionq or ibm); the config
/// keys' defaults. std::invalid_argument for another name.
QpuSettings default_qpu_settings(const std::string& provider);

}  // namespace qdm::rest
