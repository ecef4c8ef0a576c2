//===- Runtime.h - C ABI of the quant4 CPU runtime ---------------*- C++ -*-===//
//
// The kernels that code lowered by `convert-quant4-to-cpu` calls. Every entry
// point is `extern "C"`; every tensor operand is an MLIR *unranked* memref,
// which the LLVM lowering passes as two arguments: `int64_t rank` and a
// pointer to the ranked descriptor
//   { T *allocated; T *aligned; int64_t offset; int64_t sizes[rank];
//     int64_t strides[rank]; }
// (Q4RT_MEMREF below). Any strides are accepted. Storage layout of codes: one
// format code per `i8` byte, in the low bits (docs/Lowering.md). Scales are
// passed as f32 memrefs (FP8 block-scale codes are decoded first with
// quant4_rt_decode_scale).
//
// All numerics are delegated to quant4::num (include/quant4/Numerics): the
// runtime only gathers elements, maps them to their scale and calls the
// reference routines, so results are bit-exact with the reference and do not
// depend on the thread count (GEMM/conv split output rows between threads,
// each output element computed by the same sequential reference routine).
//
// Errors (e.g. a GEMM the reference rejects) do not abort: the output is
// filled with NaN and the first message is kept for quant4_rt_last_error().
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_RUNTIME_RUNTIME_H
#define QUANT4_RUNTIME_RUNTIME_H

#include "quant4/Numerics/Format.h"

#include <cstdint>

namespace quant4::rt {

/// A format as one i64 "format word": kind in bits 0-7, radix 8-15, ebits
/// 16-23, phase 24-31, bias (as int16) 32-47, bits (int/uint) 48-55.
inline int64_t packFormat(const num::Format &f) {
  uint64_t w = uint64_t(f.kind) | (uint64_t(f.radix & 0xff) << 8) |
               (uint64_t(f.ebits & 0xff) << 16) |
               (uint64_t(f.phase & 0xff) << 24) |
               (uint64_t(uint16_t(int16_t(f.bias))) << 32) |
               (uint64_t(f.bits & 0xff) << 48);
  return int64_t(w);
}
inline num::Format unpackFormat(int64_t word) {
  uint64_t w = uint64_t(word);
  num::Format f;
  f.kind = num::FormatKind(w & 0xff);
  f.radix = int((w >> 8) & 0xff);
  f.ebits = int((w >> 16) & 0xff);
  f.phase = int((w >> 24) & 0xff);
  f.bias = int(int16_t(uint16_t((w >> 32) & 0xffff)));
  f.bits = int((w >> 48) & 0xff);
  return f;
}

/// Granularity arrays (an i64 memref): [kind, axis, block_0, ..., block_r-1]
/// with kind 0 = per tensor, 1 = per axis, 2 = per block.
enum GranularityCode : int64_t { GranTensor = 0, GranAxis = 1, GranBlock = 2 };

/// Rounding codes: the values of num::Rounding.  Accumulation codes: the
/// values of num::AccumKind.

} // namespace quant4::rt

#define Q4RT_MEMREF(name) int64_t name##Rank, void *name##Desc

extern "C" {
// -- Process-wide settings (set by quant4-run) ------------------------------
/// Worker threads for GEMM/conv (>= 1; default 1).
void quant4_rt_set_num_threads(int32_t n);
int32_t quant4_rt_get_num_threads(void);
/// Run seed S: the key of a stochastic rounding is (seed operand + S mod 2^64,
/// stream, element index). Default 0 (the IR's seeds unchanged).
void quant4_rt_set_seed(uint64_t s);
uint64_t quant4_rt_get_seed(void);
/// First error message since the last clear, or null.
const char *quant4_rt_last_error(void);
void quant4_rt_clear_error(void);

// -- Element-wise (suffix: element type of the real tensor) -----------------
#define Q4RT_DECLARE_REAL(sfx)                                                 \
  void quant4_rt_quantize_##sfx(Q4RT_MEMREF(in), Q4RT_MEMREF(scale),           \
                                Q4RT_MEMREF(gran), float tensorScale,          \
                                int32_t hasTensorScale, int64_t format,        \
                                int32_t rounding, int64_t seed, int64_t stream,\
                                Q4RT_MEMREF(out));                             \
  void quant4_rt_dequantize_##sfx(Q4RT_MEMREF(in), Q4RT_MEMREF(scale),         \
                                  Q4RT_MEMREF(gran), float tensorScale,        \
                                  int32_t hasTensorScale, int64_t format,      \
                                  Q4RT_MEMREF(out));                           \
  void quant4_rt_fake_quant_##sfx(                                             \
      Q4RT_MEMREF(in), Q4RT_MEMREF(scale), Q4RT_MEMREF(gran),                  \
      float tensorScale, int32_t hasTensorScale, int64_t format,               \
      int32_t rounding, int64_t seed, int64_t stream, Q4RT_MEMREF(out));       \
  void quant4_rt_scale_amax_##sfx(Q4RT_MEMREF(in), Q4RT_MEMREF(gran),          \
                                  int64_t format, int32_t pow2,                \
                                  Q4RT_MEMREF(out));                           \
  void quant4_rt_scale_gradscale_##sfx(Q4RT_MEMREF(in), Q4RT_MEMREF(gran),     \
                                       int64_t format, Q4RT_MEMREF(prev),      \
                                       Q4RT_MEMREF(out));                      \
  void quant4_rt_scale_delayed_##sfx(                                          \
      Q4RT_MEMREF(in), int64_t format, int32_t margin, Q4RT_MEMREF(history),   \
      Q4RT_MEMREF(oldScale), Q4RT_MEMREF(outScale), Q4RT_MEMREF(outHistory));  \
  void quant4_rt_scale_sawb_##sfx(Q4RT_MEMREF(in), Q4RT_MEMREF(gran),          \
                                  int64_t format, Q4RT_MEMREF(out));           \
  void quant4_rt_scale_pact_##sfx(Q4RT_MEMREF(in), int64_t format,             \
                                  Q4RT_MEMREF(alpha), Q4RT_MEMREF(out));       \
  void quant4_rt_scale_block_codes_##sfx(                                      \
      Q4RT_MEMREF(in), Q4RT_MEMREF(gran), int64_t format, int64_t scaleFormat, \
      int32_t hasTensorScale, Q4RT_MEMREF(outScale),                           \
      Q4RT_MEMREF(outTensorScale));                                            \
  void quant4_rt_scale_block_f32_##sfx(                                        \
      Q4RT_MEMREF(in), Q4RT_MEMREF(gran), int64_t format, int64_t scaleFormat, \
      int32_t hasTensorScale, Q4RT_MEMREF(outScale),                           \
      Q4RT_MEMREF(outTensorScale));
Q4RT_DECLARE_REAL(f32)
Q4RT_DECLARE_REAL(f16)
Q4RT_DECLARE_REAL(bf16)
#undef Q4RT_DECLARE_REAL

/// Decode FP8 scale codes (i8 memref) of `format` to f32.
void quant4_rt_decode_scale(Q4RT_MEMREF(in), int64_t format, Q4RT_MEMREF(out));

/// C = op(lhs) * op(rhs), codes i8, scales f32 (shapes per granularity),
/// tensor scales tA, tB (1 when absent), accumulation (num::AccumKind, chunk).
void quant4_rt_matmul(Q4RT_MEMREF(lhs), Q4RT_MEMREF(rhs),
                      Q4RT_MEMREF(lhsScale), Q4RT_MEMREF(rhsScale),
                      Q4RT_MEMREF(lhsGran), Q4RT_MEMREF(rhsGran),
                      int64_t lhsFormat, int64_t rhsFormat, float tensorScaleA,
                      float tensorScaleB, int32_t transposeLhs,
                      int32_t transposeRhs, int32_t accKind, int32_t accChunk,
                      Q4RT_MEMREF(out));

/// NHWC x HWCF -> NHWF convolution, no padding; input scale per tensor,
/// filter scale per tensor or per output channel (filterGran).
void quant4_rt_conv2d(Q4RT_MEMREF(input), Q4RT_MEMREF(filter),
                      Q4RT_MEMREF(inputScale), Q4RT_MEMREF(filterScale),
                      Q4RT_MEMREF(filterGran), int64_t inputFormat,
                      int64_t filterFormat, int32_t accKind, int32_t accChunk,
                      int64_t strideH, int64_t strideW, int64_t dilationH,
                      int64_t dilationW, Q4RT_MEMREF(out));
} // extern "C"

namespace quant4::rt {
/// Name and address of every runtime entry point (for JIT symbol maps).
struct Symbol {
  const char *name;
  void *address;
};
/// Null-terminated table.
const Symbol *runtimeSymbols();
} // namespace quant4::rt

#endif // QUANT4_RUNTIME_RUNTIME_H
