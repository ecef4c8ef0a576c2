//===- Portable.cpp - micro-kernels in plain C++ --------------------------===//
//
// The kernels of Isa::Portable: the same register-tile and FP16 row kernels
// as x86/Avx512.cpp and x86/Avx2.cpp, in plain C++ for any CPU (and for
// QUANT4_BENCH_ISA=portable / Options::isa on x86). FP16 rounding is
// Numerics' own (roundHalf); the SIMD kernels' conversions give the same
// bits. Kept apart from the per-architecture files so that this file needs
// no target attribute and no intrinsics.
//
//===----------------------------------------------------------------------===//
#include "KernelsImpl.h"

namespace quant4::kernels::detail {

namespace {

constexpr Shape kTile = shapeFor(Isa::Portable);

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

} // namespace

FloatMicro floatMicroPortable(int mode) {
  constexpr int MR = kTile.MR, NR = kTile.NR;
  return mode == kF32 ? microFloatPortable<MR, NR, kF32>
         : mode == kF16 ? microFloatPortable<MR, NR, kF16>
                        : microFloatPortable<MR, NR, kF16RoundProducts>;
}

void microInt16Portable(int kp, const int32_t *A, const int16_t *B, int32_t *C,
                        int64_t ldc, bool zero) {
  constexpr int MR = kTile.MR, NR = kTile.NR;
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < NR; ++j) {
      int32_t t = zero ? 0 : C[r * ldc + j];
      const int32_t *a = A + r;     // the pairs of row r, stride MR
      const int16_t *b = B + 2 * j; // the pairs of column j, stride 2·NR
      for (int p = 0; p < kp; ++p, a += MR, b += 2 * NR) {
        int32_t pair = *a;
        int32_t a0 = int16_t(pair & 0xFFFF), a1 = int16_t(uint32_t(pair) >> 16);
        t += a0 * b[0] + a1 * b[1];
      }
      C[r * ldc + j] = t;
    }
}

RowKernel rowKernelPortable(int mode) {
  return mode == kF16 ? rowHalfPortable<kF16>
                      : rowHalfPortable<kF16RoundProducts>;
}

void addHalfPartialsPortable(float *c, const float *part, int n, float nan) {
  addHalfPartialsImpl(c, part, n, nan);
}

} // namespace quant4::kernels::detail
