#include "framework/run_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "framework/checkpoint.h"
#include "framework/error.h"
#include "framework/png_grid.h"

namespace qdm {
namespace {

namespace fs = std::filesystem;

class RunStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("qdm-run-test-{}-{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(RunStoreTest, WritesAndReadsBackEveryGroup) {
  const fs::path path = dir_ / "run.h5";
  {
    RunFile run =
        RunFile::create(path, {"pixel", "statevector", 42, "[train]\nepochs = 3\n"}, 2, false);
    std::vector<TrainRecord> rows;
    for (int k = 1; k <= 5; ++k) {
      rows.push_back({k, k / 3, 1.0 / k, 0.01, 0.5 * k, {0.1 * k, 0.2}, {0.5, 0.25 / k}});
    }
    run.append_train(std::span(rows).first(2));
    run.append_train(std::span(rows).subspan(2));
    EXPECT_EQ(run.train_rows(), 5u);
    run.truncate_train(4);
    run.write_params({2, 3, {1, 2, 3, 4, 5, 6}, {0, 1}, {}});
    SampleSet s;
    s.rows = 1;
    s.cols = 2;
    s.images = {0.6, 0.8, 1.0, 0.0};
    s.labels = {-1, -1};
    s.backend = "statevector";
    EXPECT_EQ(run.add_samples(s), "000");
    EXPECT_EQ(run.add_samples(s), "001");
    run.write_metric("final_loss", 0.25);
    run.set_status("complete");
  }
  const RunFile run = RunFile::open(path, false);
  EXPECT_EQ(run.attribute("experiment"), "pixel");
  EXPECT_EQ(run.attribute("config"), "[train]\nepochs = 3\n");
  EXPECT_EQ(run.attribute("status"), "complete");
  EXPECT_EQ(run.int_attribute("seed"), 42);
  EXPECT_EQ(run.int_attribute("schema_version"), kRunSchemaVersion);
  for (const char* a :
       {"qdm_version", "git_revision", "build_type", "host", "created", "backend"}) {
    EXPECT_FALSE(run.attribute(a).empty()) << a;
  }
  EXPECT_EQ(run.train_rows(), 4u);
  const std::vector<TrainRecord> back = run.read_train();
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(back[3].loss_per_t, (std::vector<double>{0.4, 0.2}));
  EXPECT_EQ(back[3].kept_per_t, (std::vector<double>{0.5, 0.0625}));  // truncated with the rest
  const ParamSnapshots p = run.read_params();
  EXPECT_EQ(p.snapshots, 2);
  EXPECT_EQ(p.per_snapshot, 3);
  EXPECT_EQ(p.values, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(run.sample_sets(), (std::vector<std::string>{"000", "001"}));
  const SampleSet s = run.read_samples("001");
  EXPECT_EQ(s.images, (std::vector<double>{0.6, 0.8, 1.0, 0.0}));
  EXPECT_EQ(s.labels, (std::vector<int32_t>{-1, -1}));
  EXPECT_THROW(run.attribute("nope"), DataError);
}

TEST_F(RunStoreTest, SnapshotsAndMetricCurvesRoundTrip) {
  const fs::path path = dir_ / "run.h5";
  {
    RunFile run = RunFile::create(path, {"pixel", "statevector", 1, ""}, 0, false);
    EXPECT_TRUE(run.snapshot_epochs().empty());
    EXPECT_TRUE(run.read_metric_curves().epochs.empty());
    run.write_snapshot(10, {1, 2, {1, 2}, {0}, {}});
    run.write_snapshot(2, {1, 2, {3, 4}, {0}, {7}});
    run.write_snapshot(10, {1, 2, {5, 6}, {0}, {}});  // a resumed run redoing epoch 10
    run.write_metric_curves({{2, 10}, {{"fid", {30, 20}}, {"jsd", {0.5, 0.25}}}},
                            {{"samples", "100"}});
    MetricCurves wrong{{2, 10}, {{"fid", {1}}}};
    EXPECT_THROW(run.write_metric_curves(wrong, {}), std::logic_error);
    run.write_metric_curves({{2, 10}, {{"fid", {30, 20}}, {"jsd", {0.5, 0.25}}}},
                            {{"samples", "100"}});
  }
  const RunFile run = RunFile::open(path, false);
  EXPECT_EQ(run.snapshot_epochs(), (std::vector<int>{2, 10}));
  EXPECT_EQ(run.read_snapshot(10).values, (std::vector<double>{5, 6}));
  EXPECT_EQ(run.read_snapshot(2).buffers, (std::vector<double>{7}));
  EXPECT_THROW(run.read_snapshot(3), DataError);
  const MetricCurves c = run.read_metric_curves();
  EXPECT_EQ(c.epochs, (std::vector<int64_t>{2, 10}));
  EXPECT_EQ(c.values.at("fid"), (std::vector<double>{30, 20}));
  EXPECT_EQ(c.values.at("jsd"), (std::vector<double>{0.5, 0.25}));
  EXPECT_EQ(c.values.size(), 2u);
}

TEST_F(RunStoreTest, RefusesToClobberAndRejectsOtherFiles) {
  const fs::path path = dir_ / "run.h5";
  RunFile::create(path, {"pixel", "statevector", 1, ""}, 1, false);
  EXPECT_THROW(RunFile::create(path, {"pixel", "statevector", 1, ""}, 1, false),
               std::invalid_argument);
  std::ofstream(dir_ / "text.h5") << "not hdf5";
  EXPECT_THROW(RunFile::open(dir_ / "text.h5", false), DataError);
  EXPECT_THROW(RunFile::open(dir_ / "missing.h5", false), std::invalid_argument);
  const RunFile fresh = RunFile::open(path, false);
  EXPECT_THROW(fresh.read_params(), DataError);  // training never finished
}

TEST_F(RunStoreTest, CheckpointRoundTripsAndDetectsDamage) {
  TrainCheckpoint c;
  c.experiment = "pixel";
  c.config_ini = "[train]\n";
  c.global_step = 17;
  c.order = {3, 1, 2};
  c.params = {0.1, -0.2, 1e-300};
  c.adam_m = {1, 2, 3};
  c.adam_v = {4, 5, 6};
  c.rng_engine = "1 2 3";
  c.rng_has_spare = true;
  c.rng_spare = -0.5;
  c.train_rows = 9;
  const fs::path path = dir_ / "run.h5.ckpt";
  save_checkpoint(path, c);
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
  const TrainCheckpoint r = load_checkpoint(path);
  EXPECT_EQ(r.global_step, 17);
  EXPECT_EQ(r.order, c.order);
  EXPECT_EQ(r.params, c.params);
  EXPECT_EQ(r.rng_engine, "1 2 3");
  EXPECT_EQ(r.rng_spare, -0.5);
  EXPECT_EQ(r.train_rows, 9u);

  // One flipped byte anywhere in the archive is caught by the checksum, with words that say so.
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_TRUE(bytes.starts_with("qdm-checkpoint 2 "));
  std::string flipped = bytes;
  flipped[bytes.size() - 20] ^= 0x10;
  std::ofstream(path, std::ios::binary) << flipped;
  try {
    load_checkpoint(path);
    ADD_FAILURE() << "a flipped byte was not noticed";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("does not match its checksum"), std::string::npos)
        << e.what();
  }
  // Version 1 files (magic line, then an unchecked archive) are refused with what to do.
  const size_t archive = bytes.find('\n') + 1;
  std::ofstream(path, std::ios::binary) << "qdm-checkpoint 1\n" << bytes.substr(archive);
  try {
    load_checkpoint(path);
    ADD_FAILURE() << "a format 1 checkpoint was read";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("has format 1"), std::string::npos) << e.what();
  }

  std::ofstream(path, std::ios::binary) << bytes;
  const auto size = fs::file_size(path);
  fs::resize_file(path, size / 2);
  EXPECT_THROW(load_checkpoint(path), DataError);
  std::ofstream(path) << "garbage";
  EXPECT_THROW(load_checkpoint(path), DataError);
  EXPECT_THROW(load_checkpoint(dir_ / "none.ckpt"), DataError);
}

TEST_F(RunStoreTest, PngGridReadsBack) {
  // Two 1x2 images: [0, 2] and [1, 1]; each scaled to its own peak.
  const std::vector<double> images{0.0, 2.0, 1.0, 1.0};
  const fs::path path = dir_ / "grid.png";
  write_png_grid(path, images, 2, 1, 2, {2, 1, 1});
  const GrayImage g = read_png_gray(path);
  EXPECT_EQ(g.width, 2 * 2 + 3);
  EXPECT_EQ(g.height, 1 + 2);
  const auto at = [&](int x, int y) { return g.pixels[y * g.width + x]; };
  EXPECT_EQ(at(0, 0), 128);  // padding
  EXPECT_EQ(at(1, 1), 0);
  EXPECT_EQ(at(2, 1), 255);
  EXPECT_EQ(at(4, 1), 255);
  EXPECT_EQ(at(5, 1), 255);
  EXPECT_THROW(write_png_grid(dir_ / "none/x.png", images, 2, 1, 2), DataError);
}

}  // namespace
}  // namespace qdm
