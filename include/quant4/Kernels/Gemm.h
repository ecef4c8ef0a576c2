//===- Gemm.h - fast quantized GEMM and convolution kernels -----*- C++ -*-===//
//
// Blocked, packed, SIMD (AVX-512 VNNI / AVX2 / portable, chosen at run time)
// and multithreaded GEMM over quantized codes, bit-exact with
// quant4::num::referenceGemm for every accumulation mode and for any thread
// count. Plain C++ (no MLIR); used by the CPU runtime and the benchmarks.
//
// Exactness argument (see docs/Performance.md):
//  * exact: products of codes are integers times 2^(lsbA+lsbB); integer sums
//    are order-independent, and the one final rounding is the Numerics
//    library's roundScaledIntegerToFloat;
//  * f32 / f16 / f16_chunked: each output keeps the reference's summation
//    order (k increasing, chunks in order) — SIMD lanes hold different
//    outputs, never different k — and the fast path is taken only when every
//    product of two codes is exact in float32 (checked exhaustively over the
//    code pairs), so a fused multiply-add equals the reference's multiply
//    then add, and FP16 rounding of a float32 sum of two FP16 values equals
//    rounding the exact sum (float32 has 24 >= 2·11 + 2 bits);
//  * scales are applied by num::scaleDot / num::addScaledBlock.
// Anything outside the fast paths runs the reference routine itself.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_KERNELS_GEMM_H
#define QUANT4_KERNELS_GEMM_H

#include "quant4/Kernels/Parallel.h"
#include "quant4/Numerics/Accumulate.h"

#include <cstdint>
#include <string>

namespace quant4::kernels {

/// Instruction sets the kernels dispatch on.
enum class Isa : uint8_t { Portable, AVX2, AVX512 };
/// The best instruction set this CPU supports (AVX512 = F+BW+VL+VNNI).
Isa detectIsa();
const char *isaName(Isa isa);

/// How codes are stored: one per byte, or two per byte (element i in byte
/// i/2, low nibble first) for formats of at most 4 bits.
enum class CodeLayout : uint8_t { Byte, Packed4 };

/// A quantized GEMM operand in runtime storage: row-major codes plus the
/// scales of num::QOperand.
struct Operand {
  num::Format format;
  const uint8_t *codes = nullptr;
  CodeLayout layout = CodeLayout::Byte;
  num::ScaleLayout scaleLayout = num::ScaleLayout::Tensor;
  const float *scales = nullptr; // nullptr means 1
  int blockSize = 0;             // BlockK only
  float tensorScale = 1.0f;
  /// The codes hold the operand's transpose (A stored K×M, B stored N×K),
  /// e.g. the weights of a dgrad GEMM dX = dY·Wᵀ.
  bool transposed = false;
};

/// Largest fraction of nonzero A values at which FP16 accumulation runs row
/// by row over the nonzero terms ("float-f16-rows"). Measured with
/// QUANT4_BENCH_ZEROS (docs/Performance.md): at 64×256×256 the row kernel
/// overtakes the panel kernel at ~35 % zeros, at 1024³ at ~50 %; at
/// 256×256×64 (short K) it is ahead even on dense A.
constexpr double kSparseRowsDensity = 0.6;

struct Options {
  int threads = 1;
  /// Instruction set to use; defaults to detectIsa(). Requesting one the CPU
  /// lacks falls back to the best available.
  Isa isa = detectIsa();
  /// When set, gemm() stores the name of the path it took (as gemmPath
  /// names them; choices that depend on the data: f32 or f16 on the
  /// integer kernels ("exact-int"), and "float-f16-rows" — FP16
  /// accumulation row by row over A's nonzero values, when at most
  /// kSparseRowsDensity of them are nonzero).
  const char **pathTaken = nullptr;
};

/// Which implementation an M×N×K GEMM of these operands (0: unknown size)
/// takes, for benchmarks and docs: "exact-int" (integer dot products; also
/// large f32-accumulation GEMMs whose partial sums provably stay exact in
/// float32), "float", "float-f16", or "reference". Decided from the formats
/// and sizes only: gemm() may also run an f32 GEMM on the integer kernels
/// when the codes bound every partial sum (Options::pathTaken tells).
const char *gemmPath(const num::Format &a, const num::Format &b,
                     num::Accumulation acc, int M = 0, int N = 0, int K = 0);

/// C[M×N] = A[M×K] · B[K×N] (row-major). Same contract and result bits as
/// num::referenceGemm; returns "" or an error sentence.
std::string gemm(int M, int N, int K, const Operand &A, const Operand &B,
                 num::Accumulation acc, float *C, const Options &opts = {});

/// NHWC × HWCF convolution (stride, dilation, no padding) as im2col + gemm,
/// with the (kh, kw, c) reduction order of num::referenceConv2D.
std::string conv2d(const num::ConvShape &s, const Operand &input,
                   const Operand &filter, num::Accumulation acc, float *out,
                   const Options &opts = {});

/// Calls copy(dst, src, len) for every run of the im2col matrix of `s`
/// (num::forEachConvRun: the C47 order), its output rows split over up to
/// `threads` pool threads when the matrix has at least 2^16 entries.
template <typename Copy>
void forEachConvRunParallel(const num::ConvShape &s, int threads, Copy copy) {
  size_t M = size_t(s.N) * s.outH() * s.outW();
  size_t K = size_t(s.KH) * s.KW * s.C;
  parallelRanges(M, M * K >= (size_t(1) << 16) ? threads : 1,
                 [&](size_t r0, size_t r1) {
                   num::forEachConvRun(s, copy, r0, r1);
                 });
}

/// Packs one code per byte into two per byte (low nibble first); n codes.
void packCodes4(const uint8_t *codes, size_t n, uint8_t *packed);
/// Code i of a packed or byte buffer.
inline uint32_t codeAt(const uint8_t *codes, CodeLayout layout, size_t i) {
  return layout == CodeLayout::Byte ? codes[i]
                                    : (codes[i / 2] >> (4 * (i & 1))) & 0xF;
}

} // namespace quant4::kernels

#endif // QUANT4_KERNELS_GEMM_H
