#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "tests/fuzz/fuzz_target.h"

namespace qdm::fuzz {
namespace {

struct ScratchFiles {
  std::vector<std::string> paths;
  ~ScratchFiles() {
    std::error_code ec;
    for (const auto& p : paths) std::filesystem::remove(p, ec);
  }
};
ScratchFiles scratch;

}  // namespace

std::string scratch_file(const char* suffix) {
  const auto dir = std::filesystem::temp_directory_path();
  std::string path = (dir / ("qdm-fuzz-" + std::to_string(::getpid()) + "-" +
                             std::to_string(scratch.paths.size()) + suffix))
                         .string();
  scratch.paths.push_back(path);
  return path;
}

void write_bytes(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

}  // namespace qdm::fuzz
