//===- Rounding.h - encode/decode with quant4 rounding modes ----*- C++ -*-===//
#ifndef QUANT4_NUMERICS_ROUNDING_H
#define QUANT4_NUMERICS_ROUNDING_H

#include "quant4/Numerics/Format.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

namespace quant4::num {

enum class Rounding : uint8_t {
  NearestLinear,      // linear midpoint (a+b)/2, ties away from zero (C10)
  NearestLog,         // geometric midpoint sqrt(a*b), ties away from zero (C11)
  NearestEven,        // linear midpoint, ties to the even level index (C12)
  Stochastic,         // unbiased: up with probability (|x|-a)/(b-a) (C13)
  StochasticUnderflow // LUQ: stochastic underflow + log stochastic rounding (C14)
};

/// "nearest", "nearest_log", "nearest_even", "stochastic", "stochastic_underflow".
std::string_view roundingName(Rounding r);
std::optional<Rounding> parseRounding(std::string_view s);

/// Key of the counter-based generator: seed (per run) and stream (per tensor).
struct RngKey {
  uint64_t seed = 0;
  uint64_t stream = 0;
};

/// Philox4x32-10 (Salmon et al., SC'11) with counter = (index lo, index hi,
/// stream lo, stream hi) and key = (seed lo, seed hi); returns output word 0.
/// Pure function: independent of evaluation order and thread count (C15).
uint32_t randomBits(RngKey key, uint64_t index);
/// All four Philox4x32-10 output words for a raw 128-bit counter / 64-bit key.
void philox4x32x10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/// Encode a real value already divided by its scale (C6..C14). Code layout:
/// sign in the top bit of the format's width for signed log/fp formats; Int:
/// two's complement in `bits` bits; UInt: plain. Never fails: NaN, +-Inf,
/// out-of-range and signed-zero inputs all have defined results (C8, C9).
uint32_t encode(const Format &f, float x, Rounding r, RngKey key = {},
                uint64_t index = 0);
/// Same as encode() for a double input: one rounding from the exact double
/// value (used for FP16 accumulation so that no double rounding happens).
uint32_t encodeDouble(const Format &f, double x, Rounding r, RngKey key = {},
                      uint64_t index = 0);
/// Exact value of a code (only the low bitWidth() bits are looked at).
float decode(const Format &f, uint32_t code);

/// THE scale rule (C20): q = encode(f, x / scale) with the division in float32;
/// a scale that is not (> 0 and finite) behaves as if x were NaN.
uint32_t quantize(const Format &f, float x, float scale, Rounding r,
                  RngKey key = {}, uint64_t index = 0);
/// decode(code) * scale in float32; NaN when scale is not (> 0 and finite).
float dequantize(const Format &f, uint32_t code, float scale);
/// Two-level scaling (a block scale s and a per-tensor scale t, NVFP4): a
/// code is quantized with the scale s · t (float32) and decodes as
/// dequantize(code, s) · t — the block scale first, then the tensor scale.
/// t = 1 is one-level scaling.
float twoLevelScale(float s, float t);
float dequantizeTwoLevel(const Format &f, uint32_t code, float s, float t);
/// dequantize(quantize(...)).
float fakeQuant(const Format &f, float x, float scale, Rounding r,
                RngKey key = {}, uint64_t index = 0);
/// Two-level fake quantization: dequantizeTwoLevel(quantize(f, x,
/// twoLevelScale(s, t), ...), s, t). With t = 1 it is fakeQuant(x, s).
float fakeQuantTwoLevel(const Format &f, float x, float s, float t, Rounding r,
                        RngKey key = {}, uint64_t index = 0);

/// Dropout (C49). Element `index` of a tensor is dropped iff
/// randomBits(key, index) < dropoutThreshold(ratio), i.e. with probability
/// threshold / 2^32 (ratio rounded down to a multiple of 2^-32); a kept
/// element is multiplied by dropoutScale(ratio) in float32, a dropped one by
/// 0 (so NaN stays NaN, as PyTorch's mask multiply). ratio in [0, 1); ratio
/// 0 keeps everything with scale 1 (the identity). The same key drops the
/// same elements of the gradient: dropout is its own derivative.
uint32_t dropoutThreshold(double ratio);
float dropoutScale(double ratio);
inline float dropout(float x, RngKey key, uint64_t index, uint32_t threshold,
                     float scale) {
  return x * (randomBits(key, index) < threshold ? 0.0f : scale);
}

/// The IEEE binary32 bit pattern of x, and back.
inline uint32_t floatBits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}
inline float bitsFloat(uint32_t u) {
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}

/// True iff `scale` is a legal scale: > 0 and finite (subnormals allowed).
inline bool isValidScale(float scale) {
  return scale > 0.0f && scale <= std::numeric_limits<float>::max();
}

/// dequantizeTwoLevel from a code's value v = decode(f, code) (e.g. from a
/// table of a format's codes): (v · s) · t in float32, NaN when s is not a
/// valid scale.
inline float scaleDecodedTwoLevel(float v, float s, float t) {
  return (isValidScale(s) ? v * s : std::numeric_limits<float>::quiet_NaN()) *
         t;
}

/// Counters of what quantization did to an array (C21).
struct QuantStats {
  uint64_t total = 0;     // elements processed
  uint64_t zeroed = 0;    // finite non-zero inputs that became a zero code
  uint64_t saturated = 0; // finite inputs with |x/scale| > maxValue()
  uint64_t nan = 0;       // NaN inputs (or invalid scale)
  uint64_t inf = 0;       // +-Inf inputs
  QuantStats &operator+=(const QuantStats &o);
  /// Counts one element: input x quantized to `f` with `scale`, giving zero
  /// (a code that decodes to ±0) or not. At most one of nan / inf /
  /// saturated / zeroed is incremented besides total: the rule quantizeArray
  /// and the runtime's counters (quant4-attach-counters) share.
  void count(const Format &f, float x, float scale, bool quantizedToZero);
};

/// Element-wise quantize; element i uses RNG index `indexBase + i`.
void quantizeArray(const Format &f, const float *x, size_t n, float scale,
                   Rounding r, uint32_t *codes, RngKey key = {},
                   uint64_t indexBase = 0, QuantStats *stats = nullptr);
void dequantizeArray(const Format &f, const uint32_t *codes, size_t n,
                     float scale, float *out);
void fakeQuantArray(const Format &f, const float *x, size_t n, float scale,
                    Rounding r, float *out, RngKey key = {},
                    uint64_t indexBase = 0, QuantStats *stats = nullptr);

/// IEEE binary16 helpers (round to nearest even, subnormals, overflow to Inf).
uint16_t floatToHalfBits(float x);
uint16_t doubleToHalfBits(double x);
float halfBitsToFloat(uint16_t h);
/// bfloat16 helpers (round to nearest even, NaN kept quiet).
uint16_t floatToBF16Bits(float x);
float bf16BitsToFloat(uint16_t h);

} // namespace quant4::num

#endif // QUANT4_NUMERICS_ROUNDING_H
