#pragma once
/// One QPU job from submission to counts, with a journal that survives crashes: the journal gets
/// an entry (nonce, request fingerprint) before the POST and the job id right after it, and every
/// status change; a later run with `resume` fetches that job instead of paying for a new one. A
/// deadline or Ctrl-C cancels the remote job and records it.

#include <functional>
#include <string>
#include <vector>

#include "backends/rest/qpu_provider.h"

namespace qdm::rest {

/// One journal entry; no secrets.
struct JobRecord {
  std::string provider, device, base_url;
  std::string nonce;
  std::string fingerprint;  ///< hash of the payload without its nonce: "the same request"
  std::string job_id;       ///< empty until the provider returned it
  /// submitting, queued, running, completed, fetched, failed, cancelled
  std::string status;
  std::string detail;
  int64_t circuits = 0, shots = 0;
  std::string created_utc, updated_utc;
  /// The device as the provider described it when the circuits were built (IBM).
  std::string device_version, calibration_date;
  std::string circuit_kind;  ///< dynamic (mid-circuit measurement) or static
  std::string bit_map;       ///< JSON: what each classical bit of the circuits holds
  std::string transpile;     ///< what transpilation did (gates, depth, SWAPs, layout)
  std::string counts_kind;   ///< "shots", or how exact probabilities became counts
  bool finished() const {
    return status == "fetched" || status == "failed" || status == "cancelled";
  }
};

/// Where entries live (the run file's /jobs); `save` writes or replaces the entry with the same
/// nonce and flushes.
class JobJournal {
 public:
  virtual ~JobJournal() = default;
  virtual void save(const JobRecord& record) = 0;
  virtual std::vector<JobRecord> load() const = 0;
};

/// A journal that lives as long as the process (single jobs outside a run file).
class MemoryJournal : public JobJournal {
 public:
  void save(const JobRecord& record) override;
  std::vector<JobRecord> load() const override { return records_; }

 private:
  std::vector<JobRecord> records_;
};

/// Submits (or with `resume` finds) the job, polls until it ends and returns each circuit's counts.
/// std::invalid_argument when the journal holds an unfinished job for the same request and
/// `resume` is false (or none and it is true); DataError when the job fails or is cancelled, or
/// the deadline passes (the job is cancelled first); rest::Interrupted after cancelling on Ctrl-C.
/// `record` carries the request's description (circuit kind, bit map, transpile report) into the
/// journal entry of a new job.
std::vector<Histogram> run_job(QpuProvider& provider, JobJournal& journal,
                               const JobRequest& request, const JobRecord& description = {});

}  // namespace qdm::rest
