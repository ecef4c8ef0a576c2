//===- VectorKernels.h - float kernels for any vector width -----*- C++ -*-===//
//
// Private to lib/Kernels: the float register-tile micro-kernel and the FP16
// row kernel, written once on Clang/GCC vector types of W float lanes. The
// per-architecture files instantiate them inside their target-attributed
// functions (x86/Avx512.cpp: W = 16, x86/Avx2.cpp: W = 8), where they are
// inlined and compiled for that instruction set — the same instructions as
// hand-written intrinsics (FMA, vcvtps2ph/vcvtph2ps, broadcasts), without
// one copy per register width. Nothing here names an instruction set: that
// is what keeps the bodies usable from any target attribute.
//
// FP16 rounding is a conversion to _Float16 lanes and back (LLVM fptrunc /
// fpext; vcvtps2ph / vcvtph2ps with F16C): round to nearest even in the
// default floating-point environment, which quant4 assumes throughout (it
// is compiled without FENV_ACCESS). Instantiate these only inside
// functions compiled with F16C: elsewhere the conversions become library
// calls. The integer kernels have no such generic form (vpdpbusd,
// vpdpwssd, vpmaddwd) and stay in the per-architecture files.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_LIB_KERNELS_VECTORKERNELS_H
#define QUANT4_LIB_KERNELS_VECTORKERNELS_H

#include "KernelsImpl.h"

namespace quant4::kernels::detail::vec {

/// W float lanes, and W FP16 lanes for the roundings.
template <int W> struct Lanes {
  typedef float F __attribute__((vector_size(4 * W)));
  typedef _Float16 H __attribute__((vector_size(2 * W)));
};
template <int W> using Floats = typename Lanes<W>::F;

template <int W> [[gnu::always_inline]] inline Floats<W> load(const float *p) {
  Floats<W> v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
template <int W>
[[gnu::always_inline]] inline void store(float *p, Floats<W> v) {
  __builtin_memcpy(p, &v, sizeof v);
}
template <int W> [[gnu::always_inline]] inline Floats<W> splat(float x) {
  Floats<W> v;
  for (int j = 0; j < W; ++j)
    v[j] = x;
  return v;
}
/// Each lane rounded to FP16 (nearest even) and widened back.
template <int W>
[[gnu::always_inline]] inline Floats<W> roundToHalf(Floats<W> x) {
  return __builtin_convertvector(
      __builtin_convertvector(x, typename Lanes<W>::H), Floats<W>);
}

/// One accumulation step c + a·b in float mode MODE. The product of two
/// codes is exact in float32, so the fused multiply-add rounds once, like
/// the reference's separate multiply and add; FP16 modes then round the sum
/// to FP16 (kF16RoundProducts: the product first).
template <int W, int MODE>
[[gnu::always_inline]] inline Floats<W> step(Floats<W> c, Floats<W> a,
                                             Floats<W> b) {
  if (MODE == kF32)
    return __builtin_elementwise_fma(a, b, c);
  if (MODE == kF16RoundProducts)
    return roundToHalf<W>(c + roundToHalf<W>(a * b));
  return roundToHalf<W>(__builtin_elementwise_fma(a, b, c));
}

/// The float micro-kernel (FloatMicro): a tile of ROWS rows × 2W columns.
/// A panel rows have stride AS floats (AS ≥ ROWS: the shorter AVX-512
/// variants read the first rows of a 12-row panel); B panel rows have 2W.
template <int W, int MODE, int ROWS, int AS>
[[gnu::always_inline]] inline void floatTile(int kc, const float *A,
                                             const float *B, float *C,
                                             int64_t ldc, bool zero) {
  Floats<W> c0[ROWS], c1[ROWS];
  for (int r = 0; r < ROWS; ++r) {
    c0[r] = zero ? Floats<W>{} : load<W>(C + r * ldc);
    c1[r] = zero ? Floats<W>{} : load<W>(C + r * ldc + W);
  }
  for (int k = 0; k < kc; ++k) {
    Floats<W> b0 = load<W>(B + k * 2 * W), b1 = load<W>(B + k * 2 * W + W);
    const float *a = A + k * AS;
#pragma clang loop unroll(full)
    for (int r = 0; r < ROWS; ++r) {
      Floats<W> av = splat<W>(a[r]);
      c0[r] = step<W, MODE>(c0[r], av, b0);
      c1[r] = step<W, MODE>(c1[r], av, b1);
    }
  }
  for (int r = 0; r < ROWS; ++r) {
    store<W>(C + r * ldc, c0[r]);
    store<W>(C + r * ldc + W, c1[r]);
  }
}

/// V vectors of W columns of one C row: out = the FP16 sum over the n
/// terms (B row ks[i], multiplier as[i]), held in registers throughout.
template <int W, int MODE, int V>
[[gnu::always_inline]] inline void rowSpan(int n, const int32_t *ks,
                                           const float *as, const float *B,
                                           int64_t ldb, float *out) {
  Floats<W> c[V];
  for (int v = 0; v < V; ++v)
    c[v] = Floats<W>{};
  for (int i = 0; i < n; ++i) {
    Floats<W> av = splat<W>(as[i]);
    const float *b = B + int64_t(ks[i]) * ldb;
#pragma clang loop unroll(full)
    for (int v = 0; v < V; ++v)
      c[v] = step<W, MODE>(c[v], av, load<W>(b + W * v));
  }
  for (int v = 0; v < V; ++v)
    store<W>(out + W * v, c[v]);
}

/// The widest span of at most V vectors that `left` columns (a multiple of
/// 16) hold, halving V down to 16 columns; returns the columns done.
template <int W, int MODE, int V>
[[gnu::always_inline]] inline int rowWidest(int n, const int32_t *ks,
                                            const float *as, const float *B,
                                            int64_t ldb, int left, float *out) {
  if constexpr (V * W > 16)
    if (left < V * W)
      return rowWidest<W, MODE, V / 2>(n, ks, as, B, ldb, left, out);
  rowSpan<W, MODE, V>(n, ks, as, B, ldb, out);
  return V * W;
}

/// The FP16 row kernel (RowKernel): `width` columns (a multiple of 16) in
/// spans of up to V vectors (16 zmm / 8 ymm accumulators).
template <int W, int MODE, int V>
[[gnu::always_inline]] inline void row(int n, const int32_t *ks,
                                       const float *as, const float *B,
                                       int64_t ldb, int width, float *out) {
  for (int j = 0; j < width;)
    j += rowWidest<W, MODE, V>(n, ks, as, B + j, ldb, width - j, out + j);
}

} // namespace quant4::kernels::detail::vec

#endif // QUANT4_LIB_KERNELS_VECTORKERNELS_H
