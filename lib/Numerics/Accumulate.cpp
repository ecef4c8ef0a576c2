//===- Accumulate.cpp - accumulation modes, reference GEMM and conv -------===//
//
// docs/Formats.md C40..C48.
//
//===----------------------------------------------------------------------===//
#include "quant4/Numerics/Accumulate.h"
#include "quant4/Numerics/Rounding.h"

#include <cmath>
#include <cstring>
#include <algorithm>
#include <cstdio>
#include <limits>
#include <vector>

namespace quant4::num {

namespace {
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

constexpr int kExactProductBits = 94; // 126 magnitude bits - 2^32 headroom

bool exactKind(FormatKind k) {
  return k == FormatKind::Log || k == FormatKind::Int ||
         k == FormatKind::UInt || k == FormatKind::FP4E2M1 ||
         k == FormatKind::FP8E4M3 || k == FormatKind::FP8E5M2;
}

/// Bit length of the largest |integer| of exactInteger over all codes of f.
int exactIntegerBits(const Format &f) {
  return std::ilogb(f.maxValue()) - lsbExponent(f) + 1;
}

float nanf() { return std::numeric_limits<float>::quiet_NaN(); }

/// Round-to-FP16 of an exact double (one rounding), returned as float.
float toHalf(double v) { return halfBitsToFloat(doubleToHalfBits(v)); }

} // namespace

std::string_view accumName(AccumKind k) {
  switch (k) {
  case AccumKind::F32: return "f32";
  case AccumKind::F16: return "f16";
  case AccumKind::F16Chunked: return "f16_chunked";
  case AccumKind::Exact: return "exact";
  }
  return "?";
}

int f16OverflowFreeChunk(const Format &a, const Format &b) {
  double maxMag[2] = {0.0, 0.0};
  const Format *fs[2] = {&a, &b};
  for (int i = 0; i < 2; ++i)
    for (uint32_t c = 0, n = fs[i]->numCodes(); c < n; ++c) {
      double v = std::fabs(double(decode(*fs[i], c)));
      if (!std::isfinite(v))
        return 0;
      maxMag[i] = std::max(maxMag[i], v);
    }
  constexpr double kHalfMax = 65504.0, kTopHalfUlp = 16.0;
  double p = maxMag[0] * maxMag[1];
  // Round P up to FP16: the nearest-even rounding of a product never exceeds
  // the FP16 value at or above it.
  uint16_t bits = doubleToHalfBits(p);
  if (double(halfBitsToFloat(bits)) < p)
    ++bits; // the next FP16 value up (p >= 0; at 65504 this gives Inf)
  double pUp = double(halfBitsToFloat(bits));
  if (!(pUp + kTopHalfUlp <= kHalfMax))
    return 0;
  int chunk = 1;
  while (double(chunk) * 2.0 * (pUp + kTopHalfUlp) <= kHalfMax &&
         chunk < (1 << 30))
    chunk *= 2;
  return chunk;
}

int64_t exactIntegerLimit(AccumKind kind, int lsb) {
  switch (kind) {
  case AccumKind::F32: // 24-bit significand; 2^24·2^103 < FLT_MAX
    return lsb >= -149 && lsb <= 103 ? int64_t(1) << 24 : 0;
  case AccumKind::F16:
  case AccumKind::F16Chunked: // 11-bit significand; 2^11·2^4 ≤ 65504
    return lsb >= -24 && lsb <= 4 ? int64_t(1) << 11 : 0;
  case AccumKind::Exact:
    return std::numeric_limits<int64_t>::max();
  }
  return 0;
}

std::optional<AccumKind> parseAccum(std::string_view s) {
  for (AccumKind k : {AccumKind::F32, AccumKind::F16, AccumKind::F16Chunked,
                      AccumKind::Exact})
    if (accumName(k) == s)
      return k;
  return std::nullopt;
}

std::string validateAccumulation(const Accumulation &acc) {
  if (acc.kind == AccumKind::F16Chunked) {
    if (acc.chunk < 1)
      return "f16_chunked accumulation needs chunk >= 1, got " +
             std::to_string(acc.chunk);
    return "";
  }
  if (acc.chunk != 0)
    return "chunk is only meaningful for f16_chunked accumulation; " +
           std::string(accumName(acc.kind)) + " needs chunk 0, got " +
           std::to_string(acc.chunk);
  return "";
}

int lsbExponent(const Format &f) {
  switch (f.kind) {
  case FormatKind::Log: return std::ilogb(f.minPositive());
  case FormatKind::Int:
  case FormatKind::UInt: return 0;
  case FormatKind::FP4E2M1: return -1;
  case FormatKind::FP8E4M3: return -9;
  case FormatKind::FP8E5M2: return -16;
  default: return 0;
  }
}

bool f16SkipsZeroProducts(const Format &a, const Format &b) {
  for (const Format *f : {&a, &b})
    for (uint32_t c = 0, n = f->numCodes(); c < n; ++c)
      if (!std::isfinite(decode(*f, c)))
        return false;
  return true;
}

int64_t exactInteger(const Format &f, uint32_t code) {
  double v = double(decode(f, code));
  if (!std::isfinite(v))
    return 0;
  return int64_t(std::ldexp(v, -lsbExponent(f)));
}

std::string exactAccumulationSupported(const Format &a, const Format &b) {
  const Format *ops[2] = {&a, &b};
  const char *names[2] = {"A", "B"};
  for (int i = 0; i < 2; ++i) {
    if (!exactKind(ops[i]->kind))
      return std::string("exact accumulation needs log, int, uint, e2m1, "
                         "e4m3 or e5m2 operands, but operand ") +
             names[i] + " is " + ops[i]->str();
    std::string v = validateFormat(*ops[i]);
    if (!v.empty())
      return std::string("operand ") + names[i] +
             " has an invalid format: " + v;
  }
  for (int i = 0; i < 2; ++i) {
    int w = exactIntegerBits(*ops[i]);
    if (w > 62)
      return "exact accumulation needs each operand's values to be integers "
             "of at most 62 bits times a power of two, but operand " +
             std::string(names[i]) + " (" + ops[i]->str() + ") needs " +
             std::to_string(w) + " bits";
  }
  int bits = exactIntegerBits(a) + exactIntegerBits(b);
  if (bits > kExactProductBits)
    return "exact accumulation of " + a.str() + " x " + b.str() + " needs " +
           std::to_string(bits) + "-bit integer products, more than the " +
           std::to_string(kExactProductBits) +
           " bits a 128-bit accumulator allows with 2^32 terms of headroom";
  return "";
}

float roundScaledIntegerToFloat(bool negative, uint64_t hi, uint64_t lo,
                                int exp) {
  u128 m = (u128(hi) << 64) | lo;
  if (m == 0)
    return 0.0f;
  // Fast path: a magnitude below 2^24 whose result is a normal float is
  // exact, no rounding happens; 2^exp is built from its bit pattern.
  if (hi == 0 && lo < (uint64_t(1) << 24) && exp >= -126 && exp <= 127 - 24) {
    uint32_t bits = uint32_t(exp + 127) << 23;
    float p;
    std::memcpy(&p, &bits, 4);
    float r = float(lo) * p;
    return negative ? -r : r;
  }
  int nb = 0;
  for (u128 t = m; t; t >>= 1)
    ++nb;
  int topExp = nb - 1 + exp;                 // exponent of the leading bit
  int ulpExp = std::max(topExp - 23, -149);  // float ulp at that magnitude
  int shift = ulpExp - exp;
  float r;
  if (shift <= 0) {
    r = std::ldexp(float(uint64_t(m)), exp); // <= 24 bits: exact
  } else {
    u128 q = shift >= 128 ? 0 : (m >> shift);
    u128 rem = shift >= 128 ? m : (m & ((u128(1) << shift) - 1));
    u128 half = shift > 128 ? 0 : (u128(1) << (shift - 1));
    bool up = shift > 128 ? false : (rem > half || (rem == half && (q & 1)));
    if (up)
      ++q;
    r = std::ldexp(float(uint64_t(q)), ulpExp); // q <= 2^24: exact or Inf
  }
  return negative ? -r : r;
}

namespace {

float dotImpl(const Format &fa, const uint32_t *a, ptrdiff_t sa,
              const Format &fb, const uint32_t *b, ptrdiff_t sb, int K,
              Accumulation acc) {
  switch (acc.kind) {
  case AccumKind::F32: {
    float s = 0.0f;
    for (int k = 0; k < K; ++k)
      s += decode(fa, a[k * sa]) * decode(fb, b[k * sb]);
    return s;
  }
  case AccumKind::F16: {
    float s = 0.0f; // always an FP16 value
    for (int k = 0; k < K; ++k) {
      float p = toHalf(double(decode(fa, a[k * sa])) * decode(fb, b[k * sb]));
      s = toHalf(double(s) + double(p));
    }
    return s;
  }
  case AccumKind::F16Chunked: {
    int c = acc.chunk < 1 ? std::max(K, 1) : acc.chunk;
    float total = 0.0f;
    for (int k0 = 0; k0 < K; k0 += c) {
      float s = 0.0f;
      for (int k = k0; k < K && k < k0 + c; ++k) {
        float p = toHalf(double(decode(fa, a[k * sa])) * decode(fb, b[k * sb]));
        s = toHalf(double(s) + double(p));
      }
      total += s;
    }
    return total;
  }
  case AccumKind::Exact: {
    i128 s = 0;
    for (int k = 0; k < K; ++k) {
      uint32_t ca = a[k * sa], cb = b[k * sb];
      if (!std::isfinite(decode(fa, ca)) || !std::isfinite(decode(fb, cb)))
        return dotImpl(fa, a, sa, fb, b, sb, K, Accumulation{AccumKind::F32, 0});
      s += i128(exactInteger(fa, ca)) * i128(exactInteger(fb, cb));
    }
    bool neg = s < 0;
    u128 m = neg ? u128(-s) : u128(s);
    return roundScaledIntegerToFloat(neg, uint64_t(m >> 64), uint64_t(m),
                                     lsbExponent(fa) + lsbExponent(fb));
  }
  }
  return nanf();
}

float scaleAt(const float *p, size_t i) {
  if (!p)
    return 1.0f;
  return p[i]; // validity is checked where the scale is applied
}

} // namespace

float tensorScaleProduct(float tensorScaleA, float tensorScaleB) {
  float tA = isValidScale(tensorScaleA) ? tensorScaleA : nanf();
  float tB = isValidScale(tensorScaleB) ? tensorScaleB : nanf();
  return tA * tB;
}

float addScaledBlock(float s, float partial, float scaleA, float scaleB) {
  float sa = isValidScale(scaleA) ? scaleA : nanf();
  float sb = isValidScale(scaleB) ? scaleB : nanf();
  return s + partial * (sa * sb);
}

float dotCodes(const Format &fa, const uint32_t *a, ptrdiff_t strideA,
               const Format &fb, const uint32_t *b, ptrdiff_t strideB, int K,
               Accumulation acc) {
  if (acc.kind == AccumKind::Exact &&
      !exactAccumulationSupported(fa, fb).empty())
    return nanf();
  return dotImpl(fa, a, strideA, fb, b, strideB, K, acc);
}

std::string referenceGemm(int M, int N, int K, const QOperand &A,
                          const QOperand &B, Accumulation acc, float *C) {
  char buf[256];
  if (M < 0 || N < 0 || K < 0) {
    std::snprintf(buf, sizeof buf,
                  "GEMM dimensions must be non-negative, got M=%d N=%d K=%d", M,
                  N, K);
    return buf;
  }
  if (!C || (M * N > 0 && K > 0 && (!A.codes || !B.codes)))
    return "GEMM operand codes and result pointer must not be null";
  for (const QOperand *op : {&A, &B}) {
    std::string v = validateFormat(op->format);
    if (!v.empty())
      return std::string("operand ") + (op == &A ? "A" : "B") +
             " has an invalid format: " + v;
  }
  std::string v = validateAccumulation(acc);
  if (!v.empty())
    return v;
  if (acc.kind == AccumKind::Exact) {
    v = exactAccumulationSupported(A.format, B.format);
    if (!v.empty())
      return v;
  }
  bool blocked =
      A.layout == ScaleLayout::BlockK || B.layout == ScaleLayout::BlockK;
  int bs = 0;
  for (const QOperand *op : {&A, &B}) {
    if (op->layout != ScaleLayout::BlockK)
      continue;
    if (op->blockSize < 1)
      return std::string("operand ") + (op == &A ? "A" : "B") +
             " has block scales but blockSize < 1";
    if (bs && bs != op->blockSize)
      return "operands A and B have block scales with different block sizes";
    bs = op->blockSize;
    if (!op->scales)
      return std::string("operand ") + (op == &A ? "A" : "B") +
             " has block scales but no scale array";
  }
  int nb = blocked ? (K + bs - 1) / bs : 1;
  float tAB = tensorScaleProduct(A.tensorScale, B.tensorScale);
  auto scaleA = [&](int m, int j) {
    switch (A.layout) {
    case ScaleLayout::Tensor: return scaleAt(A.scales, 0);
    case ScaleLayout::Outer: return scaleAt(A.scales, size_t(m));
    case ScaleLayout::BlockK: return scaleAt(A.scales, size_t(m) * nb + j);
    }
    return nanf();
  };
  auto scaleB = [&](int n, int j) {
    switch (B.layout) {
    case ScaleLayout::Tensor: return scaleAt(B.scales, 0);
    case ScaleLayout::Outer: return scaleAt(B.scales, size_t(n));
    case ScaleLayout::BlockK: return scaleAt(B.scales, size_t(j) * N + n);
    }
    return nanf();
  };
  for (int m = 0; m < M; ++m) {
    for (int n = 0; n < N; ++n) {
      const uint32_t *arow = A.codes + size_t(m) * K;
      const uint32_t *bcol = B.codes + n;
      float c;
      if (!blocked) {
        float d = dotImpl(A.format, arow, 1, B.format, bcol, N, K, acc);
        c = scaleDot(d, scaleA(m, 0), scaleB(n, 0), tAB);
      } else {
        float s = 0.0f;
        for (int j = 0; j < nb; ++j) {
          int k0 = j * bs, len = std::min(bs, K - k0);
          float p = dotImpl(A.format, arow + k0, 1, B.format,
                            bcol + size_t(k0) * N, N, len, acc);
          s = addScaledBlock(s, p, scaleA(m, j), scaleB(n, j));
        }
        c = s * tAB;
      }
      C[size_t(m) * N + n] = c;
    }
  }
  return "";
}

int ConvShape::outH() const {
  int eff = dilationH * (KH - 1) + 1;
  return H < eff ? 0 : (H - eff) / strideH + 1;
}
int ConvShape::outW() const {
  int eff = dilationW * (KW - 1) + 1;
  return W < eff ? 0 : (W - eff) / strideW + 1;
}

std::string validateConv2D(const ConvShape &s, bool inputScalePerTensor,
                           bool pointersNonNull) {
  if (s.N < 1 || s.H < 1 || s.W < 1 || s.C < 1 || s.KH < 1 || s.KW < 1 ||
      s.F < 1)
    return "convolution dimensions N, H, W, C, KH, KW, F must all be >= 1";
  if (s.strideH < 1 || s.strideW < 1 || s.dilationH < 1 || s.dilationW < 1)
    return "convolution strides and dilations must be >= 1";
  if (!inputScalePerTensor)
    return "convolution input scales must be per-tensor";
  if (s.outH() < 1 || s.outW() < 1)
    return "convolution window (with dilation) is larger than the input";
  if (!pointersNonNull)
    return "convolution codes and result pointer must not be null";
  return "";
}

std::string referenceConv2D(const ConvShape &s, const QOperand &input,
                            const QOperand &filter, Accumulation acc,
                            float *out) {
  std::string v = validateConv2D(s, input.layout == ScaleLayout::Tensor,
                                 input.codes && filter.codes && out);
  if (!v.empty())
    return v;
  int OH = s.outH(), OW = s.outW();
  int M = s.N * OH * OW, K = s.KH * s.KW * s.C;
  std::vector<uint32_t> col(size_t(M) * K);
  forEachConvTap(s, [&](size_t i, size_t src) { col[i] = input.codes[src]; });
  QOperand A = input;
  A.codes = col.data();
  return referenceGemm(M, s.F, K, A, filter, acc, out);
}

} // namespace quant4::num
