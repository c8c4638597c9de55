#include "framework/device/device.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "framework/error.h"

namespace qdm {
namespace {

using nlohmann::json;

const json& member(const json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) {
    throw DataError(fmt::format("{}: no '{}'", where, key));
  }
  return object.at(key);
}

std::string text(const json& object, const char* key, const std::string& where) {
  const json& v = member(object, key, where);
  if (!v.is_string()) throw DataError(fmt::format("{}: '{}' is not a string", where, key));
  return v.get<std::string>();
}

int qubit_index(const json& v, int num_qubits, const std::string& where) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= num_qubits) {
    throw DataError(
        fmt::format("{}: qubit {} is not an index in 0..{}", where, v.dump(), num_qubits - 1));
  }
  return v.get<int>();
}

std::vector<std::string> strings(const json& list, const std::string& where) {
  if (!list.is_array()) throw DataError(where + " is not a list");
  std::vector<std::string> out;
  for (const json& v : list) {
    if (!v.is_string()) throw DataError(fmt::format("{} holds {}, not a name", where, v.dump()));
    out.push_back(v.get<std::string>());
  }
  return out;
}

/// The value of the Nduv named `name` in a list of {name, value, unit, date}; `fallback` if none.
double nduv(const json& list, std::string_view name, double fallback, const std::string& where) {
  if (!list.is_array()) throw DataError(where + " is not a list of {name, value} entries");
  for (const json& e : list) {
    if (e.is_object() && e.contains("name") && e["name"] == name) {
      const json& v = member(e, "value", where);
      if (!v.is_number()) throw DataError(fmt::format("{}: '{}' is not a number", where, name));
      return v.get<double>();
    }
  }
  return fallback;
}

}  // namespace

Device Device::from_ibm_json(const json& conf, const json& props) {
  Device d;
  const std::string cw = "device configuration";
  d.name_ = text(conf, "backend_name", cw);
  d.version_ = conf.contains("backend_version") && conf["backend_version"].is_string()
                   ? conf["backend_version"].get<std::string>()
                   : "";
  const json& n = member(conf, "n_qubits", cw);
  if (!n.is_number_integer() || n.get<int64_t>() < 1 || n.get<int64_t>() > 100000) {
    throw DataError(fmt::format("{}: n_qubits {} is not a positive qubit count", cw, n.dump()));
  }
  d.num_qubits_ = n.get<int>();
  d.basis_gates_ = strings(member(conf, "basis_gates", cw), cw + " basis_gates");
  for (const auto& [key, out] :
       {std::pair{"max_experiments", &d.max_circuits_}, std::pair{"max_shots", &d.max_shots_}}) {
    if (conf.contains(key) && conf[key].is_number_integer() && conf[key].get<int64_t>() > 0 &&
        conf[key].get<int64_t>() < (1LL << 31)) {
      *out = conf[key].get<int>();
    }
  }
  if (conf.contains("supported_instructions")) {
    d.supported_ = strings(conf["supported_instructions"], cw + " supported_instructions");
  }
  for (const std::string g : {"cz", "ecr", "cx"}) {
    if (std::find(d.basis_gates_.begin(), d.basis_gates_.end(), g) != d.basis_gates_.end()) {
      d.two_qubit_gate_ = g;
      break;
    }
  }
  if (d.two_qubit_gate_.empty()) {
    throw DataError(fmt::format("{}: basis_gates [{}] hold no two-qubit gate (cz, ecr or cx)", cw,
                                fmt::join(d.basis_gates_, ", ")));
  }
  const json& map = member(conf, "coupling_map", cw);
  if (!map.is_array()) throw DataError(cw + ": coupling_map is not a list of pairs");
  for (const json& pair : map) {
    if (!pair.is_array() || pair.size() != 2) {
      throw DataError(fmt::format("{}: coupling_map entry {} is not a pair", cw, pair.dump()));
    }
    const int a = qubit_index(pair[0], d.num_qubits_, cw + " coupling_map");
    const int b = qubit_index(pair[1], d.num_qubits_, cw + " coupling_map");
    if (a == b) throw DataError(fmt::format("{}: coupling_map pairs qubit {} with itself", cw, a));
    d.edges_.emplace_back(a, b);
  }

  const std::string pw = "device properties";
  const std::string props_name = text(props, "backend_name", pw);
  if (props_name != d.name_) {
    throw DataError(
        fmt::format("the properties are of '{}', the configuration of '{}'", props_name, d.name_));
  }
  d.calibration_date_ = text(props, "last_update_date", pw);
  const json& qubits = member(props, "qubits", pw);
  if (!qubits.is_array() || static_cast<int>(qubits.size()) != d.num_qubits_) {
    throw DataError(fmt::format("{}: 'qubits' lists {} qubits; the configuration has {}", pw,
                                qubits.is_array() ? qubits.size() : 0, d.num_qubits_));
  }
  for (size_t q = 0; q < qubits.size(); ++q) {
    const std::string where = fmt::format("{} of qubit {}", pw, q);
    QubitCalibration c;
    c.t1_us = nduv(qubits[q], "T1", 0, where);
    c.t2_us = nduv(qubits[q], "T2", 0, where);
    c.readout_error = nduv(qubits[q], "readout_error", 0, where);
    c.prob_meas1_prep0 = nduv(qubits[q], "prob_meas1_prep0", c.readout_error, where);
    c.prob_meas0_prep1 = nduv(qubits[q], "prob_meas0_prep1", c.readout_error, where);
    c.readout_length_ns = nduv(qubits[q], "readout_length", 0, where);
    c.operational = nduv(qubits[q], "operational", 1, where) != 0;
    for (double p : {c.readout_error, c.prob_meas1_prep0, c.prob_meas0_prep1}) {
      if (p < 0 || p > 1)
        throw DataError(fmt::format("{}: a readout error {} is outside 0..1", where, p));
    }
    if (c.t1_us < 0 || c.t2_us < 0) throw DataError(where + ": T1 or T2 is negative");
    d.qubits_.push_back(c);
  }
  const json& gates = member(props, "gates", pw);
  if (!gates.is_array()) throw DataError(pw + ": 'gates' is not a list");
  for (const json& g : gates) {
    const std::string name = text(g, "gate", pw + " gate");
    const std::string where = fmt::format("{} of gate {}", pw, name);
    const json& on = member(g, "qubits", where);
    if (!on.is_array() || on.empty() || on.size() > 2) {
      throw DataError(fmt::format("{}: qubits {} is not one or two indices", where, on.dump()));
    }
    const json& params = member(g, "parameters", where);
    GateCalibration c;
    c.error = nduv(params, "gate_error", 0, where);
    c.length_ns = nduv(params, "gate_length", 0, where);
    c.operational = c.error < 1 && nduv(params, "operational", 1, where) != 0;
    if (c.error < 0) throw DataError(fmt::format("{}: gate_error {} is negative", where, c.error));
    const int a = qubit_index(on[0], d.num_qubits_, where);
    if (on.size() == 1) {
      d.one_qubit_[{name, a}] = c;
    } else if (name == d.two_qubit_gate_) {
      d.two_qubit_[{a, qubit_index(on[1], d.num_qubits_, where)}] = c;
    }
  }
  d.neighbours_.assign(d.num_qubits_, {});
  for (const auto& [a, b] : d.edges_) {
    const auto it = d.two_qubit_.find({a, b});
    if (it != d.two_qubit_.end() && !it->second.operational) continue;
    if (!d.qubits_[a].operational || !d.qubits_[b].operational) continue;
    for (const auto& [x, y] : {std::pair{a, b}, std::pair{b, a}}) {
      auto& list = d.neighbours_[x];
      if (std::find(list.begin(), list.end(), y) == list.end()) list.push_back(y);
    }
  }
  for (auto& list : d.neighbours_) std::sort(list.begin(), list.end());
  return d;
}

bool Device::supports(std::string_view instruction) const {
  const auto has = [&](const std::vector<std::string>& v) {
    return std::find(v.begin(), v.end(), instruction) != v.end();
  };
  return has(basis_gates_) || has(supported_);
}

bool Device::coupled(int a, int b) const {
  return std::find(edges_.begin(), edges_.end(), std::pair{a, b}) != edges_.end();
}

GateCalibration Device::gate(std::string_view gate, int q) const {
  const auto it = one_qubit_.find({std::string(gate), q});
  return it == one_qubit_.end() ? GateCalibration{} : it->second;
}

GateCalibration Device::gate(int a, int b) const {
  const auto it = two_qubit_.find({a, b});
  return it == two_qubit_.end() ? GateCalibration{} : it->second;
}

std::pair<std::string, std::string> ibm_device_files(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  const std::string file = p.filename().string();
  const auto swap_prefix = [&](const std::string& from, const std::string& to) {
    return (p.parent_path() / (to + file.substr(from.size()))).string();
  };
  if (file.rfind("conf_", 0) == 0) return {path, swap_prefix("conf_", "props_")};
  if (file.rfind("props_", 0) == 0) return {swap_prefix("props_", "conf_"), path};
  throw std::invalid_argument(fmt::format(
      "device file '{}' is not named conf_NAME.json or props_NAME.json (an IBM backend's "
      "configuration and properties, side by side)",
      path));
}

Device load_ibm_device(const std::string& path) {
  const auto [conf_path, props_path] = ibm_device_files(path);
  const auto read = [](const std::string& file) {
    std::ifstream in(file);
    if (!in) throw std::invalid_argument(fmt::format("cannot read device file '{}'", file));
    json j = json::parse(in, nullptr, false);
    if (j.is_discarded()) throw std::invalid_argument(fmt::format("'{}' is not JSON", file));
    return j;
  };
  // The file the user named is read first, so a missing one is the one they typed (not whichever
  // argument the compiler happens to evaluate first).
  const bool named_props = path == props_path;
  const json named = read(path), sibling = read(named_props ? conf_path : props_path);
  try {
    return Device::from_ibm_json(named_props ? sibling : named, named_props ? named : sibling);
  } catch (const DataError& e) {
    throw std::invalid_argument(fmt::format("{} ({}, {})", e.what(), conf_path, props_path));
  }
}

}  // namespace qdm
