//===- Scale.h - adaptive scale policies and block formats ------*- C++ -*-===//
//
// Pure, deterministic functions over float arrays. Every reduction has a fixed
// order (sequential in increasing index, accumulated in double unless stated),
// so results never depend on the thread count. Convention everywhere:
// real value = decode(code) * scale.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_NUMERICS_SCALE_H
#define QUANT4_NUMERICS_SCALE_H

#include "quant4/Numerics/Format.h"
#include "quant4/Numerics/Rounding.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace quant4::num {

//===-- Reductions (C30) --------------------------------------------------===//

/// max |x_i|; NaN if any element is NaN; +Inf if any is infinite; 0 for n == 0.
float amaxOf(const float *x, size_t n);
/// max |x_i| over the finite elements only (0 if none).
float amaxFiniteOf(const float *x, size_t n);
/// E|x| and E[x^2]: sums in double, element i added in index order to lane
/// i mod 16, the lanes then added pairwise (C35; 0 if n == 0).
double meanAbs(const float *x, size_t n);
double meanSquare(const float *x, size_t n);
/// The sums (Σ x_i², Σ |x_i|) that meanSquare and meanAbs divide by n, in
/// that order (C35). On x86-64 with AVX the whole 16-element groups run as
/// vector code unless allowVector is false (the portable loop, what machines
/// without AVX run); both give the same bits.
std::pair<double, double> squareAndAbsSums(const float *x, size_t n,
                                           bool allowVector = true);

/// Clamp a computed scale into [2^-126, 2^127] (C31): values below 2^-126
/// (including 0, subnormals and negatives) -> 2^-126, above 2^127 (including
/// +Inf) -> 2^127. NaN is returned unchanged.
float clampScale(float s);
/// Smallest power of two >= s (s > 0 finite), clamped to [2^-126, 2^127].
float roundUpPow2(float s);

//===-- amax (C32) --------------------------------------------------------===//

/// scale = amax / f.maxValue() in float32, then clampScale; rounded UP to a
/// power of two when pow2. amax == 0 or non-finite -> 1.0f.
float amaxScale(const Format &f, float amax, bool pow2 = false);

//===-- GradScale (C33) ---------------------------------------------------===//

struct GradScaleOptions {
  /// false: at most one doubling/halving per update (the paper's rule).
  /// true: repeat until amax/scale is in (max/2, max] (or the scale clamps).
  bool untilInRange = false;
};
/// Keep amax/scale in (max/2, max]: amax/scale > max -> scale*2; amax/scale <=
/// max/2 -> scale/2. amax zero or non-finite keeps the scale. An invalid
/// incoming scale (<= 0, NaN, Inf) is first reset to 1. Result is clamped to
/// [2^-126, 2^127]. Comparisons are exact (done in double).
float gradScaleUpdate(const Format &f, float scale, float amax,
                      GradScaleOptions opts = {});

//===-- Delayed scaling (C34) ---------------------------------------------===//

/// scale = max(history) * 2^margin / f.maxValue() (float32), clampScale'd;
/// oldScale if max(history) is zero or non-finite.
float delayedScale(const Format &f, const float *history, size_t n, int margin,
                   float oldScale, bool pow2 = false);

/// The amax history of the graph-level delayed policy (quant4.scale
/// #quant4.delayed, the Q4A HPUSH instruction), newest first: records amax
/// as [amax, h0, ..., h(n-2)] in place and returns true; a non-finite amax
/// (or n == 0) leaves the history as is and returns false.
bool pushAmaxHistory(float *history, size_t n, float amax);

/// Transformer-Engine-style delayed scaling state. Use scale() to quantize step
/// t, then record(amax of step t): the amax goes into a ring buffer of length
/// H (oldest entry overwritten) and the scale for step t+1 is recomputed by
/// delayedScale over the whole buffer. Non-finite amax values are not recorded
/// (history and scale unchanged). Initial history: zeros; initial scale: 1.
class DelayedScaling {
public:
  DelayedScaling(Format f, int historyLength, int margin = 0, bool pow2 = false,
                 float initialScale = 1.0f);
  float scale() const { return scale_; }
  void record(float amax);
  const std::vector<float> &history() const { return hist_; }
  size_t position() const { return pos_; }

private:
  Format fmt_;
  std::vector<float> hist_;
  size_t pos_ = 0;
  int margin_;
  bool pow2_;
  float scale_;
};

//===-- SAWB (C35) --------------------------------------------------------===//

/// (c0, c1) for bits 2,3,4,5,8 (IBM fms-model-optimizer table); with
/// symmetric15 and bits == 4 the 15-level variant (12.035, -12.03).
std::optional<std::pair<double, double>> sawbCoefficients(int bits,
                                                          bool symmetric15 = false);
/// clip = c0*sqrt(E[w^2]) + c1*E|w| (double). If unsupported bits -> NaN.
/// If clip <= 0 or non-finite (e.g. all |w| equal), falls back to max|w|.
double sawbClip(const float *w, size_t n, int bits, bool symmetric15 = false);
/// Scale for int<bits>: float(clip) / (2^(bits-1)-1); 1.0f when clip is 0/NaN.
float sawbScale(const float *w, size_t n, int bits, bool symmetric15 = false);

/// SAWB's statistics of a tensor gathered chunk by chunk, with the bits of
/// sawbClip / sawbScale over the whole tensor: element i adds v·v and |v|
/// (v = double(x_i)) to lane i mod 16 of two sets of 16 double lanes (the
/// order squareAndAbsSums fixes), and the amax is kept for the fallback.
class SawbAccumulator {
public:
  /// Adds x[0..n) as consecutive elements of the tensor, the first of which
  /// goes to lane `lane0` (its index mod 16).
  void add(const float *x, size_t n, unsigned lane0);
  uint64_t count() const { return count_; }
  /// (Σ x², Σ |x|) of everything added: squareAndAbsSums of the tensor.
  std::pair<double, double> sums() const;
  double clip(int bits, bool symmetric15 = false) const;
  float scale(int bits, bool symmetric15 = false) const;

private:
  double sq_[16] = {}, ab_[16] = {};
  float amax_ = 0.0f;
  bool nan_ = false;
  uint64_t count_ = 0;
};

//===-- PACT (C36) --------------------------------------------------------===//

/// y = clamp(x, 0, alpha) (NaN x -> 0).
float pactForward(float x, float alpha);
/// Scale of the uint<bits> grid: alpha / (2^bits - 1) in float32.
float pactScale(float alpha, int bits);
/// code = encode(uint<bits>, clamp(x,0,alpha) / pactScale, r).
uint32_t pactQuantize(float x, float alpha, int bits,
                      Rounding r = Rounding::NearestEven, RngKey key = {},
                      uint64_t index = 0);
/// Backward: dx_i = dy_i if 0 <= x_i < alpha else 0; returns dL/dalpha =
/// sum of dy_i over x_i >= alpha (double, sequential, rounded to float once).
/// Every element's gradient goes to exactly one of dx or dalpha.
float pactBackward(const float *x, const float *dy, size_t n, float alpha,
                   float *dx);

/// PACT's clip calibrated on data (the initial alpha of `pact-calibrate`):
/// the candidate alpha_k = amax * k / 128 (k = 1..128, computed in double and
/// rounded to float once; amax the largest finite positive x) whose uint<bits>
/// grid (pactQuantize, round to nearest even) gives the smallest squared
/// error over the positive finite elements. The error is taken on a
/// histogram: 2048 bins of equal width over (0, amax], each holding its
/// count, sum and sum of squares (double, in index order) and quantized as
/// one value, its mean; the error of bin b under grid value Q is
/// sumsq - 2 Q sum + count Q^2. Ties go to the smaller k. Elements <= 0, NaN
/// and Inf are left out (their error does not depend on alpha). Returns
/// `fallback` when no element is positive and finite.
float pactCalibrate(const float *x, size_t n, int bits, float fallback);

//===-- MX block quantization (C37) ---------------------------------------===//

struct MxBlocks {
  Format elem;                    // element format (E2M1 by default)
  int blockSize = 32;
  std::vector<uint32_t> codes;    // one element code per input element
  std::vector<uint32_t> scales;   // one E8M0 code per block
  /// Decoded element i: decode(elem, codes[i]) * decode(E8M0, scales[i/bs]).
  float value(size_t i) const;
};
/// Exponent of the largest power of two <= elem.maxValue() (E2M1: 2).
int mxElemEmax(const Format &elem);
/// The E8M0 scale code of one MX block x[0..n) (the rule of mxQuantize).
uint32_t mxBlockScaleCode(const float *x, size_t n,
                          Format elem = Format::fp4e2m1());
/// OCP MX: shared_exp = floor(log2(amax_block)) - emax_elem, clamped to
/// [-127, 127]; scale code = shared_exp + 127; all-zero block -> code 0;
/// block with NaN/Inf -> code 0xFF (NaN). Elements:
/// quantize(elem, x, 2^shared_exp, r) (saturating). Last block may be short.
MxBlocks mxQuantize(const float *x, size_t n, Format elem = Format::fp4e2m1(),
                    int blockSize = 32, Rounding r = Rounding::NearestLinear,
                    RngKey key = {}, uint64_t indexBase = 0);

//===-- NVFP4 two-level quantization (C38) --------------------------------===//

struct Nvfp4Blocks {
  int blockSize = 16;
  float tensorScale = 1.0f;       // s_t = amax / (6*448), per-tensor FP32
  std::vector<uint32_t> codes;    // E2M1 element codes
  std::vector<uint32_t> scales;   // E4M3 block-scale codes
  /// (decode(e2m1) * decode(e4m3)) * tensorScale: first product exact.
  float value(size_t i) const;
  /// Scale actually used to quantize block b: float(decode(e4m3) * s_t).
  float blockElementScale(size_t b) const;
};
/// An E4M3 block-scale code for a non-negative finite target scale:
/// encode(E4M3, target, NearestEven), but never the zero code — a zero or
/// underflowing target (an all-zero block) takes the smallest positive E4M3,
/// 2^-9, so that every block scale is a valid (> 0) scale downstream (C38).
uint32_t e4m3BlockScaleCode(float target);
/// The NVFP4 per-tensor scale s_t = clampScale(amaxFinite / 2688), 1 if
/// amaxFinite == 0 (2688 = 6 · 448: max E2M1 · max E4M3).
float nvfp4TensorScale(const float *x, size_t n);
/// The tensor scale and block-scale codes of nvfp4Quantize, without the
/// element codes.
Nvfp4Blocks nvfp4Scales(const float *x, size_t n, int blockSize = 16);
/// s_t = nvfp4TensorScale(x, n); block scale code =
/// blockScaleCode(block, E2M1, E4M3, s_t), i.e.
/// e4m3BlockScaleCode((amax_b / 6) / s_t) (saturating at 448), or 0x7F (NaN)
/// for a block with NaN/Inf; element = quantize(E2M1, x, blockElementScale, r)
/// (signed zeros stay signed zeros; a NaN scale gives code 0).
Nvfp4Blocks nvfp4Quantize(const float *x, size_t n, int blockSize = 16,
                          Rounding r = Rounding::NearestEven, RngKey key = {},
                          uint64_t indexBase = 0);

//===-- Block-scale policy (quant4.scale #quant4.block) -------------------===//

/// The scale of one block x[0..n) of the graph-level block policy
/// #quant4.block<scale = scaleFormat[, tensor_scale]> for elements of
/// `elem`, as a code of scaleFormat (FP32: the bits of the float scale):
///  * E8M0 (MX, C37): mxBlockScaleCode(x, n, elem);
///  * E4M3 with a tensor scale t (two-level, NVFP4, C38): 0x7F (NaN) for a
///    block with NaN/Inf, else e4m3BlockScaleCode((amax / max(elem)) / t)
///    (float32 ops);
///  * E4M3 without a tensor scale: e4m3BlockScaleCode(float(amax / max(elem)))
///    (the quotient in double, rounded once; a NaN block gives 0x7F, an Inf
///    block saturates to 448, 0x7E);
///  * FP32: floatBits(amaxScale(elem, amax));
///  * any other scale format takes the E4M3 rule (the verifier admits only
///    the three above).
/// amax = amaxOf(x, n). tensorScale is ignored except for E4M3 scales.
uint32_t blockScaleCode(const float *x, size_t n, const Format &elem,
                        const Format &scaleFormat,
                        std::optional<float> tensorScale = std::nullopt);
/// The tensor scale of the two-level block policy over the whole tensor
/// x[0..n): 1 for E8M0 and FP32 block scales (a requested tensor scale is 1
/// for the non-NVFP4 block policies), else (E4M3) nvfp4TensorScale.
float blockTensorScale(const float *x, size_t n, const Format &scaleFormat);

} // namespace quant4::num

#endif // QUANT4_NUMERICS_SCALE_H
