#include "backends/rest/qpu_job.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <optional>
#include <random>

#include "backends/rest/secrets.h"
#include "framework/error.h"
#include "framework/record_stamps.h"

namespace qdm::rest {
namespace {

std::string new_nonce() {
  std::random_device device;
  std::mt19937_64 bits((static_cast<uint64_t>(device()) << 32) ^ device() ^
                       static_cast<uint64_t>(std::time(nullptr)));
  return fmt::format("{:016x}{:016x}", bits(), bits());
}

/// Cancels the job on the provider's side and records the outcome; never throws.
void cancel_and_record(QpuProvider& p, JobJournal& journal, JobRecord& rec, const char* why) {
  interrupt_requested().store(false);  // let the cancel request's own waits run
  try {
    p.cancel(rec.job_id, Deadline(30));
    rec.status = "cancelled";
    rec.detail = why;
  } catch (const std::exception& e) {
    rec.detail = redact(fmt::format("{}; cancelling failed: {}", why, e.what()));
  }
  rec.updated_utc = utc_now();
  journal.save(rec);
}

}  // namespace

void MemoryJournal::save(const JobRecord& record) {
  for (JobRecord& r : records_) {
    if (r.nonce == record.nonce) {
      r = record;
      return;
    }
  }
  records_.push_back(record);
}

std::vector<Histogram> run_job(QpuProvider& p, JobJournal& journal, const JobRequest& req,
                               const JobRecord& description) {
  const QpuSettings& s = p.settings();
  require(!req.circuits.empty(), "a job needs at least one circuit");
  const std::string fp =
      req.identity.empty()
          ? stable_hash(p.payload(req, ""))
          : stable_hash(fmt::format("{}|{}|{}|{}", s.provider, s.device, req.shots, req.identity));
  std::optional<JobRecord> pending;
  for (const JobRecord& r : journal.load()) {
    if (!r.finished() && r.fingerprint == fp && r.provider == s.provider) pending = r;
  }
  if (pending && !req.resume) {
    throw std::invalid_argument(fmt::format(
        "the run file's /jobs holds an unfinished {} job for this same request (id '{}', status "
        "{}, created {}): pass --resume to fetch it instead of submitting and paying again",
        s.provider, pending->job_id, pending->status, pending->created_utc));
  }
  if (!pending && req.resume) {
    throw std::invalid_argument(fmt::format(
        "--resume: the run file's /jobs holds no unfinished {} job for this request (the same "
        "count, seed, label, shots and device); run without --resume to submit one",
        s.provider));
  }
  p.check_credentials();
  const Deadline deadline(s.deadline_s);
  JobRecord rec;
  const auto save = [&] {
    rec.updated_utc = utc_now();
    journal.save(rec);
  };
  try {
    if (pending) {
      rec = *pending;
      p.client().log(
          fmt::format("resuming {} job '{}' (status {})", s.provider, rec.job_id, rec.status));
      if (rec.job_id.empty()) {
        // The earlier run died between POST and reply: the job may exist under its nonce.
        if (auto id = p.find_by_nonce(rec.nonce, deadline)) {
          rec.job_id = *id;
        } else {
          rec.job_id = p.submit(p.payload(req, rec.nonce), rec.nonce, deadline);
        }
        rec.status = "queued";
        save();
      }
    } else {
      rec = description;
      rec.provider = s.provider;
      rec.device = s.device;
      rec.base_url = s.base_url;
      rec.nonce = new_nonce();
      rec.fingerprint = fp;
      rec.status = "submitting";
      rec.circuits = static_cast<int64_t>(req.circuits.size());
      rec.shots = req.shots;
      rec.created_utc = utc_now();
      if (const Device* d = p.device()) {
        rec.device_version = d->version();
        rec.calibration_date = d->calibration_date();
      }
      save();
      rec.job_id = p.submit(p.payload(req, rec.nonce), rec.nonce, deadline);
      rec.status = "queued";
      save();
      p.client().log(fmt::format("submitted {} job '{}': {} circuits x {} shots on {}", s.provider,
                                 rec.job_id, req.circuits.size(), req.shots, s.device));
    }
  } catch (const JobRefused& e) {
    rec.status = "failed";
    rec.detail = e.what();
    save();
    throw DataError(e.what());
  } catch (const DeadlineExceeded&) {
    throw DataError(fmt::format(
        "the {} job was not accepted within qpu.deadline = {:g} s (journal status {}; `qdm "
        "sample --resume` looks for it again)",
        s.provider, s.deadline_s, rec.status));
  }
  try {
    const auto waiting_since = std::chrono::steady_clock::now();
    auto last_line = waiting_since;
    for (;;) {
      const JobStatus st = p.status(rec.job_id, deadline);
      const auto now = std::chrono::steady_clock::now();
      if (to_string(st.state) != rec.status) {
        rec.status = to_string(st.state);
        rec.detail = st.reason.empty() ? st.raw : st.raw + ": " + st.reason;
        save();
        p.client().log(fmt::format("job '{}': {}", rec.job_id, st.raw));
        last_line = now;
      } else if (now - last_line > std::chrono::minutes(1)) {
        // A queue can take hours: say it is still alive once a minute.
        p.client().log(fmt::format(
            "job '{}': still {} after {:.0f} min; the deadline is in {:.0f} min", rec.job_id,
            st.raw, std::chrono::duration<double>(now - waiting_since).count() / 60,
            deadline.remaining_s() / 60));
        last_line = now;
      }
      if (st.state == JobState::Completed) {
        auto counts = p.results(rec.job_id, req, deadline);
        rec.status = "fetched";
        rec.counts_kind = p.counts_kind();
        save();
        return counts;
      }
      if (st.state == JobState::Failed) {
        throw DataError(
            redact(fmt::format("{} job '{}' failed: {}", s.provider, rec.job_id, rec.detail)));
      }
      if (st.state == JobState::Cancelled) {
        throw DataError(redact(fmt::format("{} job '{}' was cancelled on the provider's side ({})",
                                           s.provider, rec.job_id, rec.detail)));
      }
      p.client().wait(s.poll_interval_s, deadline);
    }
  } catch (const DeadlineExceeded&) {
    cancel_and_record(p, journal, rec, "deadline passed");
    throw DataError(fmt::format(
        "{} job '{}' did not finish within qpu.deadline = {:g} s; {}", s.provider, rec.job_id,
        s.deadline_s,
        rec.status == "cancelled" ? "it was cancelled" : "cancelling it failed: " + rec.detail));
  } catch (const Interrupted&) {
    cancel_and_record(p, journal, rec, "interrupted");
    throw Interrupted(fmt::format(
        "interrupted: {} job '{}' {}", s.provider, rec.job_id,
        rec.status == "cancelled" ? "was cancelled" : "could not be cancelled: " + rec.detail));
  }
}

}  // namespace qdm::rest
