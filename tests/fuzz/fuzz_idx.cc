// IDX files, plain or gzip-compressed (the corpus holds both): read_idx either returns an array
// whose bytes match its dimensions or throws DataError.
#include "framework/error.h"
#include "framework/idx.h"
#include "tests/fuzz/fuzz_target.h"

QDM_FUZZ_TARGET(idx) {
  static const std::string path = qdm::fuzz::scratch_file(".idx");
  qdm::fuzz::write_bytes(path, data, size);
  try {
    const qdm::IdxArray a = qdm::read_idx(path);
    size_t expected = 1;
    for (uint32_t d : a.dims) expected *= d;
    qdm::fuzz::fuzz_check(expected == a.data.size(), "IDX data size matches its dimensions");
  } catch (const qdm::DataError&) {
  }
  return 0;
}
