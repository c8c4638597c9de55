// The latent experiments in-process on a small synthetic digit set: the autoencoder trains,
// resumes bit-identically and is reloaded by path; the conditioned-latent QDM trains with
// sequential parameter snapshots and samples every label in order; and the model's pieces are
// checked against their definitions.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "backends/statevector/statevector_backend.h"
#include "experiments/autoencoder/autoencoder_experiment.h"
#include "experiments/latent/latent_experiment.h"
#include "framework/idx.h"
#include "tests/test_util.h"

namespace qdm {
namespace {

namespace fs = std::filesystem;

// Label post-selection keeps exactly the 8 amplitudes of the input label's block, unnormalised.
TEST(LatentPieces, LabelPostSelectionReturnsTheInputLabelsBlock) {
  Pipeline p(7);
  p.add(LabelPostSelect{4});
  Rng rng(70);
  std::vector<reference::Vector> states;
  for (int b = 0; b < 16; ++b) states.push_back(testing::random_state(rng, 7));
  EvolveContext ctx;
  for (int b = 0; b < 16; ++b) ctx.labels.push_back(b % 10);
  StatevectorBackend sv({.threads = 1});
  const StateBatch out = sv.forward(p, {}, testing::to_batch(states, 7), ctx).output;
  ASSERT_EQ(out.num_qubits(), 3);
  for (int b = 0; b < 16; ++b) {
    for (int i = 0; i < 8; ++i) {
      EXPECT_EQ(out.amp(b, i), states[b][ctx.labels[b] * 8 + i]) << "state " << b;
    }
  }
}

TEST(LatentPieces, PresetDenoisersHaveThePapersParameterCounts) {
  for (const auto& [conditioned, count, qubits] :
       {std::tuple{true, 1110, 3}, std::tuple{false, 510, 3}}) {
    const LatentExperiment e(conditioned);
    const Pipeline p = e.denoiser(Config(e.schema()));
    EXPECT_EQ(p.num_params(), count);
    EXPECT_EQ(p.input_qubits(), qubits);
    EXPECT_EQ(p.output_qubits(), qubits);
    EXPECT_EQ(p.uses_labels(), conditioned);
  }
}

class LatentTraining : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("qdm-latent-test-{}-{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "mnist");
    // 120 images 28x28, 12 per digit: digit d a bright vertical bar at column 4 + 2d, plus noise
    // (seed 8).
    const int n = 120;
    IdxArray images{{n, 28, 28}, {}}, labels{{n}, {}};
    Rng rng(8);
    for (int k = 0; k < n; ++k) {
      const int label = k % 10;
      labels.data.push_back(static_cast<uint8_t>(label));
      for (int y = 0; y < 28; ++y) {
        for (int x = 0; x < 28; ++x) {
          const bool on = std::abs(x - (4 + 2 * label)) < 2 && y > 4 && y < 24;
          images.data.push_back(static_cast<uint8_t>(on ? 200 + rng.below(55) : rng.below(30)));
        }
      }
    }
    write_idx(dir_ / "mnist/train-images-idx3-ubyte", images);
    write_idx(dir_ / "mnist/train-labels-idx1-ubyte", labels);
  }
  void TearDown() override {
    if (!getenv("QDM_KEEP")) fs::remove_all(dir_);
  }

  Config autoencoder_config(const std::vector<std::string>& extra = {}) const {
    Config c(AutoencoderExperiment().schema());
    for (const std::string& s :
         {"data.dir=" + dir_.string(), std::string("model.architecture=mlp"),
          std::string("model.mlp_hidden=32"), std::string("train.epochs=4"),
          std::string("train.batch_size=8"), std::string("train.lr=0.01"),
          std::string("train.checkpoint_every=3"), std::string("train.threads=2")}) {
      c.set_assignment(s);
    }
    for (const auto& s : extra) c.set_assignment(s);
    return c;
  }
  fs::path train_autoencoder(const Config& c, const std::string& name) const {
    RunFile run =
        RunFile::create(dir_ / name, {"autoencoder", "classical", 1, c.to_ini()}, 0, false);
    EXPECT_TRUE(AutoencoderExperiment().prepare_training(c)->run(run, {}).completed);
    return dir_ / name;
  }
  Config latent_config(const LatentExperiment& e, const fs::path& ae,
                       const std::vector<std::string>& extra = {}) const {
    Config c(e.schema());
    for (const std::string& s :
         {"data.dir=" + dir_.string(), "autoencoder.path=" + ae.string(),
          std::string("autoencoder.train_if_missing=false"), std::string("data.length=64"),
          std::string("model.s1_layers=2"), std::string("model.l_layers=2"),
          std::string("model.s2_layers=2"), std::string("diffusion.steps=3"),
          std::string("train.epochs=3"), std::string("train.batch_size=8"),
          std::string("train.lr=0.02"), std::string("train.checkpoint_every=5"),
          std::string("backend.threads=2")}) {
      c.set_assignment(s);
    }
    for (const auto& s : extra) c.set_assignment(s);
    return c;
  }

  fs::path dir_;
};

TEST_F(LatentTraining, AutoencoderLearnsKeepsTheBestEpochAndResumesBitIdentically) {
  const Config c = autoencoder_config();
  const fs::path path = train_autoencoder(c, "ae.h5");
  const RunFile run = RunFile::open(path, false);
  EXPECT_EQ(run.epoch_rows(), 4u);
  const h5::Handle file = h5::open_file(path, false);
  const auto held_out =
      h5::read_doubles(h5::open_group(file.get(), "epochs").get(), "validation_loss").values;
  std::printf("[ info ] held-out Huber loss by epoch: %.4f %.4f %.4f %.4f\n", held_out[0],
              held_out[1], held_out[2], held_out[3]);
  EXPECT_LT(held_out[3], held_out[0]);
  const double best =
      h5::read_doubles(h5::open_group(file.get(), "metrics").get(), "best_validation_loss")
          .values[0];
  EXPECT_EQ(best, *std::min_element(held_out.begin(), held_out.end()));

  // The kept model reproduces its recorded held-out loss when reloaded by path.
  const TrainedAutoencoder ae = load_autoencoder(path);
  EXPECT_EQ(ae.model->spec().latent, 8);

  // Stopped after 5 steps (mid-epoch: 96 training images make 12 batches), resumed twice.
  RunFile parts =
      RunFile::create(dir_ / "parts.h5", {"autoencoder", "classical", 1, c.to_ini()}, 0, false);
  TrainOutcome out =
      AutoencoderExperiment().prepare_training(c)->run(parts, {std::nullopt, nullptr, 5});
  EXPECT_FALSE(out.completed);
  for (int round = 0; !out.completed; ++round) {
    ASSERT_LT(round, 10);
    TrainRequest resume{load_checkpoint(checkpoint_path(dir_ / "parts.h5")), nullptr, 17};
    out = AutoencoderExperiment().prepare_training(c)->run(parts, resume);
  }
  EXPECT_EQ(parts.read_params().values, run.read_params().values);
  EXPECT_EQ(parts.read_params().buffers, run.read_params().buffers);
  EXPECT_EQ(parts.epoch_rows(), 4u);
  EXPECT_EQ(parts.train_rows(), run.train_rows());
}

TEST_F(LatentTraining, ConditionedLatentTrainsSnapshotsAndSamplesEveryLabel) {
  const fs::path ae = train_autoencoder(autoencoder_config(), "ae.h5");
  const LatentExperiment e(true);
  const Config c = latent_config(e, ae);
  RunFile run = RunFile::create(dir_ / "cl.h5",
                                {"conditioned-latent", "statevector", 1, c.to_ini()}, 3, false);
  const TrainOutcome out = e.prepare_training(c)->run(run, {});
  ASSERT_TRUE(out.completed);
  EXPECT_EQ(out.steps, 3 * (64 / 8));  // a /train row per batch; T optimiser steps within it
  const ParamSnapshots p = run.read_params();
  ASSERT_EQ(p.snapshots, 3);
  // Each step's snapshot is the shared set after that step's update: all different.
  const auto row = [&](int k) {
    return std::vector<double>(p.values.begin() + k * p.per_snapshot,
                               p.values.begin() + (k + 1) * p.per_snapshot);
  };
  EXPECT_NE(row(0), row(1));
  EXPECT_NE(row(1), row(2));

  SampleRequest r;
  r.count = 25;
  r.label = SampleRequest::kAllLabels;
  r.trajectory = true;
  const SampleSet s = e.sample(c, run, r);
  EXPECT_EQ(s.rows, 28);
  EXPECT_EQ(s.images.size(), 25u * 784);
  EXPECT_EQ(s.grid_columns, 3);  // ceil(25 / 10) a row: rows of digits 0..8, then one 8 short
  for (int k = 0; k < 25; ++k) EXPECT_EQ(s.labels[k], k / 3);
  EXPECT_EQ(s.trajectory.size(), 25u * 4 * 784);
  for (int k = 0; k < 25; ++k) {
    double norm = 0;
    for (int i = 0; i < 8; ++i) norm += s.latents[k * 8 + i] * s.latents[k * 8 + i];
    EXPECT_NEAR(norm, 1.0, 1e-10);
  }
  r.label = 7;
  r.trajectory = false;
  for (int label : e.sample(c, run, r).labels) EXPECT_EQ(label, 7);
}

TEST_F(LatentTraining, SequentialTrainingResumesBitIdentically) {
  const fs::path ae = train_autoencoder(autoencoder_config(), "ae.h5");
  const LatentExperiment e(true);
  const Config c = latent_config(e, ae);
  const auto fresh = [&](const char* name) {
    return RunFile::create(dir_ / name, {"conditioned-latent", "statevector", 1, c.to_ini()}, 3,
                           false);
  };
  RunFile whole = fresh("whole.h5");
  e.prepare_training(c)->run(whole, {});
  RunFile parts = fresh("parts.h5");
  TrainOutcome out = e.prepare_training(c)->run(parts, {std::nullopt, nullptr, 3});
  for (int round = 0; !out.completed; ++round) {
    ASSERT_LT(round, 10);
    TrainRequest resume{load_checkpoint(checkpoint_path(dir_ / "parts.h5")), nullptr, 7};
    out = e.prepare_training(c)->run(parts, resume);
  }
  EXPECT_EQ(parts.read_params().values, whole.read_params().values);
}

void expect_error(const std::function<void()>& f, const std::string& text) {
  try {
    f();
    ADD_FAILURE() << "no error; expected: " << text;
  } catch (const std::exception& e) {
    EXPECT_EQ(std::string(e.what()), text);
  }
}

TEST_F(LatentTraining, BadInputIsAClearError) {
  const LatentExperiment e(true);
  expect_error([&] { e.denoiser(latent_config(e, "x.h5", {"data.latent_size=6"})); },
               "config key data.latent_size = 6 is not allowed: a power of two in 2..1024 "
               "expected (the latent's amplitudes fill whole qubits)");
  const fs::path missing = dir_ / "none.h5";
  expect_error([&] { e.prepare_training(latent_config(e, missing)); },
               fmt::format("autoencoder.path = '{}' does not exist: train one with qdm train "
                           "--experiment autoencoder --out {}, or set "
                           "autoencoder.train_if_missing = true",
                           missing.string(), missing.string()));
  const fs::path ae4 = train_autoencoder(autoencoder_config({"model.latent_size=4"}), "ae4.h5");
  expect_error([&] { e.prepare_training(latent_config(e, ae4)); },
               fmt::format("autoencoder '{}' has latent size 4, but this config has "
                           "data.latent_size = 8",
                           ae4.string()));
  // A QDM run is not an autoencoder.
  const Config c = latent_config(e, ae4, {"data.latent_size=4", "train.epochs=1"});
  RunFile run = RunFile::create(dir_ / "q.h5", {"conditioned-latent", "statevector", 1, c.to_ini()},
                                3, false);
  e.prepare_training(c)->run(run, {});
  expect_error([&] { load_autoencoder(dir_ / "q.h5"); },
               fmt::format("'{}' is a run of experiment 'conditioned-latent', not an autoencoder",
                           (dir_ / "q.h5").string()));
  SampleRequest r;
  r.label = 12;
  expect_error([&] { e.sample(c, run, r); }, "--label 12 is outside 0..9 (or all)");
  const LatentExperiment unconditioned(false);
  const Config u = latent_config(unconditioned, ae4, {"data.latent_size=4"});
  r.label = 3;
  RunFile urun = RunFile::create(dir_ / "u.h5", {"latent", "statevector", 1, u.to_ini()}, 3, false);
  unconditioned
      .prepare_training(latent_config(unconditioned, ae4, {"data.latent_size=4", "train.epochs=1"}))
      ->run(urun, {});
  expect_error([&] { unconditioned.sample(u, urun, r); },
               "--label 3: this model is unconditioned and takes no label");
}

}  // namespace
}  // namespace qdm
