#pragma once
/// The qdm subcommands; each takes the arguments after its name and returns the exit status.

#include <filesystem>
#include <string>
#include <vector>

#include "experiments/experiment.h"
#include "framework/config.h"
#include "framework/run_store.h"

namespace qdm::cli {

int run_analyze(const std::vector<std::string>& args);
int run_backends(const std::vector<std::string>& args);
int run_circuit(const std::vector<std::string>& args);
int run_data(const std::vector<std::string>& args);
int run_export(const std::vector<std::string>& args);
int run_qpu_emulator(const std::vector<std::string>& args);
int run_sample(const std::vector<std::string>& args);
int run_sweep(const std::vector<std::string>& args);
int run_train(const std::vector<std::string>& args);
int run_report(const std::vector<std::string>& args);
int run_version(const std::vector<std::string>& args);

/// Shared by qdm sample and qdm export: --label (a number, all, or empty for none) ...
int parse_label(const std::string& label);
/// ... and a trained run's config with --qpu-config and --set applied (only noise.*, qpu.*,
/// ionq.* and ibm.* keys may change at sampling time).
Config sampling_config(const RunFile& run, const Experiment& experiment,
                       const std::string& qpu_config, const std::vector<std::string>& sets);

/// An output file's folder must exist and be writable, and the file must not be a folder, before
/// any work starts; std::invalid_argument naming `flag` otherwise.
void require_writable_target(const std::filesystem::path& path, const char* flag);

}  // namespace qdm::cli
