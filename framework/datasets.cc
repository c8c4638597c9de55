#include "framework/datasets.h"

#include <fmt/format.h>

#include "framework/error.h"

namespace qdm {

std::optional<std::filesystem::path> find_idx(const std::filesystem::path& dir,
                                              const std::string& stem) {
  for (const char* suffix : {"", ".gz"}) {
    const std::filesystem::path p = dir / (stem + suffix);
    if (std::filesystem::exists(p)) return p;
  }
  return std::nullopt;
}

LabelledImages load_dataset(const std::filesystem::path& dir, const std::string& dataset,
                            const std::string& split) {
  require(split == "train" || split == "t10k", "data split '{}' must be train or t10k", split);
  const std::string images = split + "-images-idx3-ubyte";
  const std::string labels = split + "-labels-idx1-ubyte";
  for (const auto& folder : {dir / dataset, dir}) {
    const auto i = find_idx(folder, images);
    const auto l = find_idx(folder, labels);
    if (i && l) return read_idx_images(*i, *l);
  }
  throw DataError(fmt::format(
      "data set {} ({}) not found: looked for {}[.gz] and {}[.gz] in '{}' and '{}'; run `qdm data "
      "prepare --dir {}` or point data.dir at a folder holding them",
      dataset, split, images, labels, (dir / dataset).string(), dir.string(), dir.string()));
}

}  // namespace qdm
