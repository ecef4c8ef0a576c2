//===- AllReduceTest.cpp - rule C50, the gradient all-reduce --------------===//
//
// Exact expected values from plain float arithmetic (no FMA contraction):
// the replica order of the sums, FP16 rounding of partial sums, the integer
// kinds' codes, packing and error feedback, payload sizes and cuts.
//
//===----------------------------------------------------------------------===//
#include "quant4/Numerics/AllReduce.h"
#include "quant4/Numerics/Rounding.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace quant4::num;

namespace {

std::vector<uint8_t> encode(AllReduceKind k, std::vector<float> x,
                            std::vector<float> *err = nullptr) {
  std::vector<uint8_t> p(allReducePayloadBytes(k, x.size()));
  allReduceEncode(k, x.data(), err ? err->data() : nullptr, x.size(), p.data());
  return p;
}

std::vector<float> combine(AllReduceKind k,
                           const std::vector<std::vector<uint8_t>> &ps,
                           size_t n) {
  std::vector<const uint8_t *> ptrs;
  for (const auto &p : ps)
    ptrs.push_back(p.data());
  std::vector<float> out(n);
  allReduceCombine(k, ptrs.data(), int(ps.size()), n, out.data());
  return out;
}

uint32_t bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}

TEST(AllReduceTest, C50_F32SumsInReplicaOrderThenDivides) {
  // ((1e8 + -1e8) + 1) / 3 = 1/3; in another order the 1 would be lost.
  std::vector<std::vector<uint8_t>> ps = {
      encode(AllReduceKind::F32, {1e8f, 2.5f}),
      encode(AllReduceKind::F32, {-1e8f, -0.5f}),
      encode(AllReduceKind::F32, {1.0f, 0.25f})};
  std::vector<float> out = combine(AllReduceKind::F32, ps, 2);
  float third = 1.0f / 3.0f;
  EXPECT_EQ(bits(out[0]), bits(third));
  EXPECT_EQ(bits(out[1]), bits(2.25f / 3.0f));
  EXPECT_NE(bits((1e8f + (-1e8f + 1.0f)) / 3.0f), bits(third));
  // One replica: its own values (the driver skips the reduction then).
  EXPECT_FALSE(allReduceNeeded(1));
  EXPECT_TRUE(allReduceNeeded(2));
  std::vector<float> one = combine(AllReduceKind::F32, {ps[1]}, 2);
  EXPECT_EQ(bits(one[0]), bits(-1e8f));
}

TEST(AllReduceTest, C50_F16RoundsValuesAndEverySum) {
  // 2049 -> 2048 on the way; 2048 + 1 = 2049 -> 2048 (tie to even); / 2.
  // 0.1 -> 0.0999755859375; the FP16 sum of three of them, / 3.
  std::vector<std::vector<uint8_t>> ps = {
      encode(AllReduceKind::F16, {2049.0f, 0.1f, 70000.0f}),
      encode(AllReduceKind::F16, {1.0f, 0.1f, 0.0f}),
      encode(AllReduceKind::F16, {0.0f, 0.1f, 0.0f})};
  EXPECT_EQ(ps[0].size(), 6u);
  std::vector<float> out = combine(AllReduceKind::F16, ps, 3);
  EXPECT_EQ(out[0], 2048.0f / 3.0f);
  float h = halfBitsToFloat(floatToHalfBits(0.1f));
  float s2 = halfBitsToFloat(floatToHalfBits(h + h));
  float s3 = halfBitsToFloat(floatToHalfBits(s2 + h));
  EXPECT_EQ(bits(out[1]), bits(s3 / 3.0f));
  EXPECT_TRUE(std::isinf(out[2])); // beyond 65504: +Inf, as FP16
}

TEST(AllReduceTest, C50_Int8CodesAndErrorFeedback) {
  // Block amax 127: scale 1; codes 127, 1, RNE(-0.4) = 0, RNE(0.5) = 0,
  // RNE(1.5) = 2; the residuals stay for the next step.
  std::vector<float> err(5, 0.0f);
  auto p = encode(AllReduceKind::Int8, {127.0f, 1.0f, -0.4f, 0.5f, 1.5f}, &err);
  ASSERT_EQ(p.size(), 4u + 5u);
  float s;
  std::memcpy(&s, p.data(), 4);
  EXPECT_EQ(s, 1.0f);
  EXPECT_EQ(int8_t(p[4]), 127);
  EXPECT_EQ(int8_t(p[6]), 0);
  EXPECT_EQ(int8_t(p[8]), 2);
  std::vector<float> sent(5);
  allReduceDecode(AllReduceKind::Int8, p.data(), 5, sent.data());
  EXPECT_EQ(sent, (std::vector<float>{127.0f, 1.0f, 0.0f, 0.0f, 2.0f}));
  EXPECT_EQ(err, (std::vector<float>{0.0f, 0.0f, -0.4f, 0.5f, -0.5f}));
  // Next step, a zero gradient: only the residuals are sent, at their own
  // scale (amax 0.5 / 127).
  auto p2 = encode(AllReduceKind::Int8, {0, 0, 0, 0, 0}, &err);
  float s2;
  std::memcpy(&s2, p2.data(), 4);
  EXPECT_EQ(bits(s2), bits(0.5f / 127.0f));
  EXPECT_EQ(int8_t(p2[4 + 3]), 127);
  EXPECT_EQ(int8_t(p2[4 + 4]), -127);
}

TEST(AllReduceTest, C50_Int4PacksTwoCodesPerByte) {
  std::vector<float> err(3, 0.0f);
  auto p = encode(AllReduceKind::Int4, {7.0f, -7.0f, 3.5f}, &err);
  ASSERT_EQ(p.size(), 4u + 2u);
  EXPECT_EQ(p[4], uint8_t(0x97)); // 7 low, -7 (0x9) high
  EXPECT_EQ(p[5], uint8_t(0x04)); // RNE(3.5) = 4
  std::vector<float> sent(3);
  allReduceDecode(AllReduceKind::Int4, p.data(), 3, sent.data());
  EXPECT_EQ(sent, (std::vector<float>{7.0f, -7.0f, 4.0f}));
  EXPECT_EQ(err[2], -0.5f);
}

TEST(AllReduceTest, C50_NonFiniteBlocksDecodeToNaNAndResetFeedback) {
  std::vector<float> err(300, 0.25f);
  std::vector<float> x(300, 1.0f);
  x[3] = NAN;
  auto p = encode(AllReduceKind::Int8, x, &err);
  std::vector<float> sent(300);
  allReduceDecode(AllReduceKind::Int8, p.data(), 300, sent.data());
  for (int i = 0; i < 256; ++i) {
    EXPECT_TRUE(std::isnan(sent[i]));
    EXPECT_EQ(err[i], 0.0f);
  }
  EXPECT_EQ(sent[256], 1.25f * 1.0f); // the second block is fine
}

TEST(AllReduceTest, C50_PayloadsCutAtBlockBoundaries) {
  for (AllReduceKind k : {AllReduceKind::F32, AllReduceKind::F16,
                          AllReduceKind::Int8, AllReduceKind::Int4}) {
    std::mt19937 rng(7);
    std::normal_distribution<float> g(0, 1);
    std::vector<float> x(600), e1(600, 0.0f), e2(600, 0.0f);
    for (float &v : x)
      v = g(rng);
    std::vector<uint8_t> whole(allReducePayloadBytes(k, 600));
    allReduceEncode(k, x.data(), e1.data(), 600, whole.data());
    // The range [256, 600) on its own: the same bytes at its offset.
    size_t off = allReducePayloadOffset(k, 256);
    std::vector<uint8_t> part(allReducePayloadBytes(k, 344));
    allReduceEncode(k, x.data() + 256, e2.data() + 256, 344, part.data());
    ASSERT_EQ(off + part.size(), whole.size()) << allReduceName(k);
    EXPECT_EQ(0, std::memcmp(whole.data() + off, part.data(), part.size()))
        << allReduceName(k);
  }
  EXPECT_EQ(allReducePayloadBytes(AllReduceKind::Int8, 600),
            2 * (4 + 256) + (4 + 88u));
  EXPECT_EQ(allReducePayloadBytes(AllReduceKind::Int4, 600),
            2 * (4 + 128) + (4 + 44u));
  EXPECT_EQ(parseAllReduce("int4"), AllReduceKind::Int4);
  EXPECT_FALSE(parseAllReduce("int2").has_value());
}

TEST(AllReduceTest, C50_ErrorFeedbackSendsTheGradientOverTime) {
  // A constant gradient far below the block's scale: without feedback
  // it would round to zero every step; with it, the sent values add up to
  // T·g minus the last residual, which stays within half a step.
  std::vector<float> err(2, 0.0f);
  double total = 0;
  const int T = 1000;
  for (int t = 0; t < T; ++t) {
    auto p = encode(AllReduceKind::Int4, {7.0f, 0.01f}, &err);
    std::vector<float> sent(2);
    allReduceDecode(AllReduceKind::Int4, p.data(), 2, sent.data());
    total += sent[1];
  }
  EXPECT_NEAR(total, T * 0.01, 0.5 + 1e-3);
  EXPECT_GT(total, 0.0);
}

} // namespace
