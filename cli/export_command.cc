// qdm export: a trained run's reverse chains as circuit files, one per sample (what a dry run
// would send), for users who submit through their own tools.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "cli/commands.h"
#include "experiments/qpu_sampling.h"
#include "framework/error.h"

namespace qdm::cli {

namespace po = boost::program_options;

int run_export(const std::vector<std::string>& args) {
  std::string run_path, label, qpu_config;
  std::vector<std::string> sets;
  ChainExport spec;
  SampleRequest request;
  po::options_description options("options");
  options.add_options()("run", po::value(&run_path), "trained run file (from qdm train)")(
      "format", po::value(&spec.format)->default_value("qasm3"),
      "qasm3 (OpenQASM 3; dynamic circuits unless qpu.circuit = static) or ionq-json (IonQ's "
      "qis circuit JSON; static: fresh qubits, all measured at the end)")(
      "device", po::value(&spec.device_file),
      "qasm3: transpile to this IBM device's ISA (conf_NAME.json or props_NAME.json, the pair "
      "side by side): layout, routing, basis, physical qubits $n")(
      "out", po::value(&spec.out_dir), "folder for the files (created; must be empty)")(
      "count", po::value(&request.count)->default_value(16), "chains (samples) to export")(
      "label", po::value(&label), "conditioned models: a label, or all (the default)")(
      "seed", po::value(&request.seed)->default_value(1), "seed of the initial noise")(
      "qpu-config", po::value(&qpu_config), "INI file of [qpu] keys (qpu.circuit)")(
      "set", po::value(&sets)->composing(), "qpu.circuit=dynamic|static|auto (repeatable)")(
      "help,h", "show this help");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout
        << "usage: qdm export --run RUN.h5 --format qasm3|ionq-json [--device FILE] "
           "--out DIR\n\n"
           "Writes each sample's reverse chain as one circuit file, DIR/sample-N[-label-L]"
           ".qasm\nor .json, the same circuits `qdm sample --shots` runs, and DIR/manifest."
           "json:\nformat, device, layout, and for every file its label and bit map (what "
           "each\nclassical bit holds: data qubit, post-selected ancilla or label bit, by "
           "step).\nA shot is kept when every post-selected bit reads its value; the data "
           "bits of\nthe kept shots estimate the sample (docs/run-format.md, \"Bit maps\").\n\n"
        << options << "\n";
    return 0;
  }
  require(!run_path.empty(), "--run RUN.h5 is required: the trained run whose chains to export");
  require_in_range("--count", request.count, 1, 100'000);
  request.label = parse_label(label);
  request.shots = 1;  // a chain circuit, never exact amplitudes
  request.chain_export = &spec;
  RunFile run = RunFile::open(run_path, false);
  const auto experiment = make_experiment(run.attribute("experiment"));
  const Config config = sampling_config(run, *experiment, qpu_config, sets);
  try {
    experiment->sample(config, run, request);
  } catch (const ExportComplete& done) {
    fmt::print("{} circuits ({}) -> {}/ (manifest.json lists their bit maps)\n", done.files,
               spec.format, spec.out_dir);
    return 0;
  }
  throw std::invalid_argument(fmt::format(
      "experiment {} has no circuit to export (only the pixel and latent QDMs sample by shots)",
      run.attribute("experiment")));
}

}  // namespace qdm::cli
