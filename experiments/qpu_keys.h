#pragma once
/// The [qpu], [ionq] and [ibm] config keys: where the cloud QPU backends send jobs and how
/// patiently. They describe the sampling session, not the model, so `qdm sample --set` may change
/// them. API keys are never config values: each provider names the environment variable instead.

#include <string>

#include "backends/rest/qpu_settings.h"
#include "framework/config.h"

namespace qdm {

void add_qpu_keys(ConfigSchema& schema);
/// The settings of `provider` (ionq or ibm) from `config`.
rest::QpuSettings read_qpu_settings(const Config& config, const std::string& provider);
/// Whether `key` ("ionq.base_url") is one of these session keys.
bool is_qpu_key(const std::string& key);

}  // namespace qdm
