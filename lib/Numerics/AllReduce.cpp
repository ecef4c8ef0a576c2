//===- AllReduce.cpp - rule C50, the gradient all-reduce ------------------===//
#include "quant4/Numerics/AllReduce.h"

#include "quant4/Numerics/Format.h"
#include "quant4/Numerics/Rounding.h"
#include "quant4/Numerics/Scale.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace quant4::num {

namespace {

Format intFormat(AllReduceKind k) {
  return Format::sint(k == AllReduceKind::Int8 ? 8 : 4);
}

size_t blockBytes(AllReduceKind k, size_t elems) {
  return 4 + (k == AllReduceKind::Int8 ? elems : (elems + 1) / 2);
}

/// The signed code of element i of a block's codes.
int32_t codeAt(AllReduceKind k, const uint8_t *codes, size_t i) {
  if (k == AllReduceKind::Int8)
    return int8_t(codes[i]);
  uint8_t nib = (codes[i / 2] >> (4 * (i % 2))) & 0xF;
  return nib & 0x8 ? int32_t(nib) - 16 : int32_t(nib);
}

/// Calls fn(elements, offset of the block's first element, block bytes) for
/// each block of a payload of n elements.
template <typename Fn> void forEachBlock(AllReduceKind k, size_t n, Fn fn) {
  size_t off = 0;
  for (size_t b = 0; b < n; b += kAllReduceBlock) {
    size_t len = std::min(kAllReduceBlock, n - b);
    fn(b, len, off);
    off += blockBytes(k, len);
  }
}

} // namespace

std::string_view allReduceName(AllReduceKind k) {
  switch (k) {
  case AllReduceKind::F32:
    return "f32";
  case AllReduceKind::F16:
    return "f16";
  case AllReduceKind::Int8:
    return "int8";
  case AllReduceKind::Int4:
    return "int4";
  }
  return "?";
}

std::optional<AllReduceKind> parseAllReduce(std::string_view s) {
  for (AllReduceKind k : {AllReduceKind::F32, AllReduceKind::F16,
                          AllReduceKind::Int8, AllReduceKind::Int4})
    if (s == allReduceName(k))
      return k;
  return std::nullopt;
}

size_t allReducePayloadOffset(AllReduceKind k, size_t begin) {
  switch (k) {
  case AllReduceKind::F32:
    return 4 * begin;
  case AllReduceKind::F16:
    return 2 * begin;
  default:
    return (begin / kAllReduceBlock) * blockBytes(k, kAllReduceBlock);
  }
}

size_t allReducePayloadBytes(AllReduceKind k, size_t n) {
  if (k == AllReduceKind::F32 || k == AllReduceKind::F16)
    return allReducePayloadOffset(k, n);
  size_t full = n / kAllReduceBlock, rest = n % kAllReduceBlock;
  return full * blockBytes(k, kAllReduceBlock) +
         (rest ? blockBytes(k, rest) : 0);
}

void allReduceEncode(AllReduceKind k, const float *x, float *err, size_t n,
                     uint8_t *payload) {
  if (k == AllReduceKind::F32) {
    std::memcpy(payload, x, 4 * n);
    return;
  }
  if (k == AllReduceKind::F16) {
    for (size_t i = 0; i < n; ++i) {
      uint16_t h = floatToHalfBits(x[i]);
      std::memcpy(payload + 2 * i, &h, 2);
    }
    return;
  }
  Format f = intFormat(k);
  float v[kAllReduceBlock];
  forEachBlock(k, n, [&](size_t b, size_t len, size_t off) {
    for (size_t i = 0; i < len; ++i)
      v[i] = x[b + i] + err[b + i];
    float amax = amaxOf(v, len);
    uint8_t *codes = payload + off + 4;
    std::memset(codes, 0, blockBytes(k, len) - 4);
    if (!std::isfinite(amax)) {
      // A NaN or Inf: the block decodes to NaN on every replica (the step
      // shows it), and its error feedback restarts from zero.
      float nan = std::numeric_limits<float>::quiet_NaN();
      std::memcpy(payload + off, &nan, 4);
      std::fill(err + b, err + b + len, 0.0f);
      return;
    }
    float s = amaxScale(f, amax); // 1 for an all-zero block
    std::memcpy(payload + off, &s, 4);
    for (size_t i = 0; i < len; ++i) {
      uint32_t c = quantize(f, v[i], s, Rounding::NearestEven);
      err[b + i] = v[i] - dequantize(f, c, s);
      int32_t q = int32_t(decode(f, c));
      if (k == AllReduceKind::Int8)
        codes[i] = uint8_t(int8_t(q));
      else
        codes[i / 2] |= uint8_t((q & 0xF) << (4 * (i % 2)));
    }
  });
}

void allReduceDecode(AllReduceKind k, const uint8_t *payload, size_t n,
                     float *out) {
  if (k == AllReduceKind::F32) {
    std::memcpy(out, payload, 4 * n);
    return;
  }
  if (k == AllReduceKind::F16) {
    for (size_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, payload + 2 * i, 2);
      out[i] = halfBitsToFloat(h);
    }
    return;
  }
  Format f = intFormat(k);
  forEachBlock(k, n, [&](size_t b, size_t len, size_t off) {
    float s;
    std::memcpy(&s, payload + off, 4);
    const uint8_t *codes = payload + off + 4;
    for (size_t i = 0; i < len; ++i) {
      // The level's code (q is one of the format's levels, exactly).
      uint32_t c = encode(f, float(codeAt(k, codes, i)), Rounding::NearestEven);
      out[b + i] = std::isfinite(s) ? dequantize(f, c, s)
                                    : std::numeric_limits<float>::quiet_NaN();
    }
  });
}

void allReduceCombine(AllReduceKind k, const uint8_t *const *payloads,
                      int replicas, size_t n, float *out) {
  std::vector<float> d(n);
  allReduceDecode(k, payloads[0], n, out);
  for (int r = 1; r < replicas; ++r) {
    allReduceDecode(k, payloads[r], n, d.data());
    for (size_t i = 0; i < n; ++i) {
      float s = out[i] + d[i];
      out[i] =
          k == AllReduceKind::F16 ? halfBitsToFloat(floatToHalfBits(s)) : s;
    }
  }
  float count = float(replicas);
  for (size_t i = 0; i < n; ++i)
    out[i] = out[i] / count;
}

} // namespace quant4::num
