//===- Gemm.cpp - fast quantized GEMM kernels -----------------------------===//
//
// See include/quant4/Kernels/Gemm.h for the contract and the exactness
// argument, docs/Performance.md for the design and the measurements.
//
// Structure (the classic packed GEMM): B is packed once into column panels of
// NR; each thread takes a contiguous range of rows, packs A blocks of MC rows
// × KC reduction steps into row panels of MR, and runs an MR×NR microkernel
// that walks k upward with the tile in registers. Lanes hold different
// outputs, so every output sees the reference's order of additions.
//
//===----------------------------------------------------------------------===//
#include "quant4/Kernels/Gemm.h"
#include "quant4/Numerics/Rounding.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <type_traits>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#define Q4_AVX512                                                              \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,fma,f16c")))
#define Q4_AVX2 __attribute__((target("avx2,fma,f16c")))
#endif

namespace quant4::kernels {
using num::AccumKind;
using num::Format;

//===----------------------------------------------------------------------===//
// CPU features
//===----------------------------------------------------------------------===//

Isa detectIsa() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512vnni"))
    return Isa::AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("f16c"))
    return Isa::AVX2;
#endif
  return Isa::Portable;
}

const char *isaName(Isa isa) {
  switch (isa) {
  case Isa::Portable: return "portable";
  case Isa::AVX2: return "avx2";
  case Isa::AVX512: return "avx512-vnni";
  }
  return "?";
}

/// detectIsa(), detected once: for the helpers below the ISA dispatch that
/// have no requested ISA at hand (unpackRun, under CodeMatrix).
static Isa cpuIsa() {
  static const Isa isa = detectIsa();
  return isa;
}

static Isa usableIsa(Isa requested) {
  Isa best = cpuIsa();
  return static_cast<int>(requested) <= static_cast<int>(best) ? requested
                                                               : best;
}

void packCodes4(const uint8_t *codes, size_t n, uint8_t *packed) {
  for (size_t i = 0; i + 1 < n; i += 2)
    packed[i / 2] = uint8_t((codes[i] & 0xF) | ((codes[i + 1] & 0xF) << 4));
  if (n & 1)
    packed[n / 2] = codes[n - 1] & 0xF;
}

//===----------------------------------------------------------------------===//
// Format-pair analysis (exhaustive over the codes, cached)
//===----------------------------------------------------------------------===//

namespace {

struct FormatTables {
  std::vector<float> value;  // decode(code)
  std::vector<int16_t> ival; // exactInteger(code), when intOk
  bool allFinite = true;
  bool intOk = true; // every code's exact integer fits int16
  int64_t maxInt = 0;
};

struct PairInfo {
  bool productsExact = false; // every finite product is exact in float32
  bool floatExact = false; // ... and both formats have only finite codes
  bool int16Exact = false; // exact path with int16 operands
  int64_t maxProduct = 0;  // max |intA · intB|
  bool halfProductsExact = false; // every finite product is exact in FP16
  /// num::f16SkipsZeroProducts of the pair (implied by floatExact).
  bool f16SkipsZeros = false;
};

float roundHalf(float x) {
  return num::halfBitsToFloat(num::floatToHalfBits(x));
}

FormatTables makeTables(const Format &f) {
  FormatTables t;
  uint32_t n = f.numCodes();
  t.value.resize(n);
  t.ival.resize(n);
  bool exactKind = f.kind == num::FormatKind::Log ||
                   f.kind == num::FormatKind::Int ||
                   f.kind == num::FormatKind::UInt ||
                   f.kind == num::FormatKind::FP4E2M1;
  t.intOk = exactKind;
  for (uint32_t c = 0; c < n; ++c) {
    t.value[c] = num::decode(f, c);
    if (!std::isfinite(t.value[c]))
      t.allFinite = false;
    if (exactKind) {
      int64_t v = num::exactInteger(f, c);
      if (v > 32767 || v < -32767)
        t.intOk = false;
      else
        t.ival[c] = int16_t(v);
      t.maxInt = std::max<int64_t>(t.maxInt, v < 0 ? -v : v);
    }
  }
  t.intOk = t.intOk && t.allFinite;
  return t;
}

const FormatTables &tablesFor(const Format &f) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<FormatTables>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto &slot = cache[f.str()];
  if (!slot)
    slot = std::make_unique<FormatTables>(makeTables(f));
  return *slot;
}

PairInfo pairInfo(const Format &fa, const Format &fb) {
  static std::mutex mu;
  static std::map<std::string, PairInfo> cache;
  std::string key = fa.str() + "*" + fb.str();
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end())
      return it->second;
  }
  const FormatTables &ta = tablesFor(fa), &tb = tablesFor(fb);
  PairInfo p;
  p.productsExact = fa.bitWidth() <= 8 && fb.bitWidth() <= 8;
  for (float a : ta.value) {
    if (!p.productsExact)
      break;
    for (float b : tb.value) {
      if (!std::isfinite(a) || !std::isfinite(b))
        continue;
      double exact = double(a) * double(b);
      if (double(a * b) != exact) {
        p.productsExact = false;
        break;
      }
    }
  }
  // Formats with NaN/Inf codes take the reference path unless the data has
  // none of them: the sign of a NaN produced by SIMD arithmetic may differ
  // from the scalar reference's.
  p.floatExact = p.productsExact && ta.allFinite && tb.allFinite;
  p.int16Exact = ta.intOk && tb.intOk &&
                 num::exactAccumulationSupported(fa, fb).empty();
  // Saturated: wide formats (e.g. log<4,5>) overflow int64 here; the value
  // is used for int16Exact pairs only.
  if (__builtin_mul_overflow(ta.maxInt, tb.maxInt, &p.maxProduct))
    p.maxProduct = std::numeric_limits<int64_t>::max();
  p.halfProductsExact = true;
  for (float a : ta.value)
    for (float b : tb.value)
      if (roundHalf(a * b) != a * b && std::isfinite(a * b))
        p.halfProductsExact = false;
  p.f16SkipsZeros = num::f16SkipsZeroProducts(fa, fb);
  std::lock_guard<std::mutex> lock(mu);
  cache[key] = p;
  return p;
}

enum class Path { ExactInt16, Float, FloatF16, Reference };

/// `blocked`: block scales along K; `dataFinite`: the operands' codes hold no
/// NaN/Inf (formats with such codes may then take the f32 float path).
Path choosePath(const Format &fa, const Format &fb, num::Accumulation acc,
                bool blocked, bool dataFinite = false) {
  if (fa.bitWidth() > 8 || fb.bitWidth() > 8)
    return Path::Reference;
  PairInfo p = pairInfo(fa, fb);
  switch (acc.kind) {
  case AccumKind::Exact:
    return p.int16Exact && !blocked ? Path::ExactInt16 : Path::Reference;
  case AccumKind::F32:
    return p.floatExact || (dataFinite && p.productsExact) ? Path::Float
                                                           : Path::Reference;
  case AccumKind::F16:
    return p.floatExact ? Path::FloatF16 : Path::Reference;
  case AccumKind::F16Chunked:
    return p.floatExact && !blocked ? Path::FloatF16 : Path::Reference;
  }
  return Path::Reference;
}

/// f32 accumulation of integer-valued codes whose every partial sum stays
/// below 2^24 units of the product grid: each float32 add is then exact, so
/// the sequential f32 sum *is* the exact integer sum (and a zero sum is +0
/// either way) — the integer kernels give the same bits, faster.
/// Only for GEMMs large enough that the integer kernels' fixed costs pay off
/// (both paths give the same bits).
bool f32ViaIntegers(const Format &fa, const Format &fb, int M, int N, int K) {
  if (fa.bitWidth() > 8 || fb.bitWidth() > 8 || K <= 0 ||
      double(M) * N * K < double(1 << 27))
    return false;
  const FormatTables &ta = tablesFor(fa), &tb = tablesFor(fb);
  int lsb = num::lsbExponent(fa) + num::lsbExponent(fb);
  return pairInfo(fa, fb).int16Exact &&
         double(ta.maxInt) * double(tb.maxInt) * double(K) <=
             double(num::exactIntegerLimit(AccumKind::F32, lsb));
}

const char *pathName(Path path) {
  switch (path) {
  case Path::ExactInt16: return "exact-int";
  case Path::Float: return "float";
  case Path::FloatF16: return "float-f16";
  case Path::Reference: return "reference";
  }
  return "?";
}

} // namespace

const char *gemmPath(const Format &a, const Format &b, num::Accumulation acc,
                     int M, int N, int K) {
  Path path = choosePath(a, b, acc, false);
  if (path == Path::Float && f32ViaIntegers(a, b, M, N, K))
    path = Path::ExactInt16;
  return pathName(path);
}

//===----------------------------------------------------------------------===//
// Microkernels
//===----------------------------------------------------------------------===//

namespace {

// Tile shapes per instruction set.
struct Shape {
  int MR, NR;
};
Shape shapeFor(Isa isa) {
  switch (isa) {
  case Isa::AVX512: return {8, 32};
  case Isa::AVX2: return {6, 16};
  case Isa::Portable: return {4, 16};
  }
  return {4, 16};
}
// The float kernels use a taller tile on AVX-512 (24 accumulators).
Shape floatShapeFor(Isa isa) {
  return isa == Isa::AVX512 ? Shape{12, 32} : shapeFor(isa);
}

// Float modes: 0 = f32 (fused multiply-add, equal to multiply-then-add since
// products are exact), 1 = f16 accumulation (round the sum to FP16 after
// every add; products exact in FP16 are not rounded), 2 = f16 with products
// rounded to FP16 first.
enum FloatMode { kF32 = 0, kF16 = 1, kF16RoundProducts = 2 };

/// FP16 sums as the reference has them: a NaN is Numerics' FP16 NaN. (SIMD
/// arithmetic makes Inf − Inf the x86 default NaN, sign bit set, and the
/// conversions keep that sign.) Applied wherever an FP16 sum leaves a
/// kernel: whole sums, chunk partials and block partials. halfSum(x,
/// halfNaN()) is branch-free, so the scaling loops around it vectorize.
float halfNaN() { return roundHalf(std::numeric_limits<float>::quiet_NaN()); }
inline float halfSum(float x, float nan) { return x != x ? nan : x; }

/// c[j] += halfSum(part[j], nan) for j < n: FP16 chunk partials added to
/// the float32 chunk sums, vectorized for the instruction set in use (the
/// same adds in every form).
__attribute__((always_inline)) inline void
addHalfPartialsImpl(float *__restrict c, const float *__restrict part, int n,
                    float nan) {
#pragma clang loop interleave_count(1) // n ≤ a tile's width (16 or 32)
  for (int j = 0; j < n; ++j)
    c[j] += halfSum(part[j], nan);
}
#if defined(__x86_64__)
Q4_AVX512 void addHalfPartials512(float *c, const float *part, int n,
                                  float nan) {
  addHalfPartialsImpl(c, part, n, nan);
}
Q4_AVX2 void addHalfPartials256(float *c, const float *part, int n,
                                float nan) {
  addHalfPartialsImpl(c, part, n, nan);
}
#endif
void addHalfPartials(Isa isa, float *c, const float *part, int n, float nan) {
#if defined(__x86_64__)
  if (isa == Isa::AVX512)
    return addHalfPartials512(c, part, n, nan);
  if (isa == Isa::AVX2)
    return addHalfPartials256(c, part, n, nan);
#endif
  (void)isa;
  addHalfPartialsImpl(c, part, n, nan);
}

// Microkernels: C[MR×NR] (row stride ldc) = (zero ? 0 : C) + A-panel ·
// B-panel over kc reduction steps (kp pairs for int16), k increasing.

template <int MR, int NR, int MODE>
void microFloatPortable(int kc, const float *A, const float *B, float *C,
                        int64_t ldc, bool zero) {
  float T[MR][NR];
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < NR; ++j)
      T[r][j] = zero ? 0.0f : C[r * ldc + j];
  for (int k = 0; k < kc; ++k)
    for (int r = 0; r < MR; ++r) {
      float a = A[k * MR + r];
      for (int j = 0; j < NR; ++j) {
        float p = a * B[k * NR + j];
        if (MODE == kF32) {
          T[r][j] += p;
        } else {
          if (MODE == kF16RoundProducts)
            p = roundHalf(p);
          T[r][j] = roundHalf(T[r][j] + p);
        }
      }
    }
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < NR; ++j)
      C[r * ldc + j] = T[r][j];
}

void microInt16Portable(int kp, const int32_t *A, const int16_t *B, int32_t *C,
                        int64_t ldc, bool zero, int MR, int NR) {
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < NR; ++j) {
      int32_t t = zero ? 0 : C[r * ldc + j];
      for (int p = 0; p < kp; ++p) {
        int32_t pair = A[p * MR + r];
        int32_t a0 = int16_t(pair & 0xFFFF), a1 = int16_t(uint32_t(pair) >> 16);
        t += a0 * B[(p * NR + j) * 2] + a1 * B[(p * NR + j) * 2 + 1];
      }
      C[r * ldc + j] = t;
    }
}

#if defined(__x86_64__)
// ROWS ≤ 12 rows of a 12-row A panel (shorter variants for the last rows of
// a GEMM, which would otherwise run the whole 12-row tile).
template <int MODE, int ROWS = 12>
Q4_AVX512 void microFloat512(int kc, const float *A, const float *B, float *C,
                             int64_t ldc, bool zero) {
  constexpr int MR = ROWS, AS = 12; // tile rows, A panel row stride
  __m512 c0[MR], c1[MR];
  for (int r = 0; r < MR; ++r) {
    c0[r] = zero ? _mm512_setzero_ps() : _mm512_loadu_ps(C + r * ldc);
    c1[r] = zero ? _mm512_setzero_ps() : _mm512_loadu_ps(C + r * ldc + 16);
  }
  for (int k = 0; k < kc; ++k) {
    __m512 b0 = _mm512_loadu_ps(B + k * 32);
    __m512 b1 = _mm512_loadu_ps(B + k * 32 + 16);
    const float *a = A + k * AS;
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; ++r) {
      __m512 av = _mm512_set1_ps(a[r]);
      if (MODE == kF32) {
        c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
        c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
      } else {
        constexpr int rn = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
        __m512 s0, s1;
        if (MODE == kF16RoundProducts) {
          __m512 p0 = _mm512_cvtph_ps(_mm512_cvtps_ph(_mm512_mul_ps(av, b0), rn));
          __m512 p1 = _mm512_cvtph_ps(_mm512_cvtps_ph(_mm512_mul_ps(av, b1), rn));
          s0 = _mm512_add_ps(c0[r], p0);
          s1 = _mm512_add_ps(c1[r], p1);
        } else {
          // The product of two codes is exact in float32, so the fused
          // multiply-add rounds once, like the separate multiply and add.
          s0 = _mm512_fmadd_ps(av, b0, c0[r]);
          s1 = _mm512_fmadd_ps(av, b1, c1[r]);
        }
        c0[r] = _mm512_cvtph_ps(_mm512_cvtps_ph(s0, rn));
        c1[r] = _mm512_cvtph_ps(_mm512_cvtps_ph(s1, rn));
      }
    }
  }
  for (int r = 0; r < MR; ++r) {
    _mm512_storeu_ps(C + r * ldc, c0[r]);
    _mm512_storeu_ps(C + r * ldc + 16, c1[r]);
  }
}

Q4_AVX512 void microInt16_512(int kp, const int32_t *A, const int16_t *B,
                              int32_t *C, int64_t ldc, bool zero) {
  constexpr int MR = 8;
  __m512i c0[MR], c1[MR];
  for (int r = 0; r < MR; ++r) {
    c0[r] = zero ? _mm512_setzero_si512() : _mm512_loadu_si512(C + r * ldc);
    c1[r] = zero ? _mm512_setzero_si512()
                 : _mm512_loadu_si512(C + r * ldc + 16);
  }
  for (int p = 0; p < kp; ++p) {
    __m512i b0 = _mm512_loadu_si512(B + p * 64);
    __m512i b1 = _mm512_loadu_si512(B + p * 64 + 32);
    const int32_t *a = A + p * MR;
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; ++r) {
      __m512i av = _mm512_set1_epi32(a[r]);
      c0[r] = _mm512_dpwssd_epi32(c0[r], av, b0);
      c1[r] = _mm512_dpwssd_epi32(c1[r], av, b1);
    }
  }
  for (int r = 0; r < MR; ++r) {
    _mm512_storeu_si512(C + r * ldc, c0[r]);
    _mm512_storeu_si512(C + r * ldc + 16, c1[r]);
  }
}

// u8 × s8 groups of 4 (vpdpbusd), same tile shape as the int16 kernel.
// TRACK: also raise *peak to the largest |partial sum| seen after each group
// of 4 k (the FP16-accumulation test of gemm()).
template <bool TRACK>
Q4_AVX512 void microInt8_512(int kq, const int32_t *A, const int8_t *B,
                             int32_t *C, int64_t ldc, bool zero,
                             int32_t *peak) {
  constexpr int MR = 8;
  __m512i c0[MR], c1[MR];
  __m512i top = _mm512_setzero_si512();
  for (int r = 0; r < MR; ++r) {
    c0[r] = zero ? _mm512_setzero_si512() : _mm512_loadu_si512(C + r * ldc);
    c1[r] = zero ? _mm512_setzero_si512()
                 : _mm512_loadu_si512(C + r * ldc + 16);
  }
  for (int p = 0; p < kq; ++p) {
    __m512i b0 = _mm512_loadu_si512(B + p * 128);
    __m512i b1 = _mm512_loadu_si512(B + p * 128 + 64);
    const int32_t *a = A + p * MR;
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; ++r) {
      __m512i av = _mm512_set1_epi32(a[r]);
      c0[r] = _mm512_dpbusd_epi32(c0[r], av, b0);
      c1[r] = _mm512_dpbusd_epi32(c1[r], av, b1);
      if (TRACK) {
        top = _mm512_max_epi32(top, _mm512_abs_epi32(c0[r]));
        top = _mm512_max_epi32(top, _mm512_abs_epi32(c1[r]));
      }
    }
  }
  for (int r = 0; r < MR; ++r) {
    _mm512_storeu_si512(C + r * ldc, c0[r]);
    _mm512_storeu_si512(C + r * ldc + 16, c1[r]);
  }
  if (TRACK)
    *peak = std::max(*peak, _mm512_reduce_max_epi32(top));
}

template <int MODE>
Q4_AVX2 void microFloat256(int kc, const float *A, const float *B, float *C,
                           int64_t ldc, bool zero) {
  constexpr int MR = 6;
  __m256 c0[MR], c1[MR];
  for (int r = 0; r < MR; ++r) {
    c0[r] = zero ? _mm256_setzero_ps() : _mm256_loadu_ps(C + r * ldc);
    c1[r] = zero ? _mm256_setzero_ps() : _mm256_loadu_ps(C + r * ldc + 8);
  }
  for (int k = 0; k < kc; ++k) {
    __m256 b0 = _mm256_loadu_ps(B + k * 16);
    __m256 b1 = _mm256_loadu_ps(B + k * 16 + 8);
    const float *a = A + k * MR;
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; ++r) {
      __m256 av = _mm256_broadcast_ss(a + r);
      if (MODE == kF32) {
        c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
        c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
      } else {
        constexpr int rn = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
        __m256 s0, s1;
        if (MODE == kF16RoundProducts) {
          __m256 p0 = _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_mul_ps(av, b0), rn));
          __m256 p1 = _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_mul_ps(av, b1), rn));
          s0 = _mm256_add_ps(c0[r], p0);
          s1 = _mm256_add_ps(c1[r], p1);
        } else { // exact products: one rounding either way
          s0 = _mm256_fmadd_ps(av, b0, c0[r]);
          s1 = _mm256_fmadd_ps(av, b1, c1[r]);
        }
        c0[r] = _mm256_cvtph_ps(_mm256_cvtps_ph(s0, rn));
        c1[r] = _mm256_cvtph_ps(_mm256_cvtps_ph(s1, rn));
      }
    }
  }
  for (int r = 0; r < MR; ++r) {
    _mm256_storeu_ps(C + r * ldc, c0[r]);
    _mm256_storeu_ps(C + r * ldc + 8, c1[r]);
  }
}

Q4_AVX2 void microInt16_256(int kp, const int32_t *A, const int16_t *B,
                            int32_t *C, int64_t ldc, bool zero) {
  constexpr int MR = 6;
  __m256i c0[MR], c1[MR];
  for (int r = 0; r < MR; ++r) {
    c0[r] = zero ? _mm256_setzero_si256()
                 : _mm256_loadu_si256((const __m256i *)(C + r * ldc));
    c1[r] = zero ? _mm256_setzero_si256()
                 : _mm256_loadu_si256((const __m256i *)(C + r * ldc + 8));
  }
  for (int p = 0; p < kp; ++p) {
    __m256i b0 = _mm256_loadu_si256((const __m256i *)(B + p * 32));
    __m256i b1 = _mm256_loadu_si256((const __m256i *)(B + p * 32 + 16));
    const int32_t *a = A + p * MR;
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; ++r) {
      __m256i av = _mm256_set1_epi32(a[r]);
      c0[r] = _mm256_add_epi32(c0[r], _mm256_madd_epi16(av, b0));
      c1[r] = _mm256_add_epi32(c1[r], _mm256_madd_epi16(av, b1));
    }
  }
  for (int r = 0; r < MR; ++r) {
    _mm256_storeu_si256((__m256i *)(C + r * ldc), c0[r]);
    _mm256_storeu_si256((__m256i *)(C + r * ldc + 8), c1[r]);
  }
}
#endif

using FloatMicro = void (*)(int, const float *, const float *, float *,
                            int64_t, bool);

/// The microkernel for `rows` (≤ the tile's MR) live rows: on AVX-512, a
/// 4- or 8-row variant when that covers them, else the full tile.
FloatMicro floatMicro(Isa isa, int mode, int rows = 12) {
#if defined(__x86_64__)
  if (isa == Isa::AVX512) {
    if (rows <= 4)
      return mode == kF32 ? microFloat512<kF32, 4>
             : mode == kF16 ? microFloat512<kF16, 4>
                            : microFloat512<kF16RoundProducts, 4>;
    if (rows <= 8)
      return mode == kF32 ? microFloat512<kF32, 8>
             : mode == kF16 ? microFloat512<kF16, 8>
                            : microFloat512<kF16RoundProducts, 8>;
    return mode == kF32 ? microFloat512<kF32>
           : mode == kF16 ? microFloat512<kF16>
                          : microFloat512<kF16RoundProducts>;
  }
  if (isa == Isa::AVX2)
    return mode == kF32 ? microFloat256<kF32>
           : mode == kF16 ? microFloat256<kF16>
                          : microFloat256<kF16RoundProducts>;
#endif
  return mode == kF32 ? microFloatPortable<4, 16, kF32>
         : mode == kF16 ? microFloatPortable<4, 16, kF16>
                        : microFloatPortable<4, 16, kF16RoundProducts>;
}

void microInt(Isa isa, int kg, const int32_t *A, const int16_t *B,
              int32_t *C, int64_t ldc, bool zero, Shape sh) {
#if defined(__x86_64__)
  if (isa == Isa::AVX512)
    return microInt16_512(kg, A, B, C, ldc, zero);
  if (isa == Isa::AVX2)
    return microInt16_256(kg, A, B, C, ldc, zero);
#endif
  microInt16Portable(kg, A, B, C, ldc, zero, sh.MR, sh.NR);
}

void microInt(Isa isa, int kg, const int32_t *A, const int8_t *B, int32_t *C,
              int64_t ldc, bool zero, Shape, int32_t *peak = nullptr) {
#if defined(__x86_64__)
  if (isa == Isa::AVX512)
    return peak ? microInt8_512<true>(kg, A, B, C, ldc, zero, peak)
                : microInt8_512<false>(kg, A, B, C, ldc, zero, nullptr);
#endif
  (void)isa, (void)kg, (void)A, (void)B, (void)C, (void)ldc, (void)zero;
  (void)peak;
  std::abort(); // the byte variant is only chosen with AVX-512 VNNI
}

/// Runs a microkernel on the tile at C (row stride ldc) with `rows` × `cols`
/// valid entries: in place when the tile is whole, else through a padded
/// copy. Returns nothing; the caller reads the updated tile from C.
template <typename T, typename Fn>
void onTile(T *C, int64_t ldc, int rows, int cols, bool zero, Shape sh,
            T *scratch, Fn micro) {
  if (rows == sh.MR && cols == sh.NR)
    return micro(C, ldc, zero);
  for (int r = 0; r < sh.MR; ++r)
    for (int j = 0; j < sh.NR; ++j)
      scratch[r * sh.NR + j] =
          (!zero && r < rows && j < cols) ? C[r * ldc + j] : T(0);
  micro(scratch, int64_t(sh.NR), false);
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < cols; ++j)
      C[r * ldc + j] = scratch[r * sh.NR + j];
}

//===----------------------------------------------------------------------===//
// Operand access and packing
//===----------------------------------------------------------------------===//

/// A std::vector allocator giving 64-byte (cache-line) aligned storage: the
/// packed panels are read with full-width vector loads, which must not
/// straddle cache lines (a 16-byte aligned 256 KB panel made the FP16
/// kernel run at half speed, depending on where malloc put it).
template <typename T> struct CacheAligned {
  using value_type = T;
  CacheAligned() = default;
  template <typename U> CacheAligned(const CacheAligned<U> &) {}
  T *allocate(size_t n) {
    size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
    void *p = std::aligned_alloc(64, std::max<size_t>(bytes, 64));
    if (!p)
      throw std::bad_alloc();
    return static_cast<T *>(p);
  }
  void deallocate(T *p, size_t) { std::free(p); }
  template <typename U> bool operator==(const CacheAligned<U> &) const {
    return true;
  }
  template <typename U> bool operator!=(const CacheAligned<U> &) const {
    return false;
  }
};
template <typename T> using AlignedVector = std::vector<T, CacheAligned<T>>;

/// A cache-aligned array of n trivially constructible elements left
/// uninitialized, for buffers the kernels write in full before reading (a
/// zero-filled vector costs a pass over memory and, at every call, page
/// faults that two threads then take in turn).
template <typename T> class UninitArray {
public:
  explicit UninitArray(size_t n) : n_(n), p_(CacheAligned<T>().allocate(n)) {}
  ~UninitArray() { CacheAligned<T>().deallocate(p_, n_); }
  UninitArray(const UninitArray &) = delete;
  UninitArray &operator=(const UninitArray &) = delete;
  T *data() { return p_; }
  size_t size() const { return n_; }
  T &operator[](size_t i) { return p_[i]; }
  T *begin() { return p_; }
  T *end() { return p_ + n_; }

private:
  size_t n_;
  T *p_;
};

#if defined(__x86_64__)
/// 32 bytes of two 4-bit codes each → 64 codes, low nibble first.
Q4_AVX2 int unpackNibbles256(const uint8_t *src, int pairs, uint8_t *out) {
  const __m256i low = _mm256_set1_epi8(0x0F);
  int p = 0;
  for (; p + 32 <= pairs; p += 32) {
    __m256i b = _mm256_loadu_si256((const __m256i *)(src + p));
    __m256i lo = _mm256_and_si256(b, low);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(b, 4), low);
    __m256i a = _mm256_unpacklo_epi8(lo, hi), c = _mm256_unpackhi_epi8(lo, hi);
    _mm256_storeu_si256((__m256i *)(out + 2 * p),
                        _mm256_permute2x128_si256(a, c, 0x20));
    _mm256_storeu_si256((__m256i *)(out + 2 * p + 32),
                        _mm256_permute2x128_si256(a, c, 0x31));
  }
  return p;
}
#endif

/// Codes of `len` consecutive stored elements starting at flat index `f`,
/// one per byte: the fast form of codeAt for a run.
void unpackRun(const uint8_t *codes, CodeLayout layout, size_t f, int len,
               uint8_t *out) {
  if (len <= 0)
    return;
  if (layout == CodeLayout::Byte) {
    std::memcpy(out, codes + f, size_t(len));
    return;
  }
  int i = 0;
  if (f & 1)
    out[i++] = uint8_t(codes[f / 2] >> 4);
  const uint8_t *src = codes + (f + size_t(i)) / 2;
  int pairs = (len - i) / 2, p = 0;
#if defined(__x86_64__)
  if (pairs >= 32 && cpuIsa() >= Isa::AVX2)
    p = unpackNibbles256(src, pairs, out + i);
#endif
  for (; p < pairs; ++p) {
    uint8_t b = src[p];
    out[i + 2 * p] = uint8_t(b & 0xF);
    out[i + 2 * p + 1] = uint8_t(b >> 4);
  }
  if ((len - i) & 1)
    out[len - 1] = uint8_t(src[pairs] & 0xF);
}

/// Code of logical element (i, j) of an operand with `cols` logical columns
/// and `rows` logical rows, stored row-major or as its transpose.
struct CodeMatrix {
  const uint8_t *codes;
  CodeLayout layout;
  int rows, cols;
  bool transposed;
  uint32_t at(int i, int j) const {
    return codeAt(codes, layout,
                  transposed ? size_t(j) * rows + i : size_t(i) * cols + j);
  }
  /// The codes of rows [i0, i0+ni) × columns [j0, j0+nj), one per byte,
  /// row-major with row stride nj, read in runs along the stored rows.
  void block(int i0, int ni, int j0, int nj, uint8_t *out) const {
    if (ni <= 0 || nj <= 0)
      return;
    if (!transposed) {
      for (int i = 0; i < ni; ++i)
        unpackRun(codes, layout, size_t(i0 + i) * cols + j0, nj,
                  out + size_t(i) * nj);
      return;
    }
    std::vector<uint8_t> run(static_cast<size_t>(ni));
    for (int j = 0; j < nj; ++j) {
      unpackRun(codes, layout, size_t(j0 + j) * rows + i0, ni, run.data());
      for (int i = 0; i < ni; ++i)
        out[size_t(i) * nj + j] = run[size_t(i)];
    }
  }
};

// A block rows [m0, m0+mc) × k [k0, k0+kc) into panels of MR rows:
// out[panel][k][MR], rows past M are zero.
template <typename T, typename Table>
void packA(const CodeMatrix &A, const Table &table, int M, int m0, int mc,
           int k0, int kc, int MR, T *out) {
  int live = std::max(0, std::min(mc, M - m0));
  std::vector<uint8_t> blk(size_t(live) * size_t(kc));
  A.block(m0, live, k0, kc, blk.data());
  for (int p = 0; p < mc; p += MR)
    for (int r = 0; r < MR; ++r) {
      T *dst = out + size_t(p) * kc + r;
      if (p + r >= live) {
        for (int k = 0; k < kc; ++k)
          dst[size_t(k) * MR] = T(0);
        continue;
      }
      const uint8_t *src = blk.data() + size_t(p + r) * kc;
      for (int k = 0; k < kc; ++k)
        dst[size_t(k) * MR] = table[src[k]];
    }
}

// The whole of B (K×N) into panels of NR columns: out[panel][k][NR], each
// row of a panel written by row(codes, cols, dst) (zeros past cols).
template <typename T, typename Row>
void packBRows(const CodeMatrix &B, int K, int N, int NR, T *out, Row row) {
  int panels = (N + NR - 1) / NR;
  std::vector<uint8_t> blk(size_t(K) * size_t(NR));
  for (int q = 0; q < panels; ++q) {
    int cols = std::min(NR, N - q * NR);
    B.block(0, K, q * NR, cols, blk.data());
    for (int k = 0; k < K; ++k)
      row(blk.data() + size_t(k) * cols, cols, out + (size_t(q) * K + k) * NR);
  }
}

template <typename T, typename Table>
void packB(const CodeMatrix &B, const Table &table, int K, int N, int NR,
           T *out) {
  packBRows(B, K, N, NR, out, [&](const uint8_t *src, int cols, T *dst) {
    for (int j = 0; j < cols; ++j)
      dst[j] = table[src[j]];
    for (int j = cols; j < NR; ++j)
      dst[j] = T(0);
  });
}

#if defined(__x86_64__)
/// 16 byte codes → 16 floats through a ≤ 16-entry table in a register.
Q4_AVX512 inline __m512 lookup16(const uint8_t *codes, __m512 tab) {
  return _mm512_permutexvar_ps(
      _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)codes)), tab);
}

/// dst[i] = tab16[codes[i]] for the whole 16s of n; returns how many.
Q4_AVX512 int lookupRow512(const uint8_t *codes, int n, const float *tab16,
                           float *dst) {
  __m512 tab = _mm512_loadu_ps(tab16);
  int i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(dst + i, lookup16(codes + i, tab));
  return i;
}

/// A 32-wide panel row of float values of a format with at most 16 codes:
/// the table in one register, 16 codes looked up per `vpermps`.
struct PermuteRow32 {
  alignas(64) float tab[16] = {};
  Q4_AVX512 void operator()(const uint8_t *src, int cols, float *dst) const {
    int j = lookupRow512(src, cols, tab, dst);
    for (; j < cols; ++j)
      dst[j] = tab[src[j]];
    for (; j < 32; ++j)
      dst[j] = 0.0f;
  }
};
#endif

/// A table of at most 16 int16 values (plus `offset`) split in low and high
/// bytes, for byte-shuffle lookups; entries past ncodes are 0.
struct SplitTable16 {
  alignas(16) uint8_t lo[16] = {}, hi[16] = {};
  SplitTable16(const int16_t *table, int ncodes, int offset = 0) {
    for (int c = 0; c < std::min(ncodes, 16); ++c) {
      uint16_t v = uint16_t(table[c] + offset);
      lo[c] = uint8_t(v & 0xFF), hi[c] = uint8_t(v >> 8);
    }
  }
};

// Integer operands in groups of G consecutive k (G = 2: int16 lanes for
// vpdpwssd/vpmaddwd; G = 4: bytes for vpdpbusd). A: one int32 per row and
// group (element g in bits [g·32/G, (g+1)·32/G), A values plus `offset` for
// the unsigned byte form); B: [group][NR][G] of BT. Past K (or the block),
// A elements are zero: they add nothing even with B's padding.
#if defined(__x86_64__)
/// out[i] = tab[src[i]] (a 16-entry byte table) for the whole 16s of n.
Q4_AVX2 int lookupBytes16(const uint8_t *src, int n, __m128i tab,
                          uint8_t *out) {
  int i = 0;
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128((__m128i *)(out + i),
                     _mm_shuffle_epi8(tab, _mm_loadu_si128((const __m128i *)(src + i))));
  return i;
}

/// out[i] = the int16 of code src[i] (table split in low and high bytes).
Q4_AVX2 int lookupInt16x16(const uint8_t *src, int n, __m128i lo, __m128i hi,
                           uint16_t *out) {
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i c = _mm_loadu_si128((const __m128i *)(src + i));
    __m128i l = _mm_shuffle_epi8(lo, c), h = _mm_shuffle_epi8(hi, c);
    _mm_storeu_si128((__m128i *)(out + i), _mm_unpacklo_epi8(l, h));
    _mm_storeu_si128((__m128i *)(out + i + 8), _mm_unpackhi_epi8(l, h));
  }
  return i;
}
#endif

template <int G>
void packAGroups(const CodeMatrix &A, const int16_t *table, int ncodes,
                 int offset, int M, int m0, int mc, int k0, int kc, int K,
                 int MR, Isa isa, int32_t *out) {
  static_assert(G == 2 || G == 4, "int16 pairs or byte quads");
  // A row's elements as G-per-word little-endian lanes: word q is elements
  // [qG, qG+G) — the masked (value + offset) of the scalar definition.
  using E = std::conditional_t<G == 2, uint16_t, uint8_t>;
  int kg = (kc + G - 1) / G;
  int live = std::max(0, std::min(mc, M - m0));
  int kl = std::max(0, std::min(kc, K - k0));
  std::vector<uint8_t> blk(size_t(live) * size_t(kl));
  A.block(m0, live, k0, kl, blk.data());
  std::vector<E> row(size_t(kg) * G, E(0));
#if defined(__x86_64__)
  bool simd = isa >= Isa::AVX2 && ncodes <= 16;
  SplitTable16 tab(table, simd ? ncodes : 0, offset);
#else
  (void)isa, (void)ncodes;
#endif
  for (int p = 0; p < mc; p += MR)
    for (int r = 0; r < MR; ++r) {
      int32_t *dst = out + size_t(p) * kg + r;
      if (p + r >= live) {
        for (int q = 0; q < kg; ++q)
          dst[size_t(q) * MR] = 0;
        continue;
      }
      const uint8_t *src = blk.data() + size_t(p + r) * kl;
      int k = 0;
#if defined(__x86_64__)
      if (simd) {
        __m128i tlo = _mm_load_si128((const __m128i *)tab.lo);
        if constexpr (G == 2)
          k = lookupInt16x16(src, kl, tlo,
                             _mm_load_si128((const __m128i *)tab.hi),
                             row.data());
        else
          k = lookupBytes16(src, kl, tlo, row.data());
      }
#endif
      for (; k < kl; ++k)
        row[size_t(k)] = E(uint32_t(table[src[k]] + offset));
      for (int q = 0; q < kg; ++q) {
        int32_t word;
        std::memcpy(&word, row.data() + size_t(q) * G, sizeof word);
        dst[size_t(q) * MR] = word;
      }
    }
}

#if defined(__x86_64__)
/// Byte groups of 4 rows, 16 columns: dst[j·4 + g] = tab[row g][j] for
/// j < 16 — the values looked up in a 16-entry byte table (pshufb) and the
/// four rows interleaved.
Q4_AVX2 void interleave4x16(const uint8_t *r0, const uint8_t *r1,
                            const uint8_t *r2, const uint8_t *r3,
                            __m128i tab, int8_t *dst) {
  __m128i a = _mm_shuffle_epi8(tab, _mm_loadu_si128((const __m128i *)r0));
  __m128i b = _mm_shuffle_epi8(tab, _mm_loadu_si128((const __m128i *)r1));
  __m128i c = _mm_shuffle_epi8(tab, _mm_loadu_si128((const __m128i *)r2));
  __m128i d = _mm_shuffle_epi8(tab, _mm_loadu_si128((const __m128i *)r3));
  __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
  __m128i cd0 = _mm_unpacklo_epi8(c, d), cd1 = _mm_unpackhi_epi8(c, d);
  _mm_storeu_si128((__m128i *)dst, _mm_unpacklo_epi16(ab0, cd0));
  _mm_storeu_si128((__m128i *)(dst + 16), _mm_unpackhi_epi16(ab0, cd0));
  _mm_storeu_si128((__m128i *)(dst + 32), _mm_unpacklo_epi16(ab1, cd1));
  _mm_storeu_si128((__m128i *)(dst + 48), _mm_unpackhi_epi16(ab1, cd1));
}

/// Int16 pairs, 16 columns: dst[j·2 + g] = value of code rg[j] for j < 16,
/// g ∈ {0, 1}; the 16-entry int16 table is split in low and high bytes.
Q4_AVX2 void interleave2x16(const uint8_t *r0, const uint8_t *r1,
                            __m128i tabLo, __m128i tabHi, int16_t *dst) {
  __m128i c0 = _mm_loadu_si128((const __m128i *)r0);
  __m128i c1 = _mm_loadu_si128((const __m128i *)r1);
  __m128i l0 = _mm_shuffle_epi8(tabLo, c0), h0 = _mm_shuffle_epi8(tabHi, c0);
  __m128i l1 = _mm_shuffle_epi8(tabLo, c1), h1 = _mm_shuffle_epi8(tabHi, c1);
  __m128i a0 = _mm_unpacklo_epi8(l0, h0), a1 = _mm_unpackhi_epi8(l0, h0);
  __m128i b0 = _mm_unpacklo_epi8(l1, h1), b1 = _mm_unpackhi_epi8(l1, h1);
  _mm_storeu_si128((__m128i *)dst, _mm_unpacklo_epi16(a0, b0));
  _mm_storeu_si128((__m128i *)(dst + 8), _mm_unpackhi_epi16(a0, b0));
  _mm_storeu_si128((__m128i *)(dst + 16), _mm_unpacklo_epi16(a1, b1));
  _mm_storeu_si128((__m128i *)(dst + 24), _mm_unpackhi_epi16(a1, b1));
}

/// packBGroups of panels [q0, q1) from a row-major B of a format with at
/// most 16 codes: G whole rows (the panels' columns) unpacked at a time,
/// each panel's group written 16 columns at a time by interleave4x16
/// (bytes) or interleave2x16 (int16). Returns false (nothing written) when
/// B is transposed or has more codes.
template <int G, typename BT>
Q4_AVX2 bool packBGroupsRows(const CodeMatrix &B, const int16_t *table,
                             int ncodes, int K, int N, int NR, int q0, int q1,
                             BT *out) {
  if (q0 >= q1)
    return true;
  if (B.transposed || ncodes > 16 || NR % 16 != 0)
    return false;
  SplitTable16 tab(table, ncodes);
  __m128i tabLo = _mm_load_si128((const __m128i *)tab.lo);
  __m128i tabHi = _mm_load_si128((const __m128i *)tab.hi);
  int kg = (K + G - 1) / G, c0 = q0 * NR, wide = (q1 - q0) * NR;
  int live = std::min(N, q1 * NR) - c0; // stored columns in the range
  // G rows of the range's columns, code 0 past N and zero rows past K (a
  // zero row contributes table[0]·0: the A side is zero there, see
  // packAGroups); past-N columns are zeroed after the interleave.
  std::vector<uint8_t> rows(size_t(G) * wide + 16, 0);
  for (int p = 0; p < kg; ++p) {
    for (int g = 0; g < G; ++g) {
      uint8_t *r = rows.data() + size_t(g) * wide;
      if (p * G + g < K)
        unpackRun(B.codes, B.layout, size_t(p * G + g) * N + c0, live, r);
      else
        std::fill(r, r + live, uint8_t(0));
    }
    for (int q = q0; q < q1; ++q) {
      BT *dst = out + (size_t(q) * kg + p) * NR * G;
      for (int j = 0; j < NR; j += 16) {
        const uint8_t *r = rows.data() + size_t(q - q0) * NR + j;
        if constexpr (G == 4)
          interleave4x16(r, r + wide, r + 2 * size_t(wide),
                         r + 3 * size_t(wide), tabLo, dst + j * 4);
        else
          interleave2x16(r, r + wide, tabLo, tabHi, dst + j * 2);
      }
      int cols = std::min(NR, N - q * NR);
      for (int j = cols; j < NR; ++j)
        for (int g = 0; g < G; ++g)
          dst[j * G + g] = 0;
    }
  }
  return true;
}
#endif

/// B (K×N) into panels [q0, q1) of NR columns in groups of G k:
/// out[panel][group][NR][G], zeros past K and N.
template <int G, typename BT>
void packBGroups(const CodeMatrix &B, const int16_t *table, int ncodes, int K,
                 int N, int NR, int q0, int q1, Isa isa, BT *out) {
#if defined(__x86_64__)
  if constexpr ((G == 4 && std::is_same_v<BT, int8_t>) ||
                (G == 2 && std::is_same_v<BT, int16_t>))
    if (isa >= Isa::AVX2 &&
        packBGroupsRows<G, BT>(B, table, ncodes, K, N, NR, q0, q1, out))
      return;
#endif
  (void)ncodes, (void)isa;
  int kg = (K + G - 1) / G;
  std::vector<uint8_t> blk(size_t(K) * size_t(NR));
  for (int q = q0; q < q1; ++q) {
    int cols = std::min(NR, N - q * NR);
    B.block(0, K, q * NR, cols, blk.data());
    for (int p = 0; p < kg; ++p) {
      BT *dst = out + (size_t(q) * kg + p) * NR * G;
      for (int g = 0; g < G; ++g) {
        int k = p * G + g;
        if (k >= K) {
          for (int j = 0; j < NR; ++j)
            dst[j * G + g] = BT(0);
          continue;
        }
        const uint8_t *src = blk.data() + size_t(k) * cols;
        for (int j = 0; j < NR; ++j)
          dst[j * G + g] = j < cols ? BT(table[src[j]]) : BT(0);
      }
    }
  }
}

// Splits [0, M) into `threads` contiguous ranges aligned to MR and runs fn
// on each: the first range on the calling thread, the others on new
// threads. Each thread gets its own copy of fn (the others are copied before
// the calling thread runs its own).
template <typename Fn> void parallelRows(int M, int MR, int threads, Fn fn) {
  int panels = (M + MR - 1) / MR;
  threads = std::max(1, std::min(threads, panels));
  if (threads == 1)
    return fn(0, M);
  auto range = [&](int t) {
    int p0 = panels * t / threads, p1 = panels * (t + 1) / threads;
    return std::make_pair(p0 * MR, std::min(M, p1 * MR));
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) {
    auto [m0, m1] = range(t);
    if (m0 < m1)
      pool.emplace_back(fn, m0, m1);
  }
  auto [m0, m1] = range(0);
  if (m0 < m1)
    fn(m0, m1);
  for (auto &th : pool)
    th.join();
}

float scaleOf(const Operand &op, int index) {
  return op.scales ? op.scales[index] : 1.0f;
}

// FP16 accumulation: products rounded to FP16 first unless every product of
// the two formats is exact in FP16 (found once per pair, by pairInfo).
int halfMode(const Format &fa, const Format &fb) {
  return pairInfo(fa, fb).halfProductsExact ? kF16 : kF16RoundProducts;
}

constexpr int kMC = 192;   // rows of A per packed block
constexpr int kKC = 256;    // reduction steps per block (float): B micro-panel in L1
constexpr int kKCInt = 512; // reduction steps per block (int16, in pairs)

//===----------------------------------------------------------------------===//
// Drivers
//===----------------------------------------------------------------------===//

/// Applies the scale rule (C45, num::scaleDot) to rows [m0, m1) of raw dot
/// products; dot(m, n) gives the raw value.
template <typename Dot>
void applyScales(int m0, int m1, int N, const Operand &Aop, const Operand &Bop,
                 float *C, Dot dot) {
  float tAB = num::tensorScaleProduct(Aop.tensorScale, Bop.tensorScale);
  bool outerA = Aop.scaleLayout == num::ScaleLayout::Outer;
  bool outerB = Bop.scaleLayout == num::ScaleLayout::Outer;
  for (int m = m0; m < m1; ++m) {
    float sa = scaleOf(Aop, outerA ? m : 0);
    float *row = C + size_t(m) * N;
    if (outerB) {
      for (int n = 0; n < N; ++n)
        row[n] = num::scaleDot(dot(m, n), sa, Bop.scales[n], tAB);
    } else {
      float sb = scaleOf(Bop, 0);
      for (int n = 0; n < N; ++n)
        row[n] = num::scaleDot(dot(m, n), sa, sb, tAB);
    }
  }
}

// Float modes. The raw dot products are accumulated in C (row-major, ldc N)
// — for chunked FP16, chunk partials in a scratch buffer and chunk sums in C —
// then scaled in place.
void gemmFloat(int M, int N, int K, const Operand &Aop, const Operand &Bop,
               num::Accumulation acc, float *C, Isa isa, int threads,
               int blockSize) {
  Shape sh = floatShapeFor(isa);
  const FormatTables &ta = tablesFor(Aop.format), &tb = tablesFor(Bop.format);
  CodeMatrix A{Aop.codes, Aop.layout, M, K, Aop.transposed},
      B{Bop.codes, Bop.layout, K, N, Bop.transposed};
  int panelsN = (N + sh.NR - 1) / sh.NR;
  AlignedVector<float> Bp(size_t(panelsN) * K * sh.NR);
#if defined(__x86_64__)
  if (isa == Isa::AVX512 && sh.NR == 32 && tb.value.size() <= 16) {
    PermuteRow32 row;
    std::copy(tb.value.begin(), tb.value.end(), row.tab);
    packBRows(B, K, N, sh.NR, Bp.data(), row);
  } else
#endif
    packB(B, tb.value.data(), K, N, sh.NR, Bp.data());

  int mode = acc.kind == AccumKind::F32 ? kF32
                                         : halfMode(Aop.format, Bop.format);
  // Segments of k: [k0, k1) with `fresh` = the partial restarts and `flush`
  // = a chunk (FP16 chunked) or scale block (MX/NVFP4, `blockSize` > 0)
  // ends: its partial is added to C — plainly for chunks, through
  // num::addScaledBlock with the block's scales for scale blocks (C46).
  struct Segment {
    int k0, k1;
    bool fresh, flush;
  };
  std::vector<Segment> segs;
  bool blocked = blockSize > 0;
  bool chunked = acc.kind == AccumKind::F16Chunked || blocked;
  int chunk = blocked                              ? blockSize
              : acc.kind == AccumKind::F16Chunked ? std::max(1, acc.chunk)
                                                  : std::max(K, 1);
  for (int c0 = 0; c0 < K; c0 += chunk) {
    int c1 = std::min(K, c0 + chunk);
    for (int k0 = c0; k0 < c1; k0 += kKC) {
      int k1 = std::min(c1, k0 + kKC);
      segs.push_back({k0, k1, k0 == c0, k1 == c1});
    }
  }
  FloatMicro micro = floatMicro(isa, mode);
  float tAB = num::tensorScaleProduct(Aop.tensorScale, Bop.tensorScale);
  bool outerA = Aop.scaleLayout == num::ScaleLayout::Outer;
  bool outerB = Bop.scaleLayout == num::ScaleLayout::Outer;
  int nb = blocked ? (K + blockSize - 1) / blockSize : 1;
  // Scale of row m / column n in scale block j (reference layouts).
  auto scaleA = [&](int m, int j) {
    switch (Aop.scaleLayout) {
    case num::ScaleLayout::Tensor: return scaleOf(Aop, 0);
    case num::ScaleLayout::Outer: return scaleOf(Aop, m);
    case num::ScaleLayout::BlockK: return scaleOf(Aop, m * nb + j);
    }
    return scaleOf(Aop, 0);
  };
  auto scaleB = [&](int n, int j) {
    switch (Bop.scaleLayout) {
    case num::ScaleLayout::Tensor: return scaleOf(Bop, 0);
    case num::ScaleLayout::Outer: return scaleOf(Bop, n);
    case num::ScaleLayout::BlockK: return scaleOf(Bop, j * N + n);
    }
    return scaleOf(Bop, 0);
  };
  const float nanF16 = halfNaN();
  auto scaleTile = [&](int m0, int rows, int n0, int cols) {
    for (int r = 0; r < rows; ++r) {
      float *row = C + size_t(m0 + r) * N + n0;
      if (blocked) { // c = s · tAB (C46)
        for (int j = 0; j < cols; ++j)
          row[j] = row[j] * tAB;
        continue;
      }
      float sa = scaleOf(Aop, outerA ? m0 + r : 0);
      if (mode != kF32 && !chunked)
        for (int j = 0; j < cols; ++j)
          row[j] = halfSum(row[j], nanF16);
      for (int j = 0; j < cols; ++j)
        row[j] = num::scaleDot(row[j], sa, scaleOf(Bop, outerB ? n0 + j : 0),
                               tAB);
    }
  };

  parallelRows(M, sh.MR, threads, [&](int m0, int m1) {
    AlignedVector<float> Ap(size_t(kMC) * kKC);
    std::vector<float> scratch(size_t(sh.MR) * sh.NR);
    AlignedVector<float> partial(chunked ? size_t(m1 - m0) * N : 0);
    if (chunked)
      for (int m = m0; m < m1; ++m)
        std::fill(C + size_t(m) * N, C + size_t(m) * N + N, 0.0f);
    for (int ic = m0; ic < m1; ic += kMC) {
      int mc = std::min(kMC, m1 - ic);
      for (const Segment &sg : segs) {
        int kc = sg.k1 - sg.k0;
        packA(A, ta.value.data(), M, ic, mc, sg.k0, kc, sh.MR, Ap.data());
        for (int q = 0; q < panelsN; ++q) {
          const float *bp = Bp.data() + (size_t(q) * K + sg.k0) * sh.NR;
          int cols = std::min(sh.NR, N - q * sh.NR);
          for (int p = 0; p < mc; p += sh.MR) {
            int rows = std::min(sh.MR, mc - p);
            float *base = (chunked ? partial.data() + size_t(ic - m0 + p) * N
                                   : C + size_t(ic + p) * N) +
                          q * sh.NR;
            const float *ap = Ap.data() + size_t(p) * kc;
            // The last rows of the GEMM: a shorter tile where one exists.
            int tileRows = rows == sh.MR || isa != Isa::AVX512 ? sh.MR
                           : rows <= 4                        ? 4
                           : rows <= 8                        ? 8
                                                              : sh.MR;
            FloatMicro mk =
                tileRows == sh.MR ? micro : floatMicro(isa, mode, tileRows);
            onTile(base, N, rows, cols, sg.fresh, Shape{tileRows, sh.NR},
                   scratch.data(), [&](float *c, int64_t ldc, bool zero) {
                     mk(kc, ap, bp, c, ldc, zero);
                   });
            if (chunked && sg.flush) {
              int j0 = sg.k0 / chunk; // the scale block of this segment
              // An FP16 partial leaves the kernel: halfSum.
              const bool half = mode != kF32;
              const float nan = nanF16;
              for (int r = 0; r < rows; ++r) {
                int m = ic + p + r;
                float *__restrict crow = C + size_t(m) * N + q * sh.NR;
                const float *__restrict part = base + size_t(r) * N;
                if (blocked) {
                  for (int j = 0; j < cols; ++j)
                    crow[j] = num::addScaledBlock(
                        crow[j], half ? halfSum(part[j], nan) : part[j],
                        scaleA(m, j0), scaleB(q * sh.NR + j, j0));
                } else { // chunks: FP16 accumulation only
                  addHalfPartials(isa, crow, part, cols, nan);
                }
              }
            }
            // The last reduction block: scale the finished tile while it is
            // still in cache (C45).
            if (sg.k1 == K)
              scaleTile(ic + p, rows, q * sh.NR, cols);
          }
        }
      }
    }
  });
}

// FP16 accumulation, row by row over the nonzero A values only. A term with
// a zero operand leaves an FP16 partial sum unchanged (num::
// f16SkipsZeroProducts), so row m of C is the FP16 sum, k increasing, of
// a[m][k] · B[k][:] over the k where a[m][k] ≠ 0: the same bits with a
// fraction of the work when A is sparse — as the gradients and the ReLU
// activations of training are (half or more of their codes are zero).
// B is expanded once to float rows (padded to 16 columns); a row of C is
// held in registers (up to 256 columns at a time) while its terms stream
// B's rows. Returns false, having computed nothing, when A is too dense for
// this to pay (the panel kernel is faster per term).

#if defined(__x86_64__)
// V vectors of 16 columns of one C row: out = FP16 sum over the n terms
// (B row ks[i], multiplier as[i]).
template <int MODE, int V>
Q4_AVX512 void rowHalf512(int n, const int32_t *ks, const float *as,
                          const float *B, int64_t ldb, float *out) {
  constexpr int rn = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  __m512 c[V];
  for (int v = 0; v < V; ++v)
    c[v] = _mm512_setzero_ps();
  for (int i = 0; i < n; ++i) {
    __m512 av = _mm512_set1_ps(as[i]);
    const float *b = B + int64_t(ks[i]) * ldb;
#pragma clang loop unroll(full)
    for (int v = 0; v < V; ++v) {
      __m512 bv = _mm512_loadu_ps(b + 16 * v), s;
      if (MODE == kF16RoundProducts)
        s = _mm512_add_ps(
            c[v], _mm512_cvtph_ps(_mm512_cvtps_ph(_mm512_mul_ps(av, bv), rn)));
      else // exact product: one rounding, as in microFloat512
        s = _mm512_fmadd_ps(av, bv, c[v]);
      c[v] = _mm512_cvtph_ps(_mm512_cvtps_ph(s, rn));
    }
  }
  for (int v = 0; v < V; ++v)
    _mm512_storeu_ps(out + 16 * v, c[v]);
}

template <int MODE>
Q4_AVX512 void rowHalfAvx512(int n, const int32_t *ks, const float *as,
                             const float *B, int64_t ldb, int width,
                             float *out) {
  for (int j = 0; j < width;) { // width: a multiple of 16
    int left = (width - j) / 16;
    if (left >= 16) {
      rowHalf512<MODE, 16>(n, ks, as, B + j, ldb, out + j);
      j += 256;
    } else if (left >= 8) {
      rowHalf512<MODE, 8>(n, ks, as, B + j, ldb, out + j);
      j += 128;
    } else if (left >= 4) {
      rowHalf512<MODE, 4>(n, ks, as, B + j, ldb, out + j);
      j += 64;
    } else if (left >= 2) {
      rowHalf512<MODE, 2>(n, ks, as, B + j, ldb, out + j);
      j += 32;
    } else {
      rowHalf512<MODE, 1>(n, ks, as, B + j, ldb, out + j);
      j += 16;
    }
  }
}

// The AVX2 form: V vectors of 8 columns.
template <int MODE, int V>
Q4_AVX2 void rowHalf256(int n, const int32_t *ks, const float *as,
                        const float *B, int64_t ldb, float *out) {
  constexpr int rn = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  __m256 c[V];
  for (int v = 0; v < V; ++v)
    c[v] = _mm256_setzero_ps();
  for (int i = 0; i < n; ++i) {
    __m256 av = _mm256_set1_ps(as[i]);
    const float *b = B + int64_t(ks[i]) * ldb;
#pragma clang loop unroll(full)
    for (int v = 0; v < V; ++v) {
      __m256 bv = _mm256_loadu_ps(b + 8 * v), s;
      if (MODE == kF16RoundProducts)
        s = _mm256_add_ps(
            c[v], _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_mul_ps(av, bv), rn)));
      else
        s = _mm256_fmadd_ps(av, bv, c[v]);
      c[v] = _mm256_cvtph_ps(_mm256_cvtps_ph(s, rn));
    }
  }
  for (int v = 0; v < V; ++v)
    _mm256_storeu_ps(out + 8 * v, c[v]);
}

template <int MODE>
Q4_AVX2 void rowHalfAvx2(int n, const int32_t *ks, const float *as,
                         const float *B, int64_t ldb, int width, float *out) {
  for (int j = 0; j < width;) { // width: a multiple of 16
    if (width - j >= 64) {
      rowHalf256<MODE, 8>(n, ks, as, B + j, ldb, out + j);
      j += 64;
    } else if (width - j >= 32) {
      rowHalf256<MODE, 4>(n, ks, as, B + j, ldb, out + j);
      j += 32;
    } else {
      rowHalf256<MODE, 2>(n, ks, as, B + j, ldb, out + j);
      j += 16;
    }
  }
}
#endif

template <int MODE>
void rowHalfPortable(int n, const int32_t *ks, const float *as,
                     const float *B, int64_t ldb, int width, float *out) {
  std::fill(out, out + width, 0.0f);
  for (int i = 0; i < n; ++i) {
    const float *b = B + int64_t(ks[i]) * ldb;
    for (int j = 0; j < width; ++j) {
      float p = as[i] * b[j];
      if (MODE == kF16RoundProducts)
        p = roundHalf(p);
      out[j] = roundHalf(out[j] + p);
    }
  }
}

#if defined(__x86_64__)
/// Row-major A: the values ≠ 0 of `n` codes and their indices, compacted to
/// the front of ks/as (which have 16 elements of slack). Returns the count.
Q4_AVX512 int compactNonzero512(const uint8_t *codes, int n, const float *tab16,
                                int32_t *ks, float *as) {
  __m512 tab = _mm512_loadu_ps(tab16), zero = _mm512_setzero_ps();
  __m512i idx = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                  13, 14, 15);
  const __m512i step = _mm512_set1_epi32(16);
  int c = 0, i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 v = lookup16(codes + i, tab);
    __mmask16 nz = _mm512_cmp_ps_mask(v, zero, _CMP_NEQ_UQ);
    // Compress in registers, store whole vectors (the slack absorbs them).
    _mm512_storeu_ps(as + c, _mm512_maskz_compress_ps(nz, v));
    _mm512_storeu_si512(ks + c, _mm512_maskz_compress_epi32(nz, idx));
    c += __builtin_popcount(unsigned(nz));
    idx = _mm512_add_epi32(idx, step);
  }
  for (; i < n; ++i) {
    float v = tab16[codes[i]];
    ks[c] = i, as[c] = v;
    c += v != 0.0f;
  }
  return c;
}

/// Column-major A (stored K × M): appends (k, value) of the nonzero codes
/// of stored row k (`n` = M codes) to the lists of their rows m.
Q4_AVX512 void appendNonzero512(const uint8_t *codes, int n, int k, int K,
                                const float *tab16, int32_t *count,
                                int32_t *ks, float *as) {
  __m512 tab = _mm512_loadu_ps(tab16), zero = _mm512_setzero_ps();
  alignas(64) float vals[16];
  int m0 = 0;
  for (; m0 + 16 <= n; m0 += 16) {
    __m512 v = lookup16(codes + m0, tab);
    unsigned nz = _mm512_cmp_ps_mask(v, zero, _CMP_NEQ_UQ);
    if (!nz)
      continue;
    _mm512_store_ps(vals, v);
    for (; nz; nz &= nz - 1) {
      int j = __builtin_ctz(nz), m = m0 + j;
      size_t at = size_t(m) * K + size_t(count[m]++);
      ks[at] = k, as[at] = vals[j];
    }
  }
  for (int m = m0; m < n; ++m) {
    float v = tab16[codes[m]];
    if (v != 0.0f) {
      size_t at = size_t(m) * K + size_t(count[m]++);
      ks[at] = k, as[at] = v;
    }
  }
}

/// Rows 0..15 (16 bytes each, row stride `stride`) → out[k] = byte k of
/// every row (16×16 byte transpose in four rounds of unpacks).
Q4_AVX2 void transpose16x16(const uint8_t *rows, size_t stride,
                            __m128i out[16]) {
  __m128i a[16], b[16], c[16], d[16];
  for (int i = 0; i < 16; ++i)
    a[i] = _mm_loadu_si128((const __m128i *)(rows + size_t(i) * stride));
  for (int i = 0; i < 8; ++i) { // row pairs, k 0-7 / 8-15
    b[2 * i] = _mm_unpacklo_epi8(a[2 * i], a[2 * i + 1]);
    b[2 * i + 1] = _mm_unpackhi_epi8(a[2 * i], a[2 * i + 1]);
  }
  for (int j = 0; j < 4; ++j) { // row quads, k in groups of 4
    c[4 * j] = _mm_unpacklo_epi16(b[4 * j], b[4 * j + 2]);
    c[4 * j + 1] = _mm_unpackhi_epi16(b[4 * j], b[4 * j + 2]);
    c[4 * j + 2] = _mm_unpacklo_epi16(b[4 * j + 1], b[4 * j + 3]);
    c[4 * j + 3] = _mm_unpackhi_epi16(b[4 * j + 1], b[4 * j + 3]);
  }
  for (int o = 0; o < 2; ++o) // row octets, k in pairs
    for (int t = 0; t < 4; ++t) {
      d[8 * o + 2 * t] = _mm_unpacklo_epi32(c[8 * o + t], c[8 * o + 4 + t]);
      d[8 * o + 2 * t + 1] = _mm_unpackhi_epi32(c[8 * o + t], c[8 * o + 4 + t]);
    }
  for (int g = 0; g < 8; ++g) { // all 16 rows, one k each
    out[2 * g] = _mm_unpacklo_epi64(d[g], d[8 + g]);
    out[2 * g + 1] = _mm_unpackhi_epi64(d[g], d[8 + g]);
  }
}

/// Column-major B (stored N × K), 16 stored rows n0.. of K codes each in
/// `runs` (row stride K): dst rows k (stride ldb) get the 16 values of
/// columns n0..n0+15. Returns the number of k done (a multiple of 16).
Q4_AVX512 int expandTransposed512(const uint8_t *runs, int K,
                                  const float *tab16, float *dst, int ldb) {
  __m512 tab = _mm512_loadu_ps(tab16);
  alignas(16) __m128i col[16];
  int k0 = 0;
  for (; k0 + 16 <= K; k0 += 16) {
    transpose16x16(runs + k0, size_t(K), col);
    for (int k = 0; k < 16; ++k)
      _mm512_storeu_ps(dst + size_t(k0 + k) * ldb,
                       _mm512_permutexvar_ps(_mm512_cvtepu8_epi32(col[k]), tab));
  }
  return k0;
}
#endif

#if defined(__x86_64__)
/// Σ nz16[code] over the whole 32-byte blocks of src[0, bytes): codes
/// below 16, one per byte or (packed) two. *done = the bytes counted.
Q4_AVX2 uint64_t countCodes256(const uint8_t *src, size_t bytes, bool packed,
                               const uint8_t *nz16, size_t *done) {
  const __m256i tab = _mm256_broadcastsi128_si256(
      _mm_loadu_si128((const __m128i *)nz16));
  const __m256i low = _mm256_set1_epi8(0x0F), zero = _mm256_setzero_si256();
  __m256i acc = zero;
  size_t i = 0;
  for (; i + 32 <= bytes; i += 32) {
    __m256i b = _mm256_loadu_si256((const __m256i *)(src + i));
    __m256i c = _mm256_shuffle_epi8(tab, _mm256_and_si256(b, low));
    if (packed)
      c = _mm256_add_epi8(
          c, _mm256_shuffle_epi8(
                 tab, _mm256_and_si256(_mm256_srli_epi16(b, 4), low)));
    acc = _mm256_add_epi64(acc, _mm256_sad_epu8(c, zero));
  }
  *done = i;
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256((__m256i *)lanes, acc);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}
#endif

/// Whether at most `budget` of an operand's n codes decode to a nonzero
/// value (the density test of gemmHalfSparseRows, before any of its
/// preparation). Counts the stored bytes in storage order a block at a time
/// and stops as soon as the answer is known.
bool nonzerosWithin(const Operand &op, size_t n, const FormatTables &t,
                    double budget, Isa isa) {
  bool packed = op.layout == CodeLayout::Packed4;
  size_t ncodes = t.value.size();
  uint8_t nz16[16] = {}, nz[256] = {}; // per code; per stored byte
  for (size_t c = 0; c < ncodes; ++c) {
    uint8_t one = t.value[c] != 0.0f;
    if (c < 16)
      nz16[c] = one;
    if (!packed)
      nz[c] = one;
  }
  for (int b = 0; packed && b < 256; ++b)
    nz[b] = uint8_t(nz16[b & 0xF] + nz16[b >> 4]);
  size_t perByte = packed ? 2 : 1, bytes = n / perByte;
  // Packed with n odd: the last byte's low nibble.
  uint64_t count = packed && (n & 1) ? nz16[op.codes[bytes] & 0xF] : 0;
  constexpr size_t kBlock = size_t(1) << 14;
  for (size_t i = 0; i < bytes;) {
    size_t end = std::min(bytes, i + kBlock), j = i;
#if defined(__x86_64__)
    if (isa >= Isa::AVX2 && ncodes <= 16) {
      size_t done;
      count += countCodes256(op.codes + i, end - i, packed, nz16, &done);
      j += done;
    }
#endif
    for (; j < end; ++j)
      count += nz[op.codes[j]];
    i = end;
    if (double(count) > budget)
      return false;
    if (double(count + (bytes - i) * perByte) <= budget)
      return true;
  }
  (void)isa;
  return double(count) <= budget;
}

bool gemmHalfSparseRows(int M, int N, int K, const Operand &Aop,
                        const Operand &Bop, float *C, Isa isa, int threads) {
  const FormatTables &ta = tablesFor(Aop.format), &tb = tablesFor(Bop.format);
  // Per term the row kernel streams a B row from cache where the panel
  // kernel reuses a B panel across 12 rows: only sparse A pays.
  if (!nonzerosWithin(Aop, size_t(M) * K, ta,
                      kSparseRowsDensity * double(M) * double(K), isa))
    return false;
#if defined(__x86_64__)
  // The vector paths look values up in one register: ≤ 16 codes.
  bool simd = isa == Isa::AVX512;
  bool simdA = simd && ta.value.size() <= 16, simdB = simd && tb.value.size() <= 16;
  alignas(64) float tabA[16] = {}, tabB[16] = {};
  std::copy(ta.value.begin(), ta.value.begin() + (simdA ? ta.value.size() : 0),
            tabA);
  std::copy(tb.value.begin(), tb.value.begin() + (simdB ? tb.value.size() : 0),
            tabB);
#endif
  // The nonzero terms of each row, k increasing: ks (k) and as (value);
  // row m's list at m·K (16 elements of slack at the end).
  std::vector<int32_t> count(size_t(M), 0);
  size_t listSize = size_t(M) * K + 16;
  // Plain new[] (malloc's alignment), not UninitArray: with ks from
  // aligned_alloc the row kernel ran 25 % slower at 1024³ with 75 % zeros
  // (148 vs 200 GFLOP/s, AVX-512), probably from cache-set conflicts between
  // the lists and B's rows, which start at the same offsets.
  std::unique_ptr<int32_t[]> ks(new int32_t[listSize]);
  std::unique_ptr<float[]> as(new float[listSize]);
  {
    std::vector<uint8_t> run(size_t(std::max(M, K)));
    if (!Aop.transposed) {
      for (int m = 0; m < M; ++m) {
        unpackRun(Aop.codes, Aop.layout, size_t(m) * K, K, run.data());
        int32_t *kr = ks.get() + size_t(m) * K;
        float *ar = as.get() + size_t(m) * K;
#if defined(__x86_64__)
        if (simdA) {
          count[m] = compactNonzero512(run.data(), K, tabA, kr, ar);
          continue;
        }
#endif
        int c = 0;
        for (int k = 0; k < K; ++k) { // branch-free compaction
          float v = ta.value[run[k]];
          kr[c] = k, ar[c] = v;
          c += v != 0.0f;
        }
        count[m] = c;
      }
    } else { // stored K × M: row k of storage is column k of A
      for (int k = 0; k < K; ++k) {
        unpackRun(Aop.codes, Aop.layout, size_t(k) * M, M, run.data());
#if defined(__x86_64__)
        if (simdA) {
          appendNonzero512(run.data(), M, k, K, tabA, count.data(), ks.get(),
                           as.get());
          continue;
        }
#endif
        for (int m = 0; m < M; ++m) {
          float v = ta.value[run[m]];
          size_t at = size_t(m) * K + count[m];
          ks[at] = k, as[at] = v;
          count[m] += v != 0.0f;
        }
      }
    }
  }

  // B as float rows, padded with zero columns to a multiple of 16.
  int ldb = (N + 15) / 16 * 16;
  AlignedVector<float> Bd(size_t(K) * ldb);
  {
    std::vector<uint8_t> run(size_t(std::max(N, K)));
    if (!Bop.transposed) {
      for (int k = 0; k < K; ++k) {
        unpackRun(Bop.codes, Bop.layout, size_t(k) * N, N, run.data());
        float *dst = Bd.data() + size_t(k) * ldb;
        int n = 0;
#if defined(__x86_64__)
        if (simdB)
          n = lookupRow512(run.data(), N, tabB, dst);
#endif
        for (; n < N; ++n)
          dst[n] = tb.value[run[n]];
        std::fill(dst + N, dst + ldb, 0.0f);
      }
    } else { // stored N × K: 16 stored rows at a time, written along n
      std::vector<uint8_t> runs(size_t(16) * K);
      for (int n0 = 0; n0 < N; n0 += 16) {
        int w = std::min(16, N - n0), k0 = 0;
        for (int i = 0; i < w; ++i)
          unpackRun(Bop.codes, Bop.layout, size_t(n0 + i) * K, K,
                    runs.data() + size_t(i) * K);
#if defined(__x86_64__)
        if (simdB && w == 16)
          k0 = expandTransposed512(runs.data(), K, tabB, Bd.data() + n0, ldb);
#endif
        for (int k = k0; k < K; ++k) {
          float *dst = Bd.data() + size_t(k) * ldb + n0;
          for (int i = 0; i < w; ++i)
            dst[i] = tb.value[runs[size_t(i) * K + k]];
          for (int i = w; i < 16; ++i)
            dst[i] = 0.0f;
        }
      }
    }
  }
  int mode = halfMode(Aop.format, Bop.format);
  using RowFn = void (*)(int, const int32_t *, const float *, const float *,
                         int64_t, int, float *);
  RowFn row = mode == kF16 ? rowHalfPortable<kF16>
                           : rowHalfPortable<kF16RoundProducts>;
#if defined(__x86_64__)
  if (isa == Isa::AVX512)
    row = mode == kF16 ? rowHalfAvx512<kF16> : rowHalfAvx512<kF16RoundProducts>;
  else if (isa == Isa::AVX2)
    row = mode == kF16 ? rowHalfAvx2<kF16> : rowHalfAvx2<kF16RoundProducts>;
#endif
  (void)isa;
  const float nanF16 = halfNaN();
  parallelRows(M, 1, threads, [&](int m0, int m1) {
    AlignedVector<float> out(static_cast<size_t>(ldb));
    for (int m = m0; m < m1; ++m) {
      row(count[m], ks.get() + size_t(m) * K, as.get() + size_t(m) * K,
          Bd.data(), ldb, ldb, out.data());
      applyScales(m, m + 1, N, Aop, Bop, C, [&](int, int n) {
        return halfSum(out[size_t(n)], nanF16);
      });
    }
  });
  return true;
}

/// peak = max(peak, value), atomically.
void raisePeak(std::atomic<int32_t> &peak, int32_t value) {
  for (int32_t seen = peak.load();
       value > seen && !peak.compare_exchange_weak(seen, value);)
    ;
}

// Exact accumulation with integer operands: int32 sums, or — when K is long
// enough for them to overflow — int32 block sums added into int64 totals.
// G = 2: int16 operands; G = 4 (AVX-512 VNNI): unsigned bytes (A + offset)
// times signed bytes, the offset removed with B's column sums.
template <int G, typename BT>
void gemmExactGroups(int M, int N, int K, const Operand &Aop,
                     const Operand &Bop, float *C, Isa isa, int threads,
                     int offset, std::atomic<int32_t> *peak = nullptr,
                     int32_t peakLimit = INT32_MAX) {
  Shape sh = shapeFor(isa);
  const FormatTables &ta = tablesFor(Aop.format), &tb = tablesFor(Bop.format);
  CodeMatrix A{Aop.codes, Aop.layout, M, K, Aop.transposed},
      B{Bop.codes, Bop.layout, K, N, Bop.transposed};
  int panelsN = (N + sh.NR - 1) / sh.NR, kgAll = (K + G - 1) / G;
  AlignedVector<BT> Bp(size_t(panelsN) * kgAll * sh.NR * G);
  // B's panels, split between the threads when B is large enough to pay.
  {
    auto pack = [&](int q0, int q1) {
      packBGroups<G>(B, tb.ival.data(), int(tb.ival.size()), K, N, sh.NR, q0,
                     q1, isa, Bp.data());
    };
    bool split = int64_t(K) * N >= (int64_t(1) << 16);
    parallelRows(panelsN, 1, split ? threads : 1, pack);
  }
  std::vector<int64_t> colSum(offset ? N : 0, 0);
  if (offset) {
    constexpr int rowsPerBlock = 64;
    std::vector<uint8_t> blk(size_t(rowsPerBlock) * N);
    for (int k0 = 0; k0 < K; k0 += rowsPerBlock) {
      int nk = std::min(rowsPerBlock, K - k0);
      B.block(k0, nk, 0, N, blk.data());
      for (int k = 0; k < nk; ++k)
        for (int n = 0; n < N; ++n)
          colSum[n] += tb.ival[blk[size_t(k) * N + n]];
    }
  }
  int64_t maxProduct =
      std::max<int64_t>(1, (ta.maxInt + offset) * tb.maxInt);
  // With peak tracking the accumulators must hold the whole prefix sums (a
  // restart per reduction block would track block sums only), and they stay
  // far from 2^31: the attempt stops after the tile whose sums pass
  // peakLimit (< 2^11), at most kKCInt products later.
  bool wide =
      !peak && maxProduct * G * int64_t(kgAll) > int64_t(INT32_MAX);
  int kc = kKCInt;
  if (wide) // |sum of one block| must stay below 2^31
    kc = int(std::min<int64_t>(kKCInt, int64_t(INT32_MAX) / maxProduct));
  kc = std::max(G, kc / G * G);
  int lsb = num::lsbExponent(Aop.format) + num::lsbExponent(Bop.format);

  // `wide` is captured by value: the offset epilogue below sets it per
  // thread (std::thread copies the lambda), so one thread finishing early
  // must not switch another, still accumulating, thread to the wide path.
  parallelRows(M, sh.MR, threads, [&, wide](int m0, int m1) mutable {
    int32_t localPeak = 0;
    UninitArray<int32_t> Ap(size_t(kMC) * (kc / G));
    std::vector<int32_t> scratch(size_t(sh.MR) * sh.NR);
    // Every element is written by its tile's first reduction block.
    UninitArray<int32_t> sum32(size_t(m1 - m0) * N);
    std::vector<int64_t> total(wide || offset ? size_t(m1 - m0) * N : 0, 0);
    for (int ic = m0; ic < m1; ic += kMC) {
      int mc = std::min(kMC, m1 - ic);
      for (int k0 = 0; k0 < K; k0 += kc) {
        int kcur = std::min(kc, K - k0), kg = (kcur + G - 1) / G;
        packAGroups<G>(A, ta.ival.data(), int(ta.ival.size()), offset, M, ic,
                       mc, k0, kcur, K, sh.MR, isa, Ap.data());
        for (int q = 0; q < panelsN; ++q) {
          const BT *bp =
              Bp.data() + ((size_t(q) * kgAll + k0 / G) * sh.NR) * G;
          int cols = std::min(sh.NR, N - q * sh.NR);
          for (int p = 0; p < mc; p += sh.MR) {
            int rows = std::min(sh.MR, mc - p);
            size_t off = size_t(ic - m0 + p) * N + q * sh.NR;
            const int32_t *ap = Ap.data() + size_t(p) * kg;
            onTile(sum32.data() + off, N, rows, cols, wide || k0 == 0, sh,
                   scratch.data(), [&](int32_t *c, int64_t ldc, bool zero) {
                     if constexpr (G == 4) // only the byte kernel tracks
                       microInt(isa, kg, ap, bp, c, ldc, zero, sh,
                                peak ? &localPeak : nullptr);
                     else
                       microInt(isa, kg, ap, bp, c, ldc, zero, sh);
                   });
            // Tracking: once any thread's sums pass the limit the result
            // will not be used — stop early.
            if (peak && (localPeak > peakLimit ||
                         peak->load(std::memory_order_relaxed) > peakLimit)) {
              raisePeak(*peak, localPeak);
              return;
            }
            if (wide)
              for (int r = 0; r < rows; ++r)
                for (int j = 0; j < cols; ++j)
                  total[off + size_t(r) * N + j] += sum32[off + size_t(r) * N + j];
          }
        }
      }
    }
    if (peak) // the largest |partial sum| of any thread
      raisePeak(*peak, localPeak);
    if (offset) { // remove offset · Σ_k b[k][n]
      for (int m = m0; m < m1; ++m)
        for (int n = 0; n < N; ++n) {
          size_t i = size_t(m - m0) * N + n;
          total[i] = (wide ? total[i] : int64_t(sum32[i])) - offset * colSum[n];
        }
      wide = true;
    }
    // Integer sums to float: float(sum) · 2^lsb rounds nothing while |sum|
    // is within num::exactIntegerLimit(F32, lsb) — the common case,
    // vectorizable; otherwise through num::roundScaledIntegerToFloat (the
    // same bits either way).
    int64_t exactLimit = num::exactIntegerLimit(AccumKind::F32, lsb);
    float pow2 = std::ldexp(1.0f, exactLimit > 0 ? lsb : 0);
    bool small = exactLimit > 0;
    if (small && !wide) { // int32 sums: a vectorizable max |sum|
      // Without `wide` every |sum| ≤ INT32_MAX (the choice of kc), so the
      // negation cannot overflow.
      int32_t top = 0;
      for (int32_t v : sum32)
        top = std::max(top, v < 0 ? -v : v);
      small = top <= exactLimit;
    }
    for (size_t i = 0; small && wide && i < total.size(); ++i)
      small = total[i] <= exactLimit && total[i] >= -exactLimit;
    if (small) {
      if (wide)
        applyScales(m0, m1, N, Aop, Bop, C, [&](int m, int n) {
          return float(total[size_t(m - m0) * N + n]) * pow2;
        });
      else
        applyScales(m0, m1, N, Aop, Bop, C, [&](int m, int n) {
          return float(sum32[size_t(m - m0) * N + n]) * pow2;
        });
      return;
    }
    applyScales(m0, m1, N, Aop, Bop, C, [&](int m, int n) {
      size_t i = size_t(m - m0) * N + n;
      int64_t s = wide ? total[i] : int64_t(sum32[i]);
      uint64_t mag = s < 0 ? uint64_t(0) - uint64_t(s) : uint64_t(s);
      return num::roundScaledIntegerToFloat(s < 0, 0, mag, lsb);
    });
  });
}

/// The byte kernel (AVX-512 VNNI vpdpbusd: unsigned bytes times signed
/// bytes) for a pair on the integer path: A's values plus an offset (the
/// negative of A's smallest value, if negative) must fit an unsigned byte,
/// B's a signed byte. Returns that offset, or -1 when the byte kernel cannot
/// run the pair.
int byteKernelOffset(const FormatTables &ta, const FormatTables &tb, Isa isa) {
  if (isa != Isa::AVX512 || tb.maxInt > 127)
    return -1;
  int amin = *std::min_element(ta.ival.begin(), ta.ival.end());
  int amax = *std::max_element(ta.ival.begin(), ta.ival.end());
  int offset = amin < 0 ? -amin : 0;
  return amax + offset <= 255 ? offset : -1;
}

void gemmExact(int M, int N, int K, const Operand &Aop, const Operand &Bop,
               float *C, Isa isa, int threads) {
  const FormatTables &ta = tablesFor(Aop.format), &tb = tablesFor(Bop.format);
  int offset = byteKernelOffset(ta, tb, isa);
  if (offset >= 0)
    return gemmExactGroups<4, int8_t>(M, N, K, Aop, Bop, C, isa, threads,
                                      offset);
  gemmExactGroups<2, int16_t>(M, N, K, Aop, Bop, C, isa, threads, 0);
}

// Everything else: the reference itself, on row slices in parallel.
std::string gemmReference(int M, int N, int K, const Operand &Aop,
                          const Operand &Bop, num::Accumulation acc, float *C,
                          int threads) {
  std::vector<uint32_t> a(size_t(M) * K), b(size_t(K) * N);
  CodeMatrix Am{Aop.codes, Aop.layout, M, K, Aop.transposed},
      Bm{Bop.codes, Bop.layout, K, N, Bop.transposed};
  for (int m = 0; m < M; ++m)
    for (int k = 0; k < K; ++k)
      a[size_t(m) * K + k] = Am.at(m, k);
  for (int k = 0; k < K; ++k)
    for (int n = 0; n < N; ++n)
      b[size_t(k) * N + n] = Bm.at(k, n);
  num::QOperand B{Bop.format, b.data(), Bop.scaleLayout, Bop.scales,
                  Bop.blockSize, Bop.tensorScale};
  std::string err;
  std::mutex mu;
  int nb = Aop.scaleLayout == num::ScaleLayout::BlockK && Aop.blockSize > 0
               ? (K + Aop.blockSize - 1) / Aop.blockSize
               : 0;
  parallelRows(M, 1, threads, [&](int m0, int m1) {
    const float *scales = Aop.scales;
    if (scales && Aop.scaleLayout == num::ScaleLayout::Outer)
      scales += m0;
    else if (scales && Aop.scaleLayout == num::ScaleLayout::BlockK)
      scales += size_t(m0) * nb;
    num::QOperand A{Aop.format, a.data() + size_t(m0) * K, Aop.scaleLayout,
                    scales, Aop.blockSize, Aop.tensorScale};
    std::string e =
        num::referenceGemm(m1 - m0, N, K, A, B, acc, C + size_t(m0) * N);
    if (!e.empty()) {
      std::lock_guard<std::mutex> lock(mu);
      err = e;
    }
  });
  return err;
}

/// Largest Σ_j |integer value| over the logical rows of an R×C code matrix
/// (`limit` or more: may stop early and return it). Reads the codes in
/// storage order.
int64_t maxRowAbsSum(const CodeMatrix &A, const FormatTables &t,
                     int64_t limit) {
  int R = A.rows, Cn = A.cols;
  int32_t absv[256];
  for (int c = 0; c < 256; ++c)
    absv[c] = c < int(t.ival.size()) ? std::abs(int32_t(t.ival[c])) : 0;
  int64_t best = 0;
  if (!A.transposed) {
    // Two codes per byte with rows starting on byte boundaries: a table of
    // the byte's |lo| + |hi|.
    bool pairs = A.layout == CodeLayout::Packed4 && Cn % 2 == 0;
    int32_t pair[256];
    for (int b = 0; pairs && b < 256; ++b)
      pair[b] = absv[b & 0xF] + absv[b >> 4];
    std::vector<uint8_t> row(static_cast<size_t>(Cn));
    for (int i = 0; i < R; ++i) {
      int64_t sum = 0;
      if (pairs) {
        const uint8_t *src = A.codes + size_t(i) * (Cn / 2);
        for (int j = 0; j < Cn / 2; ++j)
          sum += pair[src[j]];
      } else {
        unpackRun(A.codes, A.layout, size_t(i) * Cn, Cn, row.data());
        for (int j = 0; j < Cn; ++j)
          sum += absv[row[size_t(j)]];
      }
      best = std::max(best, sum);
      if (best >= limit)
        return limit;
    }
    return best;
  }
  // Stored as the transpose: storage row j holds logical column j.
  std::vector<int64_t> sums(static_cast<size_t>(R), 0);
  std::vector<uint8_t> run(static_cast<size_t>(R));
  for (int j = 0; j < Cn; ++j) {
    unpackRun(A.codes, A.layout, size_t(j) * R, R, run.data());
    for (int i = 0; i < R; ++i)
      sums[size_t(i)] += absv[run[size_t(i)]];
  }
  for (int64_t v : sums)
    best = std::max(best, v);
  return std::min(best, limit);
}

/// FP16 accumulation of unsigned × signed small-integer codes (e.g. the
/// uint4 × int4 forward GEMM of ultralow4) on the byte kernels. An FP16
/// partial sum is exact — equal to the integer prefix sum — while its
/// magnitude stays within num::exactIntegerLimit(F16, lsb) (2048 units of
/// the product grid), and then every FP16 add of the reference rounds
/// nothing. The kernels track the largest |sum| after every group of 4 k; the partial sums inside a
/// group exceed it by at most 3 products. These are the operand pairs where
/// A's codes need no offset, so the accumulators hold the true sums.
///
/// Returns the largest tracked |sum| at which the integer result stands —
/// the FP16 exact limit less 3 products — or 0 when the byte kernels cannot
/// run the pair without an offset or no tracked sum could stand.
int32_t f16ViaIntegersPeakLimit(const Format &fa, const Format &fb, Isa isa) {
  if (isa != Isa::AVX512 || fa.bitWidth() > 8 || fb.bitWidth() > 8)
    return 0;
  PairInfo p = pairInfo(fa, fb);
  if (!p.int16Exact ||
      byteKernelOffset(tablesFor(fa), tablesFor(fb), isa) != 0)
    return 0;
  int64_t halfExactLimit = num::exactIntegerLimit(
      AccumKind::F16, num::lsbExponent(fa) + num::lsbExponent(fb));
  int64_t limit = halfExactLimit - 3 * p.maxProduct;
  return limit > 0 ? int32_t(limit) : 0;
}

/// A cheap look before the integer FP16 attempt: the exact prefix sums of
/// a few outputs (rows 0 and M-1, the first 8 columns). When one of them
/// already leaves the limit the attempt would fail, so it is skipped.
bool f16SampleFits(int M, int N, int K, const Operand &A, const Operand &B,
                   int64_t limit) {
  const FormatTables &ta = tablesFor(A.format), &tb = tablesFor(B.format);
  CodeMatrix Am{A.codes, A.layout, M, K, A.transposed},
      Bm{B.codes, B.layout, K, N, B.transposed};
  int cols = std::min(N, 8);
  std::vector<uint8_t> a(static_cast<size_t>(K)), b(size_t(K) * cols);
  Bm.block(0, K, 0, cols, b.data());
  for (int m : {0, M - 1}) {
    Am.block(m, 1, 0, K, a.data());
    for (int n = 0; n < cols; ++n) {
      int64_t sum = 0;
      for (int k = 0; k < K; ++k) {
        sum += int64_t(ta.ival[a[size_t(k)]]) * tb.ival[b[size_t(k) * cols + n]];
        if (sum > limit || -sum > limit)
          return false;
      }
    }
  }
  return true;
}

/// The data form of f32ViaIntegers: every partial sum of output (m, n) is
/// at most Σ_k |a_mk| · max|b| (and Σ_k |b_kn| · max|a|) in units of the
/// product grid, so when either bound stays below 2^24 for every row (or
/// column), each float32 add of the sequential f32 sum is exact and the
/// integer kernels give its bits. Checked on the codes, O(M·K + K·N).
bool f32ViaIntegersForData(int M, int N, int K, const Operand &A,
                           const Operand &B) {
  if (f32ViaIntegers(A.format, B.format, M, N, K))
    return true;
  if (A.format.bitWidth() > 8 || B.format.bitWidth() > 8 || K <= 0 ||
      double(M) * N * K < double(1 << 27) ||
      !pairInfo(A.format, B.format).int16Exact)
    return false;
  int64_t exact = num::exactIntegerLimit(
      AccumKind::F32, num::lsbExponent(A.format) + num::lsbExponent(B.format));
  if (exact == 0)
    return false;
  const FormatTables &ta = tablesFor(A.format), &tb = tablesFor(B.format);
  auto fits = [&](const CodeMatrix &rows, const FormatTables &t,
                  int64_t otherMax) {
    if (otherMax <= 0)
      return true;
    int64_t cap = exact / otherMax + 1; // fits: sum · otherMax ≤ exact
    return maxRowAbsSum(rows, t, cap) < cap;
  };
  CodeMatrix Am{A.codes, A.layout, M, K, A.transposed};
  CodeMatrix Bt{B.codes, B.layout, N, K, !B.transposed}; // rows = columns of B
  return fits(Am, ta, tb.maxInt) || fits(Bt, tb, ta.maxInt);
}

} // namespace

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

std::string gemm(int M, int N, int K, const Operand &A, const Operand &B,
                 num::Accumulation acc, float *C, const Options &opts) {
  if (M < 0 || N < 0 || K < 0)
    return "GEMM dimensions must be non-negative";
  for (const Operand *op : {&A, &B}) {
    std::string v = num::validateFormat(op->format);
    if (!v.empty())
      return std::string("operand ") + (op == &A ? "A" : "B") +
             " has an invalid format: " + v;
    if (op->layout == CodeLayout::Packed4 && op->format.bitWidth() > 4)
      return std::string("operand ") + (op == &A ? "A" : "B") +
             " is packed two codes per byte but its format is wider than 4 "
             "bits";
  }
  std::string v = num::validateAccumulation(acc);
  if (!v.empty())
    return v;
  if (acc.kind == AccumKind::Exact) {
    v = num::exactAccumulationSupported(A.format, B.format);
    if (!v.empty())
      return v;
  }
  if (M == 0 || N == 0)
    return "";
  if ((!A.codes && K > 0) || (!B.codes && K > 0) || !C)
    return "GEMM operand codes and result pointer must not be null";
  bool blockedA = A.scaleLayout == num::ScaleLayout::BlockK;
  bool blockedB = B.scaleLayout == num::ScaleLayout::BlockK;
  int blockSize = blockedA ? A.blockSize : blockedB ? B.blockSize : 0;
  bool blockOk = !(blockedA || blockedB) ||
                 (blockSize > 0 && (!blockedA || A.scales) &&
                  (!blockedB || B.scales) &&
                  (!(blockedA && blockedB) || A.blockSize == B.blockSize));
  // Formats with NaN/Inf codes: are any in the data?
  auto finiteData = [&](const Operand &op, size_t n) {
    const FormatTables &t = tablesFor(op.format);
    if (t.allFinite)
      return true;
    for (size_t i = 0; i < n; ++i)
      if (!std::isfinite(t.value[codeAt(op.codes, op.layout, i)]))
        return false;
    return true;
  };
  bool dataFinite = acc.kind == AccumKind::F32 &&
                    finiteData(A, size_t(M) * K) &&
                    finiteData(B, size_t(K) * N);
  Isa isa = usableIsa(opts.isa);
  Path path = K == 0 || !blockOk
                  ? Path::Reference
                  : choosePath(A.format, B.format, acc, blockedA || blockedB,
                               dataFinite);
  if (path == Path::Float && !(blockedA || blockedB) &&
      f32ViaIntegersForData(M, N, K, A, B))
    path = Path::ExactInt16;
  if (opts.pathTaken)
    *opts.pathTaken = pathName(path);
  switch (path) {
  case Path::ExactInt16:
    gemmExact(M, N, K, A, B, C, isa, opts.threads);
    return "";
  case Path::Float:
  case Path::FloatF16: {
    // FP16 accumulation without block scales: the integer kernels, or the
    // row kernel over A's nonzero terms, before the panel kernel.
    bool plainF16 = path == Path::FloatF16 && acc.kind == AccumKind::F16 &&
                    !(blockedA || blockedB);
    int32_t limit =
        plainF16 ? f16ViaIntegersPeakLimit(A.format, B.format, isa) : 0;
    if (limit > 0) {
      // The integer kernels first; their result stands when no partial
      // sum could have left FP16's exact range, else the FP16 kernel
      // recomputes C.
      std::atomic<int32_t> peak{0};
      if (f16SampleFits(M, N, K, A, B, limit))
        gemmExactGroups<4, int8_t>(M, N, K, A, B, C, isa, opts.threads, 0,
                                   &peak, limit);
      else
        peak = limit + 1;
      if (peak.load() <= limit) {
        if (opts.pathTaken)
          *opts.pathTaken = "exact-int";
        return "";
      }
    }
    // Skipping zero terms is Numerics' rule (num::f16SkipsZeroProducts,
    // cached per pair); the FloatF16 path's floatExact (finite codes only)
    // implies it.
    bool skipsZeros = pairInfo(A.format, B.format).f16SkipsZeros;
    assert(path != Path::FloatF16 || skipsZeros);
    if (plainF16 && skipsZeros &&
        gemmHalfSparseRows(M, N, K, A, B, C, isa, opts.threads)) {
      if (opts.pathTaken)
        *opts.pathTaken = "float-f16-rows";
      return "";
    }
    gemmFloat(M, N, K, A, B, acc, C, isa, opts.threads, blockSize);
    return "";
  }
  case Path::Reference:
    break;
  }
  return gemmReference(M, N, K, A, B, acc, C, opts.threads);
}

std::string conv2d(const num::ConvShape &s, const Operand &input,
                   const Operand &filter, num::Accumulation acc, float *out,
                   const Options &opts) {
  std::string v = num::validateConv2D(
      s, input.scaleLayout == num::ScaleLayout::Tensor,
      input.codes && filter.codes && out);
  if (!v.empty())
    return v;
  // im2col of the codes, in the reduction order of num::referenceConv2D.
  int M = s.N * s.outH() * s.outW(), K = s.KH * s.KW * s.C;
  std::vector<uint8_t> col(size_t(M) * K);
  num::forEachConvTap(s, [&](size_t i, size_t src) {
    col[i] = uint8_t(codeAt(input.codes, input.layout, src));
  });
  Operand A = input;
  A.codes = col.data();
  A.layout = CodeLayout::Byte;
  A.transposed = false;
  return gemm(M, s.F, K, A, filter, acc, out, opts);
}

} // namespace quant4::kernels
