#include "analysis/analyze.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

#include "analysis/plot.h"
#include "backends/backend.h"
#include "experiments/experiment.h"
#include "experiments/train_session.h"
#include "framework/datasets.h"
#include "framework/device/device.h"
#include "framework/error.h"
#include "framework/image_ops.h"
#include "framework/png_grid.h"
#include "framework/run_store.h"

namespace qdm::analysis {
namespace {

constexpr int kDefaultCount = 200;
constexpr int kTrajectoryChains = 10;
const char* const kWrittenBy = "qdm analyze";

struct RunContext {
  std::string experiment_name;
  std::unique_ptr<Experiment> experiment;
  std::unique_ptr<Config> config;
};

RunContext open_context(const RunFile& run, const std::vector<std::string>& noise = {}) {
  RunContext c;
  c.experiment_name = run.attribute("experiment");
  c.experiment = make_experiment(c.experiment_name);
  c.config = std::make_unique<Config>(c.experiment->schema());
  c.config->apply_ini(run.attribute("config"), "the run's config");
  for (const std::string& s : noise) {
    // The model is the trained one; only the noise it is sampled under may change.
    require(s.rfind("noise.", 0) == 0,
            "--set {}: only noise.* keys can change for analysis (the rest describe the trained "
            "model)",
            s);
    c.config->set_assignment(s, "--set");
  }
  return c;
}

/// Real images of `split` with a label in `classes` (all when empty), as 0..1 pixels resized to
/// the samples' rows x cols and then into the classifier's domain, so real and generated images
/// take the same path.
ImageSet real_images(const LabelledImages& data, const std::vector<int>& classes, int rows,
                     int cols) {
  std::vector<double> pixels;
  std::vector<int> labels;
  const size_t size = static_cast<size_t>(data.rows) * data.cols;
  for (size_t k = 0; k < data.size(); ++k) {
    const int label = data.labels[k];
    if (!classes.empty() && std::find(classes.begin(), classes.end(), label) == classes.end()) {
      continue;
    }
    std::vector<double> v(size);
    for (size_t p = 0; p < size; ++p) v[p] = data.pixels[k * size + p] / 255.0;
    if (rows != data.rows || cols != data.cols) {
      v = resize_bilinear(v, data.rows, data.cols, rows, cols);
    }
    pixels.insert(pixels.end(), v.begin(), v.end());
    labels.push_back(label);
  }
  return to_classifier_domain(pixels, rows, cols, std::move(labels));
}

/// One real training image per generated one: for each requested label a random image of it
/// (for unconditioned samples, of any of the run's classes). Seeded, so reruns agree.
ImageSet floor_sample(const ImageSet& real, const std::vector<int>& wanted, uint64_t seed) {
  std::map<int, std::vector<int>> by_label;
  for (int k = 0; k < real.count(); ++k) by_label[real.labels[k]].push_back(k);
  Rng rng(splitmix64(seed ^ 0xf100d));
  ImageSet out;
  for (int label : wanted) {
    const std::vector<int>* pool = nullptr;
    std::vector<int> any;
    if (label >= 0) {
      const auto it = by_label.find(label);
      if (it == by_label.end()) {
        throw DataError(fmt::format(
            "samples were generated for label {}, but the run's data (data.classes) has no "
            "training images of it to compare with",
            label));
      }
      pool = &it->second;
    } else {
      any.resize(real.count());
      for (int k = 0; k < real.count(); ++k) any[k] = k;
      pool = &any;
    }
    const int k = (*pool)[rng.below(pool->size())];
    const auto img = real.image(k);
    out.pixels.insert(out.pixels.end(), img.begin(), img.end());
    out.labels.push_back(label >= 0 ? label : real.labels[k]);
  }
  return out;
}

/// What scoring any sample set of a run needs: the classifier and the real images.
struct Scoring {
  EvalClassifier classifier;
  std::filesystem::path classifier_path;
  std::vector<int> classes;
  ImageSet reference, train;
  uint64_t seed = 1;

  std::vector<Metric> score(const SampleSet& samples) const {
    MetricInputs in;
    in.classes = classes;
    std::vector<int> labels(samples.labels.begin(), samples.labels.end());
    in.generated = to_classifier_domain(samples.images, samples.rows, samples.cols, labels);
    in.reference = reference;
    in.floor = floor_sample(train, labels, seed);
    return sample_metrics(classifier, in);
  }
};

/// The run's classifier (trained and cached on first use) and its real images at rows x cols.
Scoring make_scoring(const RunContext& ctx, const AnalyzeOptions& o, int rows, int cols) {
  const Config& c = *ctx.config;
  const std::string dataset = c.get_text("data.dataset");
  const std::filesystem::path data_dir =
      o.data_dir.empty() ? std::filesystem::path(c.get_text("data.dir")) : o.data_dir;
  Scoring scoring;
  scoring.classes = c.get_int_list("data.classes");
  scoring.seed = o.seed;
  ClassifierSettings settings;
  settings.seed = o.classifier_seed;
  scoring.classifier_path = o.classifier.empty()
                                ? default_classifier_path(data_dir, dataset, o.classifier_seed)
                                : o.classifier;
  scoring.classifier =
      load_or_train_classifier(scoring.classifier_path, data_dir, dataset, settings);
  scoring.reference =
      real_images(load_dataset(data_dir, dataset, "t10k"), scoring.classes, rows, cols);
  scoring.train =
      real_images(load_dataset(data_dir, dataset, "train"), scoring.classes, rows, cols);
  return scoring;
}

SampleRequest new_samples_request(const RunContext& ctx, const AnalyzeOptions& o, int count) {
  SampleRequest request;
  request.count = count;
  request.seed = o.seed;
  request.backend = o.backend;
  request.shots = o.shots;
  request.label = ctx.experiment->conditioned(*ctx.config) ? SampleRequest::kAllLabels
                                                           : SampleRequest::kNoLabel;
  return request;
}

/// The metrics the by-epoch table and plots show: FID against its floor, and the [0, 1] scores.
const std::vector<std::string> kCurveFid = {"fid", "fid_real"};
const std::vector<std::string> kCurveScores = {"accuracy", "quality", "in_class_share", "jsd",
                                               "jsd_real"};

/// Every metric of `count` new samples from each parameter snapshot, oldest first.
MetricCurves score_snapshots(const RunFile& run, const RunContext& ctx, const AnalyzeOptions& o,
                             const Scoring& scoring) {
  MetricCurves curves;
  const std::vector<int> epochs = run.snapshot_epochs();
  if (epochs.empty() || o.epoch_count == 0) return curves;
  fmt::print(stderr, "scoring {} samples from each of {} parameter snapshots\n", o.epoch_count,
             epochs.size());
  for (int epoch : epochs) {
    const ParamSnapshots params = run.read_snapshot(epoch);
    SampleRequest request = new_samples_request(ctx, o, o.epoch_count);
    request.params = &params;
    const std::vector<Metric> metrics =
        scoring.score(ctx.experiment->sample(*ctx.config, run, request));
    curves.epochs.push_back(epoch);
    std::string line = fmt::format("epoch {}:", epoch);
    for (const Metric& m : metrics) {
      curves.values[m.name].push_back(m.value);
      if (m.name == "fid" || m.name == "accuracy" || m.name == "in_class_share") {
        line += fmt::format(" {} {:.4f}", m.name, m.value);
      }
    }
    fmt::print(stderr, "{}\n", line);
  }
  return curves;
}

/// One PNG of `names` (those in `values`) against `x`; false when none is present.
bool write_curve_plot(const std::vector<double>& x, const std::string& x_label,
                      const std::map<std::string, std::vector<double>>& values,
                      const std::vector<std::string>& names, const std::string& title,
                      const std::string& y_label, const std::filesystem::path& png) {
  LinePlot plot;
  plot.title = title;
  plot.x_label = x_label;
  plot.y_label = y_label;
  for (const std::string& name : names) {
    const auto it = values.find(name);
    if (it == values.end()) continue;
    plot.series.push_back(Series{name, x, it->second, true});
  }
  if (plot.series.empty()) return false;
  write_line_plot(png, plot);
  return true;
}

std::string fresh_or_stored(RunFile& run, const RunContext& ctx, const AnalyzeOptions& o,
                            SampleSet* out) {
  const std::vector<std::string> stored = run.sample_sets();
  if (!o.sample_set.empty()) {
    if (std::find(stored.begin(), stored.end(), o.sample_set) == stored.end()) {
      throw std::invalid_argument(fmt::format(
          "--samples {}: the run has no such sample set (stored: {})", o.sample_set,
          stored.empty() ? std::string("none") : fmt::format("{}", fmt::join(stored, ", "))));
    }
    *out = run.read_samples(o.sample_set);
    return o.sample_set;
  }
  if (o.count == 0 && !stored.empty()) {
    *out = run.read_samples(stored.back());
    return stored.back();
  }
  const SampleRequest request = new_samples_request(ctx, o, o.count > 0 ? o.count : kDefaultCount);
  fmt::print(stderr, "generating {} samples{}\n", request.count,
             request.label == SampleRequest::kAllLabels ? " (equal shares of every label)" : "");
  *out = ctx.experiment->sample(*ctx.config, run, request);
  return o.store ? run.add_samples(*out) : std::string("(not stored)");
}

/// The autoencoder's sample sets are (original, reconstruction) pairs: its reconstructions are
/// what is scored, against their originals' labels, so that accuracy (per digit too) is the
/// reconstruction accuracy on held-out digits: the ceiling of every latent model decoded by it.
void keep_reconstructions(SampleSet& s) {
  const size_t size = static_cast<size_t>(s.rows) * s.cols;
  std::vector<double> images;
  std::vector<int32_t> labels;
  for (size_t k = 1; k < s.count(); k += 2) {
    images.insert(images.end(), s.images.begin() + k * size, s.images.begin() + (k + 1) * size);
    labels.push_back(s.labels[k]);
  }
  s.images = std::move(images);
  s.labels = std::move(labels);
  s.grid_columns = 0;
}

void write_trajectory_png(const RunContext& ctx, const RunFile& run, const AnalyzeOptions& o,
                          const std::filesystem::path& png) {
  SampleRequest request = new_samples_request(ctx, o, kTrajectoryChains);
  request.trajectory = true;
  const SampleSet s = ctx.experiment->sample(*ctx.config, run, request);
  // One row per chain: the noise on the left, each denoising step to the right.
  GridOptions grid;
  grid.columns = s.trajectory_steps;
  write_png_grid(png, s.trajectory, static_cast<int>(s.count()) * s.trajectory_steps, s.rows,
                 s.cols, grid);
}

}  // namespace

bool write_loss_plot(const std::filesystem::path& path, const std::filesystem::path& png) {
  const RunFile run = RunFile::open(path, false);
  const std::vector<TrainRecord> rows = run.read_train();
  if (rows.empty()) return false;
  const std::vector<EpochRecord> epochs = run.read_epochs();
  LinePlot plot;
  plot.title = fmt::format("{}: training loss", path.filename().string());
  plot.log_y = true;
  if (!epochs.empty()) {
    plot.x_label = "epoch";
    plot.y_label = "loss";
    Series train{"training", {}, {}, true}, held{"held-out", {}, {}, true};
    for (const EpochRecord& e : epochs) {
      train.x.push_back(e.epoch + 1);
      train.y.push_back(e.train_loss);
      held.x.push_back(e.epoch + 1);
      held.y.push_back(e.validation_loss);
    }
    plot.series = {train, held};
  } else {
    // Mean loss per epoch: a step-by-step curve of small batches is mostly noise.
    std::map<int, std::vector<double>> per_epoch;
    for (const TrainRecord& r : rows) {
      std::vector<double>& acc = per_epoch[r.epoch];
      const size_t width = 1 + r.loss_per_t.size();
      if (acc.empty()) acc.assign(width + 1, 0.0);
      acc[0] += r.loss;
      for (size_t t = 0; t < r.loss_per_t.size(); ++t) acc[1 + t] += r.loss_per_t[t];
      acc.back() += 1;
    }
    plot.x_label = "epoch";
    plot.y_label = "mean loss over the epoch's steps";
    const size_t T = rows.front().loss_per_t.size();
    Series all{"all steps", {}, {}, false};
    std::vector<Series> per_t(T);
    for (size_t t = 0; t < T; ++t) per_t[t].label = fmt::format("t = {}", t + 1);
    for (const auto& [epoch, acc] : per_epoch) {
      const double n = acc.back();
      all.x.push_back(epoch + 1);
      all.y.push_back(acc[0] / n);
      for (size_t t = 0; t < T; ++t) {
        per_t[t].x.push_back(epoch + 1);
        per_t[t].y.push_back(acc[1 + t] / n);
      }
    }
    plot.series = {all};
    // Per-step curves where there are few enough to tell apart.
    if (T > 0 && T <= 10) plot.series.insert(plot.series.end(), per_t.begin(), per_t.end());
  }
  write_line_plot(png, plot);
  return true;
}

Analysis analyze_run(const std::filesystem::path& path, const AnalyzeOptions& o) {
  RunFile run = RunFile::open(path, o.store);
  const std::string status = run.attribute("status");
  if (status != "complete") {
    throw DataError(fmt::format(
        "run '{}' has status '{}': only a finished run can be analysed (qdm train --resume --out "
        "{} finishes it)",
        path.string(), status, path.string()));
  }
  const RunContext ctx = open_context(run, o.noise);
  require(o.noise.empty() || (o.sample_set.empty() && (o.count > 0 || run.sample_sets().empty())),
          "--set {}: noise applies to new samples; use --count N (not --samples) to draw them",
          o.noise.empty() ? std::string() : o.noise.front());
  Analysis a;
  a.experiment = ctx.experiment_name;

  SampleSet samples;
  a.sample_set = fresh_or_stored(run, ctx, o, &samples);
  if (ctx.experiment_name == "autoencoder") keep_reconstructions(samples);
  a.samples = static_cast<int>(samples.count());

  const Scoring scoring = make_scoring(ctx, o, samples.rows, samples.cols);
  a.classifier_accuracy = scoring.classifier.test_accuracy;
  a.metrics = scoring.score(samples);
  a.curves = score_snapshots(run, ctx, o, scoring);
  a.kept = kept_summary(run.read_train());

  if (o.store) {
    run.remove_metrics_with("written_by", kWrittenBy);
    for (const Metric& m : a.metrics) {
      run.write_metric(
          m.name, m.value,
          {{"written_by", kWrittenBy},
           {"definition", m.definition},
           {"samples", std::to_string(m.samples)},
           {"reference_images", std::to_string(m.reference)},
           {"sample_set", a.sample_set},
           {"classifier", scoring.classifier_path.string()},
           {"classifier_test_accuracy", fmt::format("{:.4f}", a.classifier_accuracy)}});
    }
    if (!a.curves.epochs.empty()) {
      run.write_metric_curves(a.curves,
                              {{"written_by", kWrittenBy},
                               {"definition",
                                "each metric of /metrics, computed on new samples from the "
                                "parameters snapshotted after each epoch in 'epoch'"},
                               {"samples", std::to_string(o.epoch_count)},
                               {"classifier", scoring.classifier_path.string()}});
    }
    run.flush();
  }

  if (!o.png_prefix.empty()) {
    const std::string prefix = o.png_prefix.string();
    const std::filesystem::path grid = prefix + "-samples.png";
    GridOptions options;
    options.columns = samples.grid_columns;
    write_png_grid(grid, samples.images, static_cast<int>(samples.count()), samples.rows,
                   samples.cols, options);
    a.pictures.push_back(grid);
    const std::filesystem::path loss = prefix + "-loss.png";
    if (write_loss_plot(path, loss)) a.pictures.push_back(loss);
    if (ctx.experiment_name != "autoencoder") {
      const std::filesystem::path trajectory = prefix + "-trajectory.png";
      write_trajectory_png(ctx, run, o, trajectory);
      a.pictures.push_back(trajectory);
    }
    const std::string name = path.filename().string();
    const std::filesystem::path fid_png = prefix + "-fid-by-epoch.png";
    const std::vector<double> epochs(a.curves.epochs.begin(), a.curves.epochs.end());
    if (write_curve_plot(epochs, "epoch", a.curves.values, kCurveFid,
                         fmt::format("{}: FID by epoch ({} samples each)", name, o.epoch_count),
                         "FID (classifier features)", fid_png)) {
      a.pictures.push_back(fid_png);
    }
    const std::filesystem::path scores_png = prefix + "-scores-by-epoch.png";
    if (write_curve_plot(epochs, "epoch", a.curves.values, kCurveScores,
                         fmt::format("{}: scores by epoch ({} samples each)", name, o.epoch_count),
                         "score", scores_png)) {
      a.pictures.push_back(scores_png);
    }
  }
  return a;
}

std::string format_metrics(const Analysis& a) {
  std::string out =
      fmt::format("{:<22} {:>10}  {:>8}  {:>9}\n", "metric", "value", "samples", "reference");
  for (const Metric& m : a.metrics) {
    out += fmt::format("{:<22} {:>10.4f}  {:>8}  {:>9}\n", m.name, m.value, m.samples,
                       m.reference ? std::to_string(m.reference) : std::string("-"));
  }
  return out;
}

NoiseSweep analyze_noise(const std::filesystem::path& path, const AnalyzeOptions& o,
                         const std::string& key, const std::vector<std::string>& points) {
  require(!points.empty(), "--noise {}: name at least one point", key);
  const RunFile run = RunFile::open(path, false);
  const std::string status = run.attribute("status");
  require(status == "complete", "run '{}' has status '{}': only a finished run can be analysed",
          path.string(), status);
  const RunContext ctx = open_context(run);
  if (!ctx.config->schema().find(key)) {
    throw std::invalid_argument(fmt::format(
        "--noise {}: experiment {} has no such key (its noise keys: noise.depolarizing, "
        "noise.depolarizing_2q, noise.amplitude_damping, noise.phase_damping, "
        "noise.readout_error, noise.device)",
        key, ctx.experiment_name));
  }
  require(key.rfind("noise.", 0) == 0, "--noise {}: a noise.* key is expected", key);
  const bool devices = key == "noise.device";
  // Strengths: the exact density matrix by default; trajectories reach wider models at a sampling
  // error. Devices: shots of routed chains, which only trajectories unravel.
  const std::string backend = !o.backend.empty() ? o.backend
                              : devices          ? "trajectories"
                                                 : "density-matrix";
  require(make_backend(backend)->capabilities().noise_models,
          "--noise: backend {} has no noise models (density-matrix or trajectories have)", backend);
  NoiseSweep sweep;
  sweep.key = key;
  sweep.backend = backend;
  sweep.points = points;
  sweep.samples = o.count > 0 ? o.count : kDefaultCount;
  sweep.shots = devices && o.shots == 0 ? 1000 : o.shots;
  // Every point is checked before any sampling.
  std::vector<Config> configs;
  for (const std::string& point : points) {
    Config config = *ctx.config;
    if (devices) {
      const bool none = point == "none";
      config.set(key, none ? "" : point, "--noise");
      sweep.labels.push_back(none ? "none" : load_ibm_device(point).name());
    } else {
      config.set(key, point, "--noise");
      sweep.labels.push_back(point);
    }
    configs.push_back(std::move(config));
  }
  std::optional<Scoring> scoring;
  for (size_t k = 0; k < points.size(); ++k) {
    SampleRequest request = new_samples_request(ctx, o, sweep.samples);
    request.backend = backend;
    request.shots = sweep.shots;
    fmt::print(stderr, "{} = {}: {} samples on the {} backend{}\n", key, points[k], request.count,
               backend, sweep.shots > 0 ? fmt::format(", {} shots each", sweep.shots) : "");
    const SampleSet samples = ctx.experiment->sample(configs[k], run, request);
    if (!scoring) scoring = make_scoring(ctx, o, samples.rows, samples.cols);
    for (const Metric& m : scoring->score(samples)) sweep.values[m.name].push_back(m.value);
  }
  if (!o.png_prefix.empty()) {
    const std::string name = path.filename().string();
    // Strengths on their own axis; devices one after another, named in the title.
    std::vector<double> x;
    std::string axis = key, names;
    for (size_t k = 0; k < points.size(); ++k) {
      x.push_back(devices ? static_cast<double>(k) : std::stod(points[k]));
      names += fmt::format("{}{} {}", k ? ", " : "", k, sweep.labels[k]);
    }
    if (devices) axis = fmt::format("device ({})", names);
    for (const auto& [suffix, metric_names, label] :
         {std::tuple{"-noise-fid.png", kCurveFid, "FID (classifier features)"},
          std::tuple{"-noise-scores.png", kCurveScores, "score"}}) {
      const std::filesystem::path png = o.png_prefix.string() + suffix;
      if (write_curve_plot(
              x, axis, sweep.values, metric_names,
              fmt::format("{}: metrics under {} ({} samples each)", name, key, sweep.samples),
              label, png)) {
        sweep.pictures.push_back(png);
      }
    }
  }
  return sweep;
}

std::string format_noise_sweep(const NoiseSweep& s) {
  std::vector<std::string> names;
  for (const auto& list : {kCurveFid, kCurveScores, std::vector<std::string>{"pairwise_mean"}}) {
    for (const std::string& n : list) {
      if (s.values.count(n)) names.push_back(n);
    }
  }
  std::string out = fmt::format("| {} |", s.key);
  for (const std::string& n : names) out += fmt::format(" {} |", n);
  out += "\n|---|";
  for (size_t i = 0; i < names.size(); ++i) out += "---|";
  out += "\n";
  for (size_t i = 0; i < s.labels.size(); ++i) {
    out += fmt::format("| {} |", s.labels[i]);
    for (const std::string& n : names) out += fmt::format(" {:.4f} |", s.values.at(n)[i]);
    out += "\n";
  }
  return out;
}

std::string format_curves(const Analysis& a) {
  if (a.curves.epochs.empty()) return "";
  std::vector<std::string> names;
  for (const auto& list : {kCurveFid, kCurveScores}) {
    for (const std::string& n : list) {
      if (a.curves.values.count(n)) names.push_back(n);
    }
  }
  std::string out = fmt::format("{:>7}", "epoch");
  for (const std::string& n : names) out += fmt::format(" {:>14}", n);
  out += "\n";
  for (size_t i = 0; i < a.curves.epochs.size(); ++i) {
    out += fmt::format("{:>7}", a.curves.epochs[i]);
    for (const std::string& n : names) out += fmt::format(" {:>14.4f}", a.curves.values.at(n)[i]);
    out += "\n";
  }
  return out;
}

}  // namespace qdm::analysis
