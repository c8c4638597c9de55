#include "backends/rest/qpu_settings.h"

#include <fmt/format.h>

#include <stdexcept>

namespace qdm::rest {

QpuSettings default_qpu_settings(const std::string& provider) {
  QpuSettings s;
  s.provider = provider;
  if (provider == "ionq") {
    s.base_url = "https://api.ionq.co";
    s.device = "simulator";
    s.api_key_env = "QDM_IONQ_API_KEY";
    s.max_qubits = 29;  // IonQ's cloud simulator; Forte is 36, Aria 25
  } else if (provider == "ibm") {
    s.base_url = "https://quantum.cloud.ibm.com";
    s.token_url = "https://iam.cloud.ibm.com/identity/token";
    s.device = "ibm_torino";
    s.api_key_env = "QDM_IBM_API_KEY";
    s.api_version = "2025-05-01";
    s.max_qubits = 133;
  } else {
    throw std::invalid_argument(fmt::format("QPU provider '{}' is not one of ionq, ibm", provider));
  }
  return s;
}

}  // namespace qdm::rest
