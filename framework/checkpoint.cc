#include "framework/checkpoint.h"

#include <fmt/format.h>

#include <boost/archive/archive_exception.hpp>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <fstream>
#include <sstream>

#include "framework/atomic_file.h"
#include "framework/error.h"

namespace qdm {
namespace {
constexpr char kMagic[] = "qdm-checkpoint 1\n";
}

std::filesystem::path checkpoint_path(const std::filesystem::path& run_file) {
  return run_file.string() + ".ckpt";
}

void save_checkpoint(const std::filesystem::path& path, const TrainCheckpoint& checkpoint) {
  std::ostringstream out(std::ios::binary);
  out << kMagic;
  {
    boost::archive::binary_oarchive archive(out);
    archive << checkpoint;
  }
  const std::string bytes = out.str();
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
  std::string magic(sizeof kMagic - 1, '\0');
  in.read(magic.data(), static_cast<std::streamsize>(magic.size()));
  if (magic != kMagic) {
    throw DataError(fmt::format("'{}' is not a qdm checkpoint (bad header)", path.string()));
  }
  TrainCheckpoint checkpoint;
  try {
    boost::archive::binary_iarchive archive(in);
    archive >> checkpoint;
  } catch (const boost::archive::archive_exception& e) {
    throw DataError(fmt::format("checkpoint '{}' is damaged: {}", path.string(), e.what()));
  } catch (const std::exception&) {
    throw DataError(fmt::format("checkpoint '{}' is damaged: impossible sizes", path.string()));
  }
  return checkpoint;
}

}  // namespace qdm
