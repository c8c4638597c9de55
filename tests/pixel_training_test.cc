// The pixel experiment end to end in-process, on a small synthetic IDX data set: training lowers
// the loss, an interrupted run resumed from its checkpoint ends bit-identical to an uninterrupted
// one, and sampling is deterministic and independent of the thread count.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

#include "experiments/experiment.h"
#include "framework/idx.h"
#include "framework/rng.h"

namespace qdm {
namespace {

namespace fs = std::filesystem;

class PixelTraining : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("qdm-pixel-test-{}-{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "mnist");
    // 48 images 28x28: label 0 a bright ring, label 1 a bright bar, plus noise (seed 5).
    const int n = 48;
    IdxArray images{{n, 28, 28}, {}}, labels{{n}, {}};
    Rng rng(5);
    for (int k = 0; k < n; ++k) {
      const int label = k % 2;
      labels.data.push_back(static_cast<uint8_t>(label));
      for (int y = 0; y < 28; ++y) {
        for (int x = 0; x < 28; ++x) {
          const double r = std::hypot(x - 13.5, y - 13.5);
          const bool on = label == 0 ? (r > 6 && r < 10) : std::abs(x - 13.5) < 3;
          images.data.push_back(static_cast<uint8_t>(on ? 200 + rng.below(55) : rng.below(30)));
        }
      }
    }
    write_idx(dir_ / "mnist/train-images-idx3-ubyte", images);
    write_idx(dir_ / "mnist/train-labels-idx1-ubyte", labels);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Config config(const std::vector<std::string>& extra = {}) const {
    Config c(experiment_->schema());
    for (const std::string& s :
         {"data.dir=" + dir_.string(), std::string("data.image_size=4"),
          std::string("train.epochs=6"), std::string("train.batch_size=8"),
          std::string("diffusion.steps=3"), std::string("train.lr=0.05"),
          std::string("diffusion.target=x0"), std::string("data.renormalise_after_resize=true"),
          std::string("train.checkpoint_every=4"), std::string("backend.threads=2")}) {
      c.set_assignment(s);
    }
    for (const auto& s : extra) c.set_assignment(s);
    return c;
  }

  RunFile new_run(const Config& c, const std::string& name) const {
    return RunFile::create(dir_ / name, {"pixel", "statevector", 1234, c.to_ini()},
                           static_cast<int>(c.get_int("diffusion.steps")), false);
  }

  fs::path dir_;
  std::unique_ptr<Experiment> experiment_ = make_experiment("pixel");
};

TEST_F(PixelTraining, LowersTheLossAndStoresEverything) {
  const Config c = config();
  RunFile run = new_run(c, "a.h5");
  const TrainOutcome out = experiment_->prepare_training(c)->run(run, {});
  ASSERT_TRUE(out.completed);
  EXPECT_EQ(out.steps, 6 * (48 / 8));
  EXPECT_EQ(run.train_rows(), 36u);
  EXPECT_EQ(run.attribute("status"), "complete");
  const auto losses =
      h5::read_doubles(h5::open_group(h5::open_file(dir_ / "a.h5", false).get(), "train").get(),
                       "loss")
          .values;
  double first = 0, last = 0;
  for (int k = 0; k < 6; ++k) first += losses[k] / 6, last += losses[30 + k] / 6;
  std::printf("[ info ] mean loss of epoch 1: %.4f, of epoch 6: %.4f\n", first, last);
  EXPECT_LT(last, first - 0.05);
  const ParamSnapshots p = run.read_params();
  EXPECT_EQ(p.snapshots, 3);
  EXPECT_EQ(p.per_snapshot, 3 * (2 * 4 + 2 * 5 + 2 * 4));
}

// /train/kept_per_t holds, per step, the batch's mean probability that the ancilla post-selection
// keeps a state; train.post_selection = reward raises it over the references' renormalised loss.
TEST_F(PixelTraining, RewardKeepsThePostSelectedBranchLikely) {
  std::map<std::string, double> kept;
  for (const char* mode : {"renormalise", "reward"}) {
    const Config c = config({std::string("train.post_selection=") + mode});
    RunFile run = new_run(c, std::string(mode) + ".h5");
    ASSERT_TRUE(experiment_->prepare_training(c)->run(run, {}).completed);
    const std::vector<TrainRecord> rows = run.read_train();
    ASSERT_EQ(rows.size(), 36u);
    double last_epoch = 0;
    for (size_t k = 30; k < 36; ++k) {
      ASSERT_EQ(rows[k].kept_per_t.size(), 3u);
      for (double p : rows[k].kept_per_t) {
        EXPECT_GT(p, 0.0);
        EXPECT_LE(p, 1.0 + 1e-12);
        last_epoch += p / 18;
      }
    }
    kept[mode] = last_epoch;
  }
  std::printf("[ info ] kept fraction in the last epoch: renormalise %.3f, reward %.3f\n",
              kept["renormalise"], kept["reward"]);
  EXPECT_GT(kept["reward"], kept["renormalise"] + 0.1);
}

TEST_F(PixelTraining, ResumeIsBitIdentical) {
  for (const char* params :
       {"model.params=per-timestep", "model.params=shared", "model.params=sequential"}) {
    const Config c = config({params});
    RunFile whole = new_run(c, std::string("whole-") + params + ".h5");
    experiment_->prepare_training(c)->run(whole, {});

    const std::string name = std::string("parts-") + params + ".h5";
    RunFile parts = new_run(c, name);
    // Stops mid-epoch (step 5 of 6), then twice more, resuming from the checkpoint each time.
    TrainOutcome out = experiment_->prepare_training(c)->run(parts, {std::nullopt, nullptr, 5});
    EXPECT_FALSE(out.completed);
    for (int round = 0; !out.completed; ++round) {
      ASSERT_LT(round, 10);
      TrainRequest resume{load_checkpoint(checkpoint_path(dir_ / name)), nullptr, 13};
      out = experiment_->prepare_training(c)->run(parts, resume);
    }
    EXPECT_EQ(parts.read_params().values, whole.read_params().values) << params;
    EXPECT_EQ(parts.train_rows(), whole.train_rows());
  }
}

TEST_F(PixelTraining, SamplingIsDeterministicAndThreadIndependent) {
  const Config c = config({"train.epochs=1"});
  RunFile run = new_run(c, "s.h5");
  experiment_->prepare_training(c)->run(run, {});
  SampleRequest r;
  r.count = 40;
  r.seed = 9;
  r.trajectory = true;
  r.threads = 1;
  const SampleSet one = experiment_->sample(c, run, r);
  r.threads = 2;
  const SampleSet two = experiment_->sample(c, run, r);
  EXPECT_EQ(one.images, two.images);
  ASSERT_EQ(one.count(), 40u);
  EXPECT_EQ(one.rows, 4);
  EXPECT_EQ(one.trajectory_steps, 4);
  EXPECT_EQ(one.trajectory.size(), 40u * 4 * 16);
  for (size_t k = 0; k < one.count(); ++k) {
    double norm = 0;
    for (int i = 0; i < 16; ++i) norm += one.images[k * 16 + i] * one.images[k * 16 + i];
    EXPECT_NEAR(norm, 1.0, 1e-10);
    // The last trajectory slot is the final image.
    for (int i = 0; i < 16; ++i) {
      EXPECT_EQ(one.trajectory[(k * 4 + 3) * 16 + i], one.images[k * 16 + i]);
    }
  }
  r.seed = 10;
  EXPECT_NE(experiment_->sample(c, run, r).images, one.images);
}

}  // namespace
}  // namespace qdm
