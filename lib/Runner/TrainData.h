//===- TrainData.h - batches and test metrics of quant4-run train -*- C++ -*-===//
//
// Internal to the Runner library (Train.cpp): what the training loop feeds
// its functions from a dataset -- images (quant4/Data/MNIST.h) or windows of
// a text split (quant4/Data/Text.h) -- and the cross-entropy and accuracy
// it computes from logits, in double precision.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_LIB_RUNNER_TRAINDATA_H
#define QUANT4_LIB_RUNNER_TRAINDATA_H

#include "quant4/Data/MNIST.h"
#include "quant4/Runtime/Npy.h"

#include <cstdint>
#include <vector>

namespace quant4::runner::detail {

/// Samples order[start .. start+count-1] of `d` as rows 0..count-1 of the
/// batch `x` (f32, `pixels` values a row) and their labels in `y` (i32);
/// the rows up to the batch size B = y.numel() repeat samples from the start
/// of `order` (padding whose outputs the caller ignores) with label
/// `padLabel`.
void fillImageBatch(const data::Dataset &d, const std::vector<uint32_t> &order,
                    int64_t start, int64_t count, int64_t pixels,
                    int32_t padLabel, npy::Array &x, npy::Array &y);

/// Windows order[start .. start+count-1] of sequence length T of `split`
/// (data::fillTextWindow) as rows of the token batch `tokens` ([B, T], i64
/// or i32) and the next-byte labels `y` ([B, T], i32); padding rows as in
/// fillImageBatch, with real windows.
void fillTextBatch(const std::vector<uint8_t> &split, int64_t T,
                   const std::vector<uint32_t> &order, int64_t start,
                   int64_t count, npy::Array &tokens, npy::Array &y);

/// Running sums of softmax cross-entropy (nats) and first-arg-max accuracy.
struct CrossEntropySums {
  double nats = 0;
  int64_t correct = 0, rows = 0;
  double meanNats() const { return nats / double(rows); }
  double accuracy() const { return double(correct) / double(rows); }
};

/// Adds `rows` rows of `C` logits each against their targets: a row with a
/// NaN logit makes the sum NaN and is not correct.
void addCrossEntropy(const float *logits, const int32_t *targets,
                     int64_t rows, int64_t C, CrossEntropySums &sums);

} // namespace quant4::runner::detail

#endif // QUANT4_LIB_RUNNER_TRAINDATA_H
