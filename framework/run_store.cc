#include "framework/run_store.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "framework/build_info.h"
#include "framework/error.h"
#include "framework/record_stamps.h"

namespace qdm {
namespace {

std::string host_name() {
  char name[256] = {0};
  return gethostname(name, sizeof name - 1) == 0 ? name : "unknown";
}

/// Every /train series; all have one row per optimiser step.
const char* const kTrainSeries[] = {"step",      "epoch",      "loss",      "lr",
                                    "wall_time", "loss_per_t", "kept_per_t"};

}  // namespace

RunFile::RunFile(std::filesystem::path path, h5::Handle file)
    : path_(std::move(path)), file_(std::move(file)) {}

RunFile RunFile::create(const std::filesystem::path& path, const RunProvenance& p, int loss_width,
                        bool overwrite) {
  // A folder the path names (runs/autoencoder-quick.h5 in a fresh clone) is made.
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      throw std::invalid_argument(fmt::format("cannot create the folder of run file '{}': {}",
                                              path.string(), ec.message()));
    }
  }
  // Written whole beside the target and renamed over it: a process killed while creating leaves
  // the old file (or none), never a half-made one.
  if (!overwrite && std::filesystem::exists(path)) {
    throw std::invalid_argument(fmt::format("cannot create HDF5 file '{}'", path.string()));
  }
  const std::filesystem::path partial = fmt::format("{}.partial-{}", path.string(), ::getpid());
  {
    h5::Handle file = [&] {
      try {
        return h5::create_file(partial, true);
      } catch (const std::invalid_argument&) {  // named by the file the user asked for
        throw std::invalid_argument(fmt::format("cannot create HDF5 file '{}'", path.string()));
      }
    }();
    const hid_t root = file.get();
    h5::write_attribute(root, "schema_version", kRunSchemaVersion);
    h5::write_attribute(root, "qdm_version", std::string(build_info::kVersion));
    h5::write_attribute(root, "git_revision", std::string(build_info::kGitRevision));
    h5::write_attribute(root, "build_type", std::string(build_info::kBuildType));
    h5::write_attribute(root, "host", host_name());
    h5::write_attribute(root, "created", utc_now());
    h5::write_attribute(root, "experiment", p.experiment);
    h5::write_attribute(root, "backend", p.backend);
    h5::write_attribute(root, "seed", p.seed);
    h5::write_attribute(root, "config", p.config_ini);
    h5::write_attribute(root, "status", std::string("running"));
    const h5::Handle train = h5::create_group(root, "train");
    h5::create_series(train.get(), "step", H5T_NATIVE_INT64, {});
    h5::create_series(train.get(), "epoch", H5T_NATIVE_INT32, {});
    for (const char* name : {"loss", "lr", "wall_time"}) {
      h5::create_series(train.get(), name, H5T_NATIVE_DOUBLE, {});
    }
    if (loss_width > 0) {
      h5::create_series(train.get(), "loss_per_t", H5T_NATIVE_DOUBLE,
                        {static_cast<hsize_t>(loss_width)});
    }
    // /params, /metrics and /samples appear with their first member: a run killed before it
    // finished holds no empty groups.
  }
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) {
    std::filesystem::remove(partial, ec);
    throw std::invalid_argument(fmt::format("cannot create HDF5 file '{}'", path.string()));
  }
  return RunFile(path, h5::open_file(path, true));
}

RunFile RunFile::open(const std::filesystem::path& path, bool writable) {
  // Read by path even when a damaged group cannot be listed.
  static const char* const kProbe[] = {"train/step",
                                       "train/epoch",
                                       "train/loss",
                                       "train/lr",
                                       "train/wall_time",
                                       "train/loss_per_t",
                                       "epochs/train_loss",
                                       "epochs/validation_loss",
                                       "epochs/lr",
                                       "epochs/wall_time",
                                       "params/values",
                                       "params/buffers",
                                       "params/block_offsets",
                                       "metric_curves/epoch"};
  RunFile run(path, h5::open_file(path, writable, kProbe));
  const auto version = h5::read_int_attribute(run.file_.get(), "schema_version");
  if (!version) {
    throw DataError(
        fmt::format("'{}' is an HDF5 file but not a qdm run (no schema_version)", path.string()));
  }
  if (*version > kRunSchemaVersion) {
    throw DataError(fmt::format("run file '{}' has schema version {}; this qdm reads up to {}",
                                path.string(), *version, kRunSchemaVersion));
  }
  return run;
}

std::string RunFile::attribute(const std::string& name) const {
  const auto v = h5::read_string_attribute(file_.get(), name);
  if (!v) {
    throw DataError(fmt::format("run file '{}' lacks the attribute '{}'", path_.string(), name));
  }
  return *v;
}

int64_t RunFile::int_attribute(const std::string& name) const {
  const auto v = h5::read_int_attribute(file_.get(), name);
  if (!v) {
    throw DataError(fmt::format("run file '{}' lacks the attribute '{}'", path_.string(), name));
  }
  return *v;
}

void RunFile::set_status(const std::string& status) {
  h5::write_attribute(file_.get(), "status", status);
}

void RunFile::append_train(std::span<const TrainRecord> rows) {
  if (rows.empty()) return;
  const h5::Handle train = h5::open_group(file_.get(), "train");
  const size_t n = rows.size();
  std::vector<int64_t> step(n);
  std::vector<int32_t> epoch(n);
  std::vector<double> loss(n), lr(n), wall(n), per_t, kept;
  for (size_t k = 0; k < n; ++k) {
    step[k] = rows[k].step;
    epoch[k] = rows[k].epoch;
    loss[k] = rows[k].loss;
    lr[k] = rows[k].lr;
    wall[k] = rows[k].wall_time;
    per_t.insert(per_t.end(), rows[k].loss_per_t.begin(), rows[k].loss_per_t.end());
    kept.insert(kept.end(), rows[k].kept_per_t.begin(), rows[k].kept_per_t.end());
  }
  const hid_t g = train.get();
  h5::append_rows(g, "step", H5T_NATIVE_INT64, step.data(), n);
  h5::append_rows(g, "epoch", H5T_NATIVE_INT32, epoch.data(), n);
  h5::append_rows(g, "loss", H5T_NATIVE_DOUBLE, loss.data(), n);
  h5::append_rows(g, "lr", H5T_NATIVE_DOUBLE, lr.data(), n);
  h5::append_rows(g, "wall_time", H5T_NATIVE_DOUBLE, wall.data(), n);
  if (h5::exists(g, "loss_per_t")) {
    h5::append_rows(g, "loss_per_t", H5T_NATIVE_DOUBLE, per_t.data(), n);
  }
  if (!kept.empty()) {
    const size_t width = rows.front().kept_per_t.size();
    require(kept.size() == n * width, "every /train row needs {} kept_per_t values", width);
    if (!h5::exists(g, "kept_per_t")) {
      h5::create_series(g, "kept_per_t", H5T_NATIVE_DOUBLE, {static_cast<hsize_t>(width)});
    }
    h5::append_rows(g, "kept_per_t", H5T_NATIVE_DOUBLE, kept.data(), n);
  }
}

namespace {
const char* const kEpochSeries[] = {"train_loss", "validation_loss", "lr", "wall_time"};

h5::Handle epochs_group(hid_t root) {
  if (h5::exists(root, "epochs")) return h5::open_group(root, "epochs");
  h5::Handle g = h5::create_group(root, "epochs");
  h5::create_series(g.get(), "epoch", H5T_NATIVE_INT32, {});
  for (const char* name : kEpochSeries) h5::create_series(g.get(), name, H5T_NATIVE_DOUBLE, {});
  return g;
}
}  // namespace

void RunFile::append_epochs(std::span<const EpochRecord> rows) {
  if (rows.empty()) return;
  const h5::Handle g = epochs_group(file_.get());
  const size_t n = rows.size();
  std::vector<int32_t> epoch(n);
  std::vector<double> columns[4];
  for (size_t k = 0; k < n; ++k) {
    epoch[k] = rows[k].epoch;
    columns[0].push_back(rows[k].train_loss);
    columns[1].push_back(rows[k].validation_loss);
    columns[2].push_back(rows[k].lr);
    columns[3].push_back(rows[k].wall_time);
  }
  h5::append_rows(g.get(), "epoch", H5T_NATIVE_INT32, epoch.data(), n);
  for (int i = 0; i < 4; ++i) {
    h5::append_rows(g.get(), kEpochSeries[i], H5T_NATIVE_DOUBLE, columns[i].data(), n);
  }
}

size_t RunFile::epoch_rows() const {
  if (!h5::exists(file_.get(), "epochs")) return 0;
  return h5::row_count(h5::open_group(file_.get(), "epochs").get(), "epoch");
}

void RunFile::truncate_epochs(size_t rows) {
  if (!h5::exists(file_.get(), "epochs")) return;
  const h5::Handle g = h5::open_group(file_.get(), "epochs");
  h5::truncate_rows(g.get(), "epoch", rows);
  for (const char* name : kEpochSeries) h5::truncate_rows(g.get(), name, rows);
}

size_t RunFile::train_rows() const {
  const h5::Handle train = h5::open_group(file_.get(), "train");
  return h5::row_count(train.get(), "step");
}

void RunFile::truncate_train(size_t rows) {
  const h5::Handle train = h5::open_group(file_.get(), "train");
  for (const char* name : kTrainSeries) {
    if (h5::exists(train.get(), name)) h5::truncate_rows(train.get(), name, rows);
  }
}

namespace {

void write_param_group(hid_t group, const ParamSnapshots& p) {
  h5::write_dataset(group, "values", std::span<const double>(p.values),
                    {static_cast<hsize_t>(p.snapshots), static_cast<hsize_t>(p.per_snapshot)});
  h5::write_dataset(group, "block_offsets", std::span<const int64_t>(p.block_offsets),
                    {p.block_offsets.size()});
  if (!p.buffers.empty()) {
    h5::write_dataset(group, "buffers", std::span<const double>(p.buffers), {p.buffers.size()});
  }
}

ParamSnapshots read_param_group(hid_t group, const std::string& where) {
  auto values = h5::read_doubles(group, "values");
  if (values.dims.size() != 2) throw DataError(fmt::format("{}/values is not a matrix", where));
  ParamSnapshots p;
  p.snapshots = static_cast<int>(values.dims[0]);
  p.per_snapshot = static_cast<int>(values.dims[1]);
  p.values = std::move(values.values);
  p.block_offsets = h5::read_ints(group, "block_offsets").values;
  if (h5::exists(group, "buffers")) p.buffers = h5::read_doubles(group, "buffers").values;
  return p;
}

std::string snapshot_name(int epoch) { return fmt::format("epoch_{:06d}", epoch); }

}  // namespace

h5::Handle RunFile::group(const char* name, bool create) const {
  if (h5::exists(file_.get(), name)) return h5::open_group(file_.get(), name);
  if (create) return h5::create_group(file_.get(), name);
  return h5::Handle();
}

void RunFile::write_params(const ParamSnapshots& p) {
  const h5::Handle params = group("params", true);
  write_param_group(params.get(), p);
}

ParamSnapshots RunFile::read_params() const {
  const h5::Handle params = group("params", false);
  if (!params || !h5::exists(params.get(), "values")) {
    throw DataError(fmt::format(
        "run file '{}' holds no parameters yet (/params/values): did its training finish?",
        path_.string()));
  }
  return read_param_group(params.get(), fmt::format("run file '{}': /params", path_.string()));
}

void RunFile::write_snapshot(int epoch, const ParamSnapshots& p) {
  // Older run files have no /snapshots group; it is made on first use.
  const h5::Handle root = h5::exists(file_.get(), "snapshots")
                              ? h5::open_group(file_.get(), "snapshots")
                              : h5::create_group(file_.get(), "snapshots");
  // A resumed run may redo an epoch whose snapshot a killed process wrote: replace it.
  const std::string name = snapshot_name(epoch);
  if (h5::exists(root.get(), name)) h5::remove(root.get(), name);
  const h5::Handle group = h5::create_group(root.get(), name);
  h5::write_attribute(group.get(), "epoch", static_cast<int64_t>(epoch));
  write_param_group(group.get(), p);
}

std::vector<int> RunFile::snapshot_epochs() const {
  std::vector<int> epochs;
  if (!h5::exists(file_.get(), "snapshots")) return epochs;
  const h5::Handle root = h5::open_group(file_.get(), "snapshots");
  for (const std::string& name : h5::members(root.get())) {
    const h5::Handle group = h5::open_group(root.get(), name);
    const auto epoch = h5::read_int_attribute(group.get(), "epoch");
    if (!epoch) {
      throw DataError(
          fmt::format("run file '{}': /snapshots/{} has no epoch attribute", path_.string(), name));
    }
    epochs.push_back(static_cast<int>(*epoch));
  }
  std::sort(epochs.begin(), epochs.end());
  return epochs;
}

ParamSnapshots RunFile::read_snapshot(int epoch) const {
  const std::string name = snapshot_name(epoch);
  if (!h5::exists(file_.get(), "snapshots/" + name)) {
    throw DataError(fmt::format("run file '{}' has no parameter snapshot after epoch {}",
                                path_.string(), epoch));
  }
  const h5::Handle group = h5::open_group(file_.get(), "snapshots/" + name);
  return read_param_group(group.get(),
                          fmt::format("run file '{}': /snapshots/{}", path_.string(), name));
}

std::string RunFile::add_samples(const SampleSet& s) {
  const h5::Handle samples = group("samples", true);
  const std::string name = fmt::format("{:03d}", h5::members(samples.get()).size());
  const h5::Handle set = h5::create_group(samples.get(), name);
  const hsize_t n = s.count(), r = s.rows, c = s.cols;
  h5::write_dataset(set.get(), "images", std::span<const double>(s.images), {n, r, c});
  h5::write_dataset(set.get(), "labels", std::span<const int32_t>(s.labels), {n});
  if (!s.latents.empty()) {
    h5::write_dataset(set.get(), "latents", std::span<const double>(s.latents),
                      {n, static_cast<hsize_t>(s.latent_size)});
  }
  if (!s.trajectory.empty()) {
    h5::write_dataset(set.get(), "trajectory", std::span<const double>(s.trajectory),
                      {n, static_cast<hsize_t>(s.trajectory_steps), r, c});
  }
  if (!s.kept_shots.empty()) {
    h5::write_dataset(set.get(), "kept_shots", std::span<const double>(s.kept_shots), {n});
  }
  if (!s.count_offsets.empty()) {
    const hsize_t k = s.count_bits.size();
    h5::write_dataset(set.get(), "count_offsets", std::span<const int64_t>(s.count_offsets),
                      {n + 1});
    h5::write_dataset(set.get(), "count_bits", std::span<const int64_t>(s.count_bits), {k});
    h5::write_dataset(set.get(), "count_values", std::span<const double>(s.count_values), {k});
    h5::write_attribute(set.get(), "bit_map", s.bit_map);
    h5::write_attribute(set.get(), "circuit_kind", s.circuit_kind);
    h5::write_attribute(set.get(), "rejected_shots_truncated",
                        static_cast<int64_t>(s.rejected_truncated));
  }
  h5::write_attribute(set.get(), "backend", s.backend);
  h5::write_attribute(set.get(), "shots", s.shots);
  h5::write_attribute(set.get(), "seed", s.seed);
  h5::write_attribute(set.get(), "seconds", s.seconds);
  h5::write_attribute(set.get(), "count", s.requested > 0 ? s.requested : static_cast<int64_t>(n));
  h5::write_attribute(set.get(), "created", utc_now());
  return name;
}

std::vector<std::string> RunFile::sample_sets() const {
  const h5::Handle samples = group("samples", false);
  return samples ? h5::members(samples.get()) : std::vector<std::string>{};
}

SampleSet RunFile::read_samples(const std::string& name) const {
  const h5::Handle set = h5::open_group(file_.get(), "samples/" + name);
  SampleSet s;
  auto images = h5::read_doubles(set.get(), "images");
  if (images.dims.size() != 3) {
    throw DataError(fmt::format("run file '{}': /samples/{}/images is not (N, rows, cols)",
                                path_.string(), name));
  }
  s.rows = static_cast<int>(images.dims[1]);
  s.cols = static_cast<int>(images.dims[2]);
  s.images = std::move(images.values);
  for (int64_t l : h5::read_ints(set.get(), "labels").values) {
    s.labels.push_back(static_cast<int32_t>(l));
  }
  s.backend = h5::read_string_attribute(set.get(), "backend").value_or("");
  s.shots = h5::read_int_attribute(set.get(), "shots").value_or(0);
  if (h5::exists(set.get(), "kept_shots"))
    s.kept_shots = h5::read_doubles(set.get(), "kept_shots").values;
  if (h5::exists(set.get(), "count_offsets")) {
    s.count_offsets = h5::read_ints(set.get(), "count_offsets").values;
    s.count_bits = h5::read_ints(set.get(), "count_bits").values;
    s.count_values = h5::read_doubles(set.get(), "count_values").values;
    s.bit_map = h5::read_string_attribute(set.get(), "bit_map").value_or("");
    s.circuit_kind = h5::read_string_attribute(set.get(), "circuit_kind").value_or("");
    s.rejected_truncated =
        h5::read_int_attribute(set.get(), "rejected_shots_truncated").value_or(0) != 0;
  }
  s.seed = h5::read_int_attribute(set.get(), "seed").value_or(0);
  return s;
}

void RunFile::write_metric(const std::string& name, double value) {
  const h5::Handle metrics = group("metrics", true);
  const double v[1] = {value};
  h5::write_dataset(metrics.get(), name, std::span<const double>(v), {});
}

void RunFile::write_metric(const std::string& name, double value,
                           const std::vector<std::pair<std::string, std::string>>& attributes) {
  write_metric(name, value);
  const h5::Handle metrics = group("metrics", true);
  const h5::Handle set(H5Dopen2(metrics.get(), name.c_str(), H5P_DEFAULT));
  for (const auto& [key, text] : attributes) h5::write_attribute(set.get(), key, text);
}

void RunFile::write_metric_curves(
    const MetricCurves& curves,
    const std::vector<std::pair<std::string, std::string>>& attributes) {
  if (h5::exists(file_.get(), "metric_curves")) h5::remove(file_.get(), "metric_curves");
  const h5::Handle group = h5::create_group(file_.get(), "metric_curves");
  for (const auto& [key, text] : attributes) h5::write_attribute(group.get(), key, text);
  h5::write_dataset(group.get(), "epoch", std::span<const int64_t>(curves.epochs),
                    {curves.epochs.size()});
  for (const auto& [name, values] : curves.values) {
    if (values.size() != curves.epochs.size()) {
      throw std::logic_error(fmt::format("metric curve {} has {} values for {} epochs", name,
                                         values.size(), curves.epochs.size()));
    }
    h5::write_dataset(group.get(), name, std::span<const double>(values), {values.size()});
  }
}

MetricCurves RunFile::read_metric_curves() const {
  MetricCurves curves;
  if (!h5::exists(file_.get(), "metric_curves")) return curves;
  const h5::Handle group = h5::open_group(file_.get(), "metric_curves");
  curves.epochs = h5::read_ints(group.get(), "epoch").values;
  for (const std::string& name : h5::members(group.get())) {
    if (name == "epoch") continue;
    std::vector<double> values = h5::read_doubles(group.get(), name).values;
    if (values.size() != curves.epochs.size()) {
      throw DataError(fmt::format("run file '{}': /metric_curves/{} has {} values for {} epochs",
                                  path_.string(), name, values.size(), curves.epochs.size()));
    }
    curves.values[name] = std::move(values);
  }
  return curves;
}

std::map<std::string, double> RunFile::read_metrics() const {
  std::map<std::string, double> out;
  const h5::Handle metrics = group("metrics", false);
  if (!metrics) return out;
  for (const std::string& name : h5::members(metrics.get())) {
    const auto v = h5::read_doubles(metrics.get(), name);
    if (!v.values.empty()) out[name] = v.values[0];
  }
  return out;
}

std::optional<std::string> RunFile::metric_attribute(const std::string& metric,
                                                     const std::string& attribute) const {
  const h5::Handle metrics = group("metrics", false);
  if (!metrics || !h5::exists(metrics.get(), metric)) return std::nullopt;
  const h5::Handle set(H5Dopen2(metrics.get(), metric.c_str(), H5P_DEFAULT));
  return h5::read_string_attribute(set.get(), attribute);
}

void RunFile::remove_metrics_with(const std::string& key, const std::string& value) {
  const h5::Handle metrics = group("metrics", false);
  if (!metrics) return;
  for (const std::string& name : h5::members(metrics.get())) {
    if (metric_attribute(name, key) == value) h5::remove(metrics.get(), name);
  }
}

std::vector<TrainRecord> RunFile::read_train() const {
  const h5::Handle train = h5::open_group(file_.get(), "train");
  const hid_t g = train.get();
  const auto step = h5::read_ints(g, "step").values;
  const auto epoch = h5::read_ints(g, "epoch").values;
  const auto loss = h5::read_doubles(g, "loss").values;
  const auto lr = h5::read_doubles(g, "lr").values;
  const auto wall = h5::read_doubles(g, "wall_time").values;
  h5::Array<double> per_t, kept;
  if (h5::exists(g, "loss_per_t")) per_t = h5::read_doubles(g, "loss_per_t");
  if (h5::exists(g, "kept_per_t")) kept = h5::read_doubles(g, "kept_per_t");
  const size_t width = per_t.dims.size() == 2 ? per_t.dims[1] : 0;
  const size_t kept_width = kept.dims.size() == 2 ? kept.dims[1] : 0;
  std::vector<TrainRecord> rows(step.size());
  for (size_t k = 0; k < rows.size(); ++k) {
    rows[k] = {step[k], static_cast<int32_t>(epoch[k]), loss[k], lr[k], wall[k], {}, {}};
    if (width > 0) {
      rows[k].loss_per_t.assign(per_t.values.begin() + k * width,
                                per_t.values.begin() + (k + 1) * width);
    }
    if (kept_width > 0 && (k + 1) * kept_width <= kept.values.size()) {
      rows[k].kept_per_t.assign(kept.values.begin() + k * kept_width,
                                kept.values.begin() + (k + 1) * kept_width);
    }
  }
  return rows;
}

std::vector<EpochRecord> RunFile::read_epochs() const {
  if (!h5::exists(file_.get(), "epochs")) return {};
  const h5::Handle g = h5::open_group(file_.get(), "epochs");
  const auto epoch = h5::read_ints(g.get(), "epoch").values;
  std::vector<std::vector<double>> columns;
  for (const char* name : kEpochSeries) columns.push_back(h5::read_doubles(g.get(), name).values);
  std::vector<EpochRecord> rows(epoch.size());
  for (size_t k = 0; k < rows.size(); ++k) {
    rows[k] = {static_cast<int32_t>(epoch[k]), columns[0][k], columns[1][k], columns[2][k],
               columns[3][k]};
  }
  return rows;
}

void RunFile::write_job(const std::string& name, const std::map<std::string, std::string>& fields) {
  if (!h5::exists(file_.get(), "jobs")) h5::create_group(file_.get(), "jobs");
  const h5::Handle jobs = h5::open_group(file_.get(), "jobs");
  const h5::Handle entry = h5::exists(jobs.get(), name) ? h5::open_group(jobs.get(), name)
                                                        : h5::create_group(jobs.get(), name);
  for (const auto& [key, text] : fields) h5::write_attribute(entry.get(), key, text);
  flush();
}

std::vector<std::map<std::string, std::string>> RunFile::read_jobs(
    const std::vector<std::string>& keys) const {
  std::vector<std::map<std::string, std::string>> out;
  if (!h5::exists(file_.get(), "jobs")) return out;
  const h5::Handle jobs = h5::open_group(file_.get(), "jobs");
  for (const std::string& name : h5::members(jobs.get())) {
    const h5::Handle entry = h5::open_group(jobs.get(), name);
    std::map<std::string, std::string> fields;
    for (const std::string& key : keys) {
      if (auto v = h5::read_string_attribute(entry.get(), key)) fields[key] = *v;
    }
    out.push_back(std::move(fields));
  }
  return out;
}

void RunFile::flush() { h5::flush(file_.get()); }

}  // namespace qdm
