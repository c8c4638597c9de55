#include "framework/checkpoint.h"

#include <fmt/format.h>

#include <boost/archive/archive_exception.hpp>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>

#include "framework/atomic_file.h"
#include "framework/error.h"
#include "framework/io/child_probe.h"
#include "framework/record_stamps.h"

namespace qdm {
namespace {
// Version 1 was the magic line then the archive. Version 2 adds the archive's length and FNV-1a
// hash to the first line, so a damaged file is refused before Boost reads sizes out of it.
constexpr std::string_view kMagicV1 = "qdm-checkpoint 1\n";
constexpr std::string_view kMagicV2 = "qdm-checkpoint 2 ";

TrainCheckpoint deserialize(const std::filesystem::path& path, const std::string& archive_bytes) {
  // Boost allocates what a collection's size field says before reading it. The checksum makes a
  // damaged size all but impossible, but a fuzzer forged one (a 3e18-element vector), which
  // sanitizers abort on rather than throw; so the archive is read in a child first.
  const auto read_archive = [&] {
    std::istringstream in(archive_bytes, std::ios::binary);
    boost::archive::binary_iarchive archive(in);
    TrainCheckpoint probe;
    archive >> probe;
    return std::string();
  };
  const std::string failure = io::run_in_child(read_archive, 10, uint64_t{1} << 30).failure;
  if (!failure.empty()) {
    throw DataError(fmt::format("checkpoint '{}' is damaged: {}", path.string(), failure));
  }
  TrainCheckpoint checkpoint;
  try {
    std::istringstream in(archive_bytes, std::ios::binary);
    boost::archive::binary_iarchive archive(in);
    archive >> checkpoint;
  } catch (const boost::archive::archive_exception& e) {
    throw DataError(fmt::format("checkpoint '{}' is damaged: {}", path.string(), e.what()));
  } catch (const std::exception&) {
    throw DataError(fmt::format("checkpoint '{}' is damaged: impossible sizes", path.string()));
  }
  return checkpoint;
}

}  // namespace

std::filesystem::path checkpoint_path(const std::filesystem::path& run_file) {
  return run_file.string() + ".ckpt";
}

void save_checkpoint(const std::filesystem::path& path, const TrainCheckpoint& checkpoint) {
  std::ostringstream out(std::ios::binary);
  {
    boost::archive::binary_oarchive archive(out);
    archive << checkpoint;
  }
  const std::string payload = out.str();
  const std::string bytes =
      fmt::format("{}{} {}\n", kMagicV2, payload.size(), stable_hash(payload)) + payload;
  write_file_atomically(path, {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
}

TrainCheckpoint load_checkpoint(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw DataError(
        fmt::format("checkpoint '{}' does not exist: nothing to resume from (a run stopped before "
                    "its first checkpoint starts again with --overwrite)",
                    path.string()));
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.starts_with(kMagicV1)) {
    // Its sizes cannot be checked before Boost allocates them (fuzzing found an 8 GB string in a
    // damaged one), so it is refused rather than trusted.
    throw DataError(fmt::format(
        "checkpoint '{}' has format 1, written by qdm before checkpoints carried a checksum: "
        "resume it with the qdm that wrote it, or start the run again with --overwrite",
        path.string()));
  }
  if (!bytes.starts_with(kMagicV2)) {
    throw DataError(fmt::format("'{}' is not a qdm checkpoint (bad header)", path.string()));
  }
  const size_t line_end = bytes.find('\n');
  std::istringstream header(bytes.substr(kMagicV2.size(), line_end - kMagicV2.size()));
  size_t length = 0;
  std::string hash, rest;
  if (line_end == std::string::npos || !(header >> length >> hash) || (header >> rest)) {
    throw DataError(fmt::format("checkpoint '{}' is damaged: bad header line", path.string()));
  }
  const std::string payload = bytes.substr(line_end + 1);
  if (payload.size() != length) {
    throw DataError(fmt::format("checkpoint '{}' is damaged: {} bytes where its header says {}",
                                path.string(), payload.size(), length));
  }
  if (stable_hash(payload) != hash) {
    throw DataError(fmt::format(
        "checkpoint '{}' is damaged: its content does not match its checksum", path.string()));
  }
  return deserialize(path, payload);
}

}  // namespace qdm
