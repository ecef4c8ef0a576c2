//===- Gemm.cpp - kernels::gemm and kernels::conv2d -----------------------===//
//
// The entry points of include/quant4/Kernels/Gemm.h: argument checks, the
// choice of path (FormatAnalysis.cpp gives the rules; here they are applied
// to the operands at hand, including the data-dependent moves onto the
// integer kernels and the FP16 row kernel), the instruction set in use, and
// the fallback that runs the reference itself. The kernels and their
// drivers are in the files KernelsImpl.h lists; this one only routes.
//
//===----------------------------------------------------------------------===//
#include "KernelsImpl.h"
#include "quant4/Kernels/Workspace.h"

#include <cassert>
#include <cmath>
#include <mutex>
#include <string>

namespace quant4::kernels {
using num::AccumKind;
using num::Format;
using namespace detail;

// Everything else: the reference itself, on row slices in parallel.
static std::string gemmReference(int M, int N, int K, const Operand &Aop,
                                 const Operand &Bop, num::Accumulation acc,
                                 float *C, int threads) {
  std::vector<uint32_t> a(size_t(M) * K), b(size_t(K) * N);
  CodeMatrix Am{Aop.codes, Aop.layout, M, K, Aop.transposed},
      Bm{Bop.codes, Bop.layout, K, N, Bop.transposed};
  for (int m = 0; m < M; ++m)
    for (int k = 0; k < K; ++k)
      a[size_t(m) * K + k] = Am.at(m, k);
  for (int k = 0; k < K; ++k)
    for (int n = 0; n < N; ++n)
      b[size_t(k) * N + n] = Bm.at(k, n);
  num::QOperand B{Bop.format, b.data(), Bop.scaleLayout, Bop.scales,
                  Bop.blockSize, Bop.tensorScale};
  std::string err;
  std::mutex mu;
  int nb = Aop.scaleLayout == num::ScaleLayout::BlockK && Aop.blockSize > 0
               ? (K + Aop.blockSize - 1) / Aop.blockSize
               : 0;
  parallelRows(M, 1, threads, [&](int m0, int m1) {
    const float *scales = Aop.scales;
    if (scales && Aop.scaleLayout == num::ScaleLayout::Outer)
      scales += m0;
    else if (scales && Aop.scaleLayout == num::ScaleLayout::BlockK)
      scales += size_t(m0) * nb;
    num::QOperand A{Aop.format, a.data() + size_t(m0) * K, Aop.scaleLayout,
                    scales, Aop.blockSize, Aop.tensorScale};
    std::string e =
        num::referenceGemm(m1 - m0, N, K, A, B, acc, C + size_t(m0) * N);
    if (!e.empty()) {
      std::lock_guard<std::mutex> lock(mu);
      err = e;
    }
  });
  return err;
}

std::string gemm(int M, int N, int K, const Operand &A, const Operand &B,
                 num::Accumulation acc, float *C, const Options &opts) {
  if (M < 0 || N < 0 || K < 0)
    return "GEMM dimensions must be non-negative";
  for (const Operand *op : {&A, &B}) {
    std::string v = num::validateFormat(op->format);
    if (!v.empty())
      return std::string("operand ") + (op == &A ? "A" : "B") +
             " has an invalid format: " + v;
    if (op->layout == CodeLayout::Packed4 && op->format.bitWidth() > 4)
      return std::string("operand ") + (op == &A ? "A" : "B") +
             " is packed two codes per byte but its format is wider than 4 "
             "bits";
  }
  std::string v = num::validateAccumulation(acc);
  if (!v.empty())
    return v;
  if (acc.kind == AccumKind::Exact) {
    v = num::exactAccumulationSupported(A.format, B.format);
    if (!v.empty())
      return v;
  }
  if (M == 0 || N == 0)
    return "";
  if ((!A.codes && K > 0) || (!B.codes && K > 0) || !C)
    return "GEMM operand codes and result pointer must not be null";
  bool blockedA = A.scaleLayout == num::ScaleLayout::BlockK;
  bool blockedB = B.scaleLayout == num::ScaleLayout::BlockK;
  int blockSize = blockedA ? A.blockSize : blockedB ? B.blockSize : 0;
  bool blockOk = !(blockedA || blockedB) ||
                 (blockSize > 0 && (!blockedA || A.scales) &&
                  (!blockedB || B.scales) &&
                  (!(blockedA && blockedB) || A.blockSize == B.blockSize));
  // Formats with NaN/Inf codes: are any in the data?
  auto finiteData = [&](const Operand &op, size_t n) {
    const FormatTables &t = tablesFor(op.format);
    if (t.allFinite)
      return true;
    for (size_t i = 0; i < n; ++i)
      if (!std::isfinite(t.value[codeAt(op.codes, op.layout, i)]))
        return false;
    return true;
  };
  bool dataFinite = acc.kind == AccumKind::F32 &&
                    finiteData(A, size_t(M) * K) &&
                    finiteData(B, size_t(K) * N);
  Isa isa = usableIsa(opts.isa);
  Path path = K == 0 || !blockOk
                  ? Path::Reference
                  : choosePath(A.format, B.format, acc, blockedA || blockedB,
                               dataFinite);
  if (path == Path::Float && !(blockedA || blockedB) &&
      f32ViaIntegersForData(M, N, K, A, B))
    path = Path::ExactInt16;
  if (opts.pathTaken)
    *opts.pathTaken = pathName(path);
  switch (path) {
  case Path::ExactInt16:
    gemmExact(M, N, K, A, B, C, isa, opts.threads);
    return "";
  case Path::Float:
  case Path::FloatF16: {
    // FP16 accumulation without block scales: the integer kernels, or the
    // row kernel over A's nonzero terms, before the panel kernel.
    bool plainF16 = path == Path::FloatF16 && acc.kind == AccumKind::F16 &&
                    !(blockedA || blockedB);
    bool chunkedF16 = path == Path::FloatF16 &&
                      acc.kind == AccumKind::F16Chunked &&
                      !(blockedA || blockedB);
    // The integer kernels first; their result stands when no partial sum
    // could have left FP16's exact range, else a float kernel recomputes C.
    if ((plainF16 || chunkedF16) &&
        gemmHalfOnIntegers(M, N, K, A, B, chunkedF16, C, isa, opts.threads)) {
      if (opts.pathTaken)
        *opts.pathTaken = "exact-int";
      return "";
    }
    // Skipping zero terms is Numerics' rule (num::f16SkipsZeroProducts,
    // cached per pair); the FloatF16 path's floatExact (finite codes only)
    // implies it.
    bool skipsZeros = pairInfo(A.format, B.format).f16SkipsZeros;
    assert(path != Path::FloatF16 || skipsZeros);
    if ((plainF16 || chunkedF16) && skipsZeros &&
        gemmHalfSparseRows(M, N, K, A, B, chunkedF16 ? std::max(1, acc.chunk) : 0,
                           C, isa, opts.threads)) {
      if (opts.pathTaken)
        *opts.pathTaken = "float-f16-rows";
      return "";
    }
    gemmFloat(M, N, K, A, B, acc, C, isa, opts.threads, blockSize);
    return "";
  }
  case Path::Reference:
    break;
  }
  return gemmReference(M, N, K, A, B, acc, C, opts.threads);
}

std::string conv2d(const num::ConvShape &s, const Operand &input,
                   const Operand &filter, num::Accumulation acc, float *out,
                   const Options &opts) {
  std::string v = num::validateConv2D(
      s, input.scaleLayout == num::ScaleLayout::Tensor,
      input.codes && filter.codes && out);
  if (!v.empty())
    return v;
  // im2col of the codes, in the reduction order of num::referenceConv2D,
  // by runs (one window row of codes is contiguous in NHWC), output rows
  // split over the pool.
  int M = s.N * s.outH() * s.outW(), K = s.KH * s.KW * s.C;
  auto *col = static_cast<uint8_t *>(
      scratch(ScratchSlot::ConvCodes, size_t(M) * K));
  forEachConvRunParallel(s, opts.threads,
                         [&](size_t dst, size_t src, size_t len) {
                           unpackRun(input.codes, input.layout, src, int(len),
                                     col + dst);
                         });
  Operand A = input;
  A.codes = col;
  A.layout = CodeLayout::Byte;
  A.transposed = false;
  return gemm(M, s.F, K, A, filter, acc, out, opts);
}

} // namespace quant4::kernels
