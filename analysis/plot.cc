#include "analysis/plot.h"

#include <fmt/format.h>
#include <plplot/plplot.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <mutex>

#include "framework/error.h"

namespace qdm::analysis {
namespace {

// PLplot keeps global state per stream; one plot at a time keeps that simple.
std::mutex plplot_mutex;

/// A palette readable on white: black axes, then distinct line colours.
constexpr int kPalette[][3] = {{255, 255, 255}, {0, 0, 0},       {31, 119, 180},  {255, 127, 14},
                               {44, 160, 44},   {214, 39, 40},   {148, 103, 189}, {140, 86, 75},
                               {227, 119, 194}, {127, 127, 127}, {188, 189, 34},  {23, 190, 207}};
constexpr int kColours = sizeof(kPalette) / sizeof(kPalette[0]);

struct Transformed {
  std::vector<PLFLT> x, y;
};

Transformed transform(const Series& s, const LinePlot& plot) {
  Transformed t;
  for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
    double x = s.x[i], y = s.y[i];
    if (!std::isfinite(x) || !std::isfinite(y)) continue;
    if (plot.log_x) {
      if (x <= 0) continue;
      x = std::log10(x);
    }
    if (plot.log_y) {
      if (y <= 0) continue;
      y = std::log10(y);
    }
    t.x.push_back(x);
    t.y.push_back(y);
  }
  return t;
}

}  // namespace

void write_line_plot(const std::filesystem::path& png, const LinePlot& plot, int width,
                     int height) {
  std::vector<Transformed> data;
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const Series& s : plot.series) {
    data.push_back(transform(s, plot));
    for (double v : data.back().x) x0 = std::min(x0, v), x1 = std::max(x1, v);
    for (double v : data.back().y) y0 = std::min(y0, v), y1 = std::max(y1, v);
  }
  require(std::isfinite(x0), "plot '{}' has no finite data points to draw", plot.title);
  if (x1 == x0) x0 -= 0.5, x1 += 0.5;
  if (y1 == y0) y0 -= 0.5, y1 += 0.5;
  const double pad = 0.05 * (y1 - y0);
  y0 -= pad;
  y1 += pad;
  {
    // Fail with a clear message before PLplot, which only prints a warning for a bad path.
    std::ofstream probe(png, std::ios::binary | std::ios::trunc);
    if (!probe) throw DataError(fmt::format("cannot write the plot '{}'", png.string()));
  }

  const std::lock_guard lock(plplot_mutex);
  plsdev("pngcairo");
  plsfnam(png.c_str());
  plspage(0, 0, width, height, 0, 0);
  for (int c = 0; c < kColours; ++c) plscol0(c, kPalette[c][0], kPalette[c][1], kPalette[c][2]);
  plinit();
  plcol0(1);
  plschr(0, 0.9);
  const int axis = (plot.log_x ? 10 : 0) + (plot.log_y ? 20 : 0);
  plenv(x0, x1, y0, y1, 0, axis);
  pllab(plot.x_label.c_str(), plot.y_label.c_str(), plot.title.c_str());

  std::vector<PLINT> opts, text_colours, line_colours, line_styles, symbol_colours, symbol_numbers;
  std::vector<PLFLT> line_widths, symbol_scales;
  std::vector<const char*> texts, symbols;
  for (size_t i = 0; i < plot.series.size(); ++i) {
    const int colour = 2 + static_cast<int>(i % (kColours - 2));
    plcol0(colour);
    plwidth(2.0);
    const Transformed& t = data[i];
    if (!t.x.empty()) {
      plline(static_cast<PLINT>(t.x.size()), t.x.data(), t.y.data());
      if (plot.series[i].points)
        plstring(static_cast<PLINT>(t.x.size()), t.x.data(), t.y.data(), "#(728)");
    }
    opts.push_back(PL_LEGEND_LINE | (plot.series[i].points ? PL_LEGEND_SYMBOL : 0));
    texts.push_back(plot.series[i].label.c_str());
    text_colours.push_back(1);
    line_colours.push_back(colour);
    line_styles.push_back(1);
    line_widths.push_back(2.0);
    symbol_colours.push_back(colour);
    symbol_scales.push_back(1.0);
    symbol_numbers.push_back(1);
    symbols.push_back("#(728)");
  }
  if (plot.series.size() > 1 || !plot.series.front().label.empty()) {
    PLFLT legend_w = 0, legend_h = 0;
    plcol0(1);
    pllegend(&legend_w, &legend_h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             PL_POSITION_TOP | PL_POSITION_RIGHT | PL_POSITION_INSIDE, 0.02, 0.02, 0.1, 0, 1, 1, 0,
             0, static_cast<PLINT>(opts.size()), opts.data(), 1.0, 0.8, 2.0, 1.0,
             text_colours.data(), texts.data(), nullptr, nullptr, nullptr, nullptr,
             line_colours.data(), line_styles.data(), line_widths.data(), symbol_colours.data(),
             symbol_scales.data(), symbol_numbers.data(), symbols.data());
  }
  plend();
}

}  // namespace qdm::analysis
