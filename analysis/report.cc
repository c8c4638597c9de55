#include "analysis/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "analysis/plot.h"
#include "experiments/sweep/sweep_manifest.h"
#include "framework/config.h"
#include "framework/error.h"
#include "framework/run_store.h"

namespace qdm::analysis {
namespace {

namespace fs = std::filesystem;

/// Config keys worth a glance in a comparison, where a run's experiment has them.
const char* const kKeyConfig[] = {
    "data.dataset", "data.classes", "data.image_size", "data.length",      "diffusion.steps",
    "model.params", "model.hidden", "train.epochs",    "train.batch_size", "train.lr"};

/// Metrics shown first, in this order; any other metric follows alphabetically.
const char* const kLeadingMetrics[] = {"accuracy", "quality",       "in_class_share",
                                       "fid",      "fid_real",      "jsd",
                                       "jsd_real", "pairwise_mean", "pairwise_mean_real"};
/// Training bookkeeping: shown in the fixed columns or not at all.
const std::set<std::string> kTrainingMetrics = {"final_loss",
                                                "final_epoch_loss",
                                                "train_seconds",
                                                "train_steps",
                                                "seconds_per_epoch",
                                                "parameter_count",
                                                "train_samples_per_second",
                                                "train_images",
                                                "validation_images",
                                                "best_epoch",
                                                "final_validation_loss"};

/// "key = value" lines of an INI text (sections joined as section.key).
std::map<std::string, std::string> parse_ini(const std::string& text) {
  std::map<std::string, std::string> out;
  std::string section, line;
  std::istringstream in(text);
  while (std::getline(in, line)) {
    const auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(" \t\r"));
      s.erase(s.find_last_not_of(" \t\r") + 1);
      return s;
    };
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = trim(line.substr(1, line.size() - 2));
      continue;
    }
    const auto eq = line.find('=');
    // Keys before any section (the experiment's name) are not config keys.
    if (eq == std::string::npos || section.empty()) continue;
    const std::string key = trim(line.substr(0, eq));
    out[section + "." + key] = trim(line.substr(eq + 1));
  }
  return out;
}

ReportRow read_row(const fs::path& path) {
  ReportRow row;
  row.path = path;
  try {
    const RunFile run = RunFile::open(path, false);
    row.experiment = run.attribute("experiment");
    row.status = run.attribute("status");
    row.backend = run.attribute("backend");
    const auto config = parse_ini(run.attribute("config"));
    row.resolved = config;
    for (const char* key : kKeyConfig) {
      if (const auto it = config.find(key); it != config.end()) row.config[key] = it->second;
    }
    row.metrics = run.read_metrics();
  } catch (const std::exception& e) {
    row.status = fmt::format("unreadable: {}", e.what());
  }
  return row;
}

bool is_run_file(const fs::path& path) {
  try {
    RunFile::open(path, false);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::string number(double v) {
  if (v == static_cast<long long>(v) && std::abs(v) < 1e9)
    return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{:.4g}", v);
}

std::string escape_csv(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    out += c;
    if (c == '"') out += c;  // a quote inside a field is doubled
  }
  out += '"';
  return out;
}

}  // namespace

bool higher_is_better(const std::string& metric) {
  return metric.starts_with("accuracy") || metric.starts_with("quality") ||
         metric == "in_class_share" || metric.starts_with("pairwise_mean");
}

SweepRows collect_sweep(const fs::path& dir) {
  SweepRows out;
  const fs::path manifest = dir / "sweep.h5";
  if (!fs::exists(manifest)) return out;
  const SweepManifest m = read_sweep_manifest(manifest);
  out.keys = m.keys;
  for (const SweepManifestPoint& p : m.points) {
    const fs::path run = dir / p.file;
    ReportRow row;
    if (fs::exists(run) && is_run_file(run)) {
      row = read_row(run);
    } else {
      row.path = run;
      row.experiment = m.experiment;
      row.status = p.state.error.empty() ? p.state.status
                                         : fmt::format("{}: {}", p.state.status, p.state.error);
    }
    for (const auto& [key, value] : p.values) row.resolved[key] = value;
    out.rows.push_back(std::move(row));
  }
  return out;
}

std::vector<Effect> sweep_effects(const std::vector<ReportRow>& rows,
                                  const std::vector<std::string>& keys, const std::string& metric) {
  std::vector<Effect> out;
  const bool up = higher_is_better(metric);
  for (const std::string& key : keys) {
    std::vector<std::string> order;  // values in first-seen order
    std::map<std::string, std::vector<double>> by_value;
    for (const ReportRow& r : rows) {
      const auto v = r.resolved.find(key);
      const auto m = r.metrics.find(metric);
      if (v == r.resolved.end() || m == r.metrics.end()) continue;
      if (!by_value.contains(v->second)) order.push_back(v->second);
      by_value[v->second].push_back(m->second);
    }
    for (const std::string& value : order) {
      const std::vector<double>& xs = by_value[value];
      Effect e{key, value, static_cast<int>(xs.size()), 0, xs.front()};
      for (double x : xs) {
        e.mean += x / static_cast<double>(xs.size());
        e.best = up ? std::max(e.best, x) : std::min(e.best, x);
      }
      out.push_back(e);
    }
  }
  return out;
}

std::string effects_markdown(const std::vector<Effect>& effects, const std::string& metric) {
  std::string out = fmt::format(
      "\neffect of each swept key on {} (mean over the points with that value; {} is better):\n\n"
      "| key | value | points | mean | best |\n|---|---|---|---|---|\n",
      metric, higher_is_better(metric) ? "higher" : "lower");
  for (const Effect& e : effects) {
    out += fmt::format("| {} | {} | {} | {} | {} |\n", e.key, e.value, e.points, number(e.mean),
                       number(e.best));
  }
  return out;
}

std::vector<fs::path> write_effect_plots(const std::vector<Effect>& effects,
                                         const std::string& metric, const fs::path& dir) {
  std::vector<fs::path> written;
  std::vector<std::string> keys;
  for (const Effect& e : effects) {
    if (std::find(keys.begin(), keys.end(), e.key) == keys.end()) keys.push_back(e.key);
  }
  for (const std::string& key : keys) {
    std::vector<const Effect*> mine;
    for (const Effect& e : effects) {
      if (e.key == key) mine.push_back(&e);
    }
    // Numeric values are plotted at their value; anything else (lists, names) in order.
    bool numeric = true;
    std::vector<double> xs;
    for (const Effect* e : mine) {
      char* end = nullptr;
      const double x = std::strtod(e->value.c_str(), &end);
      numeric = numeric && end && *end == '\0' && !e->value.empty();
      xs.push_back(x);
    }
    std::string order;
    if (!numeric) {
      for (size_t i = 0; i < mine.size(); ++i) {
        xs[i] = static_cast<double>(i + 1);
        order += fmt::format("{}{}={}", i ? ", " : "", i + 1, mine[i]->value);
      }
    }
    std::vector<size_t> idx(mine.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return xs[a] < xs[b]; });
    Series mean{fmt::format("mean {}", metric), {}, {}, true};
    Series best{fmt::format("best {}", metric), {}, {}, true};
    for (size_t i : idx) {
      mean.x.push_back(xs[i]);
      mean.y.push_back(mine[i]->mean);
      best.x.push_back(xs[i]);
      best.y.push_back(mine[i]->best);
    }
    LinePlot plot;
    plot.title = fmt::format("effect of {} on {}", key, metric);
    plot.x_label = numeric ? key : fmt::format("{} ({})", key, order);
    plot.y_label = metric;
    const double lo = mean.x.front(), hi = mean.x.back();
    plot.log_x = numeric && lo > 0 && hi / lo >= 10;
    plot.series = {mean, best};
    const fs::path png = dir / fmt::format("effect-{}.png", key);
    write_line_plot(png, plot);
    written.push_back(png);
  }
  return written;
}

std::vector<ReportRow> collect_runs(const std::vector<fs::path>& inputs) {
  std::vector<ReportRow> rows;
  for (const fs::path& input : inputs) {
    if (fs::is_directory(input)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::recursive_directory_iterator(input)) {
        if (entry.is_regular_file() && entry.path().extension() == ".h5") {
          files.push_back(entry.path());
        }
      }
      std::sort(files.begin(), files.end());
      for (const fs::path& f : files) {
        if (is_run_file(f)) rows.push_back(read_row(f));
      }
    } else if (fs::exists(input)) {
      rows.push_back(read_row(input));
    } else {
      throw std::invalid_argument(fmt::format(
          "'{}' does not exist: name run files or folders holding them", input.string()));
    }
  }
  return rows;
}

ReportTable make_table(const std::vector<ReportRow>& input, const std::string& rank_by,
                       bool all_metrics, const std::vector<std::string>& extra_keys) {
  std::vector<ReportRow> rows = input;
  if (!rank_by.empty()) {
    const bool any = std::any_of(rows.begin(), rows.end(),
                                 [&](const ReportRow& r) { return r.metrics.contains(rank_by); });
    require(any, "--rank-by {}: no run has that metric", rank_by);
    const bool up = higher_is_better(rank_by);
    std::stable_sort(rows.begin(), rows.end(), [&](const ReportRow& a, const ReportRow& b) {
      const auto ia = a.metrics.find(rank_by), ib = b.metrics.find(rank_by);
      if (ia == a.metrics.end() || ib == b.metrics.end())
        return ib == b.metrics.end() && ia != a.metrics.end();
      return up ? ia->second > ib->second : ia->second < ib->second;
    });
  }
  std::vector<std::string> metric_columns;
  std::set<std::string> seen;
  for (const char* m : kLeadingMetrics) {
    for (const ReportRow& r : rows) {
      if (r.metrics.contains(m)) {
        metric_columns.push_back(m);
        seen.insert(m);
        break;
      }
    }
  }
  std::set<std::string> others;
  for (const ReportRow& r : rows) {
    for (const auto& [name, value] : r.metrics) {
      const bool detail = name.find("_digit_") != std::string::npos ||
                          name.starts_with("class_share_") || name == "pairwise_std";
      if (!seen.contains(name) && !kTrainingMetrics.contains(name) && (all_metrics || !detail)) {
        others.insert(name);
      }
    }
  }
  metric_columns.insert(metric_columns.end(), others.begin(), others.end());

  ReportTable t;
  t.header = {"run",    "experiment", "status",  "backend",
              "config", "parameters", "train_s", "final_loss"};
  t.header.insert(t.header.end(), metric_columns.begin(), metric_columns.end());
  for (const ReportRow& r : rows) {
    std::map<std::string, std::string> shown = r.config;
    for (const std::string& key : extra_keys) {
      if (const auto it = r.resolved.find(key); it != r.resolved.end()) shown[key] = it->second;
    }
    std::string config;
    for (const auto& [key, value] : shown) {
      config +=
          fmt::format("{}{}={}", config.empty() ? "" : " ", key.substr(key.find('.') + 1), value);
    }
    const auto metric = [&](const std::string& name) {
      const auto it = r.metrics.find(name);
      return it == r.metrics.end() ? std::string("-") : number(it->second);
    };
    std::vector<std::string> cells = {r.path.string(),
                                      r.experiment.empty() ? "-" : r.experiment,
                                      r.status,
                                      r.backend.empty() ? "-" : r.backend,
                                      config.empty() ? "-" : config,
                                      metric("parameter_count"),
                                      metric("train_seconds"),
                                      metric("final_loss")};
    for (const std::string& m : metric_columns) cells.push_back(metric(m));
    t.rows.push_back(std::move(cells));
  }
  return t;
}

std::string to_markdown(const ReportTable& t) {
  const auto line = [](const std::vector<std::string>& cells) {
    std::string s = "|";
    for (const std::string& c : cells) {
      std::string cell = c;
      std::replace(cell.begin(), cell.end(), '|', '/');
      s += fmt::format(" {} |", cell);
    }
    s += '\n';
    return s;
  };
  std::string out = line(t.header);
  out += line(std::vector<std::string>(t.header.size(), "---"));
  for (const auto& r : t.rows) out += line(r);
  return out;
}

std::string to_csv(const ReportTable& t) {
  const auto line = [](const std::vector<std::string>& cells) {
    std::string s;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) s += ',';
      s += escape_csv(cells[i]);
    }
    s += '\n';
    return s;
  };
  std::string out = line(t.header);
  for (const auto& r : t.rows) out += line(r);
  return out;
}

}  // namespace qdm::analysis
