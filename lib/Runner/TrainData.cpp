//===- TrainData.cpp - batches and test metrics of quant4-run train -------===//
//
// See TrainData.h.
//
//===----------------------------------------------------------------------===//
#include "TrainData.h"

#include "quant4/Data/Text.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace quant4::runner::detail {

namespace {
/// The sample of batch row `b`: a real one below `count`, else padding
/// from the start of `order`.
size_t sampleOfRow(const std::vector<uint32_t> &order, int64_t start,
                   int64_t count, int64_t b) {
  return order[size_t(b < count ? start + b
                                : (b - count) % int64_t(order.size()))];
}
} // namespace

void fillImageBatch(const data::Dataset &d, const std::vector<uint32_t> &order,
                    int64_t start, int64_t count, int64_t pixels,
                    int32_t padLabel, npy::Array &x, npy::Array &y) {
  float *xs = x.as<float>();
  int32_t *ys = y.as<int32_t>();
  for (int64_t b = 0, B = y.numel(); b < B; ++b) {
    size_t idx = sampleOfRow(order, start, count, b);
    std::memcpy(xs + b * pixels, d.image(idx), size_t(pixels) * sizeof(float));
    ys[b] = b < count ? d.labels[idx] : padLabel;
  }
}

void fillTextBatch(const std::vector<uint8_t> &split, int64_t T,
                   const std::vector<uint32_t> &order, int64_t start,
                   int64_t count, npy::Array &tokens, npy::Array &y) {
  const int64_t B = tokens.shape[0];
  std::vector<int64_t> row(static_cast<size_t>(T));
  for (int64_t b = 0; b < B; ++b) {
    size_t idx = sampleOfRow(order, start, count, b);
    int32_t *targets = y.as<int32_t>() + b * T;
    int64_t *ids = tokens.dtype == npy::DType::I64
                       ? tokens.as<int64_t>() + b * T
                       : row.data();
    // The indices come from textWindowCount: the window exists.
    (void)data::fillTextWindow(split, T, int64_t(idx), ids, targets);
    if (tokens.dtype == npy::DType::I32)
      for (int64_t t = 0; t < T; ++t)
        tokens.as<int32_t>()[b * T + t] = int32_t(row[size_t(t)]);
  }
}

void addCrossEntropy(const float *logits, const int32_t *targets,
                     int64_t rows, int64_t C, CrossEntropySums &sums) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = logits + r * C;
    int32_t t = targets[r];
    double m = -std::numeric_limits<double>::infinity();
    int64_t arg = -1;
    bool nan = false;
    for (int64_t c = 0; c < C; ++c) {
      nan |= std::isnan(row[c]);
      if (double(row[c]) > m) {
        m = row[c];
        arg = c;
      }
    }
    ++sums.rows;
    if (nan) {
      sums.nats = std::numeric_limits<double>::quiet_NaN();
      continue;
    }
    double s = 0;
    for (int64_t c = 0; c < C; ++c)
      s += std::exp(double(row[c]) - m);
    sums.nats += m + std::log(s) - double(row[t]);
    sums.correct += arg == t;
  }
}

} // namespace quant4::runner::detail
