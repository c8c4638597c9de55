#include "experiments/sweep/sweep_manifest.h"

#include <fmt/format.h>

#include <sstream>

#include "framework/error.h"
#include "framework/hdf5_io.h"

namespace qdm {
namespace {

const char* const kKind = "qdm-sweep";

std::string point_group(int index) { return fmt::format("points/{:06d}", index); }

std::string text(hid_t obj, const std::string& name, const std::filesystem::path& file) {
  const auto v = h5::read_string_attribute(obj, name);
  if (!v) {
    throw DataError(
        fmt::format("sweep manifest '{}' lacks the attribute '{}'", file.string(), name));
  }
  return *v;
}

void create(const std::filesystem::path& file, const SweepPlan& plan,
            const std::string& base_config) {
  // Written beside the target and renamed over it: a kill leaves the old manifest or none.
  const std::filesystem::path partial = file.string() + ".partial";
  {
    const h5::Handle f = h5::create_file(partial, true);
    h5::write_attribute(f.get(), "kind", std::string(kKind));
    h5::write_attribute(f.get(), "experiment", plan.experiment);
    h5::write_attribute(f.get(), "fingerprint", plan.fingerprint());
    std::string keys;
    for (const std::string& k : plan.keys) keys += k + "\n";
    h5::write_attribute(f.get(), "keys", keys);
    h5::write_attribute(f.get(), "base_config", base_config);
    const h5::Handle points = h5::create_group(f.get(), "points");
    for (const SweepPoint& p : plan.points) {
      const h5::Handle g = h5::create_group(points.get(), fmt::format("{:06d}", p.index));
      h5::write_attribute(g.get(), "id", p.id);
      h5::write_attribute(g.get(), "file", p.id + ".h5");
      h5::write_attribute(g.get(), "label", p.label());
      for (const auto& [key, value] : p.values) h5::write_attribute(g.get(), "value:" + key, value);
    }
  }
  std::filesystem::rename(partial, file);
  for (const SweepPoint& p : plan.points) write_point_state(file, p.index, {});
}

}  // namespace

bool is_sweep_manifest(const std::filesystem::path& file) {
  try {
    const h5::Handle f = h5::open_file(file, false);
    return h5::read_string_attribute(f.get(), "kind") == std::string(kKind);
  } catch (const std::exception&) {
    return false;
  }
}

void open_sweep_manifest(const std::filesystem::path& file, const SweepPlan& plan,
                         const std::string& base_config) {
  if (!std::filesystem::exists(file)) return create(file, plan, base_config);
  SweepManifest old;
  try {
    old = read_sweep_manifest(file);
  } catch (const std::exception& e) {
    // The run files say which points finished; a damaged manifest is rebuilt from the plan.
    fmt::print(stderr, "warning: rebuilding the unreadable sweep manifest {} ({})\n", file.string(),
               e.what());
    return create(file, plan, base_config);
  }
  if (old.fingerprint != plan.fingerprint()) {
    throw std::invalid_argument(fmt::format(
        "{} belongs to another sweep ({} points of {} over {}); give this one its own --out, or "
        "the same experiment, config and grid to resume it",
        file.string(), old.points.size(), old.experiment,
        old.keys.empty() ? std::string("nothing") : fmt::format("{}", fmt::join(old.keys, ", "))));
  }
}

void write_point_state(const std::filesystem::path& file, int index, const SweepPointState& s) {
  const h5::Handle f = h5::open_file(file, true);
  const h5::Handle g = h5::open_group(f.get(), point_group(index));
  h5::write_attribute(g.get(), "status", s.status);
  h5::write_attribute(g.get(), "error", s.error);
  h5::write_attribute(g.get(), "seconds", s.seconds);
  h5::write_attribute(g.get(), "attempts", static_cast<int64_t>(s.attempts));
  h5::flush(f.get());
}

SweepManifest read_sweep_manifest(const std::filesystem::path& file) {
  const h5::Handle f = h5::open_file(file, false);
  SweepManifest m;
  if (h5::read_string_attribute(f.get(), "kind") != std::string(kKind)) {
    throw DataError(fmt::format("'{}' is not a qdm sweep manifest", file.string()));
  }
  m.experiment = text(f.get(), "experiment", file);
  m.fingerprint = text(f.get(), "fingerprint", file);
  m.base_config = text(f.get(), "base_config", file);
  std::istringstream keys(text(f.get(), "keys", file));
  for (std::string k; std::getline(keys, k);) {
    if (!k.empty()) m.keys.push_back(k);
  }
  const h5::Handle points = h5::open_group(f.get(), "points");
  for (const std::string& name : h5::members(points.get())) {
    const h5::Handle g = h5::open_group(points.get(), name);
    SweepManifestPoint p;
    p.id = text(g.get(), "id", file);
    p.file = text(g.get(), "file", file);
    p.label = text(g.get(), "label", file);
    for (const std::string& k : m.keys) p.values[k] = text(g.get(), "value:" + k, file);
    p.state.status = h5::read_string_attribute(g.get(), "status").value_or("pending");
    p.state.error = h5::read_string_attribute(g.get(), "error").value_or("");
    p.state.attempts = static_cast<int>(h5::read_int_attribute(g.get(), "attempts").value_or(0));
    m.points.push_back(std::move(p));
  }
  return m;
}

}  // namespace qdm
