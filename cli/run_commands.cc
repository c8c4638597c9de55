// qdm train and qdm sample: the experiment path from a config to a run file and its samples.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <atomic>
#include <boost/program_options.hpp>
#include <charconv>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "backends/rest/rest_client.h"
#include "cli/commands.h"
#include "experiments/experiment.h"
#include "experiments/qpu_keys.h"
#include "experiments/qpu_sampling.h"
#include "experiments/run_journal.h"
#include "framework/error.h"
#include "framework/png_grid.h"
#include "framework/progress.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace qdm::cli {

void require_writable_target(const fs::path& path, const char* flag) {
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  require(!fs::is_directory(path, ec), "{} '{}' is a folder, not a file", flag, path.string());
  // Missing folders are made, below the nearest one that exists and is writable.
  fs::path existing = folder;
  while (!existing.empty() && !fs::exists(existing, ec)) existing = existing.parent_path();
  if (existing.empty()) existing = ".";
  require(fs::is_directory(existing, ec), "{} '{}': '{}' is not a folder", flag, path.string(),
          existing.string());
  require(::access(existing.c_str(), W_OK) == 0, "{} '{}': folder '{}' is not writable", flag,
          path.string(), existing.string());
  fs::create_directories(folder, ec);
  require(!ec, "{} '{}': cannot create folder '{}': {}", flag, path.string(), folder.string(),
          ec.message());
}

namespace {

std::atomic<bool> g_stop{false};
extern "C" void request_stop(int) { g_stop = true; }

std::string pick_experiment(const std::string& flag, const std::optional<std::string>& from_file,
                            const std::string& file, const std::optional<std::string>& from_run) {
  std::string name = flag;
  for (const auto& [candidate, source] : {std::pair{from_file, "--config " + file},
                                          std::pair{from_run, std::string("the run file")}}) {
    if (!candidate) continue;
    require(name.empty() || name == *candidate,
            "--experiment {} conflicts with experiment = {} in {}", name, *candidate, source);
    name = *candidate;
  }
  require(!name.empty(), "name the experiment: --experiment NAME (known: {})", experiment_names());
  return name;
}

}  // namespace

int run_train(const std::vector<std::string>& args) {
  std::string experiment_flag, config_file, out, backend;
  std::vector<std::string> sets;
  int threads = -1;
  long long max_steps = 0;
  po::options_description options("options");
  const std::string experiment_help = "experiment to train: " + experiment_names();
  options.add_options()("experiment", po::value(&experiment_flag), experiment_help.c_str())(
      "config", po::value(&config_file), "INI file applied over the experiment's defaults")(
      "set", po::value(&sets)->composing(), "section.key=value override (repeatable)")(
      "out", po::value(&out), "run file to write (HDF5)")("overwrite", "replace an existing --out")(
      "resume", "continue the run in --out from its checkpoint")(
      "backend", po::value(&backend), "shortcut for --set backend.name=B")(
      "threads", po::value(&threads), "shortcut for --set backend.threads=N")(
      "max-steps", po::value(&max_steps),
      "stop with a checkpoint after this many optimiser steps (resume later)")(
      "help-config", "list the experiment's config keys and exit")(
      "print-config", "print the resolved config as INI (a preset to edit) and exit")(
      "help,h", "show this help");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << "usage: qdm train --experiment NAME [--config FILE] [--set k=v ...] --out RUN.h5\n"
                 "                 [--overwrite | --resume] [--backend B] [--threads N]\n\n"
                 "Trains a quantum diffusion model and logs everything to one HDF5 run file\n"
                 "(docs/run-format.md); a checkpoint RUN.h5.ckpt is kept beside it. Presets live\n"
                 "in experiments/configs/. Ctrl-C stops at the next step with a checkpoint.\n\n"
              << options << "\n";
    return 0;
  }
  const bool resume = vm.count("resume") > 0;
  require(!(resume && vm.count("overwrite")), "--resume and --overwrite exclude each other");
  require(max_steps >= 0, "--max-steps {} must be positive", max_steps);

  // The experiment: from the flag, the config file or (resuming) the run file, which must agree.
  std::optional<std::string> from_file;
  std::string config_text;
  if (!config_file.empty()) config_text = read_config_file(config_file);
  std::optional<RunFile> run;
  std::optional<std::string> from_run;
  if (resume) {
    require(!out.empty(), "--resume needs --out RUN.h5, the run to continue");
    run = RunFile::open(out, true);
    from_run = run->attribute("experiment");
  }
  if (!config_text.empty()) from_file = ini_experiment(config_text);
  const std::string name = pick_experiment(experiment_flag, from_file, config_file, from_run);
  const auto experiment = make_experiment(name);
  const ConfigSchema schema = experiment->schema();
  if (vm.count("help-config")) {
    std::cout << fmt::format("config keys of experiment '{}' (default, type, allowed):\n\n", name)
              << schema.describe();
    return 0;
  }

  Config stored(schema);
  if (run) stored.apply_ini(run->attribute("config"), "the run file's config");
  Config config = stored;
  if (!config_file.empty()) config.apply_ini(config_text, fs::path(config_file).filename());
  for (const auto& s : sets) config.set_assignment(s);
  if (!backend.empty()) config.set("backend.name", backend, "--backend");
  if (threads >= 0) {
    // Quantum experiments spread work through their backend, classical ones through training.
    const std::string key = schema.find("backend.threads") ? "backend.threads" : "train.threads";
    config.set(key, std::to_string(threads), "--threads");
  }

  if (vm.count("print-config")) {
    std::cout << "experiment = " << name << "\n" << config.to_ini();
    return 0;
  }
  require(!out.empty(), "--out RUN.h5 is required: the run file to write");
  require_writable_target(out, "--out");
  std::optional<TrainCheckpoint> checkpoint;
  if (resume) {
    if (const auto key = config.first_difference(stored)) {
      throw std::invalid_argument(fmt::format(
          "--resume continues a run with its own config, but {} differs (run: {}, given: {})", *key,
          stored.text_of(*key), config.text_of(*key)));
    }
    checkpoint = load_checkpoint(checkpoint_path(out));
    if (checkpoint->config_ini != config.to_ini()) {
      throw DataError(fmt::format("checkpoint '{}' belongs to a different config than '{}'",
                                  checkpoint_path(out).string(), out));
    }
  } else {
    require(vm.count("overwrite") || !fs::exists(out),
            "--out '{}' exists; pass --overwrite to replace it or --resume to continue it", out);
  }

  // Data is loaded and checked before the run file is created or replaced.
  auto training = experiment->prepare_training(config);
  if (!run) {
    std::error_code ignored;
    fs::remove(checkpoint_path(out), ignored);
    // The stored config names its experiment, so `qdm train --config` takes it back alone.
    run = RunFile::create(out,
                          {name, training->backend(), config.get_int("train.seed"),
                           "experiment = " + name + "\n\n" + config.to_ini()},
                          training->loss_width(), vm.count("overwrite") > 0);
  } else if (run->attribute("status") == "complete") {
    // Its status stays complete: a finished run (an autoencoder the latent runs read) stays usable.
    fmt::print("run file {} had already finished training ({} steps); nothing changed\n", out,
               run->train_rows());
    return 0;
  } else {
    run->set_status("running");
  }
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  TrainRequest request{checkpoint, &g_stop, max_steps};
  TrainOutcome outcome;
  try {
    outcome = training->run(*run, request);
  } catch (...) {
    try {
      run->set_status("failed");
      run->flush();
    } catch (...) {
    }
    throw;
  }
  if (!outcome.completed) {
    fmt::print("stopped after step {} ({}); continue with: qdm train --resume --out {}\n",
               outcome.steps, Progress::format_duration(outcome.seconds), out);
    return g_stop ? 130 : 0;
  }
  const long long epochs = config.get_int("train.epochs");
  fmt::print(
      "trained {} epochs ({} steps) in {} ({:.2f} s/epoch), last loss {:.5f}\nrun file: {}\n",
      epochs, outcome.steps, Progress::format_duration(outcome.seconds),
      outcome.seconds / static_cast<double>(epochs), outcome.final_loss, out);
  return 0;
}

/// Applies the [qpu], [ionq] and [ibm] keys of an INI file; any other key is refused with its
/// line, since the rest of the config describes the trained model.
static void apply_qpu_config(Config& config, const std::string& path) {
  std::istringstream in(read_config_file(path));
  std::string line, section;
  for (int number = 1; std::getline(in, line); ++number) {
    const size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#' || line[b] == ';') continue;
    const size_t e = line.find_last_not_of(" \t\r");
    const std::string text = line.substr(b, e - b + 1);
    const std::string origin = fmt::format("{}:{}", path, number);
    if (text.front() == '[') {
      require(text.back() == ']', "{}: '{}' is not a [section] header", origin, text);
      section = text.substr(1, text.size() - 2);
      continue;
    }
    const size_t eq = text.find('=');
    require(eq != std::string::npos, "{}: '{}' is not key = value", origin, text);
    auto trim = [](std::string t) {
      t.erase(0, t.find_first_not_of(" \t"));
      t.erase(t.find_last_not_of(" \t") + 1);
      return t;
    };
    const std::string key = section + "." + trim(text.substr(0, eq));
    require(is_qpu_key(key),
            "{}: {} is not allowed here: a QPU config holds [qpu], [ionq] and [ibm] keys only",
            origin, key);
    config.set(key, trim(text.substr(eq + 1)), origin);
  }
}

int parse_label(const std::string& label) {
  if (label == "all") return SampleRequest::kAllLabels;
  if (label.empty()) return SampleRequest::kNoLabel;
  int value = -1;
  const auto [end, ec] = std::from_chars(label.data(), label.data() + label.size(), value);
  require(ec == std::errc() && end == label.data() + label.size() && value >= 0,
          "--label '{}' is not allowed: a label number or all expected", label);
  return value;
}

Config sampling_config(const RunFile& run, const Experiment& experiment,
                       const std::string& qpu_config, const std::vector<std::string>& sets) {
  Config config(experiment.schema());
  config.apply_ini(run.attribute("config"), "the run file's config");
  if (!qpu_config.empty()) apply_qpu_config(config, qpu_config);
  for (const std::string& s : sets) {
    // The model is the trained one; only the noise it is sampled under and where and how it
    // runs may change.
    const std::string key = s.substr(0, s.find('='));
    require(s.rfind("noise.", 0) == 0 || is_qpu_key(key) || key == "backend.precision" ||
                key == "backend.trajectories",
            "--set {}: only noise.*, qpu.*, ionq.*, ibm.*, backend.precision and "
            "backend.trajectories can change at sampling time (the rest describe the trained "
            "model)",
            s);
    config.set_assignment(s);
  }
  return config;
}

int run_sample(const std::vector<std::string>& args) {
  std::string run_path, png, backend, label, qpu_config, device_file;
  std::vector<std::string> sets;
  SampleRequest request;
  int scale = 4;
  po::options_description options("options");
  options.add_options()("run", po::value(&run_path), "trained run file (from qdm train)")(
      "count", po::value(&request.count)->default_value(64), "samples to generate")(
      "label", po::value(&label),
      "conditioned models: a label, or all (the default) for equal shares of each")(
      "seed", po::value(&request.seed)->default_value(1), "seed of the initial noise")(
      "trajectory", "also store |amplitudes| after every reverse step")(
      "backend", po::value(&backend),
      "backend to sample on (default: the run's); ionq and ibm are cloud QPUs")(
      "shots", po::value(&request.shots)->default_value(0),
      "estimate each sample from this many shots of the chain as one circuit (0: exact "
      "amplitudes on simulators, qpu.shots on QPUs)")(
      "resume",
      "cloud QPUs: fetch the unfinished job recorded in the run's /jobs instead of "
      "submitting a new one")(
      "dry-run", "cloud QPUs: print the job payload and its gate counts; send nothing")(
      "device", po::value(&device_file),
      "ibm with --dry-run: transpile for this device (conf_NAME.json or props_NAME.json, the "
      "pair side by side) instead of reading it from the API")(
      "qpu-config", po::value(&qpu_config),
      "INI file of [qpu], [ionq] and [ibm] keys (endpoints, device, deadline); --set overrides")(
      "set", po::value(&sets)->composing(),
      "noise.KEY=VALUE for the density-matrix backend, qpu.KEY / ionq.KEY / ibm.KEY=VALUE for "
      "cloud QPUs (repeatable; qdm train --help-config lists the keys)")(
      "threads", po::value(&request.threads)->default_value(0), "worker threads (0: all)")(
      "png", po::value(&png), "also write the samples as a PNG grid")(
      "png-scale", po::value(&scale)->default_value(4), "PNG pixels per image pixel")(
      "help,h", "show this help");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << "usage: qdm sample --run RUN.h5 --count N [--png FILE] [--trajectory]\n"
                 "       qdm sample --run RUN.h5 --backend ionq|ibm --shots S [--qpu-config FILE]\n"
                 "                  [--dry-run [--device CONF.json] | --resume]\n\n"
                 "Generates samples from noise through the trained reverse chain and stores them\n"
                 "in the run file as /samples/NNN (earlier sets are kept). With --shots, or on a\n"
                 "cloud QPU, each sample's chain runs as one circuit and its image is estimated\n"
                 "from the shots that pass the ancillas' post-selection; cloud jobs are recorded\n"
                 "in the run's /jobs before polling. API keys come from the environment only\n"
                 "(QDM_IONQ_API_KEY, QDM_IBM_API_KEY).\n\n"
              << options << "\n";
    return 0;
  }
  require(!run_path.empty(), "--run RUN.h5 is required: the trained run to sample");
  require_in_range("--count", request.count, 1, 1'000'000);
  require_in_range("--png-scale", scale, 1, 64);
  require_in_range("--threads", request.threads, 0, 4096);
  if (!png.empty()) require_writable_target(png, "--png");
  request.trajectory = vm.count("trajectory") > 0;
  request.resume = vm.count("resume") > 0;
  request.dry_run = vm.count("dry-run") > 0;
  require_in_range("--shots", request.shots, 0, 100'000);
  request.label = parse_label(label);
  request.backend = backend;
  request.device_file = device_file;
  require(device_file.empty() || request.dry_run,
          "--device applies to --dry-run: a real job reads the device's current configuration "
          "and calibration from the provider");

  RunFile run = RunFile::open(run_path, true);
  const auto experiment = make_experiment(run.attribute("experiment"));
  const Config config = sampling_config(run, *experiment, qpu_config, sets);
  RunFileJournal journal(run);
  request.journal = &journal;
  SampleSet samples;
  try {
    samples = experiment->sample(config, run, request);
  } catch (const DryRunComplete&) {
    fmt::print(stderr, "dry run: nothing was sent\n");
    return 0;
  } catch (const rest::Interrupted& e) {
    fmt::print(stderr, "qdm sample: {}; the run file's /jobs records it\n", e.what());
    return 130;
  }
  const std::string set = run.add_samples(samples);
  run.flush();
  if (samples.shots > 0)
    fmt::print("estimated from {} shots per sample on {}\n", samples.shots, samples.backend);
  fmt::print("{} samples {}x{} in {:.3f} s ({:.0f} samples/s) -> {}:/samples/{}\n", samples.count(),
             samples.rows, samples.cols, samples.seconds, samples.count() / samples.seconds,
             run_path, set);
  if (!png.empty()) {
    write_png_grid(png, samples.images, static_cast<int>(samples.count()), samples.rows,
                   samples.cols, {samples.grid_columns, scale, 2});
    fmt::print("PNG grid: {}\n", png);
  }
  return 0;
}

}  // namespace qdm::cli
