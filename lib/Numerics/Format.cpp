//===- Format.cpp - quant4 number formats ---------------------------------===//
//
// Format parameters, validation, and the magnitude grid of every format
// (docs/Formats.md C1..C5). Every format's non-negative values form a sorted
// grid of "levels"; the index of a level is also the code of +level (C3).
//
//===----------------------------------------------------------------------===//
#include "quant4/Numerics/Format.h"

#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace quant4::num {

namespace {

/// log2 of a power-of-two radix in {2,4,8,16}, else 0.
int log2Radix(int radix) {
  switch (radix) {
  case 2: return 1;
  case 4: return 2;
  case 8: return 3;
  case 16: return 4;
  default: return 0;
  }
}

/// Binary exponent of the smallest non-zero level of a (valid) log format:
/// level(e) = 2^(E0 + r*(e-1)), E0 = r*(1-bias) + phase*r/2.
int logE0(const Format &f) {
  int r = log2Radix(f.radix);
  return r * (1 - f.bias) + (f.phase ? r / 2 : 0);
}

struct MiniFloat {
  int ebits, mbits, bias;
  uint32_t maxFiniteIndex; // largest finite magnitude code
  bool ieeeOverflow;       // grid extends to the Inf code (FP16/BF16)
};

MiniFloat miniFloat(FormatKind k) {
  switch (k) {
  case FormatKind::FP4E2M1: return {2, 1, 1, 0x7, false};
  case FormatKind::FP8E4M3: return {4, 3, 7, 0x7E, false};
  case FormatKind::FP8E5M2: return {5, 2, 15, 0x7B, false};
  case FormatKind::FP16: return {5, 10, 15, 0x7BFF, true};
  case FormatKind::BF16: return {8, 7, 127, 0x7F7F, true};
  default: return {0, 0, 0, 0, false};
  }
}

std::string fmtStr(const char *fmt, long a = 0, long b = 0, long c = 0,
                   long d = 0, long e = 0) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, a, b, c, d, e);
  return buf;
}

} // namespace

//===----------------------------------------------------------------------===//
// Factories and properties
//===----------------------------------------------------------------------===//

int defaultLogBias(int ebits) {
  if (ebits < 1 || ebits > 30)
    return 0;
  return 1 << (ebits - 1);
}

Format Format::log(int radix, int ebits, int phase, std::optional<int> bias) {
  Format f;
  f.kind = FormatKind::Log;
  f.radix = radix;
  f.ebits = ebits;
  f.phase = phase;
  f.bias = bias ? *bias : defaultLogBias(ebits);
  return f;
}
Format Format::sint(int bits) {
  Format f;
  f.kind = FormatKind::Int;
  f.bits = bits;
  return f;
}
Format Format::uint(int bits) {
  Format f;
  f.kind = FormatKind::UInt;
  f.bits = bits;
  return f;
}
static Format simple(FormatKind k) {
  Format f;
  f.kind = k;
  return f;
}
Format Format::fp4e2m1() { return simple(FormatKind::FP4E2M1); }
Format Format::fp8e4m3() { return simple(FormatKind::FP8E4M3); }
Format Format::fp8e5m2() { return simple(FormatKind::FP8E5M2); }
Format Format::e8m0() { return simple(FormatKind::E8M0); }
Format Format::fp16() { return simple(FormatKind::FP16); }
Format Format::bf16() { return simple(FormatKind::BF16); }
Format Format::fp32() { return simple(FormatKind::FP32); }

int Format::bitWidth() const {
  switch (kind) {
  case FormatKind::Log: return 1 + ebits;
  case FormatKind::Int:
  case FormatKind::UInt: return bits;
  case FormatKind::FP4E2M1: return 4;
  case FormatKind::FP8E4M3:
  case FormatKind::FP8E5M2:
  case FormatKind::E8M0: return 8;
  case FormatKind::FP16:
  case FormatKind::BF16: return 16;
  case FormatKind::FP32: return 32;
  }
  return 0;
}

uint32_t Format::numCodes() const {
  int w = bitWidth();
  if (w <= 0 || w > 16)
    return 0;
  return 1u << w;
}

double Format::maxValue() const {
  switch (kind) {
  case FormatKind::Log:
    return std::ldexp(1.0, logE0(*this) +
                               log2Radix(radix) * ((1 << ebits) - 2));
  case FormatKind::Int: return double((1 << (bits - 1)) - 1);
  case FormatKind::UInt: return double((1 << bits) - 1);
  case FormatKind::E8M0: return std::ldexp(1.0, 127);
  case FormatKind::FP32: return double(3.4028234663852886e38);
  default: return magnitudeLevel(*this, miniFloat(kind).maxFiniteIndex);
  }
}

double Format::minPositive() const {
  switch (kind) {
  case FormatKind::Log: return std::ldexp(1.0, logE0(*this));
  case FormatKind::Int:
  case FormatKind::UInt: return 1.0;
  case FormatKind::E8M0: return std::ldexp(1.0, -127);
  case FormatKind::FP32: return std::ldexp(1.0, -149);
  default: return magnitudeLevel(*this, 1);
  }
}

bool Format::isSigned() const {
  return kind != FormatKind::UInt && kind != FormatKind::E8M0;
}

std::string Format::str() const {
  switch (kind) {
  case FormatKind::Log:
    return fmtStr("log<%ld,%ld,%ld,%ld>", radix, ebits, phase, bias);
  case FormatKind::Int: return fmtStr("int%ld", bits);
  case FormatKind::UInt: return fmtStr("uint%ld", bits);
  case FormatKind::FP4E2M1: return "e2m1";
  case FormatKind::FP8E4M3: return "e4m3";
  case FormatKind::FP8E5M2: return "e5m2";
  case FormatKind::E8M0: return "e8m0";
  case FormatKind::FP16: return "f16";
  case FormatKind::BF16: return "bf16";
  case FormatKind::FP32: return "f32";
  }
  return "?";
}

bool Format::operator==(const Format &o) const {
  if (kind != o.kind)
    return false;
  if (kind == FormatKind::Log)
    return radix == o.radix && ebits == o.ebits && phase == o.phase &&
           bias == o.bias;
  if (kind == FormatKind::Int || kind == FormatKind::UInt)
    return bits == o.bits;
  return true;
}

//===----------------------------------------------------------------------===//
// Validation (C4, C5)
//===----------------------------------------------------------------------===//

std::string validateLog(int radix, int ebits, int phase, int bias) {
  int r = log2Radix(radix);
  if (r == 0)
    return fmtStr("radix must be a power of two in [2, 16], got %ld", radix);
  if (ebits < 1 || ebits > 7)
    return fmtStr("ebits must be in [1, 7] (sign + exponent <= 8 bits), got %ld",
                  ebits);
  if (phase != 0 && phase != 1)
    return fmtStr("phase must be 0 or 1, got %ld", phase);
  if (phase == 1 && r % 2 != 0)
    return fmtStr("phase 1 requires sqrt(radix) to be a power of two (radix 4 "
                  "or 16), got radix %ld",
                  radix);
  // Levels are 2^(E0 + r*j), j = 0..2^ebits-2, E0 = r*(1-bias) + phase*r/2.
  // All must be normal finite float32: exponents in [-126, 127].
  long span = long(r) * ((1L << ebits) - 2);
  if (span > 253) {
    int maxE = 1;
    while (maxE < 7 && long(r) * ((1L << (maxE + 1)) - 2) <= 253)
      ++maxE;
    return fmtStr("ebits must be in [1, %ld] for radix %ld so that the levels "
                  "fit float32's normal range, got %ld",
                  maxE, radix, ebits);
  }
  auto ok = [&](long b) {
    long e0 = long(r) * (1 - b) + (phase ? r / 2 : 0);
    return e0 >= -126 && e0 + span <= 127;
  };
  if (!ok(bias)) {
    long lo = 0, hi = 0;
    bool found = false;
    for (long b = -1000; b <= 1000; ++b) {
      if (!ok(b))
        continue;
      if (!found)
        lo = b;
      hi = b;
      found = true;
    }
    return fmtStr("bias must be in [%ld, %ld] for radix %ld, ebits %ld so that "
                  "every level is a normal float32, got %ld",
                  lo, hi, radix, ebits, bias);
  }
  return "";
}

std::string validateInt(int bits) {
  if (bits < 2 || bits > 8)
    return fmtStr("bits must be in [2, 8], got %ld", bits);
  return "";
}

std::string validateFormat(const Format &f) {
  switch (f.kind) {
  case FormatKind::Log: return validateLog(f.radix, f.ebits, f.phase, f.bias);
  case FormatKind::Int:
  case FormatKind::UInt: return validateInt(f.bits);
  case FormatKind::FP4E2M1:
  case FormatKind::FP8E4M3:
  case FormatKind::FP8E5M2:
  case FormatKind::E8M0:
  case FormatKind::FP16:
  case FormatKind::BF16:
  case FormatKind::FP32: return "";
  }
  return fmtStr("unknown format kind %ld", long(f.kind));
}

bool isValidFormat(const Format &f) { return validateFormat(f).empty(); }

std::optional<Format> parseFormat(std::string_view s) {
  if (s == "e2m1") return Format::fp4e2m1();
  if (s == "e4m3") return Format::fp8e4m3();
  if (s == "e5m2") return Format::fp8e5m2();
  if (s == "e8m0") return Format::e8m0();
  if (s == "f16") return Format::fp16();
  if (s == "bf16") return Format::bf16();
  if (s == "f32") return Format::fp32();
  auto parseInt = [](std::string_view t, int &out) {
    if (t.empty() || t.size() > 6)
      return false;
    bool neg = t[0] == '-';
    if (neg)
      t.remove_prefix(1);
    if (t.empty())
      return false;
    int v = 0;
    for (char c : t) {
      if (c < '0' || c > '9')
        return false;
      v = v * 10 + (c - '0');
    }
    out = neg ? -v : v;
    return true;
  };
  int v = 0;
  if (s.substr(0, 4) == "uint") {
    if (parseInt(s.substr(4), v))
      return Format::uint(v);
    return std::nullopt;
  }
  if (s.substr(0, 3) == "int") {
    if (parseInt(s.substr(3), v))
      return Format::sint(v);
    return std::nullopt;
  }
  if (s.substr(0, 4) == "log<" && s.back() == '>') {
    std::string_view body = s.substr(4, s.size() - 5);
    int vals[4];
    int n = 0;
    while (n < 4) {
      size_t comma = body.find(',');
      std::string_view tok = body.substr(0, comma);
      if (!parseInt(tok, vals[n]))
        return std::nullopt;
      ++n;
      if (comma == std::string_view::npos)
        break;
      body.remove_prefix(comma + 1);
      if (n == 4)
        return std::nullopt;
    }
    if (n == 3)
      return Format::log(vals[0], vals[1], vals[2]);
    if (n == 4)
      return Format::log(vals[0], vals[1], vals[2], vals[3]);
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Magnitude grid (C3)
//===----------------------------------------------------------------------===//

uint32_t numMagnitudeLevels(const Format &f) {
  switch (f.kind) {
  case FormatKind::Log: return 1u << f.ebits;
  case FormatKind::Int: return 1u << (f.bits - 1);
  case FormatKind::UInt: return 1u << f.bits;
  case FormatKind::E8M0: return 255;
  case FormatKind::FP32: return 0;
  default: {
    MiniFloat m = miniFloat(f.kind);
    return m.maxFiniteIndex + 1 + (m.ieeeOverflow ? 1 : 0);
  }
  }
}

double magnitudeLevel(const Format &f, uint32_t i) {
  switch (f.kind) {
  case FormatKind::Log:
    if (i == 0)
      return 0.0;
    return std::ldexp(1.0, logE0(f) + log2Radix(f.radix) * int(i - 1));
  case FormatKind::Int:
  case FormatKind::UInt: return double(i);
  case FormatKind::E8M0: return std::ldexp(1.0, int(i) - 127);
  case FormatKind::FP32: return 0.0;
  default: {
    MiniFloat m = miniFloat(f.kind);
    uint32_t e = i >> m.mbits, fr = i & ((1u << m.mbits) - 1);
    if (e == 0)
      return std::ldexp(double(fr), 1 - m.bias - m.mbits);
    return std::ldexp(double((1u << m.mbits) + fr), int(e) - m.bias - m.mbits);
  }
  }
}

uint32_t floorMagnitudeLevel(const Format &f, double m) {
  uint32_t top = numMagnitudeLevels(f) - 1;
  if (!(m > 0))
    return 0;
  if (m >= magnitudeLevel(f, top))
    return top;
  switch (f.kind) {
  case FormatKind::Log: {
    int e0 = logE0(f), r = log2Radix(f.radix);
    int fe = std::ilogb(m);
    if (fe < e0)
      return 0;
    return 1u + uint32_t((fe - e0) / r);
  }
  case FormatKind::Int:
  case FormatKind::UInt: return uint32_t(std::floor(m));
  case FormatKind::E8M0: {
    int fe = std::ilogb(m);
    return fe < -127 ? 0u : uint32_t(fe + 127);
  }
  default: {
    MiniFloat mf = miniFloat(f.kind);
    int emin = 1 - mf.bias;
    int fe = std::ilogb(m);
    if (fe < emin)
      return uint32_t(std::floor(std::ldexp(m, mf.mbits - emin)));
    uint32_t frac =
        uint32_t(std::floor(std::ldexp(m, mf.mbits - fe))) - (1u << mf.mbits);
    return (uint32_t(fe - emin + 1) << mf.mbits) | frac;
  }
  }
}

} // namespace quant4::num
