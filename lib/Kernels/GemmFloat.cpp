//===- GemmFloat.cpp - the float panel driver -----------------------------===//
//
// Paths "float" and "float-f16": f32, f16 and f16_chunked accumulation, with
// or without block scales along K (MX/NVFP4), on float panels and the float
// micro-kernels. Every product of two codes is exact in float32 here
// (FormatAnalysis.cpp), so the micro-kernels' fused multiply-adds equal the
// reference's multiply then add; the driver keeps the reference's order of
// additions (k increasing, chunks and scale blocks in order) and applies
// the scale rules (C45, C46). Kept apart from the integer driver: the two
// share the panel scheme (KernelsImpl.h) but not their bookkeeping.
//
//===----------------------------------------------------------------------===//
#include "KernelsImpl.h"

namespace quant4::kernels::detail {
using num::AccumKind;

// The raw dot products are accumulated in C (row-major, ldc N) — for chunked
// FP16, chunk partials in a scratch buffer and chunk sums in C — then scaled
// in place.
void gemmFloat(int M, int N, int K, const Operand &Aop, const Operand &Bop,
               num::Accumulation acc, float *C, Isa isa, int threads,
               int blockSize) {
  Shape sh = floatShapeFor(isa);
  const FormatTables &ta = tablesFor(Aop.format), &tb = tablesFor(Bop.format);
  CodeMatrix A{Aop.codes, Aop.layout, M, K, Aop.transposed},
      B{Bop.codes, Bop.layout, K, N, Bop.transposed};
  int panelsN = (N + sh.NR - 1) / sh.NR;
  AlignedVector<float> Bp(size_t(panelsN) * K * sh.NR);
  packB(B, tb.value.data(), int(tb.value.size()), K, N, sh.NR, isa, Bp.data());

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
  HalfPartials addHalfPartials = halfPartials(isa);
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
                  addHalfPartials(crow, part, cols, nan);
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

} // namespace quant4::kernels::detail
