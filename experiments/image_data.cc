#include "experiments/image_data.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "framework/datasets.h"
#include "framework/error.h"

namespace qdm {

void add_image_data_keys(ConfigSchema& s, const std::vector<int>& classes, long long max_images,
                         const char* max_images_help) {
  s.choice("data.dataset", "mnist", {"mnist", "fashion-mnist"}, "image data set");
  s.text("data.dir", "data", "folder of `qdm data prepare`, or one holding the IDX files");
  s.choice("data.split", "train", {"train", "t10k"}, "which split to train on");
  s.int_list("data.classes", classes, 0, 9, 1, 10, "labels to keep");
  s.integer("data.max_images", max_images, 1, 10'000'000, max_images_help);
}

PreprocessedImages load_images(const Config& c, ImagePreprocess how) {
  const LabelledImages images =
      load_dataset(c.get_text("data.dir"), c.get_text("data.dataset"), c.get_text("data.split"));
  how.classes = c.get_int_list("data.classes");
  how.max_images = static_cast<size_t>(c.get_int("data.max_images"));
  if (how.size == 0) how.size = images.rows;
  PreprocessedImages pre = preprocess_images(images, how);
  if (pre.count() == 0) {
    throw DataError(fmt::format("no images of classes {} in {} ({})", fmt::join(how.classes, ","),
                                c.get_text("data.dataset"), c.get_text("data.split")));
  }
  return pre;
}

}  // namespace qdm
