//===- FormatTest.cpp - decode tables, validation, names ------------------===//
//
// Expected values are computed independently of the library: literal tables
// for the 4-bit formats, closed-form formulas (std::pow / std::ldexp) or the
// compiler's own _Float16 / bit-level bfloat16 for the wider ones.
// Constraint labels refer to docs/Formats.md.
//
//===----------------------------------------------------------------------===//
#include "quant4/Numerics/Numerics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

using namespace quant4::num;

namespace {

// Literal tables of docs/Formats.md, codes 0..15.
const double kLog4P0[16] = {0, 1.0 / 64, 1.0 / 16, 1.0 / 4, 1, 4, 16, 64,
                            -0.0, -1.0 / 64, -1.0 / 16, -1.0 / 4, -1, -4, -16, -64};
const double kLog4P1[16] = {0, 1.0 / 32, 1.0 / 8, 1.0 / 2, 2, 8, 32, 128,
                            -0.0, -1.0 / 32, -1.0 / 8, -1.0 / 2, -2, -8, -32, -128};
const double kLog2[16] = {0, 0.125, 0.25, 0.5, 1, 2, 4, 8,
                          -0.0, -0.125, -0.25, -0.5, -1, -2, -4, -8};
const double kInt4[16] = {0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1};
const double kUInt4[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
const double kE2M1[16] = {0, 0.5, 1, 1.5, 2, 3, 4, 6,
                          -0.0, -0.5, -1, -1.5, -2, -3, -4, -6};

void expectTable(const Format &f, const double *table) {
  ASSERT_EQ(f.numCodes(), 16u) << f.str();
  for (uint32_t c = 0; c < 16; ++c) {
    float v = decode(f, c);
    EXPECT_EQ(double(v), table[c]) << f.str() << " code " << c;
    EXPECT_EQ(std::signbit(v), std::signbit(table[c])) << f.str() << " code " << c;
  }
}

float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

} // namespace

TEST(FormatTables, C6_Log4Phase0Default) {
  Format f = Format::log(4, 3, 0);
  EXPECT_EQ(f.bias, 4);
  expectTable(f, kLog4P0);
}
TEST(FormatTables, C6_Log4Phase1) { expectTable(Format::log(4, 3, 1), kLog4P1); }
TEST(FormatTables, C6_Log2Luq) { expectTable(Format::log(2, 3, 0), kLog2); }
TEST(FormatTables, C5_Int4TwosComplement) { expectTable(Format::sint(4), kInt4); }
TEST(FormatTables, C5_UInt4) { expectTable(Format::uint(4), kUInt4); }
TEST(FormatTables, C2_E2M1) { expectTable(Format::fp4e2m1(), kE2M1); }

// C6: every legal 8-bit-or-narrower log format with default bias, and a few
// explicit biases: decode(code) = (-1)^s * radix^(e-bias) * sqrt(radix)^phase.
TEST(FormatTables, C6_AllLogFormatsFormula) {
  int checked = 0;
  for (int radix : {2, 4, 8, 16})
    for (int ebits = 1; ebits <= 7; ++ebits)
      for (int phase : {0, 1})
        for (int dbias : {0, -1, 3}) {
          int bias = defaultLogBias(ebits) + dbias;
          if (!validateLog(radix, ebits, phase, bias).empty())
            continue;
          Format f = Format::log(radix, ebits, phase, bias);
          ASSERT_EQ(f.bitWidth(), 1 + ebits);
          for (uint32_t c = 0; c < f.numCodes(); ++c) {
            int e = int(c & ((1u << ebits) - 1));
            bool neg = (c >> ebits) & 1;
            double mag = e == 0 ? 0.0
                                : std::pow(double(radix), e - bias) *
                                      (phase ? std::sqrt(double(radix)) : 1.0);
            double want = neg ? -mag : mag;
            float got = decode(f, c);
            ASSERT_EQ(double(got), want) << f.str() << " code " << c;
            ASSERT_EQ(std::signbit(got), neg) << f.str() << " code " << c;
            ++checked;
          }
        }
  EXPECT_GT(checked, 5000);
}

TEST(FormatTables, C5_AllIntWidths) {
  for (int b = 2; b <= 8; ++b) {
    Format s = Format::sint(b), u = Format::uint(b);
    ASSERT_EQ(s.numCodes(), 1u << b);
    for (uint32_t c = 0; c < (1u << b); ++c) {
      double ws = c < (1u << (b - 1)) ? double(c) : double(c) - std::pow(2.0, b);
      EXPECT_EQ(double(decode(s, c)), ws) << b << " " << c;
      EXPECT_EQ(double(decode(u, c)), double(c)) << b << " " << c;
    }
    EXPECT_EQ(s.maxValue(), std::pow(2.0, b - 1) - 1);
    EXPECT_EQ(u.maxValue(), std::pow(2.0, b) - 1);
  }
}

TEST(FormatTables, C2_E4M3Exhaustive) {
  Format f = Format::fp8e4m3();
  for (uint32_t c = 0; c < 256; ++c) {
    int s = c >> 7, e = (c >> 3) & 15, m = c & 7;
    float got = decode(f, c);
    if (e == 15 && m == 7) {
      EXPECT_TRUE(std::isnan(got)) << c;
      continue;
    }
    double mag = e == 0 ? m * std::pow(2.0, -9) : (1 + m / 8.0) * std::pow(2.0, e - 7);
    EXPECT_EQ(double(got), s ? -mag : mag) << c;
    EXPECT_EQ(std::signbit(got), s == 1) << c;
  }
  EXPECT_EQ(f.maxValue(), 448.0);
  EXPECT_EQ(f.minPositive(), std::pow(2.0, -9));
}

TEST(FormatTables, C2_E5M2Exhaustive) {
  Format f = Format::fp8e5m2();
  for (uint32_t c = 0; c < 256; ++c) {
    int s = c >> 7, e = (c >> 2) & 31, m = c & 3;
    float got = decode(f, c);
    if (e == 31) {
      if (m == 0) {
        EXPECT_EQ(got, s ? -INFINITY : INFINITY) << c;
      } else {
        EXPECT_TRUE(std::isnan(got)) << c;
      }
      continue;
    }
    double mag = e == 0 ? m * std::pow(2.0, -16) : (1 + m / 4.0) * std::pow(2.0, e - 15);
    EXPECT_EQ(double(got), s ? -mag : mag) << c;
  }
  EXPECT_EQ(f.maxValue(), 57344.0);
  EXPECT_EQ(f.minPositive(), std::pow(2.0, -16));
}

TEST(FormatTables, C17_E8M0Exhaustive) {
  Format f = Format::e8m0();
  for (uint32_t c = 0; c < 256; ++c) {
    float got = decode(f, c);
    if (c == 255) {
      EXPECT_TRUE(std::isnan(got));
    } else {
      EXPECT_EQ(double(got), std::pow(2.0, int(c) - 127)) << c;
    }
  }
  EXPECT_FALSE(f.isSigned());
}

TEST(FormatTables, C2_FP16ExhaustiveAgainstCompiler) {
  Format f = Format::fp16();
  for (uint32_t c = 0; c < 65536; ++c) {
    uint16_t h = uint16_t(c);
    _Float16 hv;
    std::memcpy(&hv, &h, 2);
    float want = float(hv);
    float got = decode(f, c);
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got)) << c;
      continue;
    }
    ASSERT_EQ(got, want) << c;
    ASSERT_EQ(std::signbit(got), std::signbit(want)) << c;
  }
  EXPECT_EQ(f.maxValue(), 65504.0);
  EXPECT_EQ(f.minPositive(), std::pow(2.0, -24));
}

TEST(FormatTables, C2_BF16ExhaustiveBitLevel) {
  Format f = Format::bf16();
  for (uint32_t c = 0; c < 65536; ++c) {
    float want = bitsToFloat(c << 16);
    float got = decode(f, c);
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got)) << c;
      continue;
    }
    ASSERT_EQ(got, want) << c;
    ASSERT_EQ(std::signbit(got), std::signbit(want)) << c;
  }
  EXPECT_EQ(f.minPositive(), std::pow(2.0, -133));
}

TEST(FormatProps, C1_MaxMinWidth) {
  EXPECT_EQ(Format::log(4, 3, 0).maxValue(), 64.0);
  EXPECT_EQ(Format::log(4, 3, 0).minPositive(), 1.0 / 64);
  EXPECT_EQ(Format::log(4, 3, 1).maxValue(), 128.0);
  EXPECT_EQ(Format::log(2, 3, 0).maxValue(), 8.0);
  EXPECT_EQ(Format::sint(4).maxValue(), 7.0);
  EXPECT_EQ(Format::uint(4).maxValue(), 15.0);
  EXPECT_EQ(Format::fp4e2m1().maxValue(), 6.0);
  EXPECT_EQ(Format::fp4e2m1().minPositive(), 0.5);
  EXPECT_EQ(Format::log(4, 3, 0).bitWidth(), 4);
  EXPECT_EQ(Format::sint(6).bitWidth(), 6);
  EXPECT_EQ(Format::fp8e4m3().numCodes(), 256u);
  EXPECT_EQ(Format::fp16().numCodes(), 65536u);
  EXPECT_EQ(Format::fp32().numCodes(), 0u);
  EXPECT_TRUE(Format::log(4, 3, 0).isSigned());
  EXPECT_FALSE(Format::uint(4).isSigned());
  EXPECT_EQ(defaultLogBias(3), 4);
  EXPECT_EQ(defaultLogBias(1), 1);
  EXPECT_EQ(defaultLogBias(7), 64);
}

TEST(FormatProps, C1_NamesRoundTrip) {
  EXPECT_EQ(Format::log(4, 3, 0).str(), "log<4,3,0,4>");
  EXPECT_EQ(Format::log(2, 3, 0, 5).str(), "log<2,3,0,5>");
  EXPECT_EQ(Format::sint(4).str(), "int4");
  EXPECT_EQ(Format::uint(4).str(), "uint4");
  EXPECT_EQ(Format::fp4e2m1().str(), "e2m1");
  EXPECT_EQ(Format::fp8e4m3().str(), "e4m3");
  EXPECT_EQ(Format::fp8e5m2().str(), "e5m2");
  EXPECT_EQ(Format::e8m0().str(), "e8m0");
  EXPECT_EQ(Format::fp16().str(), "f16");
  EXPECT_EQ(Format::bf16().str(), "bf16");
  EXPECT_EQ(Format::fp32().str(), "f32");
  for (Format f : {Format::log(4, 3, 1), Format::log(16, 2, 0, -1), Format::sint(8),
                   Format::uint(2), Format::fp4e2m1(), Format::fp8e4m3(),
                   Format::fp8e5m2(), Format::e8m0(), Format::fp16(),
                   Format::bf16(), Format::fp32()}) {
    auto p = parseFormat(f.str());
    ASSERT_TRUE(p.has_value()) << f.str();
    EXPECT_EQ(*p, f) << f.str();
  }
  EXPECT_EQ(*parseFormat("log<4,3,0>"), Format::log(4, 3, 0, 4));
  EXPECT_FALSE(parseFormat("log<4,3>").has_value());
  EXPECT_FALSE(parseFormat("log<4,3,0,4,5>").has_value());
  EXPECT_FALSE(parseFormat("int").has_value());
  EXPECT_FALSE(parseFormat("e3m2").has_value());
  EXPECT_NE(Format::log(4, 3, 0), Format::log(4, 3, 1));
  EXPECT_NE(Format::sint(4), Format::uint(4));
  Format junk = Format::sint(4);
  junk.radix = 99; // not meaningful for Int: ignored by ==
  EXPECT_EQ(junk, Format::sint(4));
}

// C4: one message per bad parameter, naming it and its legal range.
TEST(FormatValidation, C4_ValidateLogMessages) {
  EXPECT_EQ(validateLog(4, 3, 0, 4), "");
  EXPECT_EQ(validateLog(2, 3, 0, 4), "");
  EXPECT_EQ(validateLog(16, 3, 1, 4), "");
  EXPECT_EQ(validateLog(4, 7, 0, 64), "");
  EXPECT_EQ(validateLog(3, 3, 0, 4), "radix must be a power of two in [2, 16], got 3");
  EXPECT_EQ(validateLog(32, 3, 0, 4), "radix must be a power of two in [2, 16], got 32");
  EXPECT_EQ(validateLog(1, 3, 0, 4), "radix must be a power of two in [2, 16], got 1");
  EXPECT_EQ(validateLog(4, 0, 0, 4),
            "ebits must be in [1, 7] (sign + exponent <= 8 bits), got 0");
  EXPECT_EQ(validateLog(4, 8, 0, 4),
            "ebits must be in [1, 7] (sign + exponent <= 8 bits), got 8");
  EXPECT_EQ(validateLog(4, 3, 2, 4), "phase must be 0 or 1, got 2");
  EXPECT_EQ(validateLog(4, 3, -1, 4), "phase must be 0 or 1, got -1");
  EXPECT_EQ(validateLog(2, 3, 1, 4),
            "phase 1 requires sqrt(radix) to be a power of two (radix 4 or 16), got radix 2");
  EXPECT_EQ(validateLog(8, 3, 1, 4),
            "phase 1 requires sqrt(radix) to be a power of two (radix 4 or 16), got radix 8");
  // radix 16, ebits 7: levels span 16^126 = 2^504 > float32's 2^253 range.
  EXPECT_EQ(validateLog(16, 7, 0, 64),
            "ebits must be in [1, 6] for radix 16 so that the levels fit float32's normal range, got 7");
  EXPECT_EQ(validateLog(8, 7, 0, 64),
            "ebits must be in [1, 6] for radix 8 so that the levels fit float32's normal range, got 7");
  // radix 4, ebits 3: levels 2^(2(1-b)) .. 2^(2(1-b)+12) within [2^-126, 2^127]
  // <=> -56 <= b <= 64 (worked by hand in docs/Formats.md C4).
  EXPECT_EQ(validateLog(4, 3, 0, 64), "");
  EXPECT_EQ(validateLog(4, 3, 0, -56), "");
  EXPECT_EQ(validateLog(4, 3, 0, 65),
            "bias must be in [-56, 64] for radix 4, ebits 3 so that every level is a normal float32, got 65");
  EXPECT_EQ(validateLog(4, 3, 0, -57),
            "bias must be in [-56, 64] for radix 4, ebits 3 so that every level is a normal float32, got -57");
  // radix 16 phase 1: levels 2^(4(1-b)+2+4j), j=0..6 -> b in [-24, 33].
  EXPECT_EQ(validateLog(16, 3, 1, 33), "");
  EXPECT_EQ(validateLog(16, 3, 1, -24), "");
  EXPECT_EQ(validateLog(16, 3, 1, 34),
            "bias must be in [-24, 33] for radix 16, ebits 3 so that every level is a normal float32, got 34");
  EXPECT_NE(validateLog(16, 3, 1, -25), "");
}

TEST(FormatValidation, C5_ValidateIntMessages) {
  for (int b = 2; b <= 8; ++b)
    EXPECT_EQ(validateInt(b), "");
  EXPECT_EQ(validateInt(1), "bits must be in [2, 8], got 1");
  EXPECT_EQ(validateInt(9), "bits must be in [2, 8], got 9");
  EXPECT_EQ(validateInt(0), "bits must be in [2, 8], got 0");
  EXPECT_EQ(validateFormat(Format::uint(16)), "bits must be in [2, 8], got 16");
  EXPECT_EQ(validateFormat(Format::log(5, 3, 0)),
            "radix must be a power of two in [2, 16], got 5");
  EXPECT_EQ(validateFormat(Format::fp8e4m3()), "");
  // Invalid formats never reach undefined behaviour (C4).
  EXPECT_FALSE(isValidFormat(Format::log(4, 40, 0)));
  EXPECT_EQ(encode(Format::log(4, 40, 0), 1.0f, Rounding::NearestLinear), 0u);
  EXPECT_TRUE(std::isnan(decode(Format::sint(31), 3)));
}

// C3: level index == magnitude code; the grid is strictly increasing.
TEST(FormatGrid, C3_LevelIndexIsCode) {
  for (Format f : {Format::log(4, 3, 0), Format::log(2, 5, 0), Format::sint(5),
                   Format::uint(3), Format::fp4e2m1(), Format::fp8e4m3(),
                   Format::fp8e5m2(), Format::e8m0(), Format::fp16(), Format::bf16()}) {
    uint32_t n = numMagnitudeLevels(f);
    for (uint32_t i = 0; i < n; ++i) {
      if (i + 1 < n) {
        ASSERT_LT(magnitudeLevel(f, i), magnitudeLevel(f, i + 1)) << f.str() << i;
      }
      float d = decode(f, i);
      if (std::isinf(d))
        continue; // FP16/BF16 Inf code: virtual level 2^(emax+1)
      ASSERT_EQ(double(d), magnitudeLevel(f, i)) << f.str() << " " << i;
      ASSERT_EQ(floorMagnitudeLevel(f, magnitudeLevel(f, i)), i) << f.str();
    }
  }
}
