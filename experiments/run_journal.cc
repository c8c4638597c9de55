#include "experiments/run_journal.h"

#include <string>

namespace qdm {
namespace {

const std::vector<std::string> kFields = {
    "provider",       "device",           "base_url",     "nonce",   "fingerprint", "job_id",
    "status",         "detail",           "circuits",     "shots",   "created",     "updated",
    "device_version", "calibration_date", "circuit_kind", "bit_map", "transpile",   "counts"};

int64_t to_int(const std::map<std::string, std::string>& m, const std::string& key) {
  const auto it = m.find(key);
  return it == m.end() ? 0 : std::stoll(it->second);
}

std::string text(const std::map<std::string, std::string>& m, const std::string& key) {
  const auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

}  // namespace

void RunFileJournal::save(const rest::JobRecord& r) {
  // Entries are named by creation time then nonce, so they list in the order jobs were made.
  run_.write_job(r.created_utc + "-" + r.nonce.substr(0, 8),
                 {{"provider", r.provider},
                  {"device", r.device},
                  {"base_url", r.base_url},
                  {"nonce", r.nonce},
                  {"fingerprint", r.fingerprint},
                  {"job_id", r.job_id},
                  {"status", r.status},
                  {"detail", r.detail},
                  {"circuits", std::to_string(r.circuits)},
                  {"shots", std::to_string(r.shots)},
                  {"created", r.created_utc},
                  {"updated", r.updated_utc},
                  {"device_version", r.device_version},
                  {"calibration_date", r.calibration_date},
                  {"circuit_kind", r.circuit_kind},
                  {"bit_map", r.bit_map},
                  {"transpile", r.transpile},
                  {"counts", r.counts_kind}});
}

std::vector<rest::JobRecord> RunFileJournal::load() const {
  std::vector<rest::JobRecord> out;
  for (const auto& m : run_.read_jobs(kFields)) {
    rest::JobRecord r;
    r.provider = text(m, "provider");
    r.device = text(m, "device");
    r.base_url = text(m, "base_url");
    r.nonce = text(m, "nonce");
    r.fingerprint = text(m, "fingerprint");
    r.job_id = text(m, "job_id");
    r.status = text(m, "status");
    r.detail = text(m, "detail");
    r.circuits = to_int(m, "circuits");
    r.shots = to_int(m, "shots");
    r.created_utc = text(m, "created");
    r.updated_utc = text(m, "updated");
    r.device_version = text(m, "device_version");
    r.calibration_date = text(m, "calibration_date");
    r.circuit_kind = text(m, "circuit_kind");
    r.bit_map = text(m, "bit_map");
    r.transpile = text(m, "transpile");
    r.counts_kind = text(m, "counts");
    out.push_back(r);
  }
  return out;
}

}  // namespace qdm
