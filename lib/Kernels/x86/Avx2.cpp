//===- Avx2.cpp - AVX2 micro-kernels and byte-shuffle packing -------------===//
//
// The kernels of Isa::AVX2 (with FMA and F16C): the float tiles and FP16
// row kernel (instances of VectorKernels.h at 8 lanes) and the int16
// (vpmaddwd) tile, plus the 128/256-bit byte-shuffle helpers that packing
// and the density count use on AVX2 and AVX-512 alike (nibble unpacking,
// 16-entry table lookups, interleaving B's groups, counting nonzero codes).
// Kept apart from the other instruction sets so that each file holds one
// target's code; every function carries the target attribute Q4_AVX2
// (x86/X86.h).
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

// The float tile of vec::floatTile: 6 rows × 16 columns.
template <int MODE>
Q4_AVX2 void microFloat256(int kc, const float *A, const float *B, float *C,
                           int64_t ldc, bool zero) {
  vec::floatTile<8, MODE, 6, 6>(kc, A, B, C, ldc, zero);
}

// vec::row in spans of up to 8 ymm accumulators (64 columns).
template <int MODE>
Q4_AVX2 void rowHalfAvx2(int n, const int32_t *ks, const float *as,
                         const float *B, int64_t ldb, int width, float *out) {
  vec::row<8, MODE, 8>(n, ks, as, B, ldb, width, out);
}

} // namespace

FloatMicro floatMicroAvx2(int mode) {
  return mode == kF32 ? microFloat256<kF32>
         : mode == kF16 ? microFloat256<kF16>
                        : microFloat256<kF16RoundProducts>;
}

Q4_AVX2 void microInt16Avx2(int kp, const int32_t *A, const int16_t *B,
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

RowKernel rowKernelAvx2(int mode) {
  return mode == kF16 ? rowHalfAvx2<kF16> : rowHalfAvx2<kF16RoundProducts>;
}

Q4_AVX2 void addHalfPartialsAvx2(float *c, const float *part, int n,
                                 float nan) {
  addHalfPartialsImpl(c, part, n, nan);
}

//===----------------------------------------------------------------------===//
// Byte-shuffle helpers (Pack.cpp, GemmF16Rows.cpp)
//===----------------------------------------------------------------------===//

namespace {

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

/// packBGroupsRows (x86/X86.h) for G = 4 (BT = int8_t) or 2 (int16_t): G
/// whole rows (the panels' columns) unpacked at a time, each panel's group
/// written 16 columns at a time by interleave4x16 or interleave2x16.
template <int G, typename BT>
Q4_AVX2 bool packBGroupsRowsImpl(const CodeMatrix &B, const int16_t *table,
                                 int ncodes, int K, int N, int NR, int q0,
                                 int q1, BT *out) {
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

} // namespace

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

Q4_AVX2 int lookupBytes16(const uint8_t *src, int n, const uint8_t *tab,
                          uint8_t *out) {
  __m128i t = _mm_load_si128((const __m128i *)tab);
  int i = 0;
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128(
        (__m128i *)(out + i),
        _mm_shuffle_epi8(t, _mm_loadu_si128((const __m128i *)(src + i))));
  return i;
}

Q4_AVX2 int lookupInt16x16(const uint8_t *src, int n, const uint8_t *lo,
                           const uint8_t *hi, uint16_t *out) {
  __m128i tlo = _mm_load_si128((const __m128i *)lo);
  __m128i thi = _mm_load_si128((const __m128i *)hi);
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i c = _mm_loadu_si128((const __m128i *)(src + i));
    __m128i l = _mm_shuffle_epi8(tlo, c), h = _mm_shuffle_epi8(thi, c);
    _mm_storeu_si128((__m128i *)(out + i), _mm_unpacklo_epi8(l, h));
    _mm_storeu_si128((__m128i *)(out + i + 8), _mm_unpackhi_epi8(l, h));
  }
  return i;
}

Q4_AVX2 bool packBGroupsRows(const CodeMatrix &B, const int16_t *table,
                             int ncodes, int K, int N, int NR, int q0, int q1,
                             int8_t *out) {
  return packBGroupsRowsImpl<4>(B, table, ncodes, K, N, NR, q0, q1, out);
}

Q4_AVX2 bool packBGroupsRows(const CodeMatrix &B, const int16_t *table,
                             int ncodes, int K, int N, int NR, int q0, int q1,
                             int16_t *out) {
  return packBGroupsRowsImpl<2>(B, table, ncodes, K, N, NR, q0, q1, out);
}

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

} // namespace quant4::kernels::detail

#endif // defined(__x86_64__)
