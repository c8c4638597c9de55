// Runs fuzz targets over files without libFuzzer: `qdm_fuzz_replay TARGET PATH...` feeds every
// file (folders: every file in them) to TARGET once, so the committed corpora and regression
// inputs stay tested by ctest under the GCC sanitizers.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_target.h"

namespace qdm::fuzz {

std::map<std::string, Target>& targets() {
  static std::map<std::string, Target> all;
  return all;
}

bool register_target(const char* name, Target target) {
  targets()[name] = target;
  return true;
}

}  // namespace qdm::fuzz

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const auto& targets = qdm::fuzz::targets();
  if (argc < 3 || !targets.count(argv[1])) {
    std::cerr << "usage: qdm_fuzz_replay TARGET PATH...; targets:";
    for (const auto& [name, target] : targets) std::cerr << ' ' << name;
    std::cerr << '\n';
    return 2;
  }
  const qdm::fuzz::Target target = targets.at(argv[1]);
  std::vector<fs::path> files;
  for (int i = 2; i < argc; ++i) {
    if (fs::is_directory(argv[i])) {
      for (const auto& entry : fs::recursive_directory_iterator(argv[i])) {
        // Dot files (.keep) hold folders in git, not inputs.
        const bool hidden = entry.path().filename().string().starts_with(".");
        if (entry.is_regular_file() && !hidden) files.push_back(entry.path());
      }
    } else if (fs::exists(argv[i])) {
      files.push_back(argv[i]);
    } else {
      std::cerr << "qdm_fuzz_replay: '" << argv[i] << "' does not exist\n";
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    target(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::cout << argv[1] << ": " << files.size() << " inputs replayed\n";
  return files.empty() ? 1 : 0;
}
