//===- ScaleTest.cpp - scale policies, SAWB, PACT, MX, NVFP4 --------------===//
//
// Hand-worked examples; labels refer to docs/Formats.md.
//
//===----------------------------------------------------------------------===//
#include "quant4/Numerics/Numerics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <random>
#include <vector>

using namespace quant4::num;

TEST(Reductions, C30_AmaxAndMeans) {
  const float x[] = {1.0f, -3.0f, 2.0f};
  EXPECT_EQ(amaxOf(x, 3), 3.0f);
  EXPECT_EQ(amaxOf(x, 0), 0.0f);
  const float y[] = {1.0f, std::nanf(""), 5.0f};
  EXPECT_TRUE(std::isnan(amaxOf(y, 3)));
  EXPECT_EQ(amaxFiniteOf(y, 3), 5.0f);
  const float z[] = {1.0f, -INFINITY};
  EXPECT_EQ(amaxOf(z, 2), INFINITY);
  EXPECT_EQ(amaxFiniteOf(z, 2), 1.0f);
  EXPECT_DOUBLE_EQ(meanAbs(x, 3), 2.0);
  EXPECT_DOUBLE_EQ(meanSquare(x, 3), 14.0 / 3);
  // Sums are in double: 2^24 + 1 + 1 is not lost as it would be in float.
  const float w[] = {16777216.0f, 1.0f, 1.0f};
  EXPECT_EQ(meanAbs(w, 3), 16777218.0 / 3);
  // The order of the sums (C35): 2^27 then sixteen 1s. Squares in index
  // order would lose every 1 (2^54 + 1 rounds back to 2^54); in 16 lanes
  // (the 1 at index 16 joins 2^54 in lane 0 and is lost, the other fifteen
  // meet it pairwise) the sum is 2^54 + 12.
  std::vector<float> v(17, 1.0f);
  v[0] = 134217728.0f; // 2^27
  EXPECT_EQ(meanSquare(v.data(), 17), (std::ldexp(1.0, 54) + 12.0) / 17.0);
  EXPECT_EQ(meanAbs(v.data(), 17), (134217728.0 + 16.0) / 17.0);
  // Random data of every length class against the rule written plainly.
  std::mt19937 rng(3);
  std::lognormal_distribution<float> mag(0.0f, 4.0f);
  for (size_t n : {size_t(1), size_t(15), size_t(16), size_t(31), size_t(32),
                   size_t(100), size_t(4096), size_t(4099)}) {
    std::vector<float> r(n);
    for (auto &e : r)
      e = (rng() & 1 ? -1.0f : 1.0f) * mag(rng);
    double sq[16] = {}, ab[16] = {};
    for (size_t i = 0; i < n; ++i) {
      sq[i % 16] += double(r[i]) * double(r[i]);
      ab[i % 16] += std::fabs(double(r[i]));
    }
    for (size_t w = 8; w > 0; w /= 2)
      for (size_t j = 0; j < w; ++j)
        sq[j] += sq[j + w], ab[j] += ab[j + w];
    EXPECT_EQ(meanSquare(r.data(), n), sq[0] / double(n)) << n;
    EXPECT_EQ(meanAbs(r.data(), n), ab[0] / double(n)) << n;
    // The vector form (AVX, when the machine has it) and the portable loop.
    for (bool vec : {true, false}) {
      auto [s2, a1] = squareAndAbsSums(r.data(), n, vec);
      EXPECT_EQ(s2, sq[0]) << n << (vec ? " vector" : " portable");
      EXPECT_EQ(a1, ab[0]) << n << (vec ? " vector" : " portable");
    }
  }
  EXPECT_EQ(squareAndAbsSums(v.data(), 0, false), std::make_pair(0.0, 0.0));
  // The 2^27-then-1s example through the portable loop as well.
  EXPECT_EQ(squareAndAbsSums(v.data(), 17, false),
            std::make_pair(std::ldexp(1.0, 54) + 12.0, 134217728.0 + 16.0));
}

TEST(AmaxScale, C32_Formula) {
  EXPECT_EQ(amaxScale(Format::sint(4), 14.0f), 2.0f);
  EXPECT_EQ(amaxScale(Format::sint(4), 10.0f), 10.0f / 7.0f);
  EXPECT_EQ(amaxScale(Format::sint(4), 10.0f, true), 2.0f);   // 1.43 -> 2
  EXPECT_EQ(amaxScale(Format::sint(4), 14.0f, true), 2.0f);   // exact pow2 kept
  EXPECT_EQ(amaxScale(Format::log(4, 3, 0), 192.0f), 3.0f);
  EXPECT_EQ(amaxScale(Format::log(4, 3, 0), 192.0f, true), 4.0f);
  EXPECT_EQ(amaxScale(Format::fp8e4m3(), 0.5f, true), 1.0f / 512); // 0.5/448
  EXPECT_EQ(amaxScale(Format::sint(4), 0.0f), 1.0f);
  EXPECT_EQ(amaxScale(Format::sint(4), std::nanf("")), 1.0f);
  EXPECT_EQ(amaxScale(Format::sint(4), INFINITY), 1.0f);
  // C31: a scale that would be 0/subnormal is clamped to 2^-126.
  EXPECT_EQ(amaxScale(Format::fp8e5m2(), 1e-40f), FLT_MIN);
  EXPECT_EQ(roundUpPow2(3.0f), 4.0f);
  EXPECT_EQ(roundUpPow2(0.25f), 0.25f);
  EXPECT_EQ(roundUpPow2(FLT_MAX), std::ldexp(1.0f, 127));
  EXPECT_EQ(clampScale(INFINITY), std::ldexp(1.0f, 127));
  EXPECT_EQ(clampScale(0.0f), FLT_MIN);
}

TEST(GradScale, C33_OneStepRule) {
  Format f = Format::log(4, 3, 0); // max 64: keep amax/scale in (32, 64]
  EXPECT_EQ(gradScaleUpdate(f, 1.0f, 100.0f), 2.0f);   // 100 > 64 -> x2
  EXPECT_EQ(gradScaleUpdate(f, 1.0f, 64.0f), 1.0f);    // == max: keep
  EXPECT_EQ(gradScaleUpdate(f, 1.0f, std::nextafter(64.0f, 100.0f)), 2.0f);
  EXPECT_EQ(gradScaleUpdate(f, 1.0f, 32.0f), 0.5f);    // == max/2: halve
  EXPECT_EQ(gradScaleUpdate(f, 1.0f, std::nextafter(32.0f, 64.0f)), 1.0f);
  EXPECT_EQ(gradScaleUpdate(f, 1.0f, 1.0f), 0.5f);     // one step only
  EXPECT_EQ(gradScaleUpdate(f, 1.0f, 1e6f), 2.0f);
  EXPECT_EQ(gradScaleUpdate(f, 0.25f, 0.0f), 0.25f);   // zero amax keeps
  EXPECT_EQ(gradScaleUpdate(f, 0.25f, std::nanf("")), 0.25f);
  EXPECT_EQ(gradScaleUpdate(f, 0.25f, INFINITY), 0.25f);
  EXPECT_EQ(gradScaleUpdate(f, -3.0f, 100.0f), 2.0f);  // invalid -> 1 first
  EXPECT_EQ(gradScaleUpdate(f, std::ldexp(1.0f, 127), 1e38f), std::ldexp(1.0f, 126));
  EXPECT_EQ(gradScaleUpdate(f, FLT_MIN, 1e-45f), FLT_MIN); // clamped (C31)
}

TEST(GradScale, C33_UntilInRange) {
  Format f = Format::log(4, 3, 0);
  GradScaleOptions o;
  o.untilInRange = true;
  EXPECT_EQ(gradScaleUpdate(f, 1.0f, 1.0f, o), 1.0f / 64); // 1/(1/64) = 64
  EXPECT_EQ(gradScaleUpdate(f, 1.0f, 1000.0f, o), 16.0f);  // 1000/16 = 62.5
  EXPECT_EQ(gradScaleUpdate(f, 1.0f, 40.0f, o), 1.0f);
  float s = gradScaleUpdate(f, 1.0f, 1e-3f, o);
  float ratio = 1e-3f / s;
  EXPECT_GT(ratio, 32.0f);
  EXPECT_LE(ratio, 64.0f);
  // int4: 3.5 <= 7/2 -> 0.5, then 3.5/0.5 = 7 is in (3.5, 7].
  EXPECT_EQ(gradScaleUpdate(Format::sint(4), 1.0f, 3.5f, o), 0.5f);
}

TEST(DelayedScaling, C34_HistoryAndMargin) {
  Format f = Format::fp8e4m3();
  const float h[] = {100.0f, 448.0f, 3.0f};
  EXPECT_EQ(delayedScale(f, h, 3, 0, 7.0f), 1.0f);
  EXPECT_EQ(delayedScale(f, h, 3, 1, 7.0f), 2.0f);
  EXPECT_EQ(delayedScale(f, h, 3, -1, 7.0f), 0.5f);
  const float zeros[] = {0.0f, 0.0f};
  EXPECT_EQ(delayedScale(f, zeros, 2, 0, 7.0f), 7.0f);
  const float bad[] = {1.0f, std::nanf("")};
  EXPECT_EQ(delayedScale(f, bad, 2, 0, 7.0f), 7.0f);

  DelayedScaling d(f, 3, 1);
  EXPECT_EQ(d.scale(), 1.0f);
  d.record(448.0f);
  EXPECT_EQ(d.scale(), 2.0f); // 448 * 2^1 / 448
  d.record(100.0f);
  d.record(50.0f);
  EXPECT_EQ(d.scale(), 2.0f);
  d.record(10.0f); // ring: 448 falls out -> max(100, 50, 10) = 100
  EXPECT_EQ(d.scale(), 200.0f / 448.0f);
  d.record(std::nanf("")); // not recorded
  d.record(INFINITY);
  EXPECT_EQ(d.scale(), 200.0f / 448.0f);
  EXPECT_EQ(d.history()[0], 10.0f);
  EXPECT_EQ(d.position(), 1u);
  d.record(0.0f);
  EXPECT_EQ(d.scale(), 100.0f / 448.0f); // {10, 0, 50}
  d.record(0.0f);
  EXPECT_EQ(d.scale(), 20.0f / 448.0f);  // {10, 0, 0}
  d.record(0.0f); // all-zero history: keep the old scale
  EXPECT_EQ(d.scale(), 20.0f / 448.0f);
  DelayedScaling p(Format::sint(4), 2, 0, true);
  p.record(10.0f); // 10/7 -> 2
  EXPECT_EQ(p.scale(), 2.0f);
}

TEST(Sawb, C35_Coefficients) {
  EXPECT_EQ(*sawbCoefficients(2), std::make_pair(3.12, -2.064));
  EXPECT_EQ(*sawbCoefficients(3), std::make_pair(7.509, -6.892));
  EXPECT_EQ(*sawbCoefficients(4), std::make_pair(12.68, -12.80));
  EXPECT_EQ(*sawbCoefficients(5), std::make_pair(17.74, -18.64));
  EXPECT_EQ(*sawbCoefficients(8), std::make_pair(31.76, -35.04));
  EXPECT_EQ(*sawbCoefficients(4, true), std::make_pair(12.035, -12.03));
  EXPECT_FALSE(sawbCoefficients(6).has_value());
  EXPECT_FALSE(sawbCoefficients(3, true).has_value());
}

TEST(Sawb, C35_HandComputed) {
  // w = {1,-1,2,-2}: E[w^2] = 2.5, E|w| = 1.5.
  const float w[] = {1, -1, 2, -2};
  double clip4 = 12.68 * std::sqrt(2.5) - 12.80 * 1.5; // 0.84884...
  EXPECT_NEAR(sawbClip(w, 4, 4), 0.848840, 1e-6);
  EXPECT_DOUBLE_EQ(sawbClip(w, 4, 4), clip4);
  EXPECT_EQ(sawbScale(w, 4, 4), float(clip4) / 7.0f);
  double clip2 = 3.12 * std::sqrt(2.5) - 2.064 * 1.5; // 1.83715...
  EXPECT_NEAR(sawbClip(w, 4, 2), 1.837153, 1e-6);
  EXPECT_EQ(sawbScale(w, 4, 2), float(clip2) / 1.0f);
  double clip8 = 31.76 * std::sqrt(2.5) - 35.04 * 1.5; // -2.34: negative
  ASSERT_LT(clip8, 0.0);
  EXPECT_EQ(sawbClip(w, 4, 8), 2.0); // falls back to max|w|
  EXPECT_EQ(sawbScale(w, 4, 8), 2.0f / 127.0f);
  // All |w| equal: c0 + c1 < 0 for 4 bits -> clip falls back to max|w|.
  const float e[] = {0.5f, -0.5f, 0.5f};
  EXPECT_EQ(sawbClip(e, 3, 4), 0.5);
  EXPECT_EQ(sawbScale(e, 3, 4), 0.5f / 7.0f);
  const float z[] = {0.0f, 0.0f};
  EXPECT_EQ(sawbScale(z, 2, 4), 1.0f);
  EXPECT_TRUE(std::isnan(sawbClip(w, 4, 6)));
}

TEST(Sawb, C35_ChunksGiveTheWholeTensorsBits) {
  // Sums of squares of values of very different sizes: the order of the
  // double adds shows in the last bits, so any other lane assignment than
  // the whole tensor's would differ.
  std::vector<float> w(1000);
  uint32_t st = 12345;
  for (float &v : w) {
    st = st * 1103515245u + 12345u;
    float m = float(st >> 8) / float(1u << 24) * 2.0f - 1.0f; // 24 bits
    st = st * 1103515245u + 12345u;
    v = std::ldexp(m, int(st >> 27) % 24 - 12);
  }
  for (bool sym : {false, true}) {
    double whole = sawbClip(w.data(), w.size(), 4, sym);
    for (size_t chunk : {1u, 7u, 16u, 100u, 999u}) {
      SawbAccumulator acc;
      for (size_t i = 0; i < w.size(); i += chunk)
        acc.add(w.data() + i, std::min(chunk, w.size() - i), unsigned(i % 16));
      EXPECT_EQ(acc.count(), w.size());
      EXPECT_EQ(acc.sums(), squareAndAbsSums(w.data(), w.size()));
      EXPECT_EQ(acc.clip(4, sym), whole) << chunk;
      EXPECT_EQ(acc.scale(4, sym), sawbScale(w.data(), w.size(), 4, sym));
    }
  }
  // The lanes are part of the rule: elements 16 apart share a lane. (A
  // common shift of every lane changes nothing — the pairwise tree is
  // symmetric under rotation — but a chunk put in the wrong lanes does.)
  SawbAccumulator wrong, rotated;
  wrong.add(w.data(), 999, 0);
  wrong.add(w.data() + 999, 1, 0); // belongs in lane 999 mod 16 = 7
  rotated.add(w.data(), w.size(), 5);
  EXPECT_NE(wrong.sums(), squareAndAbsSums(w.data(), w.size()));
  EXPECT_EQ(rotated.sums(), squareAndAbsSums(w.data(), w.size()));
  // The fallbacks: equal magnitudes (clip <= 0) take the amax of all
  // chunks; a NaN in any chunk makes the amax NaN, so the scale is 1.
  const float e[] = {0.5f, -0.5f, 0.25f, 0.5f};
  SawbAccumulator eq;
  eq.add(e, 2, 0);
  eq.add(e + 2, 2, 2);
  EXPECT_EQ(eq.scale(4), sawbScale(e, 4, 4));
  const float n[] = {1.0f, std::nanf("")};
  SawbAccumulator nan;
  nan.add(n, 1, 0);
  nan.add(n + 1, 1, 1);
  EXPECT_EQ(nan.scale(4), sawbScale(n, 2, 4));
  EXPECT_EQ(SawbAccumulator().scale(4), 1.0f);
}

TEST(Pact, C36_ForwardBackward) {
  const float x[] = {-1.0f, 0.0f, 0.5f, 2.0f, 3.0f, std::nanf(""), 1.999f};
  const float dy[] = {1, 2, 3, 4, 5, 6, 7};
  float alpha = 2.0f;
  const float fwd[] = {0, 0, 0.5f, 2, 2, 0, 1.999f};
  for (int i = 0; i < 7; ++i)
    EXPECT_EQ(pactForward(x[i], alpha), fwd[i]) << i;
  float dx[7];
  float dAlpha = pactBackward(x, dy, 7, alpha, dx);
  const float wantDx[] = {0, 2, 3, 0, 0, 0, 7}; // [0, alpha): x == alpha -> alpha
  for (int i = 0; i < 7; ++i)
    EXPECT_EQ(dx[i], wantDx[i]) << i;
  EXPECT_EQ(dAlpha, 9.0f); // dy of x = 2 and x = 3
  EXPECT_EQ(pactScale(2.0f, 4), 2.0f / 15.0f);
  // 0.5 / (2/15) = 3.75 -> 4; 3 clips to 2 -> 15; negative -> 0.
  EXPECT_EQ(pactQuantize(0.5f, 2.0f, 4), 4u);
  EXPECT_EQ(pactQuantize(3.0f, 2.0f, 4), 15u);
  EXPECT_EQ(pactQuantize(-3.0f, 2.0f, 4), 0u);
  // alpha = 15: scale exactly 1; ties follow the rounding mode.
  EXPECT_EQ(pactQuantize(7.5f, 15.0f, 4), 8u); // even
  EXPECT_EQ(pactQuantize(6.5f, 15.0f, 4), 6u); // even
  EXPECT_EQ(pactQuantize(6.5f, 15.0f, 4, Rounding::NearestLinear), 7u);
  EXPECT_EQ(pactQuantize(16.0f, 15.0f, 4), 15u);
}

TEST(Pact, CalibrateMinimisesTheSquaredError) {
  // 1..15: alpha = amax = 15 puts every element on the grid (error 0); every
  // smaller candidate clips 15 or misses a level.
  std::vector<float> ramp;
  for (int i = 1; i <= 15; ++i)
    ramp.push_back(float(i));
  EXPECT_EQ(pactCalibrate(ramp.data(), ramp.size(), 4, 10.0f), 15.0f);
  // 10,000 ones and one 64: candidates are k/2. alpha = 16 (k = 32): step
  // 16/15, 1 -> code 1 (error 10000 * (1/15)^2 = 44.4), 64 clips to 16
  // (error 48^2 = 2304): 2348.4. alpha = 15: 1 exact, 64 -> 15: 2401.
  // alpha = 16.5: 1 -> 1.1 (100), 64 -> 16.5 (2256.25): 2356.25. Larger
  // candidates lose more on the ones than they gain on the outlier (alpha
  // = 30: step 2, every one rounds to 0 (tie to even): 10000 + 34^2).
  std::vector<float> outlier(10000, 1.0f);
  outlier.push_back(64.0f);
  EXPECT_EQ(pactCalibrate(outlier.data(), outlier.size(), 4, 10.0f), 16.0f);
  // Negative, zero, NaN and Inf elements are left out; none positive ->
  // the fallback.
  const float none[] = {-1.0f, 0.0f, std::nanf(""), -INFINITY};
  EXPECT_EQ(pactCalibrate(none, 4, 4, 10.0f), 10.0f);
  std::vector<float> mixed = ramp;
  mixed.insert(mixed.end(), {-5.0f, std::nanf(""), INFINITY, 0.0f});
  EXPECT_EQ(pactCalibrate(mixed.data(), mixed.size(), 4, 10.0f), 15.0f);
  // Fewer bits, coarser grid: 1..3 with 2 bits is exact at alpha = 3.
  EXPECT_EQ(pactCalibrate(ramp.data(), 3, 2, 10.0f), 3.0f);
  // Reversed, the same (every sum here is exact in double).
  std::vector<float> reversed(outlier.rbegin(), outlier.rend());
  EXPECT_EQ(pactCalibrate(reversed.data(), reversed.size(), 4, 10.0f), 16.0f);
}

TEST(Mx, C37_HandWorkedBlock) {
  // Block 0 (32 elements): amax 100 -> floor(log2 100) = 6, shared_exp = 6-2
  // = 4, scale code 131, scale 16. Elements / 16: 100 -> 6.25 saturates to 6,
  // 24 -> 1.5, -40 -> -2.5 (tie: away from zero) -> -3, 0.1 -> 0.00625 -> 0,
  // 40 -> 2.5 -> 3, 8 -> 0.5, 4 -> 0.25 (tie with 0 -> 0.5).
  std::vector<float> x(40, 0.0f);
  x[0] = 100; x[1] = 24; x[2] = -40; x[3] = 0.1f; x[4] = 40; x[5] = 8; x[6] = 4;
  // Block 1 (8 elements, short): amax 5 -> shared_exp 0, scale 1; 5 -> tie
  // between 4 and 6 -> 6; -0.75 -> tie 0.5|1 -> -1.
  x[32] = 5; x[33] = -0.75f; x[34] = 2.9f;
  MxBlocks b = mxQuantize(x.data(), x.size());
  ASSERT_EQ(b.scales.size(), 2u);
  EXPECT_EQ(b.scales[0], 131u);
  EXPECT_EQ(b.scales[1], 127u);
  const uint32_t want0[] = {7, 3, 0xD, 0, 5, 1, 1};
  for (int i = 0; i < 7; ++i)
    EXPECT_EQ(b.codes[i], want0[i]) << i;
  EXPECT_EQ(b.codes[32], 7u);
  EXPECT_EQ(b.codes[33], 0xAu);
  EXPECT_EQ(b.codes[34], 5u);
  EXPECT_EQ(b.value(0), 96.0f);
  EXPECT_EQ(b.value(2), -48.0f);
  EXPECT_EQ(b.value(33), -1.0f);
}

TEST(Mx, C37_ZeroNaNAndTinyBlocks) {
  std::vector<float> x(96, 0.0f);
  x[32] = std::nanf("");
  x[33] = 1.0f;
  x[64] = 1e-39f; // subnormal: floor(log2) = -130 -> shared_exp clamps to -127
  MxBlocks b = mxQuantize(x.data(), x.size());
  EXPECT_EQ(b.scales[0], 0u); // all-zero block
  EXPECT_EQ(b.codes[0], 0u);
  EXPECT_EQ(b.value(0), 0.0f);
  EXPECT_EQ(b.scales[1], 0xFFu); // NaN block
  EXPECT_TRUE(std::isnan(b.value(33)));
  EXPECT_EQ(b.scales[2], 0u);
  // 1e-39 / 2^-127 = 0.1701... -> 0 (below 0.25)
  EXPECT_EQ(b.codes[64], 0u);
  EXPECT_EQ(mxElemEmax(Format::fp4e2m1()), 2);
  EXPECT_EQ(mxElemEmax(Format::fp8e4m3()), 8);
  EXPECT_EQ(mxElemEmax(Format::fp8e5m2()), 15);
}

TEST(Nvfp4, C38_HandWorked) {
  // Tensor amax 2688 -> s_t = 2688 / (6*448) = 1.
  std::vector<float> x(48, 0.0f);
  x[0] = 2688; x[1] = 1000; x[2] = -672;       // block 0: amax 2688
  x[16] = 6; x[17] = 0.25f; x[18] = 0.75f;     // block 1: amax 6
  x[32] = 13; x[33] = -2.25f;                  // block 2: amax 13
  Nvfp4Blocks b = nvfp4Quantize(x.data(), x.size());
  EXPECT_EQ(b.tensorScale, 1.0f);
  ASSERT_EQ(b.scales.size(), 3u);
  // Block 0: 2688/6 = 448 -> E4M3 0x7E; elements / 448: 6 -> 7, 2.232 -> 2
  // (code 4), -1.5 -> 0xB.
  EXPECT_EQ(b.scales[0], 0x7Eu);
  EXPECT_EQ(b.codes[0], 7u);
  EXPECT_EQ(b.codes[1], 4u);
  EXPECT_EQ(b.codes[2], 0xBu);
  // Block 1: 6/6 = 1 -> 0x38; 0.25 ties 0|0.5 -> even 0; 0.75 ties 0.5|1 -> 1.
  EXPECT_EQ(b.scales[1], 0x38u);
  EXPECT_EQ(b.codes[16], 7u);
  EXPECT_EQ(b.codes[17], 0u);
  EXPECT_EQ(b.codes[18], 2u);
  // Block 2: 13/6 = 2.1667 -> E4M3 RNE 2.25 (0x41); 13/2.25 = 5.78 -> 6;
  // -2.25/2.25 = -1 -> 0xA.
  EXPECT_EQ(b.scales[2], 0x41u);
  EXPECT_EQ(b.codes[32], 7u);
  EXPECT_EQ(b.codes[33], 0xAu);
  EXPECT_EQ(b.value(32), 13.5f);
  EXPECT_EQ(b.value(0), 2688.0f);
}

TEST(Nvfp4, C38_TensorScaleAndSpecials) {
  std::vector<float> x(32, 0.0f);
  x[0] = 1.0f;  // tensor amax 1 -> s_t = 1/2688
  x[16] = std::nanf("");
  Nvfp4Blocks b = nvfp4Quantize(x.data(), x.size());
  EXPECT_EQ(b.tensorScale, 1.0f / 2688.0f);
  // block 0 target (1/6) / (1/2688) = 448 -> 0x7E; element 1 -> 6 * 448 * s_t.
  EXPECT_EQ(b.scales[0], 0x7Eu);
  EXPECT_EQ(b.codes[0], 7u);
  EXPECT_EQ(b.value(0), (6.0f * 448.0f) * (1.0f / 2688.0f));
  EXPECT_EQ(b.scales[1], 0x7Fu); // NaN block
  EXPECT_TRUE(std::isnan(b.value(17)));
  std::vector<float> z(16, 0.0f);
  z[3] = -0.0f;
  Nvfp4Blocks bz = nvfp4Quantize(z.data(), z.size());
  EXPECT_EQ(bz.tensorScale, 1.0f);
  // An all-zero block gets the smallest positive E4M3 scale (2^-9), never 0.
  EXPECT_EQ(bz.scales[0], 1u);
  EXPECT_EQ(bz.blockElementScale(0), std::ldexp(1.0f, -9));
  EXPECT_EQ(bz.codes[3], 8u); // signed zero kept
  EXPECT_EQ(bz.value(0), 0.0f);
  EXPECT_EQ(e4m3BlockScaleCode(0.0f), 1u);
  EXPECT_EQ(e4m3BlockScaleCode(1e-30f), 1u);         // underflow
  EXPECT_EQ(e4m3BlockScaleCode(std::ldexp(1.0f, -9)), 1u);
  EXPECT_EQ(e4m3BlockScaleCode(2.25f), 0x41u);       // as encode()
}

// The block-scale rules written plainly (docs/Formats.md C37, C38), to
// compare the Numerics routines with: mxQuantize and nvfp4Quantize take
// their scales from mxBlockScaleCode / nvfp4Scales, so comparing those with
// each other alone could not fail.
namespace {
float plainAmax(const float *x, size_t n) { // NaN if any NaN
  float m = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(x[i]))
      return std::nanf("");
    m = std::max(m, std::fabs(x[i]));
  }
  return m;
}
/// MX: se = clamp(ilogb(amax) - emax_elem, -127, 127) + 127; all-zero
/// block -> 0 (what the clamp gives); NaN/Inf -> 0xFF.
uint32_t plainMxCode(const float *x, size_t n, int emaxElem) {
  float a = plainAmax(x, n);
  if (!std::isfinite(a))
    return 0xFFu;
  if (a == 0.0f)
    return 0u;
  return uint32_t(std::clamp(std::ilogb(a) - emaxElem, -127, 127) + 127);
}
/// E4M3 nearest-even code of a target scale, 0 replaced by 0x01 (2^-9).
uint32_t plainE4m3Code(float target) {
  uint32_t c = encode(Format::fp8e4m3(), target, Rounding::NearestEven);
  return c == 0 ? 1u : c;
}
/// NVFP4: s_t = clamp(amaxFinite / (6*448), 2^-126, 2^127) (1 if 0).
float plainNvfp4TensorScale(const float *x, size_t n) {
  float m = 0.0f;
  for (size_t i = 0; i < n; ++i)
    if (std::isfinite(x[i]))
      m = std::max(m, std::fabs(x[i]));
  if (m == 0.0f)
    return 1.0f;
  return std::min(std::max(m / (6.0f * 448.0f), FLT_MIN),
                  std::ldexp(1.0f, 127));
}
/// NVFP4 block: NaN/Inf -> 0x7F, else the E4M3 code of (amax_b / 6) / s_t.
uint32_t plainNvfp4Code(const float *x, size_t n, float st) {
  float a = plainAmax(x, n);
  return std::isfinite(a) ? plainE4m3Code((a / 6.0f) / st) : 0x7Fu;
}
} // namespace

// mxBlockScaleCode / nvfp4Scales (and the quantizers that use them, and
// blockScaleCode, the graph-level block policy) follow the rules written
// plainly, on hand-worked blocks (NaN, Inf, zero, subnormal, saturating)
// and on random data.
TEST(BlockScales, C37_C38_ScalesOnlyMatchTheQuantizers) {
  std::mt19937 rng(9);
  std::normal_distribution<float> d(0.0f, 3.0f);
  std::vector<float> x(16 * 37 + 5);
  for (auto &v : x)
    v = d(rng);
  x[40] = std::nanf("");
  std::fill(x.begin() + 64, x.begin() + 96, 0.0f);
  x[100] = 1e-39f;
  x[130] = 5000.0f;
  x[200] = -INFINITY;
  const Format e2m1 = Format::fp4e2m1(), e4m3 = Format::fp8e4m3();
  ASSERT_EQ(mxElemEmax(e2m1), 2);
  for (int bs : {16, 32}) {
    MxBlocks mx = mxQuantize(x.data(), x.size(), e2m1, bs);
    Nvfp4Blocks nv = nvfp4Quantize(x.data(), x.size(), bs);
    Nvfp4Blocks ns = nvfp4Scales(x.data(), x.size(), bs);
    float st = plainNvfp4TensorScale(x.data(), x.size());
    EXPECT_EQ(nv.tensorScale, st);
    EXPECT_EQ(ns.tensorScale, st);
    EXPECT_EQ(nvfp4TensorScale(x.data(), x.size()), st);
    EXPECT_EQ(blockTensorScale(x.data(), x.size(), e4m3), st);
    EXPECT_TRUE(ns.codes.empty());
    size_t nb = (x.size() + size_t(bs) - 1) / size_t(bs);
    ASSERT_EQ(mx.scales.size(), nb);
    ASSERT_EQ(nv.scales.size(), nb);
    ASSERT_EQ(ns.scales.size(), nb);
    for (size_t b = 0; b < nb; ++b) {
      size_t b0 = b * size_t(bs), len = std::min(size_t(bs), x.size() - b0);
      const float *xb = x.data() + b0;
      uint32_t mxc = plainMxCode(xb, len, 2), nvc = plainNvfp4Code(xb, len, st);
      EXPECT_EQ(mx.scales[b], mxc) << "MX block " << b << " of " << bs;
      EXPECT_EQ(mxBlockScaleCode(xb, len), mxc);
      EXPECT_EQ(blockScaleCode(xb, len, e2m1, Format::e8m0()), mxc);
      EXPECT_EQ(nv.scales[b], nvc) << "NVFP4 block " << b << " of " << bs;
      EXPECT_EQ(ns.scales[b], nvc);
      EXPECT_EQ(blockScaleCode(xb, len, e2m1, e4m3, st), nvc);
      // E4M3 alone: amax / max(elem) (in double, rounded once), never 0.
      float a = plainAmax(xb, len);
      EXPECT_EQ(blockScaleCode(xb, len, e2m1, e4m3),
                plainE4m3Code(float(double(a) / 6.0)));
      EXPECT_EQ(blockScaleCode(xb, len, Format::sint(4), Format::fp32()),
                floatBits(amaxScale(Format::sint(4), a)));
    }
  }
  // Hand-computed codes (blocks of 32): block 1 holds the NaN, block 2 is
  // all zero, block 6 (192..223) the -Inf.
  EXPECT_EQ(mxBlockScaleCode(x.data() + 64, 32), 0u);    // all zero
  EXPECT_EQ(mxBlockScaleCode(x.data() + 32, 32), 0xFFu); // NaN
  EXPECT_EQ(mxBlockScaleCode(x.data() + 192, 32), 0xFFu); // -Inf
  const float b13[] = {13.0f, -2.25f, 0.0f}; // ilogb(13) = 3: 2^(3-2)
  EXPECT_EQ(mxBlockScaleCode(b13, 3), 128u);
  EXPECT_EQ(blockScaleCode(b13, 3, e2m1, e4m3, 1.0f), 0x41u); // 13/6 -> 2.25
  EXPECT_EQ(blockScaleCode(b13, 3, e2m1, e4m3), 0x41u);
  EXPECT_EQ(blockScaleCode(x.data() + 64, 32, e2m1, e4m3), 1u); // never 0
  EXPECT_EQ(blockScaleCode(x.data() + 64, 32, e2m1, e4m3, 1.0f), 1u);
  EXPECT_EQ(blockScaleCode(x.data() + 192, 32, e2m1, e4m3, 1.0f), 0x7Fu);
  EXPECT_EQ(blockScaleCode(x.data() + 192, 32, e2m1, e4m3), 0x7Eu); // 448
  EXPECT_EQ(blockScaleCode(x.data() + 32, 32, e2m1, e4m3), 0x7Fu);
  // A requested tensor scale is 1 for the non-NVFP4 block policies.
  EXPECT_EQ(blockTensorScale(x.data(), x.size(), Format::e8m0()), 1.0f);
  EXPECT_EQ(blockTensorScale(x.data(), x.size(), Format::fp32()), 1.0f);
}

// The graph-level delayed policy's history (C34): newest first, a
// non-finite amax is not recorded.
TEST(Delayed, C34_HistoryNewestFirst) {
  std::vector<float> h = {3.0f, 2.0f, 1.0f};
  pushAmaxHistory(h.data(), h.size(), 4.0f);
  EXPECT_EQ(h, (std::vector<float>{4.0f, 3.0f, 2.0f}));
  pushAmaxHistory(h.data(), h.size(), std::nanf(""));
  pushAmaxHistory(h.data(), h.size(), INFINITY);
  EXPECT_EQ(h, (std::vector<float>{4.0f, 3.0f, 2.0f}));
  std::vector<float> one = {7.0f};
  pushAmaxHistory(one.data(), 1, 5.0f);
  EXPECT_EQ(one[0], 5.0f);
  pushAmaxHistory(nullptr, 0, 1.0f); // empty history: nothing to do
}
