#pragma once
/// The run file's /jobs group as the cloud job journal.

#include "backends/rest/qpu_job.h"
#include "framework/run_store.h"

namespace qdm {

class RunFileJournal : public rest::JobJournal {
 public:
  explicit RunFileJournal(RunFile& run) : run_(run) {}
  void save(const rest::JobRecord& record) override;
  std::vector<rest::JobRecord> load() const override;

 private:
  RunFile& run_;
};

}  // namespace qdm
