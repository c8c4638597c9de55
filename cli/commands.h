#pragma once
/// The qdm subcommands; each takes the arguments after its name and returns the exit status.

#include <string>
#include <vector>

namespace qdm::cli {

int run_backends(const std::vector<std::string>& args);
int run_circuit(const std::vector<std::string>& args);
int run_data(const std::vector<std::string>& args);
int run_sample(const std::vector<std::string>& args);
int run_train(const std::vector<std::string>& args);
int run_version(const std::vector<std::string>& args);

}  // namespace qdm::cli
