//===- Runtime.h - C ABI of the quant4 CPU runtime ---------------*- C++ -*-===//
//
// The kernels that code lowered by `convert-quant4-to-cpu` calls. Every entry
// point is `extern "C"`; every tensor operand is an MLIR *unranked* memref,
// which the LLVM lowering passes as two arguments: `int64_t rank` and a
// pointer to the ranked descriptor
//   { T *allocated; T *aligned; int64_t offset; int64_t sizes[rank];
//     int64_t strides[rank]; }
// (Q4RT_MEMREF below; upstream's UnrankedMemRefType and StridedMemRefType of
// the header-only mlir/ExecutionEngine/CRunnerUtils.h, which Runtime.cpp
// reads them with). Any strides are accepted for real tensors and byte
// codes. Storage layout of codes (docs/Lowering.md): formats of at most 4 bits
// on statically shaped tensors are *packed*, two codes per byte (element i in
// byte i/2, low nibble first, the last high nibble zero when the count is
// odd) in a 1-D i8 memref of ceil(n/2) bytes; everything else holds one code
// per `i8` byte, in the low bits, with the tensor's own shape. The format
// word of each code operand says which (kPackedStorage); packed operands of
// matmul/conv2d come with their logical shape in an i64 memref. Scales are
// passed as f32 memrefs (FP8 block-scale codes are decoded first with
// quant4_rt_decode_scale).
//
// All bit-level rules are those of quant4::num (include/quant4/Numerics):
// element-wise ops and scale policies call it per element / group; GEMM and
// convolution run on the fast kernels of quant4::kernels (Gemm.h), which are
// bit-exact with num::referenceGemm / referenceConv2D for any thread count
// (and fall back to the reference themselves where they have no fast path).
// FP32 GEMMs (quant4_rt_matmul_f32) run on OpenBLAS when the runtime was built
// with it; they have no bit-exactness contract.
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
/// Bit 56 of a format word: the operand's codes are packed two per byte
/// (kernels::CodeLayout::Packed4) in a 1-D memref of ceil(n/2) bytes.
constexpr int64_t kPackedStorage = int64_t(1) << 56;
inline bool isPackedStorage(int64_t word) {
  return (word & kPackedStorage) != 0;
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

/// Classes of runtime entry points in the profile (quant4_rt_profile_*).
enum : int32_t {
  QUANT4_RT_PROFILE_GEMM4 = 0,  // quant4_rt_matmul
  QUANT4_RT_PROFILE_CONV4,      // quant4_rt_conv2d
  QUANT4_RT_PROFILE_GEMMF32,    // quant4_rt_matmul_f32
  QUANT4_RT_PROFILE_CONVF32,    // quant4_rt_conv2d_f32
  QUANT4_RT_PROFILE_QUANTIZE,   // quantize, dequantize, fake_quant,
                                // decode_scale, pack4, unpack4
  QUANT4_RT_PROFILE_SCALE,      // quant4_rt_scale_*
  QUANT4_RT_PROFILE_COUNTERS,   // quant4_rt_count_*
  // Compiled code, timed by quant4_rt_profile_begin/end around each op
  // (quant4-cpu-profile-regions):
  QUANT4_RT_PROFILE_ELEMENTWISE, // parallel linalg.generic
  QUANT4_RT_PROFILE_REDUCTION,   // reductions, pooling
  QUANT4_RT_PROFILE_DATAMOVE,    // fill, copy, transpose, broadcast
  QUANT4_RT_PROFILE_LOOPGEMM,    // f32 contractions left to loops
  QUANT4_RT_PROFILE_CLASSES
};

extern "C" {
// -- Process-wide settings (set by quant4-run) ------------------------------
/// Worker threads of the GEMM/conv/quantize kernels and of OpenBLAS (>= 1;
/// default 1). Quantized results do not depend on it.
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

/// C = op(lhs) * op(rhs), codes i8 (byte or packed, per format word), scales
/// f32 (shapes per granularity), tensor scales tA, tB (1 when absent),
/// accumulation (num::AccumKind, chunk). lhsShape / rhsShape (i64 memrefs)
/// hold the logical shape of a packed operand; empty means "the memref's own
/// shape" (byte storage).
void quant4_rt_matmul(Q4RT_MEMREF(lhs), Q4RT_MEMREF(lhsShape),
                      Q4RT_MEMREF(rhs), Q4RT_MEMREF(rhsShape),
                      Q4RT_MEMREF(lhsScale), Q4RT_MEMREF(rhsScale),
                      Q4RT_MEMREF(lhsGran), Q4RT_MEMREF(rhsGran),
                      int64_t lhsFormat, int64_t rhsFormat, float tensorScaleA,
                      float tensorScaleB, int32_t transposeLhs,
                      int32_t transposeRhs, int32_t accKind, int32_t accChunk,
                      Q4RT_MEMREF(out));

/// NHWC x HWCF -> NHWF convolution, no padding; input scale per tensor,
/// filter scale per tensor or per output channel (filterGran). Shapes of
/// packed operands as for quant4_rt_matmul.
void quant4_rt_conv2d(Q4RT_MEMREF(input), Q4RT_MEMREF(inputShape),
                      Q4RT_MEMREF(filter), Q4RT_MEMREF(filterShape),
                      Q4RT_MEMREF(inputScale), Q4RT_MEMREF(filterScale),
                      Q4RT_MEMREF(filterGran), int64_t inputFormat,
                      int64_t filterFormat, int32_t accKind, int32_t accChunk,
                      int64_t strideH, int64_t strideW, int64_t dilationH,
                      int64_t dilationW, Q4RT_MEMREF(out));

/// Packs one code per byte (any rank, any strides, n elements) into a 1-D
/// memref of ceil(n/2) bytes, and back. Used for tensor ops on packed
/// tensors that have no packed implementation (docs/Lowering.md).
void quant4_rt_pack4(Q4RT_MEMREF(in), Q4RT_MEMREF(out));
void quant4_rt_unpack4(Q4RT_MEMREF(in), Q4RT_MEMREF(out));

/// FP32 GEMM: out = op(a) * op(b) (+ init when accumulate != 0), the
/// semantics of an f32 linalg.matmul. Runs on OpenBLAS cblas_sgemm when
/// available (summation order and FMA use are BLAS's: results may differ in
/// the last bits from a naive loop), else on a plain loop.
void quant4_rt_matmul_f32(Q4RT_MEMREF(a), Q4RT_MEMREF(b), Q4RT_MEMREF(init),
                          int32_t transposeA, int32_t transposeB,
                          int32_t accumulate, Q4RT_MEMREF(out));
/// FP32 convolution, the semantics of an f32 linalg.conv_2d_nhwc_hwcf: out
/// (NHWF) = conv(input NHWC, filter HWCF) (+ init when accumulate != 0),
/// strides and dilations per axis, no padding. im2col in the reduction order
/// (kh, kw, c), then the GEMM of quant4_rt_matmul_f32 (OpenBLAS when
/// available; no bit-exactness contract with a loop, but independent of the
/// thread count).
void quant4_rt_conv2d_f32(Q4RT_MEMREF(input), Q4RT_MEMREF(filter),
                          Q4RT_MEMREF(init), int64_t strideH, int64_t strideW,
                          int64_t dilationH, int64_t dilationW,
                          int32_t accumulate, Q4RT_MEMREF(out));
/// 1 when quant4_rt_matmul_f32 runs on OpenBLAS.
int32_t quant4_rt_has_blas(void);

/// out = in, element by element, for two memrefs of the same shape and any
/// strides (a transpose is a strided view of its input:
/// quant4-cpu-copy-kernels): kernels::stridedCopy, blocked, on the pool.
/// One entry per element type (func.call matches memref<*xT> exactly).
void quant4_rt_copy_f32(Q4RT_MEMREF(in), Q4RT_MEMREF(out));
void quant4_rt_copy_f16(Q4RT_MEMREF(in), Q4RT_MEMREF(out));
void quant4_rt_copy_bf16(Q4RT_MEMREF(in), Q4RT_MEMREF(out));
void quant4_rt_copy_f64(Q4RT_MEMREF(in), Q4RT_MEMREF(out));
void quant4_rt_copy_i8(Q4RT_MEMREF(in), Q4RT_MEMREF(out));
void quant4_rt_copy_i16(Q4RT_MEMREF(in), Q4RT_MEMREF(out));
void quant4_rt_copy_i32(Q4RT_MEMREF(in), Q4RT_MEMREF(out));
void quant4_rt_copy_i64(Q4RT_MEMREF(in), Q4RT_MEMREF(out));

// -- Profile (quant4-run train --profile; docs/Performance.md) ---------------
/// Resets the profile and turns it on (on != 0) or off. While on, every
/// entry point adds its wall time and one call to its class.
void quant4_rt_profile_enable(int32_t on);
/// The time (ns) and calls of class `cls` since the last enable; 0 when
/// `cls` is out of range.
int32_t quant4_rt_profile_read(int32_t cls, uint64_t *ns, uint64_t *calls);
/// "4-bit GEMM", ... (null out of range).
const char *quant4_rt_profile_class_name(int32_t cls);
/// The clock (ns) at the start of a compiled op (0 while the profile is
/// off) ...
int64_t quant4_rt_profile_begin(void);
/// ... and its end: adds the time since `t0` and one call to class `cls`
/// (when it is a class: -1 for a bracketed runtime call, which times itself)
/// and to `region`, the op's index in the module's table of timed ops
/// (quant4-cpu-profile-regions; when 0 <= region <
/// QUANT4_RT_PROFILE_MAX_REGIONS). Nothing while the profile is off or when
/// t0 is 0.
void quant4_rt_profile_end(int32_t cls, int32_t region, int64_t t0);
/// The regions quant4_rt_profile_end keeps times of.
#define QUANT4_RT_PROFILE_MAX_REGIONS 65536
/// The time (ns) and calls of `region` since the last enable; 0 when
/// `region` is out of range.
int32_t quant4_rt_profile_read_region(int32_t region, uint64_t *ns,
                                      uint64_t *calls);

// -- Numerics counters (quant4-attach-counters; docs/Recipes.md) ------------
/// Reserves n counters, all zero (n = 0: none). Counters are integer sums:
/// they do not depend on the thread count.
void quant4_rt_counters_reset(int32_t n);
int32_t quant4_rt_counters_size(void);
/// Counter `id` into out[0..4]: total, zeroed, saturated, nan, inf (the
/// fields of num::QuantStats; for a GEMM output: its elements and the NaN /
/// infinite ones). 0 when `id` is out of range.
int32_t quant4_rt_counter_read(int32_t id, uint64_t *out);
/// Adds in[0..4] (as quant4_rt_counter_read gives them) to counter `id`
/// (a resumed run's counts so far); 0 when `id` is out of range.
int32_t quant4_rt_counter_add(int32_t id, const uint64_t *in);
/// Adds what quant4.quantize / quant4.fake_quant did (its operands as
/// passed to quant4_rt_quantize_* / quant4_rt_fake_quant_*, and the codes or
/// values it produced; num::QuantStats::count per element) to counter
/// `counter`.
#define Q4RT_DECLARE_COUNT(sfx)                                                \
  void quant4_rt_count_quantize_##sfx(                                         \
      Q4RT_MEMREF(in), Q4RT_MEMREF(scale), Q4RT_MEMREF(gran),                  \
      float tensorScale, int32_t hasTensorScale, int64_t format,               \
      Q4RT_MEMREF(codes), int64_t counter);                                    \
  void quant4_rt_count_fake_quant_##sfx(                                       \
      Q4RT_MEMREF(in), Q4RT_MEMREF(scale), Q4RT_MEMREF(gran),                  \
      float tensorScale, int32_t hasTensorScale, int64_t format,               \
      Q4RT_MEMREF(out), int64_t counter);
Q4RT_DECLARE_COUNT(f32)
Q4RT_DECLARE_COUNT(f16)
Q4RT_DECLARE_COUNT(bf16)
#undef Q4RT_DECLARE_COUNT
/// quant4.dropout: out = num::dropout(in[i]) keyed by (seed + run seed,
/// stream, i), i the row-major index; f32, same shape.
void quant4_rt_dropout_f32(Q4RT_MEMREF(in), int64_t seed, int64_t stream,
                           double ratio, Q4RT_MEMREF(out));
/// quant4.pact_calibrate: out (rank 0) = num::pactCalibrate(in, bits of
/// `format`, fallback).
void quant4_rt_pact_calibrate_f32(Q4RT_MEMREF(in), int64_t format,
                                  Q4RT_MEMREF(fallback), Q4RT_MEMREF(out));
/// Adds the elements of a GEMM or convolution result (f32) and its NaN and
/// infinite ones to counter `counter`.
void quant4_rt_count_output(Q4RT_MEMREF(out), int64_t counter);
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
