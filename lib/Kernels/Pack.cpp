//===- Pack.cpp - runs of codes and packed panels of A and B --------------===//
//
// From runtime storage (one code per byte or two, row-major or transposed)
// to what the micro-kernels read: runs of codes one per byte (unpackRun,
// CodeMatrix::block), float panels of A and B for the float kernels, and
// integer panels in groups of 2 or 4 k for the int16 and byte kernels —
// looked up in the per-format tables of FormatAnalysis.cpp. The
// instruction-set-specific inner loops (nibble unpacking, table lookups by
// byte shuffles or vpermps, group interleaving) are in x86/; this file
// chooses them and does the rest in plain C++. Kept apart from the drivers
// so that a panel layout is defined in one place, next to its padding
// rules.
//
//===----------------------------------------------------------------------===//
#include "KernelsImpl.h"
#include "x86/X86.h"

#include <cstring>
#include <type_traits>

namespace quant4::kernels {

void packCodes4(const uint8_t *codes, size_t n, uint8_t *packed) {
  for (size_t i = 0; i + 1 < n; i += 2)
    packed[i / 2] = uint8_t((codes[i] & 0xF) | ((codes[i + 1] & 0xF) << 4));
  if (n & 1)
    packed[n / 2] = codes[n - 1] & 0xF;
}

namespace detail {

//===----------------------------------------------------------------------===//
// Runs of codes
//===----------------------------------------------------------------------===//

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

void CodeMatrix::block(int i0, int ni, int j0, int nj, uint8_t *out) const {
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

//===----------------------------------------------------------------------===//
// Float panels
//===----------------------------------------------------------------------===//

void packA(const CodeMatrix &A, const float *table, int M, int m0, int mc,
           int k0, int kc, int MR, float *out) {
  int live = std::max(0, std::min(mc, M - m0));
  std::vector<uint8_t> blk(size_t(live) * size_t(kc));
  A.block(m0, live, k0, kc, blk.data());
  for (int p = 0; p < mc; p += MR)
    for (int r = 0; r < MR; ++r) {
      float *dst = out + size_t(p) * kc + r;
      if (p + r >= live) {
        for (int k = 0; k < kc; ++k)
          dst[size_t(k) * MR] = 0.0f;
        continue;
      }
      const uint8_t *src = blk.data() + size_t(p + r) * kc;
      for (int k = 0; k < kc; ++k)
        dst[size_t(k) * MR] = table[src[k]];
    }
}

// The whole of B (K×N) into panels of NR columns: out[panel][k][NR], each
// row of a panel written by row(codes, cols, dst) (zeros past cols).
template <typename Row>
static void packBRows(const CodeMatrix &B, int K, int N, int NR, float *out,
                      Row row) {
  int panels = (N + NR - 1) / NR;
  std::vector<uint8_t> blk(size_t(K) * size_t(NR));
  for (int q = 0; q < panels; ++q) {
    int cols = std::min(NR, N - q * NR);
    B.block(0, K, q * NR, cols, blk.data());
    for (int k = 0; k < K; ++k)
      row(blk.data() + size_t(k) * cols, cols, out + (size_t(q) * K + k) * NR);
  }
}

void packB(const CodeMatrix &B, const float *table, int ncodes, int K, int N,
           int NR, Isa isa, float *out) {
#if defined(__x86_64__)
  // 32-wide rows of a format with at most 16 codes: the table in one
  // register, 16 codes looked up per vpermps.
  if (isa == Isa::AVX512 && NR == 32 && ncodes <= 16) {
    alignas(64) float tab[16] = {};
    std::copy(table, table + ncodes, tab);
    packBRows(B, K, N, NR, out, [&](const uint8_t *src, int cols, float *dst) {
      panelRow32Avx512(tab, src, cols, dst);
    });
    return;
  }
#endif
  (void)ncodes, (void)isa;
  packBRows(B, K, N, NR, out, [&](const uint8_t *src, int cols, float *dst) {
    for (int j = 0; j < cols; ++j)
      dst[j] = table[src[j]];
    for (int j = cols; j < NR; ++j)
      dst[j] = 0.0f;
  });
}

//===----------------------------------------------------------------------===//
// Integer panels in groups of G k
//===----------------------------------------------------------------------===//

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
        if constexpr (G == 2)
          k = lookupInt16x16(src, kl, tab.lo, tab.hi, row.data());
        else
          k = lookupBytes16(src, kl, tab.lo, row.data());
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

template <int G, typename BT>
void packBGroups(const CodeMatrix &B, const int16_t *table, int ncodes, int K,
                 int N, int NR, int q0, int q1, Isa isa, BT *out) {
  static_assert((G == 4 && std::is_same_v<BT, int8_t>) ||
                    (G == 2 && std::is_same_v<BT, int16_t>),
                "byte quads or int16 pairs");
#if defined(__x86_64__)
  if (isa >= Isa::AVX2 &&
      packBGroupsRows(B, table, ncodes, K, N, NR, q0, q1, out))
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

template void packAGroups<2>(const CodeMatrix &, const int16_t *, int, int,
                             int, int, int, int, int, int, int, Isa,
                             int32_t *);
template void packAGroups<4>(const CodeMatrix &, const int16_t *, int, int,
                             int, int, int, int, int, int, int, Isa,
                             int32_t *);
template void packBGroups<2, int16_t>(const CodeMatrix &, const int16_t *, int,
                                      int, int, int, int, int, Isa, int16_t *);
template void packBGroups<4, int8_t>(const CodeMatrix &, const int16_t *, int,
                                     int, int, int, int, int, Isa, int8_t *);

} // namespace detail
} // namespace quant4::kernels
