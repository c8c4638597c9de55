#include "experiments/pixel/pixel_experiment.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <bit>

#include "experiments/image_data.h"
#include "experiments/qdm_training.h"
#include "framework/error.h"
#include "framework/image_ops.h"

namespace qdm {
namespace {

int image_size(const Config& c) {
  return c.get_power_of_two("data.image_size", "size x size amplitudes fill whole qubits");
}

}  // namespace

ConfigSchema PixelExperiment::schema() const {
  ConfigSchema s;
  add_image_data_keys(s, {0, 1}, 8096, "keep at most this many (file order)");
  s.integer("data.image_size", 16, 2, 32, "side of the resized images: 16 -> 8 qubits, 8 -> 6");
  s.boolean("data.renormalise_after_resize", false,
            "renormalise after resizing (the reference normalises the 28x28 image only)");
  s.int_list("model.layers", {2, 2, 2}, 1, 200, 3, 3,
             "R3-chain layers of block 1 (n qubits), 2 (n + ancilla), 3 (n)");
  s.boolean("model.leaky_relu", false, "ComplexLeakyReLU between blocks 2 and 3 (not physical)");
  s.real("model.leaky_slope", 0.01, 0, 1, "slope of the ComplexLeakyReLU");
  add_qdm_keys(s, QdmDefaults{});
  return s;
}

Pipeline PixelExperiment::denoiser(const Config& c) {
  const int size = image_size(c);
  PixelShape shape;
  shape.data_qubits = std::countr_zero(static_cast<unsigned>(size * size));
  const auto layers = c.get_int_list("model.layers");
  shape.layers = {layers[0], layers[1], layers[2]};
  shape.leaky_relu = c.get_bool("model.leaky_relu");
  shape.leaky_slope = c.get_real("model.leaky_slope");
  return pixel_denoiser(shape);
}

std::unique_ptr<Training> PixelExperiment::prepare_training(const Config& c) const {
  Pipeline pipeline = denoiser(c);
  QdmSettings settings = read_qdm_settings(c);
  ImagePreprocess how;
  how.size = image_size(c);
  how.renormalise_after_resize = c.get_bool("data.renormalise_after_resize");
  const PreprocessedImages pre = load_images(c, how);
  fmt::print(stderr, "pixel: {} images {}x{} on {} qubits, {} parameters per denoiser x {}\n",
             pre.count(), pre.size, pre.size, pipeline.input_qubits(), pipeline.num_params(),
             settings.snapshots());
  DiffusionData data;
  data.length = static_cast<size_t>(pre.size) * pre.size;
  data.x0 = pre.vectors;
  return std::make_unique<QdmTraining>(std::move(pipeline), std::move(settings), std::move(data),
                                       c.to_ini());
}

SampleSet PixelExperiment::sample(const Config& c, const RunFile& run,
                                  const SampleRequest& request) const {
  const Pipeline pipeline = denoiser(c);
  const QdmSettings settings = read_qdm_settings(c);
  const Generated g = sample_qdm(pipeline, settings, params_to_sample(run, request), request);
  SampleSet s;
  s.rows = s.cols = image_size(c);
  s.images = g.magnitudes;
  s.labels = g.labels;
  s.trajectory = g.trajectory;
  s.trajectory_steps = request.trajectory ? settings.steps() + 1 : 0;
  s.backend = g.backend;
  s.shots = g.shots;
  s.kept_shots = g.kept_shots;
  s.count_offsets = g.count_offsets;
  s.count_bits = g.count_bits;
  s.count_values = g.count_values;
  s.bit_map = g.bit_map;
  s.circuit_kind = g.circuit_kind;
  s.rejected_truncated = g.rejected_truncated;
  s.seed = static_cast<int64_t>(request.seed);
  s.seconds = g.seconds;
  return s;
}

}  // namespace qdm
