//===- Avx512.cpp - AVX-512 VNNI micro-kernels and lookups ----------------===//
//
// The kernels of Isa::AVX512 (F/BW/VL/VNNI, with FMA and F16C): the float
// tiles and FP16 row kernel (instances of VectorKernels.h at 16 lanes), the
// int16 (vpdpwssd) and byte (vpdpbusd) tiles, and the lookups of 4-bit
// codes through a 16-entry table in one register (vpermps) that packing and
// the row kernel's compaction use. Kept apart from the other instruction
// sets so that each file holds one target's code; every function carries
// the target attribute Q4_AVX512 (x86/X86.h), so the library still runs on
// CPUs without AVX-512.
//
//===----------------------------------------------------------------------===//
#include "VectorKernels.h"
#include "x86/X86.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace quant4::kernels::detail {

//===----------------------------------------------------------------------===//
// Micro-kernels (selected in Cpu.cpp)
//===----------------------------------------------------------------------===//

namespace {

// The float tile of vec::floatTile: ROWS ≤ 12 rows of a 12-row A panel
// (shorter variants for the last rows of a GEMM, which would otherwise run
// the whole 12-row tile) × 32 columns.
template <int MODE, int ROWS = 12>
Q4_AVX512 void microFloat512(int kc, const float *A, const float *B, float *C,
                             int64_t ldc, bool zero) {
  vec::floatTile<16, MODE, ROWS, 12>(kc, A, B, C, ldc, zero);
}

// vec::row in spans of up to 16 zmm accumulators (256 columns).
template <int MODE>
Q4_AVX512 void rowHalfAvx512(int n, const int32_t *ks, const float *as,
                             const float *B, int64_t ldb, int width,
                             float *out) {
  vec::row<16, MODE, 16>(n, ks, as, B, ldb, width, out);
}

// The integer tile, 8 rows × 32 columns: int16 pairs (BT = int16_t,
// vpdpwssd) or u8 × s8 quads (BT = int8_t, vpdpbusd) of k per 32-bit lane.
// TRACK (bytes only): also raise *peak to the largest |partial sum| seen
// after each group of 4 k (gemmHalfOnIntegers, GemmInt.cpp).
template <typename BT, bool TRACK>
Q4_AVX512 void microInt512(int kg, const int32_t *A, const BT *B, int32_t *C,
                           int64_t ldc, bool zero, int32_t *peak) {
  constexpr int MR = 8, G = 4 / sizeof(BT); // k per lane
  __m512i c0[MR], c1[MR];
  __m512i top = _mm512_setzero_si512();
  for (int r = 0; r < MR; ++r) {
    c0[r] = zero ? _mm512_setzero_si512() : _mm512_loadu_si512(C + r * ldc);
    c1[r] = zero ? _mm512_setzero_si512()
                 : _mm512_loadu_si512(C + r * ldc + 16);
  }
  for (int p = 0; p < kg; ++p) {
    __m512i b0 = _mm512_loadu_si512(B + p * 32 * G);
    __m512i b1 = _mm512_loadu_si512(B + p * 32 * G + 16 * G);
    const int32_t *a = A + p * MR;
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; ++r) {
      __m512i av = _mm512_set1_epi32(a[r]);
      if constexpr (G == 4) {
        c0[r] = _mm512_dpbusd_epi32(c0[r], av, b0);
        c1[r] = _mm512_dpbusd_epi32(c1[r], av, b1);
      } else {
        c0[r] = _mm512_dpwssd_epi32(c0[r], av, b0);
        c1[r] = _mm512_dpwssd_epi32(c1[r], av, b1);
      }
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

} // namespace

FloatMicro floatMicroAvx512(int mode, int rows) {
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

Q4_AVX512 void microInt16Avx512(int kp, const int32_t *A, const int16_t *B,
                                int32_t *C, int64_t ldc, bool zero) {
  microInt512<int16_t, false>(kp, A, B, C, ldc, zero, nullptr);
}

Int8Micro int8MicroAvx512(bool track) {
  return track ? microInt512<int8_t, true> : microInt512<int8_t, false>;
}

RowKernel rowKernelAvx512(int mode) {
  return mode == kF16 ? rowHalfAvx512<kF16> : rowHalfAvx512<kF16RoundProducts>;
}

Q4_AVX512 void addHalfPartialsAvx512(float *c, const float *part, int n,
                                     float nan) {
  addHalfPartialsImpl(c, part, n, nan);
}

//===----------------------------------------------------------------------===//
// Lookups of 4-bit codes (Pack.cpp, GemmF16Rows.cpp)
//===----------------------------------------------------------------------===//

namespace {

/// 16 byte codes → 16 floats through a ≤ 16-entry table in a register.
Q4_AVX512 inline __m512 lookup16(const uint8_t *codes, __m512 tab) {
  return _mm512_permutexvar_ps(
      _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)codes)), tab);
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

} // namespace

Q4_AVX512 int lookupRow512(const uint8_t *codes, int n, const float *tab16,
                           float *dst) {
  __m512 tab = _mm512_loadu_ps(tab16);
  int i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(dst + i, lookup16(codes + i, tab));
  return i;
}

Q4_AVX512 void panelRow32Avx512(const float *tab16, const uint8_t *src,
                                int cols, float *dst) {
  int j = lookupRow512(src, cols, tab16, dst);
  for (; j < cols; ++j)
    dst[j] = tab16[src[j]];
  for (; j < 32; ++j)
    dst[j] = 0.0f;
}

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

Q4_AVX512 int expandTransposed512(const uint8_t *runs, int K,
                                  const float *tab16, float *dst, int ldb) {
  __m512 tab = _mm512_loadu_ps(tab16);
  alignas(16) __m128i col[16];
  int k0 = 0;
  for (; k0 + 16 <= K; k0 += 16) {
    transpose16x16(runs + k0, size_t(K), col);
    for (int k = 0; k < 16; ++k)
      _mm512_storeu_ps(
          dst + size_t(k0 + k) * ldb,
          _mm512_permutexvar_ps(_mm512_cvtepu8_epi32(col[k]), tab));
  }
  return k0;
}

} // namespace quant4::kernels::detail

#endif // defined(__x86_64__)
