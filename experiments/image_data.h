#pragma once
/// The [data] keys every image experiment shares (data set, folder, split, classes, how many) and
/// loading the images they name.

#include <vector>

#include "framework/config.h"
#include "framework/image_ops.h"

namespace qdm {

/// data.dataset, data.dir, data.split, data.classes and data.max_images.
void add_image_data_keys(ConfigSchema& schema, const std::vector<int>& classes,
                         long long max_images, const char* max_images_help);

/// The images the config names, filtered by class and count, then prepared by `how` (its classes
/// and max_images are taken from the config). A DataError names the data set when none are left.
PreprocessedImages load_images(const Config& config, ImagePreprocess how);

}  // namespace qdm
