//===- TrainReport.cpp - metrics of a training run as CSV and SVG ---------===//
#include "quant4/Runner/Train.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace quant4::runner {

std::string formatFixed(double v, int prec) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

std::string countersTable(llvm::ArrayRef<NumericsCounter> counters) {
  size_t width = 8;
  for (const NumericsCounter &c : counters)
    width = std::max(width, c.name.size());
  auto pct = [](uint64_t part, uint64_t total) {
    return total ? formatFixed(100.0 * double(part) / double(total), 3) + "%"
                 : std::string("-");
  };
  char line[512];
  std::string s;
  std::snprintf(line, sizeof line, "  %-*s %14s %9s %10s %10s %10s\n",
                int(width), "counter", "elements", "zeroed", "saturated",
                "nan", "inf");
  s += line;
  unsigned reused = 0;
  for (const NumericsCounter &c : counters) {
    if (c.total == 0) { // its codes were reused from another GEMM's operand
      ++reused;
      continue;
    }
    bool out = llvm::StringRef(c.name).ends_with("/out");
    std::snprintf(line, sizeof line,
                  "  %-*s %14llu %9s %10s %10llu %10llu\n", int(width),
                  c.name.c_str(), (unsigned long long)c.total,
                  out ? "-" : pct(c.zeroed, c.total).c_str(),
                  out ? "-" : pct(c.saturated, c.total).c_str(),
                  (unsigned long long)c.nan, (unsigned long long)c.inf);
    s += line;
  }
  if (reused)
    s += "  (" + std::to_string(reused) +
         " operand(s) not listed: the lowering reuses the codes of the same "
         "tensor quantized for another GEMM, counted there)\n";
  return s;
}

std::string profileTable(llvm::ArrayRef<ProfileEntry> profile) {
  double total = 0;
  for (const ProfileEntry &e : profile)
    total += e.seconds;
  char line[256];
  std::string s;
  std::snprintf(line, sizeof line, "  %-30s %10s %7s %10s\n", "class",
                "seconds", "share", "calls");
  s += line;
  for (const ProfileEntry &e : profile) {
    std::string calls = e.calls ? std::to_string(e.calls) : "-";
    std::snprintf(line, sizeof line, "  %-30s %10.3f %6.1f%% %10s\n",
                  e.name.c_str(), e.seconds,
                  total > 0 ? 100.0 * e.seconds / total : 0.0, calls.c_str());
    s += line;
  }
  return s;
}

std::string profileOpsTable(llvm::ArrayRef<ProfileOp> ops,
                            double stepSeconds) {
  if (ops.empty())
    return "";
  char line[512];
  std::string s = "  slowest ops of the compiled step:\n";
  std::snprintf(line, sizeof line, "  %10s %7s %8s  %s\n", "seconds", "share",
                "calls", "op");
  s += line;
  for (const ProfileOp &op : ops) {
    std::snprintf(line, sizeof line, "  %10.3f %6.1f%% %8llu  %s\n",
                  op.seconds,
                  stepSeconds > 0 ? 100.0 * op.seconds / stepSeconds : 0.0,
                  static_cast<unsigned long long>(op.calls), op.what.c_str());
    s += line;
  }
  return s;
}

std::string metricsCsv(llvm::ArrayRef<EpochMetrics> ms, bool languageModel) {
  auto fmt = formatFixed;
  std::string s = "epoch,train_loss,train_acc,test_loss,test_acc,"
                  "test_loss_fp32,test_acc_fp32,lr,train_time_s,"
                  "samples_per_s";
  s += languageModel ? ",test_bpc,test_bpc_fp32\n" : "\n";
  for (const EpochMetrics &m : ms) {
    s += std::to_string(m.epoch) + "," + fmt(m.trainLoss, 6) + "," +
         fmt(m.trainAcc, 6) + "," + fmt(m.testLoss, 6) + "," +
         fmt(m.testAcc, 6) + "," + fmt(m.testLossFp32, 6) + "," +
         fmt(m.testAccFp32, 6) + "," + fmt(m.lr, 6) + "," +
         fmt(m.trainTime, 3) + "," + fmt(m.samplesPerSec, 1);
    if (languageModel)
      s += "," + fmt(m.testBpc, 6) + "," + fmt(m.testBpcFp32, 6);
    s += "\n";
  }
  return s;
}

namespace {
std::string xmlEscape(const std::string &s) {
  std::string o;
  for (char c : s) {
    switch (c) {
    case '<':
      o += "&lt;";
      break;
    case '>':
      o += "&gt;";
      break;
    case '&':
      o += "&amp;";
      break;
    case '"':
      o += "&quot;";
      break;
    default:
      o += c;
    }
  }
  return o;
}

/// "Nice" tick step for a range.
double tickStep(double range, int target) {
  double raw = range / std::max(1, target);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (raw <= m * mag)
      return m * mag;
  return 10 * mag;
}

struct Series {
  std::string label, color;
  bool dashed = false;
  std::vector<double> y;
};

/// One chart panel (axes, ticks, grid, one polyline per series, legend).
std::string svgPanel(double x0, double y0, double w, double h,
                     const std::string &title, const std::string &ylabel,
                     const std::vector<Series> &series, int64_t epochs,
                     bool zeroBased, bool legendTop) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const Series &s : series)
    for (double v : s.y)
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  if (!std::isfinite(lo)) {
    lo = 0;
    hi = 1;
  }
  if (zeroBased)
    lo = std::min(lo, 0.0);
  if (hi - lo < 1e-9) {
    hi += 0.5;
    lo -= 0.5;
  }
  double step = tickStep(hi - lo, 5);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  const double ml = 62, mr = 14, mt = 30, mb = 44;
  double pw = w - ml - mr, ph = h - mt - mb;
  double xmin = 1, xmax = std::max<int64_t>(epochs, 2);
  auto X = [&](double e) { return x0 + ml + (e - xmin) / (xmax - xmin) * pw; };
  auto Y = [&](double v) { return y0 + mt + (hi - v) / (hi - lo) * ph; };
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(2);
  o << "<text x=\"" << x0 + ml + pw / 2 << "\" y=\"" << y0 + 18
    << "\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">"
    << xmlEscape(title) << "</text>\n";
  // Grid and y ticks.
  for (double v = lo; v <= hi + step * 1e-6; v += step) {
    o << "<line x1=\"" << X(xmin) << "\" y1=\"" << Y(v) << "\" x2=\"" << X(xmax)
      << "\" y2=\"" << Y(v) << "\" stroke=\"#e0e0e0\" stroke-width=\"1\"/>\n";
    char lab[32];
    std::snprintf(lab, sizeof lab, step < 0.01 ? "%.3f" : "%.2f", v);
    o << "<text x=\"" << X(xmin) - 6 << "\" y=\"" << Y(v) + 4
      << "\" text-anchor=\"end\" font-size=\"11\">" << lab << "</text>\n";
  }
  // x ticks.
  int64_t xs = std::max<int64_t>(1, int64_t(tickStep(xmax - xmin, 8)));
  for (int64_t e = 1; e <= int64_t(xmax); e += xs) {
    o << "<line x1=\"" << X(e) << "\" y1=\"" << Y(lo) << "\" x2=\"" << X(e)
      << "\" y2=\"" << Y(lo) + 4 << "\" stroke=\"#000\"/>\n";
    o << "<text x=\"" << X(e) << "\" y=\"" << Y(lo) + 17
      << "\" text-anchor=\"middle\" font-size=\"11\">" << e << "</text>\n";
  }
  o << "<rect x=\"" << X(xmin) << "\" y=\"" << Y(hi) << "\" width=\"" << pw
    << "\" height=\"" << ph << "\" fill=\"none\" stroke=\"#000\"/>\n";
  o << "<text x=\"" << x0 + ml + pw / 2 << "\" y=\"" << y0 + h - 8
    << "\" text-anchor=\"middle\" font-size=\"12\">epoch</text>\n";
  o << "<text x=\"" << x0 + 14 << "\" y=\"" << y0 + mt + ph / 2
    << "\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 "
    << x0 + 14 << " " << y0 + mt + ph / 2 << ")\">" << xmlEscape(ylabel)
    << "</text>\n";
  // Curves (non-finite points are skipped).
  for (const Series &s : series) {
    std::ostringstream pts;
    pts.setf(std::ios::fixed);
    pts.precision(2);
    for (size_t i = 0; i < s.y.size(); ++i)
      if (std::isfinite(s.y[i]))
        pts << (pts.tellp() > 0 ? " " : "") << X(double(i + 1)) << ","
            << Y(s.y[i]);
    o << "<polyline fill=\"none\" stroke=\"" << s.color
      << "\" stroke-width=\"2\""
      << (s.dashed ? " stroke-dasharray=\"6,4\"" : "") << " points=\""
      << pts.str() << "\"/>\n";
    for (size_t i = 0; i < s.y.size(); ++i)
      if (std::isfinite(s.y[i]))
        o << "<circle cx=\"" << X(double(i + 1)) << "\" cy=\"" << Y(s.y[i])
          << "\" r=\"2.5\" fill=\"" << s.color << "\"/>\n";
  }
  // Legend, in the top or bottom right corner (where the curves of a
  // falling loss / rising accuracy are not).
  const double legendW = 215, rowH = 15;
  double ly = legendTop ? y0 + mt + 12
                        : y0 + mt + ph - 8 - rowH * double(series.size() - 1);
  o << "<rect x=\"" << X(xmax) - legendW - 6 << "\" y=\"" << ly - 10
    << "\" width=\"" << legendW << "\" height=\""
    << rowH * double(series.size()) + 4
    << "\" fill=\"#fff\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n";
  for (const Series &s : series) {
    double lx = X(xmax) - legendW;
    o << "<line x1=\"" << lx << "\" y1=\"" << ly << "\" x2=\"" << lx + 22
      << "\" y2=\"" << ly << "\" stroke=\"" << s.color
      << "\" stroke-width=\"2\""
      << (s.dashed ? " stroke-dasharray=\"6,4\"" : "") << "/>\n";
    o << "<text x=\"" << lx + 28 << "\" y=\"" << ly + 4
      << "\" font-size=\"11\">" << xmlEscape(s.label) << "</text>\n";
    ly += rowH;
  }
  return o.str();
}
} // namespace

std::string metricsSvg(llvm::ArrayRef<EpochMetrics> ms,
                       const std::string &title, int64_t epochs) {
  auto col = [&](double EpochMetrics::*f, double scale) {
    std::vector<double> v;
    for (const EpochMetrics &m : ms)
      v.push_back(m.*f * scale);
    return v;
  };
  // Training during the epoch, test through the recipe's and the FP32
  // forward.
  auto series = [&](double EpochMetrics::*train, double EpochMetrics::*test,
                    double EpochMetrics::*testFp32, double scale) {
    return std::vector<Series>{
        {"train (recipe, during the epoch)", "#1f77b4", false,
         col(train, scale)},
        {"test (recipe forward)", "#d62728", false, col(test, scale)},
        {"test (FP32 forward)", "#ff7f0e", true, col(testFp32, scale)}};
  };
  std::vector<Series> loss =
      series(&EpochMetrics::trainLoss, &EpochMetrics::testLoss,
             &EpochMetrics::testLossFp32, 1);
  std::vector<Series> acc =
      series(&EpochMetrics::trainAcc, &EpochMetrics::testAcc,
             &EpochMetrics::testAccFp32, 100);
  const double W = 960, H = 400;
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W
    << "\" height=\"" << H + 24 << "\" viewBox=\"0 0 " << W << " " << H + 24
    << "\" font-family=\"sans-serif\">\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n";
  o << "<text x=\"" << W / 2
    << "\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">"
    << xmlEscape(title) << "</text>\n";
  o << svgPanel(0, 24, W / 2, H, "Loss (cross-entropy)", "loss", loss, epochs,
                /*zeroBased=*/true, /*legendTop=*/true);
  o << svgPanel(W / 2, 24, W / 2, H, "Accuracy", "accuracy (%)", acc, epochs,
                /*zeroBased=*/false, /*legendTop=*/false);
  o << "</svg>\n";
  return o.str();
}

} // namespace quant4::runner
