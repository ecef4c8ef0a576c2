//===- ScheduleTest.cpp - learning-rate schedules and He fan-in -----------===//
//
// The exact values of Train.h's scheduledLr (constant, cosine,
// warmup-cosine) and defaultWarmupSteps, and the fan-in of He
// initialisation in both parameter conventions (heFanIn).
//
//===----------------------------------------------------------------------===//
#include "quant4/Runner/Train.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace quant4::runner;

namespace {

TEST(Schedule, Constant) {
  for (int64_t t : {0, 1, 50, 99, 100})
    EXPECT_EQ(scheduledLr("constant", 0.05, t, 100, 0), 0.05);
}

TEST(Schedule, Cosine) {
  // lr·(1 + cos(π·t/T))/2: lr at 0, lr/2 at T/2, 0 at T.
  EXPECT_EQ(scheduledLr("cosine", 0.1, 0, 100, 0), 0.1);
  EXPECT_DOUBLE_EQ(scheduledLr("cosine", 0.1, 50, 100, 0), 0.05);
  EXPECT_DOUBLE_EQ(scheduledLr("cosine", 0.1, 25, 100, 0),
                   0.05 * (1 + std::sqrt(0.5)));
  EXPECT_NEAR(scheduledLr("cosine", 0.1, 100, 100, 0), 0.0, 1e-18);
  EXPECT_DOUBLE_EQ(scheduledLr("cosine", 0.1, 99, 100, 0),
                   0.05 * (1 + std::cos(M_PI * 0.99)));
  // The warm-up argument is ignored.
  EXPECT_EQ(scheduledLr("cosine", 0.1, 3, 100, 10),
            scheduledLr("cosine", 0.1, 3, 100, 0));
}

TEST(Schedule, WarmupCosine) {
  // T = 100, W = 10: lr·t/W for t < 10, then the cosine over the 90 others.
  const double lr = 0.2;
  EXPECT_EQ(scheduledLr("warmup-cosine", lr, 0, 100, 10), 0.0);
  EXPECT_DOUBLE_EQ(scheduledLr("warmup-cosine", lr, 1, 100, 10), 0.02);
  EXPECT_DOUBLE_EQ(scheduledLr("warmup-cosine", lr, 5, 100, 10), 0.1);
  EXPECT_DOUBLE_EQ(scheduledLr("warmup-cosine", lr, 9, 100, 10), 0.18);
  EXPECT_EQ(scheduledLr("warmup-cosine", lr, 10, 100, 10), lr); // the peak
  EXPECT_DOUBLE_EQ(scheduledLr("warmup-cosine", lr, 55, 100, 10), 0.1);
  EXPECT_DOUBLE_EQ(scheduledLr("warmup-cosine", lr, 40, 100, 10),
                   0.1 * (1 + std::cos(M_PI / 3)));
  EXPECT_DOUBLE_EQ(scheduledLr("warmup-cosine", lr, 99, 100, 10),
                   0.1 * (1 + std::cos(M_PI * 89 / 90)));
  EXPECT_NEAR(scheduledLr("warmup-cosine", lr, 100, 100, 10), 0.0, 1e-18);
  // Rising, then falling.
  for (int64_t t = 1; t < 100; ++t) {
    double prev = scheduledLr("warmup-cosine", lr, t - 1, 100, 10),
           cur = scheduledLr("warmup-cosine", lr, t, 100, 10);
    if (t <= 10)
      EXPECT_GT(cur, prev) << t;
    else
      EXPECT_LT(cur, prev) << t;
  }
  // W = 0 is cosine; W = T is a warm-up only.
  for (int64_t t : {0, 7, 63, 99})
    EXPECT_EQ(scheduledLr("warmup-cosine", lr, t, 100, 0),
              scheduledLr("cosine", lr, t, 100, 0));
  EXPECT_DOUBLE_EQ(scheduledLr("warmup-cosine", lr, 99, 100, 100), 0.198);
}

TEST(Schedule, DefaultWarmup) {
  EXPECT_EQ(defaultWarmupSteps(0), 0);
  EXPECT_EQ(defaultWarmupSteps(19), 0);
  EXPECT_EQ(defaultWarmupSteps(20), 1);
  EXPECT_EQ(defaultWarmupSteps(660), 33); // 5 epochs of 132 steps
  EXPECT_EQ(defaultWarmupSteps(937), 46);
}

TEST(HeInit, FanInByConvention) {
  // Hand-written (docs/Training.md): (in, out), HWCF.
  EXPECT_EQ(heFanIn({784, 256}, /*imported=*/false), 784);
  EXPECT_EQ(heFanIn({5, 5, 6, 16}, /*imported=*/false), 150);
  // Imported (PyTorch): Gemm weights (out, in), OIHW filters, depthwise
  // (C, 1, KH, KW).
  EXPECT_EQ(heFanIn({256, 784}, /*imported=*/true), 784);
  EXPECT_EQ(heFanIn({16, 6, 5, 5}, /*imported=*/true), 150);
  EXPECT_EQ(heFanIn({32, 1, 3, 3}, /*imported=*/true), 9);
}

} // namespace
