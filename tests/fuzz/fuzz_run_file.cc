// Run files whose bytes are damaged (the corpus holds real ones, from a training and a sampling):
// opening and reading every part either works or throws DataError / std::invalid_argument naming
// the file, never crashes.
#include <stdexcept>

#include "framework/error.h"
#include "framework/run_store.h"
#include "tests/fuzz/fuzz_target.h"

QDM_FUZZ_TARGET(run_file) {
  static const std::string path = qdm::fuzz::scratch_file(".h5");
  qdm::fuzz::write_bytes(path, data, size);
  const auto attempt = [](auto&& read) {
    try {
      read();
    } catch (const qdm::DataError&) {
    } catch (const std::invalid_argument&) {
    }
  };
  try {
    const qdm::RunFile run = qdm::RunFile::open(path, false);
    attempt([&] { run.attribute("status"); });
    attempt([&] { run.attribute("config"); });
    attempt([&] { run.read_train(); });
    attempt([&] { run.read_epochs(); });
    attempt([&] { run.read_params(); });
    attempt([&] {
      for (int epoch : run.snapshot_epochs()) run.read_snapshot(epoch);
    });
    attempt([&] {
      for (const auto& name : run.sample_sets()) run.read_samples(name);
    });
    attempt([&] { run.read_metrics(); });
    attempt([&] { run.read_metric_curves(); });
    attempt([&] { run.read_jobs({"id", "status", "provider"}); });
  } catch (const qdm::DataError&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
