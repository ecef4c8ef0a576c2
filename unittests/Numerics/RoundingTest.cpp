//===- RoundingTest.cpp - encode, rounding modes, RNG, scale rule ---------===//
//
// Thresholds are derived in the test from the level values (which
// FormatTest.cpp checks against independent tables) with the documented
// formulas, and probed on both sides with std::nextafter. Labels: see
// docs/Formats.md.
//
//===----------------------------------------------------------------------===//
#include "quant4/Numerics/Numerics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

using namespace quant4::num;

namespace {

const Rounding kAllModes[] = {Rounding::NearestLinear, Rounding::NearestLog,
                              Rounding::NearestEven, Rounding::Stochastic,
                              Rounding::StochasticUnderflow};

std::vector<Format> narrowFormats() {
  std::vector<Format> v = {Format::log(4, 3, 0), Format::log(4, 3, 1),
                           Format::log(2, 3, 0), Format::sint(4),
                           Format::uint(4),      Format::fp4e2m1(),
                           Format::fp8e4m3(),    Format::fp8e5m2(),
                           Format::e8m0(),       Format::sint(8),
                           Format::uint(8),      Format::sint(2),
                           Format::uint(2),      Format::log(16, 3, 1),
                           Format::log(2, 7, 0), Format::log(4, 7, 0),
                           Format::log(8, 6, 0), Format::log(16, 2, 0, 0)};
  return v;
}

/// (value, code) of the non-negative levels: codes whose decode is finite,
/// >= 0 and not -0; excludes the Int most-negative code. Sorted by value.
std::vector<std::pair<double, uint32_t>> positiveLevels(const Format &f) {
  std::vector<std::pair<double, uint32_t>> v;
  for (uint32_t c = 0; c < f.numCodes(); ++c) {
    float d = decode(f, c);
    if (std::isfinite(d) && d >= 0 && !std::signbit(d))
      v.push_back({double(d), c});
  }
  std::sort(v.begin(), v.end());
  return v;
}

/// The code whose decode is exactly -v (negative zero for v == 0 in
/// sign-magnitude formats; 0 for Int).
uint32_t negCode(const Format &f, double v) {
  for (uint32_t c = 0; c < f.numCodes(); ++c) {
    float d = decode(f, c);
    if (double(d) == -v && (v != 0 || f.kind == FormatKind::Int || std::signbit(d)))
      return c;
  }
  ADD_FAILURE() << "no code for " << -v << " in " << f.str();
  return 0;
}

float down(float x) { return std::nextafter(x, 0.0f); }
float up(float x) { return std::nextafter(x, INFINITY); }

uint16_t compilerHalf(float x) {
  _Float16 h = static_cast<_Float16>(x);
  uint16_t u;
  std::memcpy(&u, &h, 2);
  return u;
}
uint32_t bitsOf(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}
float floatOf(uint32_t u) {
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}
/// Independent bfloat16 RNE (non-NaN inputs): add 0x7FFF + lsb, truncate.
uint16_t referenceBF16(float x) {
  uint32_t u = bitsOf(x);
  return uint16_t((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

} // namespace

//===----------------------------------------------------------------------===//
// C16: encode o decode is the identity on representable values
//===----------------------------------------------------------------------===//

TEST(Encode, C16_RoundTripEveryCodeEveryMode) {
  for (const Format &f : narrowFormats()) {
    ASSERT_EQ(validateFormat(f), "") << f.str();
    for (uint32_t c = 0; c < f.numCodes(); ++c) {
      float d = decode(f, c);
      if (!std::isfinite(d))
        continue;
      if (f.kind == FormatKind::Int && c == (1u << (f.bits - 1)))
        continue; // most negative code: never produced (C5)
      for (Rounding r : kAllModes)
        for (uint64_t idx : {0ull, 1ull, 12345ull})
          ASSERT_EQ(encode(f, d, r, RngKey{7, 3}, idx), c)
              << f.str() << " code " << c << " " << roundingName(r);
    }
  }
}

TEST(Encode, C16_RoundTripFP16BF16) {
  for (Format f : {Format::fp16(), Format::bf16()})
    for (uint32_t c = 0; c < 65536; ++c) {
      float d = decode(f, c);
      if (std::isnan(d))
        continue;
      for (Rounding r : kAllModes)
        ASSERT_EQ(encode(f, d, r, RngKey{1, 2}, c), c) << f.str() << " " << c;
    }
}

TEST(Encode, C5_IntMostNegativeCodeNeverProduced) {
  Format f = Format::sint(4);
  EXPECT_EQ(decode(f, 8), -8.0f);
  for (Rounding r : kAllModes) {
    EXPECT_EQ(encode(f, -8.0f, r), 9u); // saturates to -7
    EXPECT_EQ(encode(f, -7.6f, r, RngKey{}, 3), 9u);
    EXPECT_EQ(encode(f, -1e30f, r), 9u);
  }
}

//===----------------------------------------------------------------------===//
// C10, C12: nearest-linear / nearest-even thresholds on both sides
//===----------------------------------------------------------------------===//

TEST(Thresholds, C10_C12_LinearMidpointEveryPair) {
  int pairs = 0;
  for (const Format &f : narrowFormats()) {
    auto lv = positiveLevels(f);
    for (size_t i = 0; i + 1 < lv.size(); ++i) {
      double a = lv[i].first, b = lv[i + 1].first;
      uint32_t ca = lv[i].second, cb = lv[i + 1].second;
      double tD = (a + b) / 2;
      float t = float(tD);
      ASSERT_EQ(double(t), tD) << f.str();
      // Linear: ties (exact midpoint) go up, i.e. away from zero (C10).
      EXPECT_EQ(encode(f, t, Rounding::NearestLinear), cb) << f.str() << " t=" << tD;
      EXPECT_EQ(encode(f, down(t), Rounding::NearestLinear), ca) << f.str() << " t=" << tD;
      EXPECT_EQ(encode(f, up(t), Rounding::NearestLinear), cb) << f.str();
      // Even: the tie goes to the even code (even level index) (C12).
      EXPECT_EQ(encode(f, t, Rounding::NearestEven), (ca % 2 == 0) ? ca : cb)
          << f.str() << " t=" << tD;
      EXPECT_EQ(encode(f, down(t), Rounding::NearestEven), ca) << f.str();
      EXPECT_EQ(encode(f, up(t), Rounding::NearestEven), cb) << f.str();
      if (f.isSigned()) {
        EXPECT_EQ(encode(f, -t, Rounding::NearestLinear), negCode(f, b)) << f.str();
        EXPECT_EQ(encode(f, -down(t), Rounding::NearestLinear), negCode(f, a))
            << f.str();
      }
      ++pairs;
    }
  }
  EXPECT_GT(pairs, 1000);
}

// C10 as written in the paper: between 4^(n-1) and 4^n the threshold is
// 2.5 * 4^(n-1) = 4^n / 1.6; between 0 and 4^-3 it is 4^-3 / 2.
TEST(Thresholds, C10_Radix4PaperThresholds) {
  Format f = Format::log(4, 3, 0);
  for (int n = -2; n <= 3; ++n) {
    float t = float(2.5 * std::pow(4.0, n - 1));
    uint32_t lowCode = uint32_t(n - 1 + 4), highCode = uint32_t(n + 4);
    EXPECT_EQ(encode(f, t, Rounding::NearestLinear), highCode) << n;
    EXPECT_EQ(encode(f, down(t), Rounding::NearestLinear), lowCode) << n;
    EXPECT_EQ(double(t), std::pow(4.0, n) / 1.6);
  }
  EXPECT_EQ(encode(f, 1.0f / 128, Rounding::NearestLinear), 1u);
  EXPECT_EQ(encode(f, down(1.0f / 128), Rounding::NearestLinear), 0u);
  // Phase 1 (2*4^k): between 2 and 8 the threshold is 5.
  Format p1 = Format::log(4, 3, 1);
  EXPECT_EQ(encode(p1, 5.0f, Rounding::NearestLinear), 5u);
  EXPECT_EQ(encode(p1, down(5.0f), Rounding::NearestLinear), 4u);
  // LUQ round-to-nearest-power: 2^floor(log2(x) + log2(4/3)): threshold 1.5*2^n.
  Format l2 = Format::log(2, 3, 0);
  EXPECT_EQ(encode(l2, 1.5f, Rounding::NearestLinear), 5u);
  EXPECT_EQ(encode(l2, down(1.5f), Rounding::NearestLinear), 4u);
  // Even exponent code: 1.5 ties between code 4 (1.0) and code 5 (2.0).
  EXPECT_EQ(encode(l2, 1.5f, Rounding::NearestEven), 4u);
  EXPECT_EQ(encode(l2, 3.0f, Rounding::NearestEven), 6u);
}

//===----------------------------------------------------------------------===//
// C11: nearest in the log domain (geometric midpoint), exact comparison
//===----------------------------------------------------------------------===//

TEST(Thresholds, C11_GeometricMidpointEveryPair) {
  int pairs = 0;
  for (const Format &f : narrowFormats()) {
    auto lv = positiveLevels(f);
    for (size_t i = 0; i + 1 < lv.size(); ++i) {
      double a = lv[i].first, b = lv[i + 1].first;
      uint32_t ca = lv[i].second, cb = lv[i + 1].second;
      if (a == 0) { // degenerate: linear midpoint b/2, tie up
        float t = float(b / 2);
        EXPECT_EQ(encode(f, t, Rounding::NearestLog), cb) << f.str();
        EXPECT_EQ(encode(f, down(t), Rounding::NearestLog), ca) << f.str();
        continue;
      }
      // Largest float x0 with x0^2 < a*b (long double squares are exact
      // enough for these few-bit levels: a*b and x^2 <= 48 bits).
      long double ab = (long double)a * b;
      float x0 = float(std::sqrt(double(ab)));
      while ((long double)x0 * x0 >= ab)
        x0 = down(x0);
      while ((long double)up(x0) * up(x0) < ab)
        x0 = up(x0);
      EXPECT_EQ(encode(f, x0, Rounding::NearestLog), ca) << f.str() << " a=" << a;
      EXPECT_EQ(encode(f, up(x0), Rounding::NearestLog), cb) << f.str() << " a=" << a;
      ++pairs;
    }
  }
  EXPECT_GT(pairs, 1000);
}

TEST(Thresholds, C11_HandExamples) {
  Format l4 = Format::log(4, 3, 0);
  EXPECT_EQ(encode(l4, 2.0f, Rounding::NearestLog), 5u); // sqrt(1*4) = 2: tie up
  EXPECT_EQ(encode(l4, down(2.0f), Rounding::NearestLog), 4u);
  EXPECT_EQ(encode(l4, 2.2f, Rounding::NearestLog), 5u); // linear would give 1
  EXPECT_EQ(encode(l4, 2.2f, Rounding::NearestLinear), 4u);
  Format l2 = Format::log(2, 3, 0);
  EXPECT_EQ(encode(l2, 1.4142135f, Rounding::NearestLog), 4u); // < sqrt 2
  EXPECT_EQ(encode(l2, 1.4142137f, Rounding::NearestLog), 5u); // > sqrt 2
  Format i4 = Format::sint(4); // defined for ints too: sqrt(6) ~ 2.4495
  EXPECT_EQ(encode(i4, 2.449f, Rounding::NearestLog), 2u);
  EXPECT_EQ(encode(i4, 2.45f, Rounding::NearestLog), 3u);
  EXPECT_EQ(encode(i4, 0.49f, Rounding::NearestLog), 0u);
  EXPECT_EQ(encode(i4, 0.5f, Rounding::NearestLog), 1u);
}

//===----------------------------------------------------------------------===//
// C7, C8, C9, C17, C19: zero, NaN, Inf, saturation, subnormal inputs
//===----------------------------------------------------------------------===//

TEST(Specials, C7_SignedZero) {
  for (Rounding r : kAllModes) {
    EXPECT_EQ(encode(Format::log(4, 3, 0), 0.0f, r), 0u);
    EXPECT_EQ(encode(Format::log(4, 3, 0), -0.0f, r), 8u);
    EXPECT_EQ(encode(Format::fp4e2m1(), -0.0f, r), 8u);
    EXPECT_EQ(encode(Format::fp8e4m3(), -0.0f, r), 0x80u);
    EXPECT_EQ(encode(Format::fp8e5m2(), -0.0f, r), 0x80u);
    EXPECT_EQ(encode(Format::fp16(), -0.0f, r), 0x8000u);
    EXPECT_EQ(encode(Format::bf16(), -0.0f, r), 0x8000u);
    EXPECT_EQ(encode(Format::sint(4), -0.0f, r), 0u);
    EXPECT_EQ(encode(Format::uint(4), -0.0f, r), 0u);
  }
  // A negative value that rounds to zero keeps its sign.
  EXPECT_EQ(encode(Format::log(4, 3, 0), -0.001f, Rounding::NearestLinear), 8u);
  EXPECT_TRUE(std::signbit(decode(Format::log(4, 3, 0), 8)));
  EXPECT_EQ(encode(Format::sint(4), -0.3f, Rounding::NearestLinear), 0u);
}

TEST(Specials, C8_NaN) {
  float nan = std::nanf("");
  for (Rounding r : kAllModes) {
    EXPECT_EQ(encode(Format::log(4, 3, 0), nan, r), 0u);
    EXPECT_EQ(encode(Format::log(4, 3, 0), -nan, r), 0u);
    EXPECT_EQ(encode(Format::sint(4), nan, r), 0u);
    EXPECT_EQ(encode(Format::uint(4), nan, r), 0u);
    EXPECT_EQ(encode(Format::fp4e2m1(), nan, r), 0u);
    EXPECT_EQ(encode(Format::fp8e4m3(), nan, r), 0x7Fu);
    EXPECT_EQ(encode(Format::fp8e5m2(), nan, r), 0x7Eu);
    EXPECT_EQ(encode(Format::e8m0(), nan, r), 0xFFu);
    EXPECT_EQ(encode(Format::fp16(), nan, r), 0x7E00u);
    EXPECT_EQ(encode(Format::bf16(), nan, r), 0x7FC0u);
  }
  EXPECT_TRUE(std::isnan(decode(Format::fp8e4m3(), 0xFF)));
  EXPECT_TRUE(std::isnan(decode(Format::fp8e5m2(), 0x7E)));
  EXPECT_TRUE(std::isnan(decode(Format::fp32(), encode(Format::fp32(), nan,
                                                       Rounding::NearestEven))));
}

TEST(Specials, C9_InfAndSaturation) {
  float inf = INFINITY, big = 3.0e38f;
  for (Rounding r : kAllModes) {
    for (uint64_t idx = 0; idx < 4; ++idx) {
      RngKey k{99, idx};
      EXPECT_EQ(encode(Format::log(4, 3, 0), inf, r, k, idx), 7u);
      EXPECT_EQ(encode(Format::log(4, 3, 0), -inf, r, k, idx), 15u);
      EXPECT_EQ(encode(Format::log(4, 3, 0), 100.0f, r, k, idx), 7u);
      EXPECT_EQ(encode(Format::log(4, 3, 0), -big, r, k, idx), 15u);
      EXPECT_EQ(encode(Format::sint(4), inf, r, k, idx), 7u);
      EXPECT_EQ(encode(Format::sint(4), -inf, r, k, idx), 9u);
      EXPECT_EQ(encode(Format::sint(4), 7.4f, r, k, idx), 7u);
      EXPECT_EQ(encode(Format::uint(4), inf, r, k, idx), 15u);
      EXPECT_EQ(encode(Format::uint(4), -inf, r, k, idx), 0u);
      EXPECT_EQ(encode(Format::uint(4), -3.0f, r, k, idx), 0u);
      EXPECT_EQ(encode(Format::fp4e2m1(), 6.9f, r, k, idx), 7u);
      EXPECT_EQ(encode(Format::fp4e2m1(), -inf, r, k, idx), 15u);
      EXPECT_EQ(encode(Format::fp8e4m3(), inf, r, k, idx), 0x7Eu);
      EXPECT_EQ(encode(Format::fp8e4m3(), -500.0f, r, k, idx), 0xFEu);
      EXPECT_EQ(encode(Format::fp8e5m2(), inf, r, k, idx), 0x7Cu);
      EXPECT_EQ(encode(Format::fp8e5m2(), -inf, r, k, idx), 0xFCu);
      EXPECT_EQ(encode(Format::fp8e5m2(), big, r, k, idx), 0x7Bu);
      EXPECT_EQ(encode(Format::fp8e5m2(), 65000.0f, r, k, idx), 0x7Bu);
      EXPECT_EQ(encode(Format::e8m0(), inf, r, k, idx), 0xFEu);
      EXPECT_EQ(encode(Format::fp16(), inf, r, k, idx), 0x7C00u);
      EXPECT_EQ(encode(Format::fp16(), big, r, k, idx), 0x7C00u);
      EXPECT_EQ(encode(Format::bf16(), -inf, r, k, idx), 0xFF80u);
    }
  }
  // FP16 is IEEE (not saturating): 65520 = 65504 + half ulp rounds to Inf.
  EXPECT_EQ(encode(Format::fp16(), 65520.0f, Rounding::NearestEven), 0x7C00u);
  EXPECT_EQ(encode(Format::fp16(), down(65520.0f), Rounding::NearestEven), 0x7BFFu);
  EXPECT_EQ(compilerHalf(65520.0f), 0x7C00u);
  // BF16 overflow: FLT_MAX rounds to Inf (independent formula agrees).
  EXPECT_EQ(encode(Format::bf16(), 3.4028235e38f, Rounding::NearestEven),
            referenceBF16(3.4028235e38f));
}

TEST(Specials, C17_E8M0) {
  Format f = Format::e8m0();
  EXPECT_EQ(encode(f, 0.0f, Rounding::NearestLinear), 0u);  // no zero: min
  EXPECT_EQ(encode(f, -0.0f, Rounding::NearestLinear), 0u);
  EXPECT_EQ(encode(f, 1e-45f, Rounding::NearestLinear), 0u);
  EXPECT_EQ(encode(f, -1.0f, Rounding::NearestLinear), 0xFFu); // negative: NaN
  EXPECT_EQ(encode(f, 1.0f, Rounding::NearestLinear), 127u);
  EXPECT_EQ(encode(f, 3.0f, Rounding::NearestLinear), 129u); // tie 2|4 -> up
  EXPECT_EQ(encode(f, 3.0f, Rounding::NearestEven), 128u);   // even code
  EXPECT_EQ(encode(f, 2.9f, Rounding::NearestLog), 129u);    // > 2*sqrt2
  EXPECT_EQ(encode(f, 2.8f, Rounding::NearestLog), 128u);
}

TEST(Specials, C19_SubnormalInputs) {
  float sub = 1e-40f; // float32 subnormal
  ASSERT_EQ(std::fpclassify(sub), FP_SUBNORMAL);
  EXPECT_EQ(encode(Format::log(4, 3, 0), sub, Rounding::NearestLinear), 0u);
  EXPECT_EQ(encode(Format::log(4, 3, 0), -sub, Rounding::NearestLinear), 8u);
  EXPECT_EQ(encode(Format::sint(4), sub, Rounding::NearestEven), 0u);
  EXPECT_EQ(encode(Format::fp8e4m3(), sub, Rounding::NearestEven), 0u);
  EXPECT_EQ(encode(Format::bf16(), sub, Rounding::NearestEven), referenceBF16(sub));
  EXPECT_EQ(encode(Format::fp32(), sub, Rounding::NearestEven), bitsOf(sub));
  // Output subnormals of E4M3: 2^-10 ties between 0 and 2^-9.
  Format e4 = Format::fp8e4m3();
  EXPECT_EQ(encode(e4, std::ldexp(1.0f, -10), Rounding::NearestEven), 0u);
  EXPECT_EQ(encode(e4, std::ldexp(1.0f, -10), Rounding::NearestLinear), 1u);
  EXPECT_EQ(encode(e4, 3 * std::ldexp(1.0f, -10), Rounding::NearestEven), 2u);
  // Stochastic in the subnormal range of a log format: P(up) = x/min.
  int ups = 0;
  for (uint64_t i = 0; i < 20000; ++i)
    ups += encode(Format::log(4, 3, 0), sub, Rounding::Stochastic, {5, 5}, i) == 1;
  EXPECT_EQ(ups, 0); // 1e-40 / (1/64): probability ~6e-39
}

//===----------------------------------------------------------------------===//
// FP16 / BF16 conversions against independent references
//===----------------------------------------------------------------------===//

TEST(HalfConversion, C12_FP16MidpointsAgainstCompiler) {
  for (uint32_t c = 0; c + 1 < 0x7C00; ++c) {
    float a = decode(Format::fp16(), c), b = decode(Format::fp16(), c + 1);
    float mid = float((double(a) + double(b)) / 2);
    for (float x : {mid, down(mid), up(mid), -mid, -down(mid)})
      ASSERT_EQ(floatToHalfBits(x), compilerHalf(x)) << x;
  }
}

TEST(HalfConversion, C12_RandomFloatsAgainstCompilerAndBitFormula) {
  std::mt19937 gen(1234);
  for (int i = 0; i < 1000000; ++i) {
    uint32_t u = gen();
    if (i % 2) // concentrate half of the samples on the FP16 range
      u = (u & 0x80FFFFFFu) | (uint32_t(0x60 + (u >> 24) % 0x20) << 24);
    float x = floatOf(u);
    if (std::isnan(x)) {
      ASSERT_EQ(floatToHalfBits(x) & 0x7FFFu, 0x7E00u);
      continue;
    }
    ASSERT_EQ(floatToHalfBits(x), compilerHalf(x)) << std::hex << u;
    ASSERT_EQ(floatToBF16Bits(x), referenceBF16(x)) << std::hex << u;
  }
}

TEST(HalfConversion, C12_DoubleToHalfSingleRounding) {
  // 1 + 2^-11 + 2^-40: a float conversion would first round to 1 + 2^-11
  // (a tie, then to even 1.0); one rounding from the double gives 1 + 2^-10.
  double x = 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40);
  EXPECT_EQ(doubleToHalfBits(x), 0x3C01u);
  EXPECT_EQ(floatToHalfBits(float(x)), 0x3C00u);
  EXPECT_EQ(halfBitsToFloat(0x3C01), 1.0f + std::ldexp(1.0f, -10));
}

//===----------------------------------------------------------------------===//
// C13, C14, C15: stochastic rounding and the counter-based generator
//===----------------------------------------------------------------------===//

TEST(Rng, C15_PhiloxKnownAnswers) {
  // Random123 tests/kat_vectors, "philox4x32 10" lines.
  struct Kat { uint32_t ctr[4], key[2], out[4]; } kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}};
  for (const Kat &k : kats) {
    uint32_t out[4];
    philox4x32x10(k.ctr, k.key, out);
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(out[i], k.out[i]) << i;
  }
  // randomBits maps (seed, stream, index) onto that counter/key layout.
  EXPECT_EQ(randomBits(RngKey{0, 0}, 0), 0x6627e8d5u);
  EXPECT_EQ(randomBits(RngKey{0x299f31d0a4093822ull, 0x0370734413198a2eull},
                       0x85a308d3243f6a88ull),
            0xd16cfe09u);
}

TEST(Rng, C15_ReproducibleAndKeyed) {
  int sameSeed = 0, sameStream = 0, sameIndex = 0;
  double sum = 0;
  const int n = 1000000;
  for (uint64_t i = 0; i < uint64_t(n); ++i) {
    uint32_t a = randomBits({42, 7}, i);
    ASSERT_EQ(a, randomBits({42, 7}, i));
    sum += a;
    if (i < 10000) {
      sameSeed += a == randomBits({43, 7}, i);
      sameStream += a == randomBits({42, 8}, i);
      sameIndex += a == randomBits({42, 7}, i + 1);
    }
  }
  EXPECT_LE(sameSeed, 2);
  EXPECT_LE(sameStream, 2);
  EXPECT_LE(sameIndex, 2);
  // Uniform mean: (2^32-1)/2, sigma of the mean = 2^32/sqrt(12 n).
  double mean = sum / n, sigma = 4294967296.0 / std::sqrt(12.0 * n);
  EXPECT_LT(std::fabs(mean - 2147483647.5), 5 * sigma);
}

namespace {
struct SrCase {
  Format f;
  float x;
  double a, b; // neighbouring levels (hand-worked)
  Rounding r;
};
} // namespace

// Unbiased: E[decode(encode(x))] = x; 10^6 draws per case, 5-sigma bound.
TEST(Stochastic, C13_C14_UnbiasedFiveSigma) {
  const SrCase cases[] = {
      {Format::log(4, 3, 0), 2.2f, 1, 4, Rounding::Stochastic},
      {Format::log(4, 3, 0), -20.0f, -16, -64, Rounding::Stochastic},
      {Format::log(4, 3, 0), 0.003f, 0, 1.0 / 64, Rounding::Stochastic},
      {Format::log(4, 3, 1), 3.0f, 2, 8, Rounding::StochasticUnderflow},
      {Format::log(2, 3, 0), 0.05f, 0, 0.125, Rounding::StochasticUnderflow},
      {Format::log(2, 3, 0), 5.5f, 4, 8, Rounding::StochasticUnderflow},
      {Format::sint(4), -2.3f, -2, -3, Rounding::Stochastic},
      {Format::fp4e2m1(), 3.7f, 3, 4, Rounding::Stochastic},
      {Format::fp8e4m3(), 100.3f, 96, 104, Rounding::Stochastic},
  };
  const int n = 1000000;
  uint64_t stream = 0;
  for (const SrCase &c : cases) {
    double sum = 0;
    int ups = 0;
    for (int i = 0; i < n; ++i) {
      double v = decode(c.f, encode(c.f, c.x, c.r, RngKey{2024, stream}, uint64_t(i)));
      ASSERT_TRUE(v == c.a || v == c.b) << c.f.str() << " " << v;
      sum += v;
      ups += v == c.b;
    }
    ++stream;
    double p = (double(c.x) - c.a) / (c.b - c.a);
    double sigmaP = std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(double(ups) / n, p, 5 * sigmaP) << c.f.str() << " x=" << c.x;
    double sigmaMean = std::fabs(c.b - c.a) * sigmaP;
    EXPECT_NEAR(sum / n, double(c.x), 5 * sigmaMean) << c.f.str() << " x=" << c.x;
  }
}

// LUQ as published: below alpha: alpha with probability |x|/alpha; between
// 2^(n-1)a and 2^n a: up with probability (x - 2^(n-1)a) / (2^(n-1)a).
TEST(Stochastic, C14_LuqFormula) {
  Format f = Format::log(2, 3, 0); // alpha = 1/8
  const int n = 400000;
  struct { float x; double pUp; uint32_t upCode; } cs[] = {
      {0.05f, 0.05 / 0.125, 1u}, {3.0f, (3.0 - 2.0) / 2.0, 6u},
      {-0.1f, 0.1 / 0.125, 9u}, {1.25f, 0.25, 5u}};
  for (auto &c : cs) {
    int ups = 0;
    for (int i = 0; i < n; ++i)
      ups += encode(f, c.x, Rounding::StochasticUnderflow, {77, 1}, i) == c.upCode;
    double s = std::sqrt(c.pUp * (1 - c.pUp) / n);
    EXPECT_NEAR(double(ups) / n, c.pUp, 5 * s) << c.x;
  }
}

TEST(Stochastic, C14_SameAsStochasticOnEveryGrid) {
  for (const Format &f : narrowFormats()) {
    std::mt19937 gen(7);
    std::uniform_real_distribution<float> d(-float(f.maxValue()) * 1.2f,
                                            float(f.maxValue()) * 1.2f);
    for (uint64_t i = 0; i < 3000; ++i) {
      float x = d(gen) * (i % 3 == 0 ? 1e-3f : 1.0f);
      ASSERT_EQ(encode(f, x, Rounding::Stochastic, {3, 4}, i),
                encode(f, x, Rounding::StochasticUnderflow, {3, 4}, i))
          << f.str() << " " << x;
    }
  }
}

TEST(Stochastic, C13_ReproducibleOrderIndependentKeyed) {
  Format f = Format::log(4, 3, 0);
  const int n = 5000;
  std::vector<uint32_t> fwd(n), rev(n);
  for (int i = 0; i < n; ++i)
    fwd[i] = encode(f, 2.5f, Rounding::Stochastic, {11, 22}, i);
  for (int i = n - 1; i >= 0; --i)
    rev[i] = encode(f, 2.5f, Rounding::Stochastic, {11, 22}, i);
  EXPECT_EQ(fwd, rev);
  int diff = 0;
  for (int i = 0; i < n; ++i)
    diff += fwd[i] != encode(f, 2.5f, Rounding::Stochastic, {12, 22}, i);
  // Two independent Bernoulli(0.5) sequences differ in ~n/2 places.
  EXPECT_GT(diff, n / 2 - 5 * 36);
  EXPECT_LT(diff, n / 2 + 5 * 36);
  // The decision is exactly u*(b-a) < (x-a)*2^32 with u = randomBits (C13).
  for (int i = 0; i < 2000; ++i) {
    double u = randomBits({11, 22}, i);
    uint32_t want = u * 3.0 < 1.5 * 4294967296.0 ? 5u : 4u;
    ASSERT_EQ(fwd[i], want) << i;
  }
}

//===----------------------------------------------------------------------===//
// C20: the scale rule; C21: counters
//===----------------------------------------------------------------------===//

TEST(ScaleRule, C20_QuantizeDequantize) {
  Format l4 = Format::log(4, 3, 0);
  EXPECT_EQ(quantize(l4, 10.0f, 2.5f, Rounding::NearestLinear), 5u); // 4
  EXPECT_EQ(dequantize(l4, 5, 2.5f), 10.0f);
  EXPECT_EQ(fakeQuant(Format::sint(4), 3.3f, 0.5f, Rounding::NearestLinear), 3.5f);
  EXPECT_EQ(fakeQuant(Format::sint(4), -30.0f, 0.5f, Rounding::NearestLinear), -3.5f);
  // Invalid scales behave as a NaN input; dequantize gives NaN.
  for (float s : {0.0f, -1.0f, std::nanf(""), INFINITY, -0.0f}) {
    EXPECT_EQ(quantize(l4, 1.0f, s, Rounding::NearestLinear), 0u) << s;
    EXPECT_EQ(quantize(Format::fp8e4m3(), 1.0f, s, Rounding::NearestLinear), 0x7Fu);
    EXPECT_TRUE(std::isnan(dequantize(l4, 5, s))) << s;
    EXPECT_TRUE(std::isnan(fakeQuant(l4, 1.0f, s, Rounding::NearestLinear)));
  }
  // Subnormal scales are legal.
  EXPECT_EQ(quantize(l4, 1e-40f, 1e-40f, Rounding::NearestLinear), 4u);
}

TEST(ScaleRule, C20_DivisionIsFloat32) {
  // Find x with real x/s < 2.5 but float32(x/s) == 2.5: the float32 division
  // decides, so NearestLinear (ties up) gives 3, not 2.
  Format i4 = Format::sint(4);
  float s = 0.3f;
  bool found = false;
  float x = 2.5f * s;
  for (int k = 0; k < 64 && !found; ++k, x = down(x)) {
    if (double(x) / double(s) < 2.5 && x / s == 2.5f)
      found = true;
    if (found) {
      EXPECT_EQ(quantize(i4, x, s, Rounding::NearestLinear), 3u);
      EXPECT_EQ(encode(i4, float(double(x) / double(s)) , Rounding::NearestLinear), 3u);
    }
  }
  x = 2.5f * s;
  for (int k = 0; k < 64 && !found; ++k, x = up(x))
    if (double(x) / double(s) < 2.5 && x / s == 2.5f) {
      found = true;
      EXPECT_EQ(quantize(i4, x, s, Rounding::NearestLinear), 3u);
    }
  EXPECT_TRUE(found);
}

TEST(ScaleRule, C21_Counters) {
  const float x[] = {0.001f, 100.0f, std::nanf(""), -INFINITY, 1.0f, 0.0f, -7.0f};
  uint32_t codes[7];
  QuantStats st;
  quantizeArray(Format::sint(4), x, 7, 1.0f, Rounding::NearestEven, codes, {}, 0, &st);
  EXPECT_EQ(st.total, 7u);
  EXPECT_EQ(st.zeroed, 1u);
  EXPECT_EQ(st.saturated, 1u);
  EXPECT_EQ(st.nan, 1u);
  EXPECT_EQ(st.inf, 1u);
  const uint32_t want[] = {0, 7, 0, 9, 1, 0, 9};
  for (int i = 0; i < 7; ++i)
    EXPECT_EQ(codes[i], want[i]) << i;
  float out[7];
  fakeQuantArray(Format::sint(4), x, 7, 2.0f, Rounding::NearestEven, out);
  const float wantOut[] = {0, 14, 0, -14, 0, 0, -8}; // 0.5 ties to even 0
  for (int i = 0; i < 7; ++i)
    EXPECT_EQ(out[i], wantOut[i]) << i;
  // Array element i uses RNG index indexBase + i.
  float y[3] = {2.5f, 2.5f, 2.5f};
  uint32_t c3[3];
  quantizeArray(Format::log(4, 3, 0), y, 3, 1.0f, Rounding::Stochastic, c3, {9, 9}, 100);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(c3[i], encode(Format::log(4, 3, 0), 2.5f, Rounding::Stochastic, {9, 9}, 100 + i));
}

TEST(Names, C1_RoundingNames) {
  for (Rounding r : kAllModes)
    EXPECT_EQ(parseRounding(roundingName(r)), r);
  EXPECT_EQ(roundingName(Rounding::NearestLinear), "nearest");
  EXPECT_FALSE(parseRounding("nearest-even").has_value());
}

// C20, two-level scales: the tensor scale multiplies the block scale for
// quantizing, and the block-scaled value for decoding (block scale first).
TEST(Scale, C20_TwoLevel) {
  Format e2m1 = Format::fp4e2m1();
  EXPECT_EQ(twoLevelScale(2.25f, 0.5f), 1.125f);
  EXPECT_EQ(dequantizeTwoLevel(e2m1, 7, 2.25f, 2.0f), 27.0f); // 6·2.25·2
  // Not the same rounding as decode·(s·t): with code 3 (1.5), s = 1.1f and
  // t = 1/3, (1.5 · s) · t and 1.5 · (s · t) differ in the last bit.
  float s = 1.1f, t = 1.0f / 3.0f;
  volatile float vs = s, vt = t; // the products below rounded as written
  float blockFirst = (1.5f * vs) * vt, tensorFirst = 1.5f * (vs * vt);
  ASSERT_NE(blockFirst, tensorFirst);
  EXPECT_EQ(dequantizeTwoLevel(e2m1, 3, s, t), blockFirst);
  EXPECT_EQ(dequantizeTwoLevel(e2m1, 3, 3.0f, t), (1.5f * 3.0f) * t);
  EXPECT_TRUE(std::isnan(dequantizeTwoLevel(e2m1, 3, 0.0f, 1.0f)));
  EXPECT_EQ(dequantizeTwoLevel(e2m1, 3, 3.0f, 1.0f), dequantize(e2m1, 3, 3.0f));
  // Fake quantization with two levels: quantized with s·t, decoded block
  // scale first. 0.55 / (1.1·(1/3)) = 1.5 -> code 3 -> (1.5·s)·t.
  EXPECT_EQ(quantize(e2m1, 0.55f, twoLevelScale(s, t), Rounding::NearestEven),
            3u);
  EXPECT_EQ(fakeQuantTwoLevel(e2m1, 0.55f, s, t, Rounding::NearestEven),
            blockFirst);
  // t = 1 is fakeQuant, for every rounding mode (stochastic: same index).
  for (float x : {0.55f, -2.7f, 100.0f, 0.0f, -0.0f, 1e-30f})
    for (Rounding r : kAllModes)
      EXPECT_EQ(floatBits(fakeQuantTwoLevel(e2m1, x, s, 1.0f, r, {3, 4}, 7)),
                floatBits(fakeQuant(e2m1, x, s, r, {3, 4}, 7)));
  EXPECT_TRUE(std::isnan(fakeQuantTwoLevel(e2m1, 1.0f, 0.0f, t,
                                           Rounding::NearestEven)));
}

TEST(Dropout, C49_ThresholdAndScale) {
  EXPECT_EQ(dropoutThreshold(0.0), 0u);
  EXPECT_EQ(dropoutThreshold(-0.5), 0u);
  EXPECT_EQ(dropoutThreshold(0.5), 0x80000000u);
  EXPECT_EQ(dropoutThreshold(0.25), 0x40000000u);
  // floor(0.2 * 2^32) = 858993459.2 -> 858993459.
  EXPECT_EQ(dropoutThreshold(0.2), 858993459u);
  EXPECT_EQ(dropoutScale(0.0), 1.0f);
  EXPECT_EQ(dropoutScale(0.5), 2.0f);
  EXPECT_EQ(dropoutScale(0.2), 1.25f);
  EXPECT_EQ(dropoutScale(0.75), 4.0f);
}

TEST(Dropout, C49_MaskIsTheGeneratorsDraw) {
  RngKey key{0x1234, (uint64_t(1) << 40) + 2};
  uint32_t t = dropoutThreshold(0.3);
  float s = dropoutScale(0.3);
  size_t dropped = 0, n = 200000;
  for (uint64_t i = 0; i < n; ++i) {
    bool drop = randomBits(key, i) < t;
    float y = dropout(3.0f, key, i, t, s);
    ASSERT_EQ(floatBits(y), floatBits(drop ? 0.0f : 3.0f * s)) << i;
    dropped += drop;
  }
  // 0.3 of the elements within 5 standard deviations (sd = 0.001).
  EXPECT_NEAR(double(dropped) / double(n), 0.3, 0.005);
  // The mask is keyed by the stream: another stream drops other elements.
  RngKey other{0x1234, (uint64_t(1) << 40) + 3};
  size_t differ = 0;
  for (uint64_t i = 0; i < 1000; ++i)
    differ += (randomBits(key, i) < t) != (randomBits(other, i) < t);
  EXPECT_GT(differ, 300u);
}

TEST(Dropout, C49_SpecialValues) {
  RngKey key{7, 0};
  uint32_t t = dropoutThreshold(0.5);
  float s = dropoutScale(0.5);
  uint64_t kept = 0, gone = 0;
  while (randomBits(key, kept) < t)
    ++kept;
  while (randomBits(key, gone) >= t)
    ++gone;
  // A dropped element is x * 0: NaN stays NaN, -x gives -0.
  EXPECT_TRUE(std::isnan(dropout(NAN, key, gone, t, s)));
  EXPECT_EQ(floatBits(dropout(-5.0f, key, gone, t, s)), floatBits(-0.0f));
  EXPECT_EQ(dropout(-5.0f, key, kept, t, s), -10.0f);
  EXPECT_EQ(dropout(INFINITY, key, kept, t, s), INFINITY);
  // Ratio 0: the identity.
  EXPECT_EQ(floatBits(dropout(-0.0f, key, 0, dropoutThreshold(0), 1.0f)),
            floatBits(-0.0f));
}
