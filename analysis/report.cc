#include "analysis/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

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

bool higher_is_better(const std::string& metric) {
  return metric.starts_with("accuracy") || metric.starts_with("quality") ||
         metric == "in_class_share" || metric.starts_with("pairwise_mean");
}

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
    if (eq == std::string::npos) continue;
    const std::string key = trim(line.substr(0, eq));
    out[section.empty() ? key : section + "." + key] = trim(line.substr(eq + 1));
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
                       bool all_metrics) {
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
    std::string config;
    for (const auto& [key, value] : r.config) {
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
