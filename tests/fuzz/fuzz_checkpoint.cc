// Checkpoint files (RUN.h5.ckpt) whose bytes are damaged: load_checkpoint returns the state or
// throws DataError.
#include "framework/checkpoint.h"
#include "framework/error.h"
#include "tests/fuzz/fuzz_target.h"

QDM_FUZZ_TARGET(checkpoint) {
  static const std::string path = qdm::fuzz::scratch_file(".ckpt");
  qdm::fuzz::write_bytes(path, data, size);
  try {
    qdm::load_checkpoint(path);
  } catch (const qdm::DataError&) {
  }
  return 0;
}
