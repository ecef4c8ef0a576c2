//===- AllReduce.h - the gradient all-reduce (C50) -------------*- C++ -*-===//
//
// Rule C50 (docs/Formats.md): how N replicas' gradients become the one
// gradient every replica applies, in each precision the recipe option
// `allreduce` names. A replica encodes its contribution into a payload (the
// bytes it would send); the payloads are combined in replica order, so the
// result does not depend on how the replicas are placed or how the messages
// travel. With one replica there is nothing to reduce: the gradient is used
// as it is (allReduceNeeded), whatever the precision.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_NUMERICS_ALLREDUCE_H
#define QUANT4_NUMERICS_ALLREDUCE_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace quant4::num {

enum class AllReduceKind : uint8_t {
  F32,  ///< FP32 values, FP32 sums
  F16,  ///< FP16 values (RNE), every partial sum rounded to FP16
  Int8, ///< INT8 codes (-127..127) per block of kAllReduceBlock with an FP32
        ///< amax scale and error feedback; FP32 sums
  Int4  ///< INT4 codes (-7..7), two per byte, otherwise as Int8
};

/// Elements per scale block of the integer kinds. Payloads of whole blocks
/// can be cut at block boundaries: encoding a range that starts at a
/// multiple of kAllReduceBlock gives the bytes of that range of the whole.
constexpr size_t kAllReduceBlock = 256;

/// "f32", "f16", "int8", "int4".
std::string_view allReduceName(AllReduceKind k);
std::optional<AllReduceKind> parseAllReduce(std::string_view s);

/// Whether `replicas` need a reduction at all (replicas > 1).
inline bool allReduceNeeded(int replicas) { return replicas > 1; }

/// Bytes of the payload of n elements: 4n (F32), 2n (F16), per block of b
/// elements 4 + b (Int8) or 4 + ceil(b/2) (Int4).
size_t allReducePayloadBytes(AllReduceKind k, size_t n);
/// Byte offset of element `begin` (a multiple of kAllReduceBlock for the
/// integer kinds) in a payload.
size_t allReducePayloadOffset(AllReduceKind k, size_t begin);

/// Encodes one replica's gradient x[0..n) into `payload`.
///  F32: the float bits. F16: floatToHalfBits (RNE; beyond 65504 ±Inf).
///  Int8/Int4 (error feedback): v = x + err; per block, s = amaxScale of
///  the block's v for !quant4.int<8> / <4> (C32: amax / 127 or / 7; 1 for
///  an all-zero block, whose codes are 0); q = quantize(v, s) rounding to
///  nearest even; err = v - dequantize(q, s). A block with a NaN or Inf
///  in v sends the scale NaN (it decodes to NaN) and resets its err to 0.
///  `err` (n floats, zero at the start of training) is the replica's
///  error-feedback state; F32 and F16 leave it alone and may take null.
void allReduceEncode(AllReduceKind k, const float *x, float *err, size_t n,
                     uint8_t *payload);

/// The element values of a payload (what was sent).
void allReduceDecode(AllReduceKind k, const uint8_t *payload, size_t n,
                     float *out);

/// The mean of N >= 1 replicas' payloads of n elements each:
/// out = (((d_0 + d_1) + d_2) + ... + d_{N-1}) / N, d_r the decoded payload
/// of replica r, the sums in FP32 (F16: each sum rounded to FP16, as an
/// FP16 ring all-reduce accumulates), then one FP32 division by N.
void allReduceCombine(AllReduceKind k, const uint8_t *const *payloads,
                      int replicas, size_t n, float *out);

} // namespace quant4::num

#endif // QUANT4_NUMERICS_ALLREDUCE_H
