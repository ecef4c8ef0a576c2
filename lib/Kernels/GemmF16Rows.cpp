//===- GemmF16Rows.cpp - FP16 accumulation over A's nonzero terms ---------===//
//
// Path "float-f16-rows". A term with a zero operand leaves an FP16 partial
// sum unchanged (num::f16SkipsZeroProducts), so row m of C is the FP16 sum,
// k increasing, of a[m][k] · B[k][:] over the k where a[m][k] ≠ 0: the
// same bits with a fraction of the work when A is sparse — as the gradients
// and the ReLU activations of training are (half or more of their codes
// are zero). A's rows are compacted to their (k, value) lists, B is
// expanded once to float rows (padded to 16 columns), and a row of C is
// held in registers (up to 256 columns at a time) while its terms stream
// B's rows (the RowKernel of the ISA). Kept apart from the panel drivers:
// it packs nothing into panels and threads over single rows. With chunked
// FP16 accumulation, each chunk's run of terms is one row-kernel call and
// the FP16 chunk sums are added in float32, chunk by chunk.
//
//===----------------------------------------------------------------------===//
#include "KernelsImpl.h"
#include "x86/X86.h"

#include <memory>

namespace quant4::kernels::detail {

/// Whether at most `budget` of an operand's n codes decode to a nonzero
/// value (the density test of gemmHalfSparseRows, before any of its
/// preparation). Counts the stored bytes in storage order a block at a time
/// and stops as soon as the answer is known.
static bool nonzerosWithin(const Operand &op, size_t n, const FormatTables &t,
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
                        const Operand &Bop, int chunk, float *C, Isa isa,
                        int threads) {
  const FormatTables &ta = tablesFor(Aop.format), &tb = tablesFor(Bop.format);
  // Per term the row kernel streams a B row from cache where the panel
  // kernel reuses a B panel across 12 rows: only sparse A pays.
  if (!nonzerosWithin(Aop, size_t(M) * K, ta,
                      kSparseRowsDensity * double(M) * double(K), isa))
    return false;
#if defined(__x86_64__)
  // The vector paths look values up in one register: ≤ 16 codes.
  bool simd = isa == Isa::AVX512;
  bool simdA = simd && ta.value.size() <= 16;
  bool simdB = simd && tb.value.size() <= 16;
  alignas(64) float tabA[16] = {}, tabB[16] = {};
  std::copy(ta.value.begin(), ta.value.begin() + (simdA ? ta.value.size() : 0),
            tabA);
  std::copy(tb.value.begin(), tb.value.begin() + (simdB ? tb.value.size() : 0),
            tabB);
#endif
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
  // The nonzero terms of each row, k increasing: ks (k) and as (value),
  // row r of a block of kBlockRows rows at r·K (16 elements of slack at the
  // end), built per block inside the thread that multiplies it -- never the
  // whole M × K (an im2col'd activation of a ResNet layer is 29 M terms).
  constexpr int kBlockRows = 16;
  auto compact = [&](int m0, int m1, int32_t *ks, float *as, int32_t *count,
                     uint8_t *run) {
    int rows = m1 - m0;
    std::fill(count, count + rows, 0);
    if (!Aop.transposed) {
      for (int r = 0; r < rows; ++r) {
        unpackRun(Aop.codes, Aop.layout, size_t(m0 + r) * K, K, run);
        int32_t *kr = ks + size_t(r) * K;
        float *ar = as + size_t(r) * K;
#if defined(__x86_64__)
        if (simdA) {
          count[r] = compactNonzero512(run, K, tabA, kr, ar);
          continue;
        }
#endif
        int c = 0;
        for (int k = 0; k < K; ++k) { // branch-free compaction
          float v = ta.value[run[k]];
          kr[c] = k, ar[c] = v;
          c += v != 0.0f;
        }
        count[r] = c;
      }
      return;
    }
    // Stored K × M: row k of storage is column k of A; its codes m0..m1.
    for (int k = 0; k < K; ++k) {
      unpackRun(Aop.codes, Aop.layout, size_t(k) * M + size_t(m0), rows, run);
#if defined(__x86_64__)
      if (simdA) {
        appendNonzero512(run, rows, k, K, tabA, count, ks, as);
        continue;
      }
#endif
      for (int r = 0; r < rows; ++r) {
        float v = ta.value[run[r]];
        size_t at = size_t(r) * K + count[r];
        ks[at] = k, as[at] = v;
        count[r] += v != 0.0f;
      }
    }
  };

  RowKernel row = rowKernel(isa, halfMode(Aop.format, Bop.format));
  HalfPartials addPartials = halfPartials(isa);
  const float nanF16 = halfNaN();
  parallelRows(M, kBlockRows, threads, [&](int t0, int t1) {
    AlignedVector<float> out(static_cast<size_t>(ldb));
    AlignedVector<float> sums(chunk > 0 ? static_cast<size_t>(ldb) : 0);
    size_t listSize = size_t(kBlockRows) * K + 16;
    // Plain new[] (malloc's alignment), not UninitArray: with ks from
    // aligned_alloc the row kernel ran 25 % slower at 1024³ with 75 % zeros
    // (148 vs 200 GFLOP/s, AVX-512), probably from cache-set conflicts
    // between the lists and B's rows, which start at the same offsets.
    std::unique_ptr<int32_t[]> ks(new int32_t[listSize]);
    std::unique_ptr<float[]> as(new float[listSize]);
    std::vector<int32_t> count(kBlockRows);
    std::vector<uint8_t> run(size_t(std::max(K, kBlockRows)));
    for (int m0 = t0; m0 < t1; m0 += kBlockRows) {
      int m1 = std::min(t1, m0 + kBlockRows);
      compact(m0, m1, ks.get(), as.get(), count.data(), run.data());
      for (int m = m0; m < m1; ++m) {
        const int32_t *kr = ks.get() + size_t(m - m0) * K;
        const float *ar = as.get() + size_t(m - m0) * K;
        int n = count[size_t(m - m0)];
        if (chunk <= 0) {
          row(n, kr, ar, Bd.data(), ldb, ldb, out.data());
          applyScales(m, m + 1, N, Aop, Bop, C, [&](int, int j) {
            return halfSum(out[size_t(j)], nanF16);
          });
          continue;
        }
        // F16Chunked (C43): the FP16 sum of each chunk's nonzero terms,
        // added to float32 sums in chunk order. A chunk without nonzero
        // terms sums to +0 and adding it changes nothing: it is skipped.
        std::fill(sums.begin(), sums.end(), 0.0f);
        for (int i = 0; i < n;) {
          int end = (kr[i] / chunk + 1) * chunk, j = i;
          while (j < n && kr[j] < end)
            ++j;
          row(j - i, kr + i, ar + i, Bd.data(), ldb, ldb, out.data());
          addPartials(sums.data(), out.data(), ldb, nanF16);
          i = j;
        }
        applyScales(m, m + 1, N, Aop, Bop, C,
                    [&](int, int j) { return sums[size_t(j)]; });
      }
    }
  });
  return true;
}

} // namespace quant4::kernels::detail
