//===- Quantize.cpp - fast quantization into (packed) codes ---------------===//
//
// See include/quant4/Kernels/Quantize.h. The step tables are derived from
// num::encode; nothing here decides a rounding on its own.
//
//===----------------------------------------------------------------------===//
#include "quant4/Kernels/Quantize.h"
#include "quant4/Kernels/Parallel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#define Q4_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))
#endif

namespace quant4::kernels {
using num::Format;
using num::Rounding;

namespace {

constexpr uint32_t kInfBits = 0x7F800000u;

/// The step function of encode() on one sign: level i covers magnitudes with
/// bit patterns in [thr[i-1], thr[i]) and has code code[i].
struct Side {
  std::vector<uint32_t> thr;
  std::vector<uint8_t> code;
};
struct StepTable {
  Side side[2]; // 0: +x, 1: -x
  uint8_t nanCode = 0;
};

bool deterministic(Rounding r) {
  return r == Rounding::NearestLinear || r == Rounding::NearestLog ||
         r == Rounding::NearestEven;
}

StepTable buildTable(const Format &f, Rounding r) {
  StepTable t;
  t.nanCode = uint8_t(num::encode(f, std::nanf(""), r));
  for (int s = 0; s < 2; ++s) {
    auto x = [&](uint32_t u) { return s ? -num::bitsFloat(u) : num::bitsFloat(u); };
    auto mag = [&](uint32_t u) {
      return std::fabs(double(num::decode(f, num::encode(f, x(u), r))));
    };
    Side &side = t.side[s];
    side.code.push_back(uint8_t(num::encode(f, x(0), r)));
    uint32_t u0 = 0;
    double v0 = mag(0);
    while (u0 < kInfBits && mag(kInfBits) > v0) {
      // Smallest u in (u0, inf] with mag(u) > v0 (mag is monotone).
      uint32_t lo = u0 + 1, hi = kInfBits;
      while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (mag(mid) > v0)
          hi = mid;
        else
          lo = mid + 1;
      }
      side.thr.push_back(lo);
      side.code.push_back(uint8_t(num::encode(f, x(lo), r)));
      u0 = lo;
      v0 = mag(lo);
    }
  }
  return t;
}

const StepTable *tableFor(const Format &f, Rounding r) {
  if (!deterministic(r) || f.bitWidth() > 8)
    return nullptr;
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<StepTable>> cache;
  std::string key = f.str() + "/" + std::string(num::roundingName(r));
  std::lock_guard<std::mutex> lock(mu);
  auto &slot = cache[key];
  if (!slot)
    slot = std::make_unique<StepTable>(buildTable(f, r));
  return slot.get();
}

inline uint8_t lookup(const StepTable &t, float q) {
  if (std::isnan(q))
    return t.nanCode;
  uint32_t u = num::floatBits(q);
  const Side &s = t.side[u >> 31];
  u &= 0x7FFFFFFFu;
  size_t level = std::upper_bound(s.thr.begin(), s.thr.end(), u) - s.thr.begin();
  return s.code[level];
}

/// The code of one element, x quantized with `scale`: what every path of
/// quantize() gives (num::quantize itself when there is no step table).
inline uint8_t codeOf(const Format &f, const StepTable *t, float x,
                      float scale, Rounding r, num::RngKey key,
                      uint64_t index) {
  if (!t)
    return uint8_t(num::quantize(f, x, scale, r, key, index));
  if (!num::isValidScale(scale))
    return t->nanCode;
  return lookup(*t, x / scale);
}

inline void put(uint8_t *out, CodeLayout layout, size_t i, uint8_t code) {
  if (layout == CodeLayout::Byte) {
    out[i] = code;
    return;
  }
  uint8_t &b = out[i / 2];
  b = (i & 1) ? uint8_t((b & 0x0F) | (code << 4))
              : uint8_t((b & 0xF0) | (code & 0x0F));
}

// Codes of x[0..n) into bytes (one per element), fast path.
void codesScalar(const StepTable &t, const float *x, size_t n, float scale,
                 uint8_t *codes) {
  for (size_t i = 0; i < n; ++i)
    codes[i] = lookup(t, x[i] / scale);
}

#if defined(__x86_64__)
// 16 elements at a time; each side has at most 15 thresholds.
// PACKED: two codes per byte into `codes` (n even), else one per byte.
template <bool PACKED>
Q4_AVX512 void codes512(const StepTable &t, const float *x, size_t n,
                        float scale, uint8_t *codes) {
  // Both sides in one 32-entry table (entry 16·sign + i), each side's
  // thresholds padded to 16 with a value no magnitude bit pattern reaches:
  // the level is then a 4-step branch-free binary search per lane.
  alignas(64) int32_t thr[32], code[32];
  for (int sd = 0; sd < 2; ++sd) {
    const Side &S = t.side[sd];
    for (int i = 0; i < 16; ++i) {
      thr[16 * sd + i] = i < int(S.thr.size()) ? int32_t(S.thr[size_t(i)])
                                               : int32_t(0x7FFFFFFF);
      code[16 * sd + i] = i < int(S.code.size()) ? S.code[size_t(i)] : 0;
    }
  }
  __m512i thrP = _mm512_load_si512(thr), thrN = _mm512_load_si512(thr + 16);
  __m512i codeP = _mm512_load_si512(code), codeN = _mm512_load_si512(code + 16);
  __m512 vs = _mm512_set1_ps(scale);
  __m512i absMask = _mm512_set1_epi32(0x7FFFFFFF);
  __m512i nan = _mm512_set1_epi32(t.nanCode);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 q = _mm512_div_ps(_mm512_loadu_ps(x + i), vs);
    __m512i u = _mm512_castps_si512(q);
    __m512i mag = _mm512_and_si512(u, absMask);
    // 16 for a negative q (the sign bit moved to bit 4), else 0.
    __m512i level = _mm512_and_si512(_mm512_srli_epi32(u, 27),
                                     _mm512_set1_epi32(16));
    for (int step : {8, 4, 2, 1}) {
      __m512i probe = _mm512_add_epi32(level, _mm512_set1_epi32(step - 1));
      __m512i th = _mm512_permutex2var_epi32(thrP, probe, thrN);
      level = _mm512_mask_add_epi32(level, _mm512_cmpge_epi32_mask(mag, th),
                                    level, _mm512_set1_epi32(step));
    }
    __m512i c = _mm512_permutex2var_epi32(codeP, level, codeN);
    __mmask16 isnan = _mm512_cmp_ps_mask(q, q, _CMP_UNORD_Q);
    c = _mm512_mask_blend_epi32(isnan, c, nan);
    if (PACKED) {
      // Each 64-bit lane holds codes (2j, 2j+1): its low byte becomes
      // c[2j] | c[2j+1] << 4.
      __m512i pair = _mm512_or_si512(c, _mm512_srli_epi64(c, 28));
      _mm_storel_epi64((__m128i *)(codes + i / 2), _mm512_cvtepi64_epi8(pair));
    } else {
      _mm_storeu_si128((__m128i *)(codes + i), _mm512_cvtepi32_epi8(c));
    }
  }
  if (!PACKED)
    return codesScalar(t, x + i, n - i, scale, codes + i);
  uint8_t tail[16];
  codesScalar(t, x + i, n - i, scale, tail);
  for (size_t j = 0; j + 1 < n - i; j += 2)
    codes[(i + j) / 2] = uint8_t((tail[j] & 0x0F) | (tail[j + 1] << 4));
}
#endif

bool fits512(const StepTable &t) {
  return t.side[0].thr.size() <= 15 && t.side[1].thr.size() <= 15;
}

void codesFast(const StepTable &t, const float *x, size_t n, float scale,
               uint8_t *codes) {
#if defined(__x86_64__)
  if (detectIsa() == Isa::AVX512 && fits512(t))
    return codes512<false>(t, x, n, scale, codes);
#endif
  codesScalar(t, x, n, scale, codes);
}

// One contiguous piece [begin, end) of the work.
void quantizePiece(const Format &f, const StepTable *t, const float *x,
                   size_t begin, size_t end, float scale, Rounding r,
                   num::RngKey key, uint64_t indexBase, uint8_t *out,
                   CodeLayout layout, size_t outOffset) {
  if (!t || !num::isValidScale(scale)) { // element by element
    for (size_t i = begin; i < end; ++i)
      put(out, layout, outOffset + i,
          codeOf(f, t, x[i], scale, r, key, indexBase + i));
    return;
  }
  if (layout == CodeLayout::Byte)
    return codesFast(*t, x + begin, end - begin, scale,
                     out + outOffset + begin);
  // Packed: whole bytes through a small buffer, odd edges one by one.
  size_t i = begin;
  if ((outOffset + i) & 1) {
    put(out, layout, outOffset + i, lookup(*t, x[i] / scale));
    ++i;
  }
#if defined(__x86_64__)
  if (detectIsa() == Isa::AVX512 && fits512(*t) && i + 2 <= end) {
    size_t len = (end - i) & ~size_t(1);
    codes512<true>(*t, x + i, len, scale, out + (outOffset + i) / 2);
    i += len;
  }
#endif
  uint8_t buf[512];
  while (i + 2 <= end) {
    size_t len = std::min<size_t>(sizeof buf, (end - i) & ~size_t(1));
    codesFast(*t, x + i, len, scale, buf);
    uint8_t *dst = out + (outOffset + i) / 2;
    for (size_t j = 0; j < len; j += 2)
      dst[j / 2] = uint8_t((buf[j] & 0x0F) | (buf[j + 1] << 4));
    i += len;
  }
  if (i < end)
    put(out, layout, outOffset + i, lookup(*t, x[i] / scale));
}

} // namespace

void quantizeScaled(const Format &f, const float *x, const float *scales,
                    size_t n, Rounding r, num::RngKey key, uint64_t indexBase,
                    uint8_t *out, CodeLayout layout, size_t outOffset) {
  const StepTable *t = tableFor(f, r);
  for (size_t i = 0; i < n; ++i)
    put(out, layout, outOffset + i,
        codeOf(f, t, x[i], scales[i], r, key, indexBase + i));
}

bool quantizeIsFast(const Format &f, Rounding r) {
  return tableFor(f, r) != nullptr;
}

void quantize(const Format &f, const float *x, size_t n, float scale,
              Rounding r, num::RngKey key, uint64_t indexBase, uint8_t *out,
              CodeLayout layout, size_t outOffset, const Options &opts) {
  const StepTable *t = tableFor(f, r);
  int threads = std::max(1, opts.threads);
  // Pieces of at least 64K elements, split at even indices so that two
  // threads never share a packed byte.
  size_t minPiece = size_t(1) << 16;
  threads = int(std::min<size_t>(threads, std::max<size_t>(1, n / minPiece)));
  if (threads == 1)
    return quantizePiece(f, t, x, 0, n, scale, r, key, indexBase, out, layout,
                         outOffset);
  parallelFor(threads, threads, [&](int k) {
    size_t b = n * k / threads, e = n * (k + 1) / threads;
    // Align piece borders so that outOffset + border is even.
    auto align = [&](size_t v) {
      return (v == 0 || v == n) ? v : v + ((outOffset + v) & 1);
    };
    b = align(b), e = align(e);
    if (b < e)
      quantizePiece(f, t, x, b, e, scale, r, key, indexBase, out, layout,
                    outOffset);
  });
}

} // namespace quant4::kernels
