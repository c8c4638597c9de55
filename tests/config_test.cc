#include "framework/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "experiments/experiment.h"

namespace qdm {
namespace {

ConfigSchema small_schema() {
  ConfigSchema s;
  s.integer("train.epochs", 10, 1, 100, "passes");
  s.real("train.lr", 1e-3, 0, 1, "rate");
  s.boolean("model.relu", false, "activation");
  s.choice("diffusion.schedule", "linear", {"linear", "cosine"}, "schedule");
  s.int_list("model.layers", {2, 2, 2}, 1, 9, 3, 3, "layers");
  s.text("data.dir", "data", "folder");
  return s;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(Config, DefaultsOverridesAndTypes) {
  Config c(small_schema());
  EXPECT_EQ(c.get_int("train.epochs"), 10);
  c.set_assignment("train.lr=0.25");
  c.set_assignment("model.relu = yes");
  c.set_assignment("model.layers=[4, 5, 6]");
  EXPECT_DOUBLE_EQ(c.get_real("train.lr"), 0.25);
  EXPECT_TRUE(c.get_bool("model.relu"));
  EXPECT_EQ(c.get_int_list("model.layers"), (std::vector<int>{4, 5, 6}));
  const auto experiment = c.apply_ini(
      "experiment = pixel\n# comment\n[train]\nepochs = 7\n; other\n[diffusion]\nschedule=cosine\n",
      "x.ini");
  EXPECT_EQ(experiment, "pixel");
  EXPECT_EQ(c.get_int("train.epochs"), 7);
  EXPECT_EQ(c.get_text("diffusion.schedule"), "cosine");
}

TEST(Config, ResolvedIniRoundTripsExactly) {
  Config c(small_schema());
  c.set("train.lr", "0.1", "test");  // 0.1 is not exact in binary: the text must round-trip
  Config d(small_schema());
  d.apply_ini(c.to_ini(), "resolved");
  EXPECT_EQ(d.get_real("train.lr"), c.get_real("train.lr"));
  EXPECT_FALSE(c.first_difference(d));
  d.set("train.epochs", "11", "test");
  EXPECT_EQ(c.first_difference(d), "train.epochs");
}

TEST(Config, ErrorsNameKeyValueOriginAndAllowed) {
  Config c(small_schema());
  EXPECT_EQ(error_of([&] { c.set_assignment("train.lrr=1"); }),
            "unknown config key 'train.lrr' (--set); known keys: train.epochs, train.lr");
  EXPECT_EQ(error_of([&] { c.set_assignment("trian.lr=1"); }),
            "unknown config key 'trian.lr' (--set); sections are data, diffusion, model, train");
  EXPECT_EQ(
      error_of([&] { c.set_assignment("train.epochs=abc"); }),
      "config key train.epochs = 'abc' (--set) is not allowed: an integer in 1..100 expected");
  EXPECT_EQ(error_of([&] { c.set_assignment("train.epochs=1000"); }),
            "config key train.epochs = '1000' (--set) is not allowed: an integer in 1..100 "
            "expected");
  EXPECT_EQ(error_of([&] { c.set_assignment("train.lr=nan"); }),
            "config key train.lr = 'nan' (--set) is not allowed: a real number in 0..1 expected");
  EXPECT_EQ(error_of([&] { c.set_assignment("diffusion.schedule=sigmoid"); }),
            "config key diffusion.schedule = 'sigmoid' (--set) is not allowed: one of linear, "
            "cosine expected");
  EXPECT_EQ(error_of([&] { c.set_assignment("model.layers=2,2"); }),
            "config key model.layers = '2,2' (--set) is not allowed: 3 comma-separated integers "
            "in 1..9 expected");
  EXPECT_EQ(error_of([&] { c.set_assignment("epochs"); }),
            "--set 'epochs' is not of the form section.key=value (see --help-config)");
  EXPECT_EQ(error_of([&] { c.apply_ini("[train]\nepochs 5\n", "p.ini"); }),
            "p.ini:2: 'epochs 5' is not a key = value line");
  EXPECT_EQ(error_of([&] { c.apply_ini("epochs = 5\n", "p.ini"); }),
            "p.ini:1: key 'epochs' stands before any [section]; only 'experiment' may");
  EXPECT_EQ(error_of([&] { c.apply_ini("[train]\nepochs = 0\n", "p.ini"); }),
            "config key train.epochs = '0' (p.ini:2) is not allowed: an integer in 1..100 "
            "expected");
}

TEST(Config, DescribeListsEveryKey) {
  const ConfigSchema schema = small_schema();
  const std::string text = schema.describe();
  for (const auto& k : schema.keys()) EXPECT_NE(text.find(k.key), std::string::npos);
  EXPECT_NE(text.find("one of linear, cosine"), std::string::npos);
}

// The presets in experiments/configs must load, and pixel.ini must be exactly the pixel
// experiment's defaults (it documents them).
TEST(Config, PresetsLoadAndPixelIniIsTheDefaults) {
  const auto experiment = make_experiment("pixel");
  const ConfigSchema schema = experiment->schema();
  Config defaults(schema);
  const std::filesystem::path dir = std::filesystem::path(QDM_SOURCE_DIR) / "experiments/configs";
  for (const char* preset : {"pixel.ini", "pixel-8x8.ini", "pixel-quick.ini"}) {
    Config c(schema);
    EXPECT_EQ(c.load_ini(dir / preset), "pixel") << preset;
  }
  Config pixel(schema);
  pixel.load_ini(dir / "pixel.ini");
  EXPECT_EQ(pixel.first_difference(defaults), std::nullopt);
  EXPECT_EQ(pixel.to_ini(), defaults.to_ini());
}

// Every preset loads under its own experiment's schema and names each INI section once (a strict
// INI reader, e.g. Python's configparser, refuses a repeated header).
TEST(Config, EveryPresetLoadsAndHasEachSectionOnce) {
  const std::filesystem::path dir = std::filesystem::path(QDM_SOURCE_DIR) / "experiments/configs";
  int presets = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".ini") continue;
    ++presets;
    std::ifstream in(entry.path());
    std::string line, experiment;
    std::set<std::string> sections;
    while (std::getline(in, line)) {
      if (line.rfind("experiment = ", 0) == 0) experiment = line.substr(13);
      if (!line.empty() && line.front() == '[') {
        EXPECT_TRUE(sections.insert(line).second) << entry.path() << " repeats " << line;
      }
    }
    ASSERT_FALSE(experiment.empty()) << entry.path() << " names no experiment";
    const auto made = make_experiment(experiment);
    Config c(made->schema());
    EXPECT_EQ(c.load_ini(entry.path()), experiment) << entry.path();
  }
  EXPECT_GE(presets, 16);
}

}  // namespace
}  // namespace qdm
