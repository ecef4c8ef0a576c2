//===- Quantize.h - fast quantization into (packed) codes -------*- C++ -*-===//
//
// kernels::quantize gives, element for element, exactly the code of
// num::quantize(format, x[i], scale, rounding, key, indexBase + i), and
// writes it as one code per byte or two per byte (fused quantize-into-pack).
//
// For the deterministic rules (nearest, nearest_log, nearest_even) and
// formats of at most 8 bits it evaluates a step function whose steps are
// *found with num::encode itself*: for each sign, the float bit patterns at
// which decode(encode(x)) changes are located by binary search over the
// monotone function x -> decode(encode(x)) and cached per (format, rounding).
// Quantizing is then x / scale (float32, as num::quantize), a count of the
// thresholds below |x| (SIMD compares), and a table lookup. Stochastic rules
// call num::quantize per element (the random draw dominates anyway).
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_KERNELS_QUANTIZE_H
#define QUANT4_KERNELS_QUANTIZE_H

#include "quant4/Kernels/Gemm.h"
#include "quant4/Numerics/Rounding.h"

namespace quant4::kernels {

/// out receives the n codes of x[0..n) quantized with one scale; with
/// CodeLayout::Packed4, code i goes to the low (even i) or high (odd i)
/// nibble of out[(outOffset + i) / 2] — outOffset lets a caller fill a packed
/// buffer in segments (an odd offset starts in a high nibble; the other
/// nibble of a shared byte is preserved).
void quantize(const num::Format &f, const float *x, size_t n, float scale,
              num::Rounding r, num::RngKey key, uint64_t indexBase,
              uint8_t *out, CodeLayout layout = CodeLayout::Byte,
              size_t outOffset = 0, const Options &opts = {});

/// The same with a scale per element (scales[i] for x[i]), e.g. block scales
/// whose blocks run across the innermost dimension: element for element
/// num::quantize(format, x[i], scales[i], rounding, key, indexBase + i).
void quantizeScaled(const num::Format &f, const float *x, const float *scales,
                    size_t n, num::Rounding r, num::RngKey key,
                    uint64_t indexBase, uint8_t *out,
                    CodeLayout layout = CodeLayout::Byte,
                    size_t outOffset = 0);

/// Whether quantize() takes the threshold fast path for this format/rule.
bool quantizeIsFast(const num::Format &f, num::Rounding r);

} // namespace quant4::kernels

#endif // QUANT4_KERNELS_QUANTIZE_H
