//===- Rounding.cpp - encode/decode, rounding modes, RNG ------------------===//
//
// Implements docs/Formats.md C6..C21. Encoding works on the magnitude grid of
// Format.cpp: find the neighbouring levels a <= |x| < b, pick one by the
// rounding mode, then attach the sign in the format's code layout.
//
//===----------------------------------------------------------------------===//
#include "quant4/Numerics/Rounding.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace quant4::num {

//===----------------------------------------------------------------------===//
// Names
//===----------------------------------------------------------------------===//

std::string_view roundingName(Rounding r) {
  switch (r) {
  case Rounding::NearestLinear: return "nearest";
  case Rounding::NearestLog: return "nearest_log";
  case Rounding::NearestEven: return "nearest_even";
  case Rounding::Stochastic: return "stochastic";
  case Rounding::StochasticUnderflow: return "stochastic_underflow";
  }
  return "?";
}

std::optional<Rounding> parseRounding(std::string_view s) {
  for (Rounding r : {Rounding::NearestLinear, Rounding::NearestLog,
                     Rounding::NearestEven, Rounding::Stochastic,
                     Rounding::StochasticUnderflow})
    if (roundingName(r) == s)
      return r;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Counter-based RNG (C15): Philox4x32-10
//===----------------------------------------------------------------------===//

void philox4x32x10(const uint32_t ctrIn[4], const uint32_t keyIn[2],
                   uint32_t out[4]) {
  const uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  const uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  uint32_t c0 = ctrIn[0], c1 = ctrIn[1], c2 = ctrIn[2], c3 = ctrIn[3];
  uint32_t k0 = keyIn[0], k1 = keyIn[1];
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += kWeyl0;
      k1 += kWeyl1;
    }
    uint64_t p0 = uint64_t(kMul0) * c0;
    uint64_t p1 = uint64_t(kMul1) * c2;
    uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
    uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    uint32_t n0 = hi1 ^ c1 ^ k0;
    uint32_t n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

uint32_t randomBits(RngKey key, uint64_t index) {
  uint32_t ctr[4] = {uint32_t(index), uint32_t(index >> 32),
                     uint32_t(key.stream), uint32_t(key.stream >> 32)};
  uint32_t k[2] = {uint32_t(key.seed), uint32_t(key.seed >> 32)};
  uint32_t out[4];
  philox4x32x10(ctr, k, out);
  return out[0];
}

uint32_t dropoutThreshold(double ratio) {
  if (!(ratio > 0.0))
    return 0;
  double t = std::floor(ratio * 4294967296.0);
  return t >= 4294967295.0 ? 0xFFFFFFFFu : uint32_t(t);
}

float dropoutScale(double ratio) {
  return ratio > 0.0 && ratio < 1.0 ? float(1.0 / (1.0 - ratio)) : 1.0f;
}

//===----------------------------------------------------------------------===//
// Encode
//===----------------------------------------------------------------------===//

namespace {

/// Positive NaN code of the format, if it has one.
std::optional<uint32_t> nanCode(FormatKind k) {
  switch (k) {
  case FormatKind::FP8E4M3: return 0x7Fu;
  case FormatKind::FP8E5M2: return 0x7Eu;
  case FormatKind::E8M0: return 0xFFu;
  case FormatKind::FP16: return 0x7E00u;
  case FormatKind::BF16: return 0x7FC0u;
  case FormatKind::FP32: return 0x7FC00000u;
  default: return std::nullopt;
  }
}

/// Positive Inf code of the format, if it has one.
std::optional<uint32_t> infCode(FormatKind k) {
  switch (k) {
  case FormatKind::FP8E5M2: return 0x7Cu;
  case FormatKind::FP16: return 0x7C00u;
  case FormatKind::BF16: return 0x7F80u;
  default: return std::nullopt;
  }
}

/// Choose between level indices i (value a) and i+1 (value b), a < m < b.
uint32_t decide(double m, double a, double b, uint32_t i, Rounding r,
                RngKey key, uint64_t index) {
  switch (r) {
  case Rounding::NearestLinear: {
    double mid = (a + b) * 0.5; // exact: a, b have few significant bits
    return m >= mid ? i + 1 : i;
  }
  case Rounding::NearestLog: {
    if (a == 0.0) { // geometric midpoint with 0 is degenerate: linear (C11)
      double mid = b * 0.5;
      return m >= mid ? i + 1 : i;
    }
    // sign(m^2 - a*b) exactly: a*b is exact, fma rounds once (keeps sign).
    double d = std::fma(m, m, -(a * b));
    return d >= 0 ? i + 1 : i;
  }
  case Rounding::NearestEven: {
    double mid = (a + b) * 0.5;
    if (m < mid)
      return i;
    if (m > mid)
      return i + 1;
    return (i % 2 == 0) ? i : i + 1;
  }
  case Rounding::Stochastic:
  case Rounding::StochasticUnderflow: {
    // Up iff u*(b-a) < (m-a)*2^32, u uniform in [0, 2^32): all exact.
    double u = double(randomBits(key, index));
    return u * (b - a) < (m - a) * 4294967296.0 ? i + 1 : i;
  }
  }
  return i;
}

/// Round a finite magnitude m >= 0 to a level index of f (not FP32).
uint32_t roundMagnitude(const Format &f, double m, Rounding r, RngKey key,
                        uint64_t index) {
  uint32_t top = numMagnitudeLevels(f) - 1;
  double topV = magnitudeLevel(f, top);
  if (m >= topV)
    return top; // saturate (or IEEE overflow to the Inf code for FP16/BF16)
  uint32_t i = floorMagnitudeLevel(f, m);
  double a = magnitudeLevel(f, i);
  if (m <= a) // exact level, or E8M0 below its smallest level (saturates)
    return i;
  double b = magnitudeLevel(f, i + 1);
  return decide(m, a, b, i, r, key, index);
}

} // namespace

uint32_t encodeDouble(const Format &f, double x, Rounding r, RngKey key,
                      uint64_t index) {
  if (f.kind != FormatKind::FP32 && !isValidFormat(f))
    return 0;
  if (f.kind == FormatKind::FP32) {
    if (std::isnan(x))
      return floatBits(float(x)) | 0x00400000u; // keep sign/payload, quiet
    // One rounding double -> float, nearest even (the only FP32 rounding).
    return floatBits(float(x));
  }
  if (std::isnan(x))
    return nanCode(f.kind).value_or(0u); // C8: NaN -> NaN code, else +0 code
  bool neg = std::signbit(x);
  switch (f.kind) {
  case FormatKind::UInt:
    if (neg)
      return 0; // negatives (incl. -0, -Inf) clamp to 0 (C8)
    if (std::isinf(x))
      return numMagnitudeLevels(f) - 1;
    return roundMagnitude(f, x, r, key, index);
  case FormatKind::E8M0:
    if (neg && x != 0)
      return 0xFFu; // negative -> NaN (C8)
    if (std::isinf(x))
      return 0xFEu;
    return roundMagnitude(f, std::fabs(x), r, key, index);
  default:
    break;
  }
  double m = std::fabs(x);
  uint32_t idx;
  if (std::isinf(x)) {
    auto inf = infCode(f.kind);
    idx = inf ? *inf : numMagnitudeLevels(f) - 1; // Inf or saturate (C9)
  } else {
    idx = roundMagnitude(f, m, r, key, index);
  }
  int w = f.bitWidth();
  if (f.kind == FormatKind::Int) {
    uint32_t mask = (1u << w) - 1;
    return neg ? (0u - idx) & mask : idx;
  }
  // Sign-magnitude: sign in the top bit of the width (C2). -0 and negative
  // values that round to zero keep the sign: negative-zero code (C7).
  return neg ? (idx | (1u << (w - 1))) : idx;
}

uint32_t encode(const Format &f, float x, Rounding r, RngKey key,
                uint64_t index) {
  if (f.kind == FormatKind::FP32)
    return floatBits(x); // identity on float32 (NaN payload kept)
  return encodeDouble(f, double(x), r, key, index);
}

float decode(const Format &f, uint32_t code) {
  if (!isValidFormat(f))
    return std::numeric_limits<float>::quiet_NaN();
  int w = f.bitWidth();
  if (f.kind == FormatKind::FP32)
    return bitsFloat(code);
  code &= (w >= 32) ? 0xFFFFFFFFu : ((1u << w) - 1);
  switch (f.kind) {
  case FormatKind::Int: {
    int32_t v = int32_t(code);
    if (code >= (1u << (w - 1)))
      v -= int32_t(1u << w); // most negative code -2^(b-1) decodes as such (C5)
    return float(v);
  }
  case FormatKind::UInt: return float(code);
  case FormatKind::E8M0:
    if (code == 0xFF)
      return std::numeric_limits<float>::quiet_NaN();
    return std::ldexp(1.0f, int(code) - 127);
  default: break;
  }
  bool neg = (code >> (w - 1)) & 1;
  uint32_t idx = code & ((1u << (w - 1)) - 1);
  float v;
  if (auto nc = nanCode(f.kind); f.kind == FormatKind::FP8E4M3 && idx == *nc) {
    v = std::numeric_limits<float>::quiet_NaN();
  } else if (auto ic = infCode(f.kind); ic && idx >= *ic) {
    v = idx == *ic ? std::numeric_limits<float>::infinity()
                   : std::numeric_limits<float>::quiet_NaN();
  } else {
    v = float(magnitudeLevel(f, idx));
  }
  return neg ? -v : v;
}

//===----------------------------------------------------------------------===//
// Scaled forms (C20)
//===----------------------------------------------------------------------===//


uint32_t quantize(const Format &f, float x, float scale, Rounding r,
                  RngKey key, uint64_t index) {
  if (!isValidScale(scale))
    return encode(f, std::numeric_limits<float>::quiet_NaN(), r, key, index);
  float y = x / scale; // float32 division, round to nearest even
  return encode(f, y, r, key, index);
}

float dequantize(const Format &f, uint32_t code, float scale) {
  if (!isValidScale(scale))
    return std::numeric_limits<float>::quiet_NaN();
  return decode(f, code) * scale;
}

float twoLevelScale(float s, float t) { return s * t; }

float dequantizeTwoLevel(const Format &f, uint32_t code, float s, float t) {
  return scaleDecodedTwoLevel(decode(f, code), s, t);
}

float fakeQuant(const Format &f, float x, float scale, Rounding r, RngKey key,
                uint64_t index) {
  return dequantize(f, quantize(f, x, scale, r, key, index), scale);
}

float fakeQuantTwoLevel(const Format &f, float x, float s, float t, Rounding r,
                        RngKey key, uint64_t index) {
  return dequantizeTwoLevel(
      f, quantize(f, x, twoLevelScale(s, t), r, key, index), s, t);
}

//===----------------------------------------------------------------------===//
// Arrays and counters (C21)
//===----------------------------------------------------------------------===//

QuantStats &QuantStats::operator+=(const QuantStats &o) {
  total += o.total;
  zeroed += o.zeroed;
  saturated += o.saturated;
  nan += o.nan;
  inf += o.inf;
  return *this;
}

void QuantStats::count(const Format &f, float x, float scale,
                       bool quantizedToZero) {
  ++total;
  if (std::isnan(x) || !isValidScale(scale))
    ++nan;
  else if (std::isinf(x))
    ++inf;
  else if (std::fabs(double(x / scale)) > f.maxValue())
    ++saturated;
  else if (x != 0.0f && quantizedToZero)
    ++zeroed;
}

void quantizeArray(const Format &f, const float *x, size_t n, float scale,
                   Rounding r, uint32_t *codes, RngKey key, uint64_t indexBase,
                   QuantStats *stats) {
  for (size_t i = 0; i < n; ++i) {
    uint32_t c = quantize(f, x[i], scale, r, key, indexBase + i);
    codes[i] = c;
    if (stats)
      stats->count(f, x[i], scale, decode(f, c) == 0.0f);
  }
}

void dequantizeArray(const Format &f, const uint32_t *codes, size_t n,
                     float scale, float *out) {
  for (size_t i = 0; i < n; ++i)
    out[i] = dequantize(f, codes[i], scale);
}

void fakeQuantArray(const Format &f, const float *x, size_t n, float scale,
                    Rounding r, float *out, RngKey key, uint64_t indexBase,
                    QuantStats *stats) {
  for (size_t i = 0; i < n; ++i) {
    uint32_t c;
    quantizeArray(f, x + i, 1, scale, r, &c, key, indexBase + i, stats);
    out[i] = dequantize(f, c, scale);
  }
}

//===----------------------------------------------------------------------===//
// FP16 / BF16 helpers
//===----------------------------------------------------------------------===//

uint16_t floatToHalfBits(float x) {
  return uint16_t(encode(Format::fp16(), x, Rounding::NearestEven));
}
uint16_t doubleToHalfBits(double x) {
  return uint16_t(encodeDouble(Format::fp16(), x, Rounding::NearestEven));
}
float halfBitsToFloat(uint16_t h) { return decode(Format::fp16(), h); }
uint16_t floatToBF16Bits(float x) {
  return uint16_t(encode(Format::bf16(), x, Rounding::NearestEven));
}
float bf16BitsToFloat(uint16_t h) { return decode(Format::bf16(), h); }

} // namespace quant4::num
