#pragma once
/// Where the labelled image data sets live: `qdm data prepare` puts them in DIR/mnist and
/// DIR/fashion-mnist; a folder holding the canonical IDX files directly works too.

#include <filesystem>
#include <optional>
#include <string>

#include "framework/idx.h"

namespace qdm {

/// DIR/STEM or DIR/STEM.gz, whichever exists first.
std::optional<std::filesystem::path> find_idx(const std::filesystem::path& dir,
                                              const std::string& stem);

/// Loads split "train" or "t10k" of `dataset` (mnist, fashion-mnist) from DIR/<dataset>/ or, if
/// absent there, from DIR itself. A missing data set is a DataError that lists where it looked
/// and how to prepare it.
LabelledImages load_dataset(const std::filesystem::path& dir, const std::string& dataset,
                            const std::string& split);

}  // namespace qdm
