#pragma once
/// Line plots as PNG files, drawn in-process with PLplot's pngcairo driver (Debian's
/// libplplot-dev and plplot-driver-cairo): no external program, no temporary data files, and the
/// same picture on every machine.

#include <filesystem>
#include <string>
#include <vector>

namespace qdm::analysis {

struct Series {
  std::string label;
  std::vector<double> x, y;
  bool points = false;  ///< markers at the data points as well as the line
};

struct LinePlot {
  std::string title, x_label, y_label;
  bool log_x = false, log_y = false;  ///< non-positive values are dropped on a log axis
  std::vector<Series> series;
};

/// Writes `plot` as a width x height PNG; DataError naming the file when it cannot.
void write_line_plot(const std::filesystem::path& png, const LinePlot& plot, int width = 900,
                     int height = 600);

}  // namespace qdm::analysis
