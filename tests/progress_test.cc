#include "framework/progress.h"

#include <gtest/gtest.h>

#include <limits>

namespace qdm {
namespace {

TEST(Progress, FormatsDurations) {
  EXPECT_EQ(Progress::format_duration(0.4), "0s");
  EXPECT_EQ(Progress::format_duration(59.4), "59s");
  EXPECT_EQ(Progress::format_duration(65), "1m05s");
  EXPECT_EQ(Progress::format_duration(3600 + 180), "1h03m");
  EXPECT_EQ(Progress::format_duration(-1), "?");
  EXPECT_EQ(Progress::format_duration(std::numeric_limits<double>::infinity()), "?");
}

}  // namespace
}  // namespace qdm
