//===- GemmInt.cpp - the integer panel driver -----------------------------===//
//
// Path "exact-int": integer dot products of the codes' exact integers
// (int16 pairs: vpdpwssd / vpmaddwd; unsigned × signed bytes: vpdpbusd),
// summed in int32 or, when K is long enough to overflow, in int32 blocks
// added into int64 totals, and converted to float once
// (num::roundScaledIntegerToFloat) before the scale rule (C45). Integer
// sums are order-independent, so this is exact accumulation — and, where
// FormatAnalysis.cpp shows that no float32 or FP16 partial sum rounds, f32
// or f16 accumulation too (gemmHalfOnIntegers). Kept apart from the float
// driver: it shares the panel scheme (KernelsImpl.h) but its bookkeeping —
// groups of k, offsets, wide sums, peak tracking — is its own.
//
//===----------------------------------------------------------------------===//
#include "KernelsImpl.h"

#include <atomic>
#include <cmath>

namespace quant4::kernels::detail {
using num::AccumKind;

/// peak = max(peak, value), atomically.
static void raisePeak(std::atomic<int32_t> &peak, int32_t value) {
  for (int32_t seen = peak.load();
       value > seen && !peak.compare_exchange_weak(seen, value);)
    ;
}

// Exact accumulation with integer operands: int32 sums, or — when K is long
// enough for them to overflow — int32 block sums added into int64 totals.
// G = 2: int16 operands; G = 4 (AVX-512 VNNI): unsigned bytes (A + offset)
// times signed bytes, the offset removed with B's column sums. With `peak`
// (G = 4, offset 0): the largest |partial sum| is tracked, and the GEMM
// stops early once it passes peakLimit (the result is then not used).
template <int G, typename BT>
static void gemmExactGroups(int M, int N, int K, const Operand &Aop,
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
  // The micro-kernel of this ISA (the byte kernel: tracking or not).
  Int16Micro micro16 = G == 2 ? int16Micro(isa) : nullptr;
  Int8Micro micro8 = G == 4 ? int8Micro(isa, peak != nullptr) : nullptr;

  // `wide` is captured by value: the offset epilogue below sets it per
  // range (parallelRows copies the lambda), so one range finishing early
  // must not switch another, still accumulating, range to the wide path.
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
                     if constexpr (G == 4)
                       micro8(kg, ap, bp, c, ldc, zero, &localPeak);
                     else
                       micro16(kg, ap, bp, c, ldc, zero);
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
                  total[off + size_t(r) * N + j] +=
                      sum32[off + size_t(r) * N + j];
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

void gemmExact(int M, int N, int K, const Operand &Aop, const Operand &Bop,
               float *C, Isa isa, int threads) {
  const FormatTables &ta = tablesFor(Aop.format), &tb = tablesFor(Bop.format);
  int offset = byteKernelOffset(ta, tb, isa);
  if (offset >= 0)
    return gemmExactGroups<4, int8_t>(M, N, K, Aop, Bop, C, isa, threads,
                                      offset);
  gemmExactGroups<2, int16_t>(M, N, K, Aop, Bop, C, isa, threads, 0);
}

// The byte kernel with a running maximum of |sum| after every group of 4 k
// (see f16ViaIntegersPeakLimit): the integer result stands when no partial
// sum could have left FP16's exact range.
bool gemmHalfOnIntegers(int M, int N, int K, const Operand &Aop,
                        const Operand &Bop, bool chunked, float *C, Isa isa,
                        int threads) {
  int32_t limit = f16ViaIntegersPeakLimit(Aop.format, Bop.format, isa, chunked);
  if (limit <= 0 || !f16SampleFits(M, N, K, Aop, Bop, limit))
    return false;
  std::atomic<int32_t> peak{0};
  gemmExactGroups<4, int8_t>(M, N, K, Aop, Bop, C, isa, threads, 0, &peak,
                             limit);
  return peak.load() <= limit;
}

} // namespace quant4::kernels::detail
