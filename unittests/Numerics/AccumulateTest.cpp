//===- AccumulateTest.cpp - accumulation modes, GEMM, conv ----------------===//
//
// Hand-computed cases where the four accumulation modes DIFFER. Labels refer
// to docs/Formats.md.
//
//===----------------------------------------------------------------------===//
#include "quant4/Numerics/Numerics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <cmath>
#include <numeric>
#include <vector>

using namespace quant4::num;

namespace {

const Format kL4 = Format::log(4, 3, 0);
// log4 codes (docs C6 table): 1/64 -> 1, 1 -> 4, 64 -> 7, -64 -> 15.
constexpr uint32_t L4_1_64 = 1, L4_1 = 4, L4_64 = 7, L4_M64 = 15;

float dot(const std::vector<uint32_t> &a, const std::vector<uint32_t> &b,
          Accumulation acc, Format fa = kL4, Format fb = kL4) {
  return dotCodes(fa, a.data(), 1, fb, b.data(), 1, int(a.size()), acc);
}

const Accumulation F32{AccumKind::F32, 0}, F16{AccumKind::F16, 0},
    EXACT{AccumKind::Exact, 0};
Accumulation chunked(int c) { return {AccumKind::F16Chunked, c}; }

} // namespace

// Products 4096, 1, 1 (k increasing). F32: 4098. F16: 4096+1 -> 4096 (FP16
// ulp at 4096 is 4), twice. Chunk 1: every product alone, sums in F32: 4098.
// Chunk 2: (4096+1 -> 4096) + 1 = 4097. Exact: 4098.
TEST(Accumulation, C40_C42_C43_C44_ModesDiffer) {
  std::vector<uint32_t> a = {L4_64, L4_1, L4_1}, b = {L4_64, L4_1, L4_1};
  EXPECT_EQ(dot(a, b, F32), 4098.0f);
  EXPECT_EQ(dot(a, b, F16), 4096.0f);
  EXPECT_EQ(dot(a, b, chunked(1)), 4098.0f);
  EXPECT_EQ(dot(a, b, chunked(2)), 4097.0f);
  EXPECT_EQ(dot(a, b, chunked(3)), 4096.0f);
  EXPECT_EQ(dot(a, b, EXACT), 4098.0f);
  // F16 is order dependent: 1+1+1+1 = 4, then 4096 + 4 = 4100 is exact in
  // FP16, while 4096 first absorbs every 1.
  std::vector<uint32_t> r = {L4_1, L4_1, L4_1, L4_1, L4_64};
  EXPECT_EQ(dot(r, r, F16), 4100.0f);
  std::vector<uint32_t> r2 = {L4_64, L4_1, L4_1, L4_1, L4_1};
  EXPECT_EQ(dot(r2, r2, F16), 4096.0f);
}

// 64*64 + (1/64)(1/64) - 64*64: F32 rounds 4096 + 2^-12 to 4096 (a tie at
// half an ulp, to even) and returns 0; Exact keeps 2^-12.
TEST(Accumulation, C44_ExactDiffersFromF32) {
  std::vector<uint32_t> a = {L4_64, L4_1_64, L4_M64}, b = {L4_64, L4_1_64, L4_64};
  EXPECT_EQ(dot(a, b, F32), 0.0f);
  EXPECT_EQ(dot(a, b, F16), 0.0f);
  EXPECT_EQ(dot(a, b, EXACT), std::ldexp(1.0f, -12));
  // Exact is order independent; F32 is not.
  std::vector<uint32_t> a2 = {L4_64, L4_M64, L4_1_64}, b2 = {L4_64, L4_64, L4_1_64};
  EXPECT_EQ(dot(a2, b2, F32), std::ldexp(1.0f, -12));
  EXPECT_EQ(dot(a2, b2, EXACT), std::ldexp(1.0f, -12));
}

TEST(Accumulation, C44_ExactOrderIndependentRandom) {
  // 4096 random int4 x log4 terms; every permutation gives identical bits.
  std::vector<uint32_t> a(4096), b(4096);
  uint32_t s = 1;
  for (size_t i = 0; i < a.size(); ++i) {
    s = s * 1664525u + 1013904223u;
    a[i] = (s >> 8) & 15;
    b[i] = (s >> 16) & 15;
  }
  Format i4 = Format::sint(4);
  float ref = dot(a, b, EXACT, i4, kL4);
  std::vector<size_t> perm(a.size());
  std::iota(perm.begin(), perm.end(), 0);
  for (int t = 0; t < 5; ++t) {
    std::reverse(perm.begin(), perm.end());
    std::rotate(perm.begin(), perm.begin() + 37 * (t + 1), perm.end());
    std::vector<uint32_t> pa, pb;
    for (size_t i : perm) {
      pa.push_back(a[i]);
      pb.push_back(b[i]);
    }
    EXPECT_EQ(dot(pa, pb, EXACT, i4, kL4), ref);
  }
  // Independent check: the sum in long double of exact products.
  long double sum = 0;
  for (size_t i = 0; i < a.size(); ++i)
    sum += (long double)decode(i4, a[i]) * decode(kL4, b[i]);
  EXPECT_EQ(ref, float(sum));
}

TEST(Accumulation, C42_F16OverflowAndProductRounding) {
  // 16 x 4096 = 65536 > 65504: FP16 accumulation overflows to +Inf.
  std::vector<uint32_t> a(16, L4_64);
  EXPECT_EQ(dot(a, a, F32), 65536.0f);
  EXPECT_EQ(dot(a, a, F16), INFINITY);
  EXPECT_EQ(dot(a, a, chunked(8)), 65536.0f); // 2 chunks of 32768
  // E4M3 448 * 448 = 200704 overflows FP16 already as a product.
  Format e4 = Format::fp8e4m3();
  std::vector<uint32_t> m = {0x7E};
  EXPECT_EQ(dot(m, m, F16, e4, e4), INFINITY);
  EXPECT_EQ(dot(m, m, F32, e4, e4), 200704.0f);
  EXPECT_EQ(dot(m, m, EXACT, e4, e4), 200704.0f);
  // E4M3 1.125 * 1.125 = 1.265625 (7 significant bits... exact in FP16):
  // code 0x39 = 1.125.
  std::vector<uint32_t> q = {0x39};
  EXPECT_EQ(dot(q, q, F16, e4, e4), 1.265625f);
  // E5M2 subnormals: 2^-16 * 2^-16 = 2^-32 rounds to 0 as an FP16 product.
  Format e5 = Format::fp8e5m2();
  std::vector<uint32_t> tiny = {0x01};
  EXPECT_EQ(dot(tiny, tiny, F16, e5, e5), 0.0f);
  EXPECT_EQ(dot(tiny, tiny, F32, e5, e5), std::ldexp(1.0f, -32));
  EXPECT_EQ(dot(tiny, tiny, EXACT, e5, e5), std::ldexp(1.0f, -32));
}

TEST(Accumulation, C44_ExactSupportMessages) {
  EXPECT_EQ(exactAccumulationSupported(kL4, kL4), "");
  EXPECT_EQ(exactAccumulationSupported(Format::sint(4), Format::uint(4)), "");
  EXPECT_EQ(exactAccumulationSupported(Format::fp4e2m1(), Format::log(4, 3, 1)), "");
  EXPECT_EQ(exactAccumulationSupported(Format::fp8e5m2(), Format::fp8e5m2()), "");
  EXPECT_EQ(exactAccumulationSupported(Format::fp16(), Format::sint(4)),
            "exact accumulation needs log, int, uint, e2m1, e4m3 or e5m2 "
            "operands, but operand A is f16");
  EXPECT_EQ(exactAccumulationSupported(Format::sint(4), Format::e8m0()),
            "exact accumulation needs log, int, uint, e2m1, e4m3 or e5m2 "
            "operands, but operand B is e8m0");
  EXPECT_EQ(exactAccumulationSupported(Format::sint(9), Format::sint(4)),
            "operand A has an invalid format: bits must be in [2, 8], got 9");
  // log<2,6>: levels 2^-31..2^31 -> 63-bit integers.
  EXPECT_EQ(exactAccumulationSupported(Format::log(2, 6, 0), Format::sint(4)),
            "exact accumulation needs each operand's values to be integers of "
            "at most 62 bits times a power of two, but operand A (log<2,6,0,32>) "
            "needs 63 bits");
  // log<4,5>: 2*30+1 = 61 bits each; 122 > 94.
  EXPECT_EQ(exactAccumulationSupported(Format::log(4, 5, 0), Format::log(4, 5, 0)),
            "exact accumulation of log<4,5,0,16> x log<4,5,0,16> needs 122-bit "
            "integer products, more than the 94 bits a 128-bit accumulator "
            "allows with 2^32 terms of headroom");
  EXPECT_EQ(exactAccumulationSupported(Format::log(4, 5, 0), Format::sint(8)), "");
  EXPECT_EQ(lsbExponent(Format::fp4e2m1()), -1);
  EXPECT_EQ(exactInteger(Format::fp4e2m1(), 0xF), -12);
  EXPECT_EQ(lsbExponent(kL4), -6);
  EXPECT_EQ(exactInteger(kL4, L4_64), 4096);
}

TEST(Accumulation, C44_FinalRoundingOnce) {
  // (2^24 + 1) * 2^0 -> ties to even 2^24; (2^24 + 3) -> 2^24 + 4.
  EXPECT_EQ(roundScaledIntegerToFloat(false, 0, (1ull << 24) + 1, 0), 16777216.0f);
  EXPECT_EQ(roundScaledIntegerToFloat(false, 0, (1ull << 24) + 3, 0), 16777220.0f);
  EXPECT_EQ(roundScaledIntegerToFloat(true, 0, 5, -2), -1.25f);
  EXPECT_EQ(roundScaledIntegerToFloat(false, 1, 0, 0), std::ldexp(1.0f, 64));
  EXPECT_EQ(roundScaledIntegerToFloat(false, 0, 0, 5), 0.0f);
  EXPECT_EQ(roundScaledIntegerToFloat(false, 0, 3, -150), std::ldexp(1.0f, -148)); // 1.5 ulp -> even 2
  EXPECT_EQ(roundScaledIntegerToFloat(false, 0, 1, -150), 0.0f);  // half min subnormal -> even 0
  EXPECT_EQ(roundScaledIntegerToFloat(false, 0, 1, 128), INFINITY);
  // A value needing more than 53 bits: double rounding would be wrong here.
  // m = 2^60 + 2^36 + 1: float RNE keeps 2^60 + 2^37 (above the half-way).
  uint64_t m = (1ull << 60) + (1ull << 36) + 1;
  EXPECT_EQ(roundScaledIntegerToFloat(false, 0, m, 0), std::ldexp(1.0f, 60) + std::ldexp(1.0f, 37));
}

TEST(Accumulation, C40_Names) {
  for (AccumKind k : {AccumKind::F32, AccumKind::F16, AccumKind::F16Chunked, AccumKind::Exact})
    EXPECT_EQ(parseAccum(accumName(k)), k);
  EXPECT_EQ(validateAccumulation(chunked(0)), "f16_chunked accumulation needs chunk >= 1, got 0");
  EXPECT_EQ(validateAccumulation({AccumKind::F32, 4}),
            "chunk is only meaningful for f16_chunked accumulation; f32 needs chunk 0, got 4");
  EXPECT_EQ(validateAccumulation(chunked(16)), "");
}

//===----------------------------------------------------------------------===//
// GEMM (C45, C46)
//===----------------------------------------------------------------------===//

TEST(Gemm, C45_PerTensorAndOuterScales) {
  Format i4 = Format::sint(4);
  // A = [[1, 2, 3], [-1, 0, 7]] ; B = [[1, -2], [3, 4], [5, 6]]
  // A*B = [[22, 24], [34, 44]]
  auto c = [&](int v) { return uint32_t(v) & 15u; };
  std::vector<uint32_t> A = {c(1), c(2), c(3), c(-1), c(0), c(7)};
  std::vector<uint32_t> B = {c(1), c(-2), c(3), c(4), c(5), c(6)};
  float sa = 0.5f, sb = 0.25f;
  QOperand qa{i4, A.data(), ScaleLayout::Tensor, &sa};
  QOperand qb{i4, B.data(), ScaleLayout::Tensor, &sb};
  float C[4];
  ASSERT_EQ(referenceGemm(2, 2, 3, qa, qb, F32, C), "");
  EXPECT_EQ(C[0], 22 * 0.125f);
  EXPECT_EQ(C[1], 24 * 0.125f);
  EXPECT_EQ(C[2], 34 * 0.125f);
  EXPECT_EQ(C[3], 44 * 0.125f);
  float rowS[2] = {1.0f, 2.0f}, colS[2] = {0.5f, 4.0f};
  QOperand ra{i4, A.data(), ScaleLayout::Outer, rowS};
  QOperand cb{i4, B.data(), ScaleLayout::Outer, colS};
  for (Accumulation acc : {F32, F16, chunked(2), EXACT}) {
    ASSERT_EQ(referenceGemm(2, 2, 3, ra, cb, acc, C), "");
    EXPECT_EQ(C[0], 22 * 0.5f);
    EXPECT_EQ(C[1], 24 * 4.0f);
    EXPECT_EQ(C[2], 34 * 1.0f);
    EXPECT_EQ(C[3], 44 * 8.0f);
  }
}

TEST(Gemm, C45_ScaleRuleOrder) {
  // C = dot * (sa * sb). Pick dot, sa, sb where the other association
  // (dot * sa) * sb rounds differently, so the test pins the rule.
  float sa = 0, sb = 0, rule = 0, other = 0;
  uint32_t a = 0;
  bool found = false;
  for (int d = 3; d <= 7 && !found; ++d)
    for (int i = 1; i < 200 && !found; ++i) {
      sa = 0.01f * float(i);
      sb = 0.37f + 0.001f * float(i);
      rule = float(d) * (sa * sb);
      other = (float(d) * sa) * sb;
      if (rule != other) {
        found = true;
        a = uint32_t(d);
      }
    }
  ASSERT_TRUE(found);
  Format i4 = Format::sint(4);
  uint32_t b = 1;
  QOperand qa{i4, &a, ScaleLayout::Tensor, &sa}, qb{i4, &b, ScaleLayout::Tensor, &sb};
  float C;
  ASSERT_EQ(referenceGemm(1, 1, 1, qa, qb, F32, &C), "");
  EXPECT_EQ(C, rule);
  // Invalid scales make the affected outputs NaN (never silently scaled).
  float bad = -1.0f;
  QOperand qbad{i4, &b, ScaleLayout::Tensor, &bad};
  ASSERT_EQ(referenceGemm(1, 1, 1, qa, qbad, F32, &C), "");
  EXPECT_TRUE(std::isnan(C));
}

TEST(Gemm, C46_BlockScalesAlongK) {
  // 1 x 5 times 5 x 1 with block size 2 (blocks k = {0,1}, {2,3}, {4}).
  Format e2 = Format::fp4e2m1();
  // e2m1 codes: 1.0 -> 2, 1.5 -> 3, 2 -> 4, 6 -> 7, -3 -> 0xD
  std::vector<uint32_t> A = {2, 3, 4, 7, 0xD}, B = {2, 4, 3, 2, 4};
  // products: 1, 3, 3, 6, -6 ; block dots: 4, 9, -6
  float sA[3] = {2.0f, 0.5f, 1.0f}, sB[3] = {1.0f, 4.0f, 0.25f};
  QOperand qa{e2, A.data(), ScaleLayout::BlockK, sA, 2};
  QOperand qb{e2, B.data(), ScaleLayout::BlockK, sB, 2};
  qb.tensorScale = 0.5f;
  float C;
  ASSERT_EQ(referenceGemm(1, 1, 5, qa, qb, F32, &C), "");
  // (4*2 + 9*2 + (-6)*0.25) * 0.5 = (8 + 18 - 1.5) * 0.5 = 12.25
  EXPECT_EQ(C, 12.25f);
  // Block dots are FP32-combined even in F16 mode: chunks restart per block.
  Format l4 = kL4;
  std::vector<uint32_t> LA = {L4_64, L4_1, L4_1, L4_1}, LB = {L4_64, L4_1, L4_1, L4_1};
  float one[2] = {1.0f, 1.0f};
  QOperand la{l4, LA.data(), ScaleLayout::BlockK, one, 2};
  QOperand lb{l4, LB.data(), ScaleLayout::BlockK, one, 2};
  ASSERT_EQ(referenceGemm(1, 1, 4, la, lb, F16, &C), "");
  EXPECT_EQ(C, 4098.0f); // (4096+1 -> 4096) + (1+1)
  float t1 = 1.0f;
  QOperand lt{l4, LB.data(), ScaleLayout::Tensor, &t1};
  ASSERT_EQ(referenceGemm(1, 1, 4, la, lt, F16, &C), "");
  EXPECT_EQ(C, 4098.0f);
  QOperand lta{l4, LA.data(), ScaleLayout::Tensor, &t1};
  ASSERT_EQ(referenceGemm(1, 1, 4, lta, lt, F16, &C), "");
  EXPECT_EQ(C, 4096.0f); // no blocks: one FP16 chain
}

TEST(Gemm, C46_MxAndNvfp4EndToEnd) {
  // Quantize a 2 x 32 A and a 32 x 1 B with MX, multiply with block scales.
  std::vector<float> a(64), bcol(32);
  for (int i = 0; i < 64; ++i)
    a[i] = float((i * 7) % 13) - 6.0f;
  for (int i = 0; i < 32; ++i)
    bcol[i] = 0.25f * float((i * 5) % 9) - 1.0f;
  MxBlocks ma = mxQuantize(a.data(), 64);
  MxBlocks mb = mxQuantize(bcol.data(), 32);
  std::vector<float> sA = {decode(Format::e8m0(), ma.scales[0]),
                           decode(Format::e8m0(), ma.scales[1])};
  float sB = decode(Format::e8m0(), mb.scales[0]);
  QOperand qa{Format::fp4e2m1(), ma.codes.data(), ScaleLayout::BlockK, sA.data(), 32};
  QOperand qb{Format::fp4e2m1(), mb.codes.data(), ScaleLayout::BlockK, &sB, 32};
  float C[2];
  ASSERT_EQ(referenceGemm(2, 1, 32, qa, qb, EXACT, C), "");
  for (int m = 0; m < 2; ++m) {
    double want = 0;
    for (int k = 0; k < 32; ++k)
      want += double(ma.value(size_t(m) * 32 + k)) * mb.value(size_t(k));
    EXPECT_EQ(C[m], float(want)) << m; // power-of-two scales: all exact
  }
}

TEST(Gemm, C45_Errors) {
  Format i4 = Format::sint(4);
  uint32_t a[4] = {1, 2, 3, 4};
  float s = 1.0f;
  QOperand qa{i4, a, ScaleLayout::Tensor, &s}, qb{i4, a, ScaleLayout::Tensor, &s};
  float C[4];
  QOperand f16 = qa;
  f16.format = Format::fp16();
  EXPECT_EQ(referenceGemm(2, 2, 2, f16, qb, EXACT, C),
            "exact accumulation needs log, int, uint, e2m1, e4m3 or e5m2 "
            "operands, but operand A is f16");
  EXPECT_EQ(referenceGemm(-1, 2, 2, qa, qb, F32, C),
            "GEMM dimensions must be non-negative, got M=-1 N=2 K=2");
  EXPECT_EQ(referenceGemm(2, 2, 2, qa, qb, chunked(0), C),
            "f16_chunked accumulation needs chunk >= 1, got 0");
  QOperand b1{i4, a, ScaleLayout::BlockK, &s, 1}, b2{i4, a, ScaleLayout::BlockK, &s, 2};
  EXPECT_EQ(referenceGemm(2, 2, 2, b1, b2, F32, C),
            "operands A and B have block scales with different block sizes");
  QOperand b0{i4, a, ScaleLayout::BlockK, &s, 0};
  EXPECT_EQ(referenceGemm(2, 2, 2, b0, qb, F32, C),
            "operand A has block scales but blockSize < 1");
  QOperand bad = qa;
  bad.format = Format::log(3, 3, 0);
  EXPECT_EQ(referenceGemm(2, 2, 2, qa, bad, F32, C),
            "operand B has an invalid format: radix must be a power of two in "
            "[2, 16], got 3");
}

//===----------------------------------------------------------------------===//
// Convolution (C47)
//===----------------------------------------------------------------------===//

TEST(Conv, C47_MatchesDirectLoop) {
  Format i4 = Format::sint(4), u4 = Format::uint(4);
  for (auto [stride, dil] : {std::pair{1, 1}, std::pair{2, 1}, std::pair{1, 2}, std::pair{2, 2}}) {
    ConvShape s;
    s.N = 2; s.H = 6; s.W = 5; s.C = 3; s.KH = 2; s.KW = 3; s.F = 2;
    s.strideH = s.strideW = stride;
    s.dilationH = s.dilationW = dil;
    int OH = s.outH(), OW = s.outW();
    ASSERT_EQ(OH, (6 - dil * 1 - 1) / stride + 1);
    ASSERT_EQ(OW, (5 - dil * 2 - 1) / stride + 1);
    std::vector<uint32_t> in(size_t(s.N) * s.H * s.W * s.C), fl(size_t(s.KH) * s.KW * s.C * s.F);
    for (size_t i = 0; i < in.size(); ++i)
      in[i] = uint32_t((i * 11 + 3) % 16);
    for (size_t i = 0; i < fl.size(); ++i)
      fl[i] = uint32_t((i * 5 + 1) % 16);
    float si = 0.5f, sf[2] = {1.0f, 0.25f};
    QOperand qi{u4, in.data(), ScaleLayout::Tensor, &si};
    QOperand qf{i4, fl.data(), ScaleLayout::Outer, sf};
    std::vector<float> out(size_t(s.N) * OH * OW * s.F);
    ASSERT_EQ(referenceConv2D(s, qi, qf, F32, out.data()), "");
    for (int n = 0; n < s.N; ++n)
      for (int oh = 0; oh < OH; ++oh)
        for (int ow = 0; ow < OW; ++ow)
          for (int f = 0; f < s.F; ++f) {
            double acc = 0;
            for (int kh = 0; kh < s.KH; ++kh)
              for (int kw = 0; kw < s.KW; ++kw)
                for (int c = 0; c < s.C; ++c) {
                  int ih = oh * stride + kh * dil, iw = ow * stride + kw * dil;
                  double x = decode(u4, in[((size_t(n) * s.H + ih) * s.W + iw) * s.C + c]);
                  double w = decode(i4, fl[((size_t(kh) * s.KW + kw) * s.C + c) * s.F + f]);
                  acc += x * w;
                }
            float want = float(acc) * (si * sf[f]);
            EXPECT_EQ(out[((size_t(n) * OH + oh) * OW + ow) * s.F + f], want);
          }
  }
}

// The im2col runs are the C47 order: entry r·K + (kh·KW + kw)·C + c reads
// input (n, oh·sH + kh·dH, ow·sW + kw·dW, c), every entry once, runs in
// increasing order; a row range gives exactly those rows' entries.
TEST(Conv, C47_RunsCoverTheIm2colMatrixInOrder) {
  for (auto [strideB, dilB] : {std::pair{1, 1}, std::pair{2, 1}, std::pair{1, 2}, std::pair{2, 3}}) {
    size_t stride = size_t(strideB), dil = size_t(dilB);
    ConvShape s;
    s.N = 2; s.H = 9; s.W = 8; s.C = 3; s.KH = 2; s.KW = 3; s.F = 1;
    s.strideH = s.strideW = int(stride);
    s.dilationH = s.dilationW = int(dil);
    size_t OH = size_t(s.outH()), OW = size_t(s.outW());
    size_t M = size_t(s.N) * OH * OW, K = size_t(s.KH) * s.KW * s.C;
    auto expectedSrc = [&](size_t i) {
      size_t r = i / K, k = i % K;
      size_t n = r / (OH * OW), oh = r / OW % OH, ow = r % OW;
      size_t kh = k / (size_t(s.KW) * s.C), kw = k / s.C % s.KW, c = k % s.C;
      return ((n * s.H + oh * stride + kh * dil) * s.W + ow * stride +
              kw * dil) * s.C + c;
    };
    std::vector<int> seen(M * K, 0);
    size_t next = 0;
    forEachConvRun(s, [&](size_t dst, size_t src, size_t len) {
      EXPECT_EQ(dst, next);
      EXPECT_EQ(len, dil == 1 ? size_t(s.KW) * s.C : size_t(s.C));
      for (size_t j = 0; j < len; ++j) {
        EXPECT_EQ(src + j, expectedSrc(dst + j)) << "entry " << dst + j;
        seen[dst + j]++;
      }
      next = dst + len;
    });
    EXPECT_EQ(next, M * K);
    EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), ptrdiff_t(M * K));
    // Rows [3, 7) only (clipped to the M rows).
    size_t first = SIZE_MAX, last = 0;
    forEachConvRun(
        s,
        [&](size_t dst, size_t, size_t len) {
          first = std::min(first, dst), last = std::max(last, dst + len);
        },
        3, 7);
    EXPECT_EQ(first, 3 * K);
    EXPECT_EQ(last, std::min<size_t>(7, M) * K);
  }
}

TEST(Conv, C47_ReductionOrderIsKhKwC) {
  // 1x1x5x1 input, 1x5x1x1 filter: products in (kh, kw, c) order are 4096,
  // 1, 1, 1, 1 -> FP16 gives 4096; the reverse order gives 4100.
  ConvShape s;
  s.W = 5; s.KW = 5;
  std::vector<uint32_t> in = {L4_64, L4_1, L4_1, L4_1, L4_1},
                        fl = {L4_64, L4_1, L4_1, L4_1, L4_1};
  float one = 1.0f;
  QOperand qi{kL4, in.data(), ScaleLayout::Tensor, &one};
  QOperand qf{kL4, fl.data(), ScaleLayout::Tensor, &one};
  float out;
  ASSERT_EQ(referenceConv2D(s, qi, qf, F16, &out), "");
  EXPECT_EQ(out, 4096.0f);
  std::reverse(in.begin(), in.end());
  std::reverse(fl.begin(), fl.end());
  ASSERT_EQ(referenceConv2D(s, qi, qf, F16, &out), "");
  EXPECT_EQ(out, 4100.0f);
  s.KW = 6;
  EXPECT_EQ(referenceConv2D(s, qi, qf, F16, &out),
            "convolution window (with dilation) is larger than the input");
  s.KW = 5;
  QOperand rowScaled = qi;
  rowScaled.layout = ScaleLayout::Outer;
  EXPECT_EQ(referenceConv2D(s, rowScaled, qf, F16, &out),
            "convolution input scales must be per-tensor");
}

// exactIntegerLimit agrees with the formats themselves: at the limit every
// integer multiple of the grid is exact, one past it (or past the range) is
// not.
TEST(Accumulate, ExactIntegerLimits) {
  auto half = [](double v) {
    return double(halfBitsToFloat(floatToHalfBits(float(v))));
  };
  for (int lsb : {-24, -6, 0, 4}) {
    int64_t L = exactIntegerLimit(AccumKind::F16, lsb);
    ASSERT_EQ(L, 2048) << lsb;
    for (int64_t k : {int64_t(1), L - 1, L})
      EXPECT_EQ(half(std::ldexp(double(k), lsb)), std::ldexp(double(k), lsb))
          << "k=" << k << " lsb=" << lsb;
    EXPECT_NE(half(std::ldexp(double(L + 1), lsb)),
              std::ldexp(double(L + 1), lsb));
  }
  EXPECT_EQ(exactIntegerLimit(AccumKind::F16, 5), 0); // 2^16 overflows
  EXPECT_EQ(exactIntegerLimit(AccumKind::F16, -25), 0); // below 2^-24
  EXPECT_EQ(exactIntegerLimit(AccumKind::F16Chunked, 0), 2048);
  for (int lsb : {-149, -6, 0, 103}) {
    int64_t L = exactIntegerLimit(AccumKind::F32, lsb);
    ASSERT_EQ(L, int64_t(1) << 24) << lsb;
    EXPECT_EQ(double(float(std::ldexp(double(L), lsb))),
              std::ldexp(double(L), lsb));
    EXPECT_NE(double(float(std::ldexp(double(L + 1), lsb))),
              std::ldexp(double(L + 1), lsb));
  }
  EXPECT_EQ(exactIntegerLimit(AccumKind::F32, 104), 0);
  EXPECT_EQ(exactIntegerLimit(AccumKind::F32, -150), 0);
  EXPECT_GT(exactIntegerLimit(AccumKind::Exact, 0), int64_t(1) << 40);
}

// f16SkipsZeroProducts: where it holds, dropping the terms with a zero
// operand from an F16 dot product gives the same bits (random codes, half of
// A's zero) — also for log<4,5>, whose tiny products round to -0 in FP16;
// where it does not (a NaN/Inf code), 0 · Inf makes the difference.
TEST(Accumulate, F16SkipsZeroProducts) {
  auto codeOf = [](const Format &f, auto pred) {
    for (uint32_t c = 0; c < f.numCodes(); ++c)
      if (pred(decode(f, c)))
        return c;
    ADD_FAILURE() << "no such code in " << f.str();
    return 0u;
  };
  std::mt19937 rng(7);
  Accumulation f16{AccumKind::F16, 0};
  const Format pairs[][2] = {{kL4, Format::sint(4)},
                             {Format::uint(4), kL4},
                             {Format::fp4e2m1(), Format::fp4e2m1()},
                             {Format::log(4, 5, 0), Format::log(4, 5, 0)},
                             {Format::log(4, 5, 0), Format::sint(8)}};
  for (const auto &pr : pairs) {
    const Format &fa = pr[0], &fb = pr[1];
    ASSERT_TRUE(f16SkipsZeroProducts(fa, fb)) << fa.str() << " x " << fb.str();
    uint32_t za = codeOf(fa, [](float v) { return v == 0.0f; });
    for (int trial = 0; trial < 200; ++trial) {
      int K = 1 + int(rng() % 300);
      std::vector<uint32_t> a(K), b(K), a2, b2;
      for (int k = 0; k < K; ++k) {
        a[k] = rng() % 2 ? za : rng() % fa.numCodes();
        b[k] = rng() % fb.numCodes();
        if (decode(fa, a[k]) != 0.0f && decode(fb, b[k]) != 0.0f)
          a2.push_back(a[k]), b2.push_back(b[k]);
      }
      float full = dotCodes(fa, a.data(), 1, fb, b.data(), 1, K, f16);
      float skip = dotCodes(fa, a2.data(), 1, fb, b2.data(), 1,
                            int(a2.size()), f16);
      ASSERT_EQ(floatBits(full), floatBits(skip))
          << fa.str() << " x " << fb.str() << " K=" << K;
    }
  }
  // A tiny negative product rounds to -0 but the sum stays +0.
  Format tiny = Format::log(4, 5, 0), i4 = Format::sint(4);
  uint32_t t[2] = {codeOf(tiny, [&](float v) { return v == -tiny.minPositive(); }),
                   codeOf(tiny, [](float v) { return v == 0.0f; })};
  uint32_t one[2] = {codeOf(i4, [](float v) { return v == 1.0f; }),
                     codeOf(i4, [](float v) { return v == 1.0f; })};
  EXPECT_EQ(floatBits(dotCodes(tiny, t, 1, i4, one, 1, 2, f16)), 0u);
  EXPECT_EQ(floatBits(dotCodes(tiny, t, 1, i4, one, 1, 1, f16)), 0u);
  // e5m2 has Inf codes: 0 · Inf is NaN, the skipped sum is not.
  Format e5 = Format::fp8e5m2();
  EXPECT_FALSE(f16SkipsZeroProducts(e5, i4));
  EXPECT_FALSE(f16SkipsZeroProducts(i4, e5));
  uint32_t z[2] = {codeOf(i4, [](float v) { return v == 0.0f; }), one[0]};
  uint32_t e[2] = {codeOf(e5, [](float v) { return std::isinf(v); }),
                   codeOf(e5, [](float v) { return v == 1.0f; })};
  EXPECT_TRUE(std::isnan(dotCodes(i4, z, 1, e5, e, 1, 2, f16)));
  EXPECT_EQ(dotCodes(i4, z + 1, 1, e5, e + 1, 1, 1, f16), 1.0f);
}

// C48: the overflow-free chunk. Largest products (docs C5/C6 tables):
// uint4 x int4 15·8 = 120 -> 65504/136 = 481 -> 256; log4 x int4 64·8 = 512
// -> 65504/528 = 124 -> 64; log4 phase 1 x uint4 128·15 = 1920 -> 65504/1936
// = 33 -> 32; int4 x int4 64 -> 65504/80 = 818 -> 512; log4 x log4 4096 ->
// 65504/4112 = 15 -> 8. E4M3 x E4M3 (200704) and FP16 (Inf codes): none.
TEST(Accumulation, C48_OverflowFreeChunk) {
  Format u4 = Format::uint(4), i4 = Format::sint(4);
  Format l4p1 = Format::log(4, 3, 1);
  EXPECT_EQ(f16OverflowFreeChunk(u4, i4), 256);
  EXPECT_EQ(f16OverflowFreeChunk(i4, u4), 256);
  EXPECT_EQ(f16OverflowFreeChunk(kL4, i4), 64);
  EXPECT_EQ(f16OverflowFreeChunk(u4, l4p1), 32);
  EXPECT_EQ(f16OverflowFreeChunk(i4, i4), 512);
  EXPECT_EQ(f16OverflowFreeChunk(kL4, kL4), 8);
  EXPECT_EQ(f16OverflowFreeChunk(Format::fp8e4m3(), Format::fp8e4m3()), 0);
  EXPECT_EQ(f16OverflowFreeChunk(Format::fp16(), i4), 0);
}

// The worst case of C48: every product the largest, same sign. The chunk
// keeps every FP16 partial sum finite for any K; twice the chunk overflows
// (so the chunk is the largest power of two that is safe for this data).
TEST(Accumulation, C48_ChunkIsSafeAndTight) {
  Format u4 = Format::uint(4), l4p1 = Format::log(4, 3, 1);
  int c = f16OverflowFreeChunk(u4, l4p1);
  // uint4 15 is code 15; log<4,3,1> 128 is code 7, -128 code 15.
  for (uint32_t g : {7u, 15u}) {
    std::vector<uint32_t> a(1000, 15), b(1000, g);
    float safe = dotCodes(u4, a.data(), 1, l4p1, b.data(), 1, 1000,
                          chunked(c));
    EXPECT_TRUE(std::isfinite(safe));
    EXPECT_EQ(std::fabs(safe), 1000.0f * 1920.0f);
    EXPECT_TRUE(std::isinf(dotCodes(u4, a.data(), 1, l4p1, b.data(), 1, 1000,
                                    chunked(2 * c))));
  }
}
