// The sweep plan: axis parsing and its errors, the Cartesian product's order, validation of every
// value before anything runs, random draws reproducible from the seed and inside their ranges,
// and the stable hash that names run files (FNV-1a 64 against its published test vectors).
#include "experiments/sweep/sweep_plan.h"

#include <gtest/gtest.h>

#include <cmath>

#include "experiments/experiment.h"

namespace qdm {
namespace {

Config pixel_config() { return Config(make_experiment("pixel")->schema()); }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(SweepPlan, StableHashIsFnv1a64) {
  EXPECT_EQ(stable_hash(""), "cbf29ce484222325");
  EXPECT_EQ(stable_hash("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(stable_hash("foobar"), "85944171f73967e8");
}

TEST(SweepPlan, ParsesGridAndRangeAxes) {
  const SweepAxis a = parse_sweep_axis("train.lr=0.01,0.1", false);
  EXPECT_EQ(a.key, "train.lr");
  EXPECT_EQ(a.values, (std::vector<std::string>{"0.01", "0.1"}));
  EXPECT_EQ(parse_sweep_axis("model.layers=1,1,1|2,2,2", false).values,
            (std::vector<std::string>{"1,1,1", "2,2,2"}));
  const SweepAxis r = parse_sweep_axis("train.lr=log:1e-4:1e-2", true);
  EXPECT_EQ(r.range, SweepAxis::Range::Log);
  EXPECT_DOUBLE_EQ(r.lo, 1e-4);
  EXPECT_DOUBLE_EQ(r.hi, 1e-2);
  EXPECT_NE(error_of([] { parse_sweep_axis("train.lr", false); }).find("section.key=v1,v2"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_sweep_axis("train.lr=0.1,0.1", false); }).find("listed twice"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_sweep_axis("train.lr=0.1,,0.2", false); }).find("empty value"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_sweep_axis("train.lr=log:1e-3:1e-1", false); }).find("--random"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_sweep_axis("train.lr=log:0:1", true); }).find("LO > 0"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_sweep_axis("train.lr=lin:2:1", true); }).find("LO < HI"),
            std::string::npos);
  EXPECT_NE(
      error_of([] { parse_sweep_axis("train.lr=lin:a:1", true); }).find("'a' is not a number"),
      std::string::npos);
}

TEST(SweepPlan, GridIsTheCartesianProductLastAxisFastest) {
  const Config base = pixel_config();
  const SweepPlan plan = plan_sweep("pixel", base,
                                    {parse_sweep_axis("train.lr=0.01,0.02", false),
                                     parse_sweep_axis("train.epochs=1,2,3", false)},
                                    std::nullopt, 1);
  ASSERT_EQ(plan.points.size(), 6u);
  EXPECT_EQ(plan.points[0].label(), "train.lr=0.01 train.epochs=1");
  EXPECT_EQ(plan.points[2].label(), "train.lr=0.01 train.epochs=3");
  EXPECT_EQ(plan.points[3].label(), "train.lr=0.02 train.epochs=1");
  for (int i = 0; i < 6; ++i) EXPECT_EQ(plan.points[i].index, i);
  // Each point's config holds its values; ids are distinct and stable across plannings.
  EXPECT_NE(plan.points[4].config_ini.find("epochs = 2"), std::string::npos);
  EXPECT_EQ(plan.points[4].config_ini.rfind("experiment = pixel\n", 0), 0u);
  const SweepPlan again = plan_sweep("pixel", base,
                                     {parse_sweep_axis("train.lr=0.01,0.02", false),
                                      parse_sweep_axis("train.epochs=1,2,3", false)},
                                     std::nullopt, 1);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(plan.points[i].id, again.points[i].id);
  EXPECT_EQ(plan.fingerprint(), again.fingerprint());
  // The id is the hash of the resolved config: equal values written differently, same run.
  const SweepPlan spelled =
      plan_sweep("pixel", base, {parse_sweep_axis("train.lr=1e-2", false)}, std::nullopt, 1);
  const SweepPlan plain =
      plan_sweep("pixel", base, {parse_sweep_axis("train.lr=0.01", false)}, std::nullopt, 1);
  EXPECT_EQ(spelled.points[0].id, plain.points[0].id);
}

TEST(SweepPlan, EveryValueIsValidatedFirst) {
  const Config base = pixel_config();
  const std::string e = error_of([&] {
    plan_sweep("pixel", base, {parse_sweep_axis("train.lr=0.01,-1", false)}, std::nullopt, 1);
  });
  EXPECT_NE(e.find("train.lr = '-1'"), std::string::npos) << e;
  EXPECT_NE(error_of([&] {
              plan_sweep("pixel", base, {parse_sweep_axis("train.nope=1", false)}, std::nullopt, 1);
            }).find("unknown config key 'train.nope'"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              plan_sweep("pixel", base,
                         {parse_sweep_axis("train.lr=0.1", false),
                          parse_sweep_axis("train.lr=0.2", false)},
                         std::nullopt, 1);
            }).find("twice"),
            std::string::npos);
  // A random sweep checks its list values even if no draw picks them.
  EXPECT_NE(error_of([&] {
              plan_sweep("pixel", base, {parse_sweep_axis("train.epochs=1,0", true)}, 1, 1);
            }).find("train.epochs = '0'"),
            std::string::npos);
}

TEST(SweepPlan, RandomDrawsAreSeededAndInRange) {
  const Config base = pixel_config();
  const std::vector<SweepAxis> axes = {parse_sweep_axis("train.lr=log:1e-4:1e-2", true),
                                       parse_sweep_axis("train.epochs=int:1:5", true)};
  const SweepPlan a = plan_sweep("pixel", base, axes, 50, 7);
  const SweepPlan b = plan_sweep("pixel", base, axes, 50, 7);
  const SweepPlan c = plan_sweep("pixel", base, axes, 50, 8);
  ASSERT_EQ(a.points.size(), 50u);
  EXPECT_EQ(a.fingerprint(), b.fingerprint());
  EXPECT_NE(a.fingerprint(), c.fingerprint());
  int below_1e3 = 0;
  for (const SweepPoint& p : a.points) {
    const double lr = std::stod(p.values[0].second);
    const int epochs = std::stoi(p.values[1].second);
    EXPECT_GE(lr, 1e-4);
    EXPECT_LE(lr, 1e-2);
    EXPECT_GE(epochs, 1);
    EXPECT_LE(epochs, 5);
    below_1e3 += lr < 1e-3;
  }
  // Log-uniform: half the draws below the geometric midpoint 1e-3 (binomial sd 3.5 at n = 50).
  EXPECT_GT(below_1e3, 10);
  EXPECT_LT(below_1e3, 40);
  // Repeated draws of a short list collapse to one point each.
  const SweepPlan few =
      plan_sweep("pixel", base, {parse_sweep_axis("train.epochs=1,2", true)}, 20, 1);
  EXPECT_EQ(few.points.size(), 2u);
}

}  // namespace
}  // namespace qdm
