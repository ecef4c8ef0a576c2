//===- QuantizeTest.cpp - fast quantization equals num::quantize ----------===//
#include "quant4/Kernels/Quantize.h"
#include "quant4/Numerics/Numerics.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace quant4;
using kernels::CodeLayout;
using num::Format;
using num::Rounding;

namespace {

std::vector<Format> formats() {
  return {Format::log(4, 3, 0), Format::log(4, 3, 1), Format::log(2, 3, 0),
          Format::log(16, 2, 1), Format::log(2, 7, 0), Format::sint(4),
          Format::uint(4),       Format::sint(2),       Format::sint(8),
          Format::uint(8),       Format::fp4e2m1(),     Format::fp8e4m3(),
          Format::fp8e5m2()};
}

// Values around every level midpoint of the format (times the scale), plus
// random magnitudes over the whole float range and the special values.
std::vector<float> probeValues(const Format &f, float scale, std::mt19937 &rng) {
  std::vector<float> v = {0.0f, -0.0f, std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN(),
                          std::numeric_limits<float>::denorm_min(),
                          -std::numeric_limits<float>::denorm_min(),
                          std::numeric_limits<float>::max(),
                          -std::numeric_limits<float>::max()};
  uint32_t levels = num::numMagnitudeLevels(f);
  for (uint32_t i = 0; i < levels; ++i) {
    double a = num::magnitudeLevel(f, i);
    double b = i + 1 < levels ? num::magnitudeLevel(f, i + 1) : a * 2;
    for (double m : {a, (a + b) / 2, std::sqrt(a * b), b}) {
      float x = float(m * scale);
      for (float y : {x, std::nextafter(x, 0.0f), std::nextafter(x, INFINITY)})
        v.insert(v.end(), {y, -y});
    }
  }
  std::uniform_real_distribution<float> e(-40, 40), m(1, 2);
  for (int i = 0; i < 3000; ++i) {
    float x = std::ldexp(m(rng), int(e(rng)));
    v.push_back((rng() & 1) ? x : -x);
  }
  return v;
}

TEST(KernelQuantize, EqualsNumericsForEveryFormatAndRounding) {
  std::mt19937 rng(11);
  for (const Format &f : formats())
    for (Rounding r : {Rounding::NearestLinear, Rounding::NearestLog,
                       Rounding::NearestEven, Rounding::Stochastic,
                       Rounding::StochasticUnderflow})
      for (float scale : {1.0f, 0.3f, 1e-20f, 0.0f, -1.0f}) {
        SCOPED_TRACE(f.str() + " " + std::string(num::roundingName(r)) +
                     " scale=" + std::to_string(scale));
        std::vector<float> x = probeValues(f, scale > 0 ? scale : 1.0f, rng);
        num::RngKey key{7, 3};
        std::vector<uint8_t> got(x.size());
        kernels::quantize(f, x.data(), x.size(), scale, r, key, 100,
                          got.data());
        for (size_t i = 0; i < x.size(); ++i)
          ASSERT_EQ(got[i], num::quantize(f, x[i], scale, r, key, 100 + i))
              << "x=" << x[i] << " (bits " << std::hex
              << *reinterpret_cast<const uint32_t *>(&x[i]) << ")";
        if (f.bitWidth() > 4)
          continue;
        // The same probes into packed codes (two per byte).
        std::vector<uint8_t> packed((x.size() + 1) / 2);
        kernels::quantize(f, x.data(), x.size(), scale, r, key, 100,
                          packed.data(), CodeLayout::Packed4);
        for (size_t i = 0; i < x.size(); ++i)
          ASSERT_EQ(kernels::codeAt(packed.data(), CodeLayout::Packed4, i),
                    got[i])
              << "packed, x=" << x[i];
      }
}

TEST(KernelQuantize, PackedLayoutAndThreadsGiveTheSameCodes) {
  std::mt19937 rng(12);
  std::normal_distribution<float> d(0, 3);
  size_t n = (1 << 17) + 5; // large enough to split across threads
  std::vector<float> x(n);
  for (auto &v : x)
    v = d(rng);
  for (Format f : {Format::log(4, 3, 0), Format::sint(4), Format::fp4e2m1()})
    for (Rounding r : {Rounding::NearestLinear, Rounding::Stochastic}) {
      std::vector<uint8_t> ref(n);
      for (size_t i = 0; i < n; ++i)
        ref[i] = uint8_t(num::quantize(f, x[i], 0.5f, r, {1, 2}, i));
      for (int threads : {1, 2, 3})
        for (size_t offset : {size_t(0), size_t(1)}) {
          // Packed output at an odd or even nibble offset, neighbours kept.
          std::vector<uint8_t> packed((n + offset + 1) / 2, 0xAA);
          kernels::quantize(f, x.data(), n, 0.5f, r, {1, 2}, 0, packed.data(),
                            CodeLayout::Packed4, offset, {threads});
          for (size_t i = 0; i < n; ++i)
            ASSERT_EQ(kernels::codeAt(packed.data(), CodeLayout::Packed4,
                                      offset + i),
                      ref[i])
                << f.str() << " threads=" << threads << " i=" << i;
          if (offset == 1)
            EXPECT_EQ(packed[0] & 0x0F, 0x0A) << "the low nibble before the "
                                                 "first code is preserved";
          std::vector<uint8_t> bytes(n);
          kernels::quantize(f, x.data(), n, 0.5f, r, {1, 2}, 0, bytes.data(),
                            CodeLayout::Byte, 0, {threads});
          ASSERT_EQ(bytes, ref);
        }
    }
}

TEST(KernelQuantize, FastPathCoverage) {
  EXPECT_TRUE(kernels::quantizeIsFast(Format::log(4, 3, 0),
                                      Rounding::NearestLinear));
  EXPECT_TRUE(kernels::quantizeIsFast(Format::sint(8), Rounding::NearestEven));
  EXPECT_FALSE(
      kernels::quantizeIsFast(Format::log(4, 3, 0), Rounding::Stochastic));
  EXPECT_FALSE(kernels::quantizeIsFast(Format::fp16(), Rounding::NearestEven));
}

} // namespace

// A scale per element (block scales across the innermost dimension): every
// code equals num::quantize with that element's scale, invalid scales
// included, in both layouts, for the table rules and a stochastic one.
TEST(KernelQuantize, PerElementScales) {
  std::mt19937 rng(21);
  std::normal_distribution<float> d(0, 2);
  std::uniform_real_distribution<float> sd(0.05f, 4.0f);
  size_t n = 301;
  std::vector<float> x(n), s(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = d(rng);
    s[i] = sd(rng);
  }
  s[7] = 0.0f, s[8] = -1.0f, s[9] = std::nanf(""); // invalid scales
  x[11] = std::nanf("");
  for (Format f : {Format::fp4e2m1(), Format::log(4, 3, 0), Format::sint(4)})
    for (Rounding r : {Rounding::NearestEven, Rounding::NearestLinear,
                       Rounding::Stochastic}) {
      if (r == Rounding::NearestEven && f.kind == num::FormatKind::Log)
        continue;
      SCOPED_TRACE(f.str() + " " + std::string(num::roundingName(r)));
      num::RngKey key{3, 4};
      std::vector<uint8_t> bytes(n), packed((n + 2) / 2, 0xFF);
      kernels::quantizeScaled(f, x.data(), s.data(), n, r, key, 5, bytes.data());
      kernels::quantizeScaled(f, x.data(), s.data(), n, r, key, 5,
                              packed.data(), CodeLayout::Packed4, 1);
      for (size_t i = 0; i < n; ++i) {
        uint32_t want = num::quantize(f, x[i], s[i], r, key, 5 + i);
        ASSERT_EQ(bytes[i], want) << "i=" << i;
        ASSERT_EQ(kernels::codeAt(packed.data(), CodeLayout::Packed4, 1 + i),
                  want & 0xF)
            << "packed i=" << i;
      }
      EXPECT_EQ(packed[0] & 0x0F, 0x0F) << "the nibble before is kept";
    }
}
