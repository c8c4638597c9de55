#include "experiments/train_session.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <numeric>
#include <sstream>

#include "framework/error.h"

namespace qdm {

double last_train_loss(const RunFile& run) {
  const std::vector<TrainRecord> rows = run.read_train();
  return rows.empty() ? 0.0 : rows.back().loss;
}

TrainSession::TrainSession(RunFile& run, const TrainRequest& request, double wall_before,
                           long long first_step)
    : run_(run), request_(request), wall_before_(wall_before), first_step_(first_step) {}

double TrainSession::wall() const {
  return wall_before_ + std::chrono::duration<double>(Clock::now() - start_).count();
}

bool TrainSession::stop_requested(long long step) const {
  return (request_.stop && request_.stop->load()) ||
         (request_.max_steps > 0 && step - first_step_ >= request_.max_steps);
}

TrainOutcome TrainSession::stopped(const TrainPosition& at, Progress& progress,
                                   double last_loss) const {
  progress.finish(
      at.step, fmt::format("stopped at epoch {} step {}; checkpoint saved", at.epoch + 1, at.step));
  return {false, at.step, wall(), last_loss};
}

void TrainSession::record(TrainRecord row) {
  pending_.push_back(std::move(row));
  if (Clock::now() - last_flush_ > std::chrono::seconds(2)) flush();
}

void TrainSession::flush() {
  run_.append_train(pending_);
  pending_.clear();
  run_.flush();
  last_flush_ = Clock::now();
}

void TrainSession::checkpoint(TrainCheckpoint c) {
  flush();
  c.experiment = run_.attribute("experiment");
  c.train_rows = run_.train_rows();
  c.epoch_rows = run_.epoch_rows();
  c.wall_time = wall();
  save_checkpoint(checkpoint_path(run_.path()), c);
}

void write_training_metrics(RunFile& run, const TrainingSummary& s) {
  const std::vector<TrainRecord> rows = run.read_train();
  double sum = 0;
  int n = 0;
  for (const TrainRecord& r : rows) {
    if (r.epoch == rows.back().epoch) sum += r.loss, ++n;
  }
  run.write_metric("final_loss", s.last_loss);
  run.write_metric("final_epoch_loss", n > 0 ? sum / n : s.last_loss);
  run.write_metric("train_seconds", s.seconds);
  run.write_metric("train_steps", static_cast<double>(s.steps));
  run.write_metric("seconds_per_epoch", s.seconds / s.epochs);
  run.write_metric(
      "train_samples_per_second",
      s.seconds > 0 ? static_cast<double>(s.steps) * s.samples_per_step / s.seconds : 0);
  run.write_metric("parameter_count", s.parameter_count);
  if (const auto kept = kept_summary(rows)) {
    run.write_metric("kept_per_step",
                     std::accumulate(kept->per_t.begin(), kept->per_t.end(), 0.0) /
                         static_cast<double>(kept->per_t.size()),
                     {{"definition",
                       "mean over the diffusion steps of the probability that a step's "
                       "post-selections keep its state (last epoch of /train/kept_per_t)"},
                      {"per_step", fmt::format("{:.4g}", fmt::join(kept->per_t, " "))}});
    run.write_metric("kept_chain", kept->chain,
                     {{"definition",
                       "product over the diffusion steps of the last epoch's kept probability: "
                       "about the share of a whole chain's shots its post-selections keep"}});
  }
}

std::optional<KeptSummary> kept_summary(const std::vector<TrainRecord>& rows) {
  if (rows.empty() || rows.back().kept_per_t.empty()) return std::nullopt;
  KeptSummary k;
  k.per_t.assign(rows.back().kept_per_t.size(), 0.0);
  int n = 0;
  for (const TrainRecord& r : rows) {
    if (r.epoch != rows.back().epoch || r.kept_per_t.size() != k.per_t.size()) continue;
    for (size_t t = 0; t < k.per_t.size(); ++t) k.per_t[t] += r.kept_per_t[t];
    ++n;
  }
  for (double& p : k.per_t) {
    p /= n;
    if (std::isnan(p)) return std::nullopt;
    k.chain *= p;
  }
  return k;
}

TrainCheckpoint make_checkpoint(const std::string& config_ini, const TrainPosition& at,
                                std::span<const double> params, const Adam& adam, const Rng& rng) {
  TrainCheckpoint c;
  c.config_ini = config_ini;
  c.global_step = at.step;
  c.epoch = at.epoch;
  c.batch_in_epoch = at.batch;
  c.order = at.order;
  c.params.assign(params.begin(), params.end());
  c.adam_steps = adam.steps();
  c.adam_m = adam.m();
  c.adam_v = adam.v();
  std::ostringstream engine;
  engine << rng.engine();
  c.rng_engine = engine.str();
  c.rng_has_spare = rng.has_spare();
  c.rng_spare = rng.spare();
  return c;
}

TrainPosition restore_checkpoint(const TrainCheckpoint& c, Adam& adam, Rng& rng) {
  adam.restore(c.adam_steps, c.adam_m, c.adam_v);
  std::istringstream engine(c.rng_engine);
  std::mt19937_64 mt;
  engine >> mt;
  rng.restore(mt, c.rng_has_spare, c.rng_spare);
  return {c.global_step, c.epoch, c.batch_in_epoch, c.order};
}

std::vector<uint32_t> shuffled(size_t n, Rng& rng) {
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  return order;
}

TrainSettings read_train_settings(const Config& c) {
  TrainSettings s;
  s.epochs = static_cast<int>(c.get_int("train.epochs"));
  s.batch_size = static_cast<int>(c.get_int("train.batch_size"));
  s.adam.lr = c.get_real("train.lr");
  s.adam.weight_decay = c.get_real("train.weight_decay");
  s.lr_step = static_cast<int>(c.get_int("train.lr_step"));
  s.lr_gamma = c.get_real("train.lr_gamma");
  s.seed = static_cast<uint64_t>(c.get_int("train.seed"));
  s.checkpoint_every = c.get_int("train.checkpoint_every");
  if (c.schema().find("train.snapshot_every")) {
    s.snapshot_every = static_cast<int>(c.get_int("train.snapshot_every"));
  }
  return s;
}

void add_snapshot_key(ConfigSchema& schema) {
  schema.integer("train.snapshot_every", 0, 0, 10'000'000,
                 "epochs between parameter snapshots for qdm analyze's metric-vs-epoch curves (0: "
                 "none; the last epoch is always kept when set)");
}

SampleLabels sample_labels(const SampleRequest& request, int label_count) {
  // A conditioned model asked for no label in particular samples all of them.
  const int label = label_count > 0 && request.label == SampleRequest::kNoLabel
                        ? SampleRequest::kAllLabels
                        : request.label;
  if (label_count == 0) {
    require(label == SampleRequest::kNoLabel,
            "--label {}: this model is unconditioned and takes no label",
            label == SampleRequest::kAllLabels ? "all" : std::to_string(label));
  } else if (label != SampleRequest::kAllLabels) {
    require(label >= 0 && label < label_count, "--label {} is outside 0..{} (or all)", label,
            label_count - 1);
  }
  SampleLabels out;
  const bool all = label == SampleRequest::kAllLabels;
  out.per_label = all ? (request.count + label_count - 1) / label_count : 0;
  for (int k = 0; k < request.count; ++k) {
    out.labels.push_back(label_count == 0 ? -1 : all ? k / out.per_label : label);
  }
  return out;
}

}  // namespace qdm
