#include "experiments/sweep/sweep_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "framework/rng.h"

namespace qdm {
namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(sep, start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

double parse_number(const std::string& text, const std::string& spec) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(v)) {
    throw std::invalid_argument(
        fmt::format("--random range '{}': '{}' is not a number", spec, text));
  }
  return v;
}

std::string drawn_value(const SweepAxis& a, Rng& rng) {
  switch (a.range) {
    case SweepAxis::Range::Log:
      return fmt::format(
          "{:.6g}", std::exp(std::log(a.lo) + rng.uniform() * (std::log(a.hi) - std::log(a.lo))));
    case SweepAxis::Range::Linear:
      return fmt::format("{:.6g}", a.lo + rng.uniform() * (a.hi - a.lo));
    case SweepAxis::Range::Integer:
      return std::to_string(
          static_cast<long long>(a.lo) +
          static_cast<long long>(rng.below(static_cast<uint64_t>(a.hi - a.lo) + 1)));
    case SweepAxis::Range::None:
      break;
  }
  return a.values[rng.below(a.values.size())];
}

}  // namespace

SweepAxis parse_sweep_axis(const std::string& spec, bool random) {
  const size_t eq = spec.find('=');
  const std::string flag = random ? "--grid (with --random)" : "--grid";
  if (eq == std::string::npos || eq == 0 || spec.substr(0, eq).find('.') == std::string::npos ||
      eq + 1 == spec.size()) {
    throw std::invalid_argument(
        fmt::format("{} '{}' is not of the form section.key=v1,v2,...", flag, spec));
  }
  SweepAxis a;
  a.key = spec.substr(0, eq);
  const std::string rhs = spec.substr(eq + 1);
  for (const auto& [prefix, range] :
       {std::pair{"log:", SweepAxis::Range::Log}, std::pair{"lin:", SweepAxis::Range::Linear},
        std::pair{"int:", SweepAxis::Range::Integer}}) {
    if (!rhs.starts_with(prefix)) continue;
    if (!random) {
      throw std::invalid_argument(
          fmt::format("--grid '{}': a range ({}LO:HI) needs --random N; a grid lists its values",
                      spec, prefix));
    }
    const std::vector<std::string> bounds = split(rhs.substr(4), ':');
    if (bounds.size() != 2) {
      throw std::invalid_argument(fmt::format("--grid '{}': a range is {}LO:HI", spec, prefix));
    }
    a.range = range;
    a.lo = parse_number(bounds[0], spec);
    a.hi = parse_number(bounds[1], spec);
    // Integer bounds stay where doubles hold every integer, so the draw's arithmetic is exact.
    constexpr double kMaxInteger = 9007199254740992.0;  // 2^53
    if (!(a.lo < a.hi) || (range == SweepAxis::Range::Log && a.lo <= 0) ||
        (range == SweepAxis::Range::Integer &&
         (a.lo != std::floor(a.lo) || a.hi != std::floor(a.hi) || std::abs(a.lo) > kMaxInteger ||
          std::abs(a.hi) > kMaxInteger))) {
      throw std::invalid_argument(fmt::format("--grid '{}': the range needs LO < HI{}", spec,
                                              range == SweepAxis::Range::Log ? " and LO > 0"
                                              : range == SweepAxis::Range::Integer
                                                  ? ", both integers within +-2^53"
                                                  : ""));
    }
    return a;
  }
  // Values holding commas (int lists such as data.classes) are separated by '|' instead.
  a.values = split(rhs, rhs.find('|') != std::string::npos ? '|' : ',');
  std::set<std::string> seen;
  for (const std::string& v : a.values) {
    if (v.empty()) throw std::invalid_argument(fmt::format("{} '{}': an empty value", flag, spec));
    if (!seen.insert(v).second) {
      throw std::invalid_argument(
          fmt::format("{} '{}': value '{}' is listed twice", flag, spec, v));
    }
  }
  return a;
}

std::string SweepPoint::label() const {
  std::string out;
  for (const auto& [key, value] : values)
    out += fmt::format("{}{}={}", out.empty() ? "" : " ", key, value);
  return out;
}

std::string SweepPlan::fingerprint() const {
  std::string ids = experiment;
  for (const SweepPoint& p : points) ids += " " + p.id;
  return stable_hash(ids);
}

SweepPlan plan_sweep(const std::string& experiment, const Config& base,
                     const std::vector<SweepAxis>& axes, std::optional<int> random_draws,
                     uint64_t seed) {
  if (axes.empty()) throw std::invalid_argument("a sweep needs at least one --grid key=values");
  SweepPlan plan;
  plan.experiment = experiment;
  for (const SweepAxis& a : axes) {
    if (std::find(plan.keys.begin(), plan.keys.end(), a.key) != plan.keys.end()) {
      throw std::invalid_argument(fmt::format("--grid names {} twice", a.key));
    }
    plan.keys.push_back(a.key);
    // Every listed value is checked now, even one a random sweep may never draw.
    Config probe = base;
    for (const std::string& v : a.values) probe.set(a.key, v, "--grid");
    if (a.range != SweepAxis::Range::None) {
      probe.set(a.key, drawn_value(a, *std::make_unique<Rng>(1)), "--grid");
    }
  }
  std::vector<std::vector<std::string>> rows;
  if (random_draws) {
    if (*random_draws < 1) throw std::invalid_argument("--random N needs N >= 1");
    Rng rng(splitmix64(seed ^ 0x5eeb));
    for (int d = 0; d < *random_draws; ++d) {
      std::vector<std::string> row;
      for (const SweepAxis& a : axes) row.push_back(drawn_value(a, rng));
      rows.push_back(std::move(row));
    }
  } else {
    rows.emplace_back();
    for (const SweepAxis& a : axes) {
      std::vector<std::vector<std::string>> next;
      for (const auto& row : rows) {
        for (const std::string& v : a.values) {
          next.push_back(row);
          next.back().push_back(v);
        }
      }
      rows = std::move(next);
    }
  }
  std::set<std::string> ids;
  for (const auto& row : rows) {
    Config c = base;
    SweepPoint p;
    for (size_t k = 0; k < axes.size(); ++k) {
      c.set(axes[k].key, row[k], "--grid");
      p.values.emplace_back(axes[k].key, c.text_of(axes[k].key));
    }
    p.config_ini = fmt::format("experiment = {}\n{}", experiment, c.to_ini());
    p.id = fmt::format("{}-{}", experiment, stable_hash(p.config_ini));
    // Random draws from a short list can repeat a point: it is run once.
    if (!ids.insert(p.id).second) continue;
    p.index = static_cast<int>(plan.points.size());
    plan.points.push_back(std::move(p));
  }
  return plan;
}

}  // namespace qdm
