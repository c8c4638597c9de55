// qdm analyze and qdm report: offline analysis of run files.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <omp.h>

#include <boost/program_options.hpp>
#include <charconv>
#include <fstream>
#include <iostream>

#include "analysis/analyze.h"
#include "analysis/report.h"
#include "cli/commands.h"
#include "framework/atomic_file.h"
#include "framework/error.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace qdm::cli {
namespace {

void write_text(const fs::path& path, const std::string& text) {
  write_file_atomically(path,
                        std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

}  // namespace

int run_analyze(const std::vector<std::string>& args) {
  std::vector<std::string> runs;
  analysis::AnalyzeOptions o;
  std::string data_dir, classifier, png_prefix, noise;
  int threads = 0;
  po::options_description options("options");
  options.add_options()("samples", po::value(&o.sample_set),
                        "score this stored sample set (NNN); default: the newest, or new ones")(
      "count", po::value(&o.count)->default_value(0),
      "generate and store this many new samples first (0: reuse the newest set, or 200 new ones "
      "when the run has none)")("seed", po::value(&o.seed)->default_value(1),
                                "seed of new samples and the real floor sample")(
      "backend", po::value(&o.backend),
      "generate new samples on this backend (default: the run's)")(
      "shots", po::value(&o.shots)->default_value(0),
      "estimate each new sample from this many shots of its chain as one circuit (QDMs; 0: "
      "exact amplitudes)")("data-dir", po::value(&data_dir),
                           "folder of the data sets (default: the run's data.dir)")(
      "classifier", po::value(&classifier),
      "evaluation classifier file (default: DATA_DIR/classifiers/DATASET-seedS.h5, trained there "
      "on first use)")("classifier-seed", po::value(&o.classifier_seed)->default_value(1),
                       "seed of the evaluation classifier")(
      "png", po::value(&png_prefix),
      "write PREFIX-samples.png, PREFIX-loss.png and PREFIX-trajectory.png (default: beside the "
      "run, RUN-*.png); none with --no-png")("no-png", "write no pictures")(
      "no-store", "leave the run file untouched: print the metrics only")(
      "set", po::value(&o.noise)->composing(),
      "noise.KEY=VALUE for new samples on a noisy backend (--backend density-matrix or "
      "trajectories; repeatable)")(
      "noise", po::value(&noise),
      "noise.KEY=p1,p2,...: instead of the usual analysis, the metrics of --count new samples "
      "at each strength (a table, and PNGs of the curves), on --backend (default "
      "density-matrix; trajectories for wider models); noise.device=FILE,...: at each IBM "
      "device's calibrated noise (none: noiseless), --shots each (default 1000), on "
      "trajectories")(
      "epoch-count", po::value(&o.epoch_count)->default_value(100),
      "samples scored per parameter snapshot (train.snapshot_every) for the metric-vs-epoch "
      "curves; 0: none")("threads", po::value(&threads)->default_value(0),
                         "worker threads (0: all)")("help,h", "show this help");
  po::options_description hidden;
  hidden.add_options()("run", po::value(&runs));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("run", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << "usage: qdm analyze RUN.h5 [RUN.h5 ...] [--count N] [--png PREFIX]\n\n"
                 "Scores a run's samples with the evaluation classifier (accuracy and quality per\n"
                 "label, or the class histogram), FID on its 128-d features, JSD on a 4-component\n"
                 "PCA and pairwise distances, each beside the same metric of real images (the\n"
                 "floor). Stores them in the run's /metrics and draws the sample grid, loss curve\n"
                 "and a denoising trajectory. Runs trained with train.snapshot_every also get\n"
                 "the metrics of each snapshot (/metric_curves) and their plots by epoch.\n\n"
              << options << "\n";
    return 0;
  }
  require(!runs.empty(), "name at least one run file: qdm analyze RUN.h5");
  require_in_range("--count", o.count, 0, 1'000'000);
  require_in_range("--shots", o.shots, 0, 100'000);
  require_in_range("--epoch-count", o.epoch_count, 0, 1'000'000);
  require_in_range("--threads", threads, 0, 4096);
  require(!(vm.count("png") && vm.count("no-png")), "--png and --no-png exclude each other");
  require(!(o.count > 0 && !o.sample_set.empty()), "--count and --samples exclude each other");
  require(o.shots == 0 || o.sample_set.empty(),
          "--shots applies to new samples; --samples scores a stored set");
  require(runs.size() == 1 || png_prefix.empty(),
          "--png PREFIX names one run's pictures; with several runs leave it out");
  if (threads > 0) omp_set_num_threads(threads);
  std::string noise_key;
  std::vector<std::string> points;
  if (!noise.empty()) {
    const size_t eq = noise.find('=');
    require(eq != std::string::npos && eq > 0,
            "--noise '{}' is not of the form noise.KEY=p1,p2,... (or noise.device=FILE,...)",
            noise);
    noise_key = noise.substr(0, eq);
    std::string list = noise.substr(eq + 1);
    for (size_t start = 0; start <= list.size();) {
      const size_t end = std::min(list.find(',', start), list.size());
      const std::string item = list.substr(start, end - start);
      if (noise_key == "noise.device") {
        require(!item.empty(), "--noise noise.device: an empty entry (FILE or none expected)");
      } else {
        double v = 0;
        const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
        require(ec == std::errc() && ptr == item.data() + item.size() && !item.empty(),
                "--noise {}: '{}' is not a number", noise_key, item);
      }
      points.push_back(item);
      start = end + 1;
    }
    require(o.sample_set.empty(), "--noise draws new samples; --samples does not apply");
  }
  o.data_dir = data_dir;
  o.classifier = classifier;
  o.store = vm.count("no-store") == 0;
  for (const std::string& run : runs) {
    require(fs::is_regular_file(run), "run file '{}' does not exist", run);
    analysis::AnalyzeOptions per_run = o;
    if (vm.count("no-png") == 0) {
      per_run.png_prefix =
          png_prefix.empty() ? fs::path(run).replace_extension("") : fs::path(png_prefix);
      require_writable_target(per_run.png_prefix.string() + "-samples.png", "--png");
    }
    if (!noise_key.empty()) {
      const analysis::NoiseSweep sweep = analysis::analyze_noise(run, per_run, noise_key, points);
      fmt::print("{}: {} samples per point on the {} backend{}\n{}", run, sweep.samples,
                 sweep.backend, sweep.shots > 0 ? fmt::format(", {} shots each", sweep.shots) : "",
                 analysis::format_noise_sweep(sweep));
      for (const fs::path& p : sweep.pictures) fmt::print("picture: {}\n", p.string());
      continue;
    }
    const analysis::Analysis a = analysis::analyze_run(run, per_run);
    fmt::print("{} ({}): {} samples from set {}; classifier test accuracy {:.2f}%\n", run,
               a.experiment, a.samples, a.sample_set, 100 * a.classifier_accuracy);
    fmt::print("{}", analysis::format_metrics(a));
    if (a.kept) {
      fmt::print(
          "post-selection kept in training (last epoch), per step t = 1..{}: {:.4g}; a whole "
          "chain keeps about {:.3g} of its shots\n",
          a.kept->per_t.size(), fmt::join(a.kept->per_t, " "), a.kept->chain);
    }
    if (!a.curves.epochs.empty()) {
      fmt::print("by epoch ({} samples per snapshot):\n{}", o.epoch_count,
                 analysis::format_curves(a));
    }
    if (o.store) fmt::print("stored in {}:/metrics\n", run);
    for (const fs::path& p : a.pictures) fmt::print("picture: {}\n", p.string());
  }
  return 0;
}

int run_report(const std::vector<std::string>& args) {
  std::vector<std::string> inputs;
  std::string csv, markdown, rank_by;
  po::options_description options("options");
  options.add_options()("csv", po::value(&csv), "also write the table as CSV to this file")(
      "markdown", po::value(&markdown), "also write the Markdown table to this file")(
      "rank-by", po::value(&rank_by), "sort runs by this metric, best first (fid, accuracy, ...)")(
      "all-metrics", "also show per-digit and per-class metrics")(
      "no-png", "for sweep folders: write no effect-KEY.png plots")("help,h", "show this help");
  po::options_description hidden;
  hidden.add_options()("input", po::value(&inputs));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("input", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << "usage: qdm report DIR|RUN.h5 [...] [--csv FILE] [--markdown FILE]\n\n"
                 "One row per run: experiment, status, backend, key config values, parameter\n"
                 "count, train time, final loss and every metric qdm analyze stored. Folders are\n"
                 "searched for *.h5 run files. For a folder of qdm sweep, every point appears\n"
                 "(failed ones with their error), ranked by --rank-by (default final_loss), and a\n"
                 "second table shows each swept key's effect: the mean metric per value, also\n"
                 "drawn as DIR/effect-KEY.png.\n\n"
              << options << "\n";
    return 0;
  }
  require(!inputs.empty(), "name run files or folders: qdm report DIR|RUN.h5 ...");
  if (!csv.empty()) require_writable_target(csv, "--csv");
  if (!markdown.empty()) require_writable_target(markdown, "--markdown");
  std::vector<analysis::ReportRow> rows;
  std::vector<std::string> swept;
  std::vector<fs::path> sweep_dirs;
  for (const std::string& input : inputs) {
    analysis::SweepRows sweep;
    if (fs::is_directory(input)) sweep = analysis::collect_sweep(input);
    if (sweep.keys.empty()) {
      const auto found = analysis::collect_runs({fs::path(input)});
      rows.insert(rows.end(), found.begin(), found.end());
      continue;
    }
    sweep_dirs.push_back(input);
    rows.insert(rows.end(), sweep.rows.begin(), sweep.rows.end());
    for (const std::string& key : sweep.keys) {
      if (std::find(swept.begin(), swept.end(), key) == swept.end()) swept.push_back(key);
    }
  }
  require(!rows.empty(), "no run files found in {}", fmt::join(inputs, ", "));
  if (rank_by.empty() && !swept.empty()) rank_by = "final_loss";
  const analysis::ReportTable table =
      analysis::make_table(rows, rank_by, vm.count("all-metrics") > 0, swept);
  std::string md = analysis::to_markdown(table);
  if (!swept.empty()) {
    const auto effects = analysis::sweep_effects(rows, swept, rank_by);
    md += analysis::effects_markdown(effects, rank_by);
    if (vm.count("no-png") == 0 && !effects.empty()) {
      for (const fs::path& png :
           analysis::write_effect_plots(effects, rank_by, sweep_dirs.front())) {
        fmt::print(stderr, "picture: {}\n", png.string());
      }
    }
  }
  fmt::print("{}", md);
  if (!markdown.empty()) write_text(markdown, md);
  if (!csv.empty()) write_text(csv, analysis::to_csv(table));
  return 0;
}

}  // namespace qdm::cli
