//===- Accumulate.h - accumulation modes, reference GEMM/conv ---*- C++ -*-===//
#ifndef QUANT4_NUMERICS_ACCUMULATE_H
#define QUANT4_NUMERICS_ACCUMULATE_H

#include "quant4/Numerics/Format.h"
#include "quant4/Numerics/Rounding.h"

#include <algorithm>
#include <limits>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace quant4::num {

enum class AccumKind : uint8_t { F32, F16, F16Chunked, Exact };
struct Accumulation {
  AccumKind kind = AccumKind::F32;
  int chunk = 0; // F16Chunked only: number of k terms per FP16 chunk (>= 1)
};

/// The largest L such that every k·2^lsb with integer |k| ≤ L is exactly
/// representable in the accumulator of `kind`: 2^24 for F32 (lsb in
/// [-149, 103]), 2^11 for F16 and F16Chunked (lsb in [-24, 4]), no limit
/// (INT64_MAX) for Exact; 0 when lsb is outside the format's range. While
/// every partial sum of integer-valued products stays within L, an
/// accumulation in that format rounds nothing.
int64_t exactIntegerLimit(AccumKind kind, int lsb);

/// The overflow-free FP16 chunk of an operand pair (C48): the largest power
/// of two c such that c · (P + 16) <= 65504, where P is the largest
/// |decode(a)| · |decode(b)| over all codes rounded up to FP16 and 16 is half
/// the FP16 spacing below 65504 (the most one rounding can add). Every
/// partial sum of an F16Chunked(c) accumulation is then at most 65504 in
/// magnitude: no code pair and no data can overflow it. 0 when no chunk is
/// safe (a single product can overflow, or a format has Inf/NaN codes).
int f16OverflowFreeChunk(const Format &a, const Format &b);

/// "f32", "f16", "f16_chunked", "exact".
std::string_view accumName(AccumKind k);
std::optional<AccumKind> parseAccum(std::string_view s);
/// "" if valid (F16Chunked needs chunk >= 1; others need chunk == 0).
std::string validateAccumulation(const Accumulation &acc);

/// "" if exact accumulation is possible for this operand pair, else a sentence
/// why not (C44): operands must be Log/Int/UInt/E2M1/E4M3/E5M2 and the integer
/// product grid must fit a signed 128-bit accumulator with 2^32 terms of
/// headroom (bits(maxA) + bits(maxB) <= 94).
std::string exactAccumulationSupported(const Format &a, const Format &b);

/// Exact decomposition of every value of `f` as integer * 2^lsbExponent(f)
/// (C44). Valid for the formats exactAccumulationSupported accepts.
int lsbExponent(const Format &f);
/// Integer multiple of 2^lsbExponent(f) equal to decode(f, code) (signed).
int64_t exactInteger(const Format &f, uint32_t code);

/// True when, in the F16 accumulation of dotCodes (and of F16Chunked within
/// a chunk), every term with a zero operand leaves the partial sum's bits
/// unchanged, so it may be skipped: both formats have only finite codes (no
/// 0·Inf = NaN). The sum starts at +0 and adds FP16 values (multiples of
/// 2^-24), so a sum that cancels is +0 and a nonzero one is at least 2^-24
/// in magnitude: it is never -0, and s + (±0) = s.
bool f16SkipsZeroProducts(const Format &a, const Format &b);

/// Round (negative ? -1 : 1) * (hi * 2^64 + lo) * 2^exp to float32 once, to
/// nearest even, with subnormals and overflow to Inf. Zero gives +0. (The
/// Exact accumulator is a signed 128-bit integer; this is its final rounding.)
float roundScaledIntegerToFloat(bool negative, uint64_t hi, uint64_t lo,
                                int exp);

/// Dot product sum_k decode(fa, a[k*sa]) * decode(fb, b[k*sb]) accumulated by
/// `acc` (C40..C44). No scales applied. F32: float, k increasing; F16: product
/// and every partial sum rounded to FP16 (RNE); F16Chunked: FP16 within chunks
/// of `chunk` terms, chunk sums added in F32 in increasing order; Exact: 128-bit
/// integer sum, rounded to float once (NaN if the pair is unsupported). An
/// F16Chunked chunk < 1 is treated as one chunk of K terms.
float dotCodes(const Format &fa, const uint32_t *a, ptrdiff_t strideA,
               const Format &fb, const uint32_t *b, ptrdiff_t strideB, int K,
               Accumulation acc);

/// How an operand's scales are laid out (C45).
enum class ScaleLayout : uint8_t {
  Tensor, // one scale: scales[0]
  Outer,  // one per non-reduction index: A per row m (M), B per column n (N)
  BlockK  // one per block of `blockSize` along K: A [M][nb], B [nb][N]
};

/// A quantized GEMM operand: codes (one uint32 per element, row-major) plus
/// scales. A is M x K, B is K x N. scales == nullptr means every scale is 1.
/// A scale that is not (> 0 and finite) makes the outputs using it NaN.
struct QOperand {
  Format format;
  const uint32_t *codes = nullptr;
  ScaleLayout layout = ScaleLayout::Tensor;
  const float *scales = nullptr;
  int blockSize = 0;        // BlockK only
  float tensorScale = 1.0f; // second-level scale (NVFP4), applied last
};

/// The GEMM scale application rule (C45): a dot product `dot` of decoded codes
/// becomes (dot · (scaleA · scaleB)) · tensorScaleAB in float32, where a scale
/// that is not (> 0 and finite) counts as NaN. tensorScaleAB is
/// tensorScaleProduct(tA, tB). Every GEMM implementation (reference, runtime
/// kernels, simulator) applies scales through these two functions.
inline float scaleDot(float dot, float scaleA, float scaleB,
                      float tensorScaleAB) {
  float sa = isValidScale(scaleA) ? scaleA : std::numeric_limits<float>::quiet_NaN();
  float sb = isValidScale(scaleB) ? scaleB : std::numeric_limits<float>::quiet_NaN();
  return (dot * (sa * sb)) * tensorScaleAB;
}
float tensorScaleProduct(float tensorScaleA, float tensorScaleB);
/// With block scales along K (C46): the running sum s of per-block partial
/// dot products, s + partial · (scaleA · scaleB), invalid scales as NaN.
float addScaledBlock(float s, float partial, float scaleA, float scaleB);


/// Reference C[M x N] = A[M x K] * B[K x N] (row-major, C written densely).
/// Non-block rule: C = dot * (sa * sb) in float32 (sa*sb first), then
///   * (tA * tB) if either tensorScale != 1.
/// BlockK (either operand, same blockSize): K splits into blocks of bs
/// (last may be short); p_j = dot over block j (mode applies within the
/// block; F16Chunked chunks restart at each block); C = sum_j p_j *
/// (sa_j * sb_j) accumulated in F32 for increasing j, then * (tA * tB).
/// Returns "" on success, else a sentence (nothing written to C).
std::string referenceGemm(int M, int N, int K, const QOperand &A,
                          const QOperand &B, Accumulation acc, float *C);

/// Reference 2-D convolution, NHWC input x HWCF filter -> NHWF output,
/// no padding: OH = (H - dh*(KH-1) - 1)/sh + 1 (same for W). Defined as the
/// GEMM above with rows (n,oh,ow), K ordered (kh, kw, c), columns f: input
/// scale Tensor only; filter scale Tensor, Outer (per f) or BlockK over the
/// (kh,kw,c) reduction. Returns "" on success, else a sentence.
struct ConvShape {
  int N = 1, H = 1, W = 1, C = 1; // input
  int KH = 1, KW = 1, F = 1;      // filter
  int strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  int outH() const;
  int outW() const;
};

/// "" if a convolution of shape `s` can run (dimensions, strides, dilations
/// >= 1, window fits, per-tensor input scale, non-null pointers), else the
/// reason. Shared by every convolution implementation.
std::string validateConv2D(const ConvShape &s, bool inputScalePerTensor,
                           bool pointersNonNull);

/// The reduction order of a convolution as a GEMM (im2col): output row
/// r = (n, oh, ow) row-major, reduction index k = (kh·KW + kw)·C + c.
/// Calls fn(dst, src, len) for runs of entries that are consecutive both in
/// the im2col matrix (dst = r·K + k) and in the NHWC input (src), in
/// increasing dst order and covering every entry of output rows [r0, r1)
/// once: runs of KW·C entries (one window row) when dilationW is 1, else of
/// C (one tap).
template <typename Fn>
void forEachConvRun(const ConvShape &s, Fn fn, size_t r0 = 0,
                    size_t r1 = SIZE_MAX) {
  size_t OH = size_t(s.outH()), OW = size_t(s.outW());
  r1 = std::min(r1, size_t(s.N) * OH * OW);
  bool rowRuns = s.dilationW == 1;
  size_t taps = rowRuns ? 1 : size_t(s.KW);
  size_t len = rowRuns ? size_t(s.KW) * s.C : size_t(s.C);
  size_t K = size_t(s.KH) * s.KW * s.C;
  for (size_t r = r0; r < r1; ++r) {
    size_t n = r / (OH * OW), oh = r / OW % OH, ow = r % OW;
    size_t dst = r * K;
    for (int kh = 0; kh < s.KH; ++kh)
      for (size_t kw = 0; kw < taps; ++kw) {
        size_t ih = oh * s.strideH + size_t(kh) * s.dilationH;
        size_t iw = ow * s.strideW + kw * s.dilationW;
        fn(dst, ((n * s.H + ih) * s.W + iw) * s.C, len);
        dst += len;
      }
  }
}

/// forEachConvRun element by element: fn(dst, src) for every entry.
template <typename Fn> void forEachConvTap(const ConvShape &s, Fn fn) {
  forEachConvRun(s, [&](size_t dst, size_t src, size_t len) {
    for (size_t j = 0; j < len; ++j)
      fn(dst + j, src + j);
  });
}
std::string referenceConv2D(const ConvShape &s, const QOperand &input,
                            const QOperand &filter, Accumulation acc,
                            float *out);

} // namespace quant4::num

#endif // QUANT4_NUMERICS_ACCUMULATE_H
