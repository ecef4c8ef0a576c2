//===- FormatAnalysis.cpp - what the formats and the data allow -----------===//
//
// Everything the GEMM decides before it computes: per-format tables of
// values and integers (cached), facts about a pair of formats found
// exhaustively over their code pairs (cached: products exact in float32 /
// FP16, int16-exact, zero products skippable), the path a GEMM of a pair
// takes (kernels::gemmPath, choosePath), and the checks that move a GEMM
// onto the integer kernels — from the formats, or from an O(M·K + K·N)
// pass over the codes. Kept apart from the drivers because these rules are
// the exactness argument of include/quant4/Kernels/Gemm.h in code: they,
// not the kernels, decide where a fast path gives the reference's bits.
//
//===----------------------------------------------------------------------===//
#include "KernelsImpl.h"

#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace quant4::kernels {
using num::AccumKind;
using num::Format;

namespace detail {

//===----------------------------------------------------------------------===//
// Per-format tables and per-pair facts (exhaustive over the codes, cached)
//===----------------------------------------------------------------------===//

static FormatTables makeTables(const Format &f) {
  FormatTables t;
  uint32_t n = f.numCodes();
  t.value.resize(n);
  t.ival.resize(n);
  bool exactKind = f.kind == num::FormatKind::Log ||
                   f.kind == num::FormatKind::Int ||
                   f.kind == num::FormatKind::UInt ||
                   f.kind == num::FormatKind::FP4E2M1;
  t.intOk = exactKind;
  for (uint32_t c = 0; c < n; ++c) {
    t.value[c] = num::decode(f, c);
    if (!std::isfinite(t.value[c]))
      t.allFinite = false;
    if (exactKind) {
      int64_t v = num::exactInteger(f, c);
      if (v > 32767 || v < -32767)
        t.intOk = false;
      else
        t.ival[c] = int16_t(v);
      t.maxInt = std::max<int64_t>(t.maxInt, v < 0 ? -v : v);
    }
  }
  t.intOk = t.intOk && t.allFinite;
  return t;
}

const FormatTables &tablesFor(const Format &f) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<FormatTables>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto &slot = cache[f.str()];
  if (!slot)
    slot = std::make_unique<FormatTables>(makeTables(f));
  return *slot;
}

PairInfo pairInfo(const Format &fa, const Format &fb) {
  static std::mutex mu;
  static std::map<std::string, PairInfo> cache;
  std::string key = fa.str() + "*" + fb.str();
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end())
      return it->second;
  }
  const FormatTables &ta = tablesFor(fa), &tb = tablesFor(fb);
  PairInfo p;
  p.productsExact = fa.bitWidth() <= 8 && fb.bitWidth() <= 8;
  for (float a : ta.value) {
    if (!p.productsExact)
      break;
    for (float b : tb.value) {
      if (!std::isfinite(a) || !std::isfinite(b))
        continue;
      double exact = double(a) * double(b);
      if (double(a * b) != exact) {
        p.productsExact = false;
        break;
      }
    }
  }
  // Formats with NaN/Inf codes take the reference path unless the data has
  // none of them: the sign of a NaN produced by SIMD arithmetic may differ
  // from the scalar reference's.
  p.floatExact = p.productsExact && ta.allFinite && tb.allFinite;
  p.int16Exact = ta.intOk && tb.intOk &&
                 num::exactAccumulationSupported(fa, fb).empty();
  // Saturated: wide formats (e.g. log<4,5>) overflow int64 here; the value
  // is used for int16Exact pairs only.
  if (__builtin_mul_overflow(ta.maxInt, tb.maxInt, &p.maxProduct))
    p.maxProduct = std::numeric_limits<int64_t>::max();
  p.halfProductsExact = true;
  for (float a : ta.value)
    for (float b : tb.value)
      if (roundHalf(a * b) != a * b && std::isfinite(a * b))
        p.halfProductsExact = false;
  p.f16SkipsZeros = num::f16SkipsZeroProducts(fa, fb);
  std::lock_guard<std::mutex> lock(mu);
  cache[key] = p;
  return p;
}

int halfMode(const Format &fa, const Format &fb) {
  return pairInfo(fa, fb).halfProductsExact ? kF16 : kF16RoundProducts;
}

int byteKernelOffset(const FormatTables &ta, const FormatTables &tb, Isa isa) {
  if (isa != Isa::AVX512 || tb.maxInt > 127)
    return -1;
  int amin = *std::min_element(ta.ival.begin(), ta.ival.end());
  int amax = *std::max_element(ta.ival.begin(), ta.ival.end());
  int offset = amin < 0 ? -amin : 0;
  return amax + offset <= 255 ? offset : -1;
}

//===----------------------------------------------------------------------===//
// Path choice
//===----------------------------------------------------------------------===//

Path choosePath(const Format &fa, const Format &fb, num::Accumulation acc,
                bool blocked, bool dataFinite) {
  if (fa.bitWidth() > 8 || fb.bitWidth() > 8)
    return Path::Reference;
  PairInfo p = pairInfo(fa, fb);
  switch (acc.kind) {
  case AccumKind::Exact:
    return p.int16Exact && !blocked ? Path::ExactInt16 : Path::Reference;
  case AccumKind::F32:
    return p.floatExact || (dataFinite && p.productsExact) ? Path::Float
                                                           : Path::Reference;
  case AccumKind::F16:
    return p.floatExact ? Path::FloatF16 : Path::Reference;
  case AccumKind::F16Chunked:
    return p.floatExact && !blocked ? Path::FloatF16 : Path::Reference;
  }
  return Path::Reference;
}

bool f32ViaIntegers(const Format &fa, const Format &fb, int M, int N, int K) {
  if (fa.bitWidth() > 8 || fb.bitWidth() > 8 || K <= 0 ||
      double(M) * N * K < double(1 << 27))
    return false;
  const FormatTables &ta = tablesFor(fa), &tb = tablesFor(fb);
  int lsb = num::lsbExponent(fa) + num::lsbExponent(fb);
  return pairInfo(fa, fb).int16Exact &&
         double(ta.maxInt) * double(tb.maxInt) * double(K) <=
             double(num::exactIntegerLimit(AccumKind::F32, lsb));
}

const char *pathName(Path path) {
  switch (path) {
  case Path::ExactInt16: return "exact-int";
  case Path::Float: return "float";
  case Path::FloatF16: return "float-f16";
  case Path::Reference: return "reference";
  }
  return "?";
}

//===----------------------------------------------------------------------===//
// FP16 accumulation on the integer kernels
//===----------------------------------------------------------------------===//

// FP16 accumulation of unsigned × signed small-integer codes (e.g. the
// uint4 × int4 forward GEMM of ultralow4) on the byte kernels. An FP16
// partial sum is exact — equal to the integer prefix sum — while its
// magnitude stays within num::exactIntegerLimit(F16, lsb) (2048 units of
// the product grid), and then every FP16 add of the reference rounds
// nothing. The kernels track the largest |sum| after every group of 4 k;
// the partial sums inside a group exceed it by at most 3 products. These
// are the operand pairs where A's codes need no offset, so the accumulators
// hold the true sums.
int32_t f16ViaIntegersPeakLimit(const Format &fa, const Format &fb, Isa isa,
                                bool chunked) {
  if (isa != Isa::AVX512 || fa.bitWidth() > 8 || fb.bitWidth() > 8)
    return 0;
  PairInfo p = pairInfo(fa, fb);
  if (!p.int16Exact ||
      byteKernelOffset(tablesFor(fa), tablesFor(fb), isa) != 0)
    return 0;
  int64_t halfExactLimit = num::exactIntegerLimit(
      AccumKind::F16, num::lsbExponent(fa) + num::lsbExponent(fb));
  int64_t limit = (chunked ? halfExactLimit / 2 : halfExactLimit) -
                  3 * p.maxProduct;
  return limit > 0 ? int32_t(limit) : 0;
}

bool f16SampleFits(int M, int N, int K, const Operand &A, const Operand &B,
                   int64_t limit) {
  const FormatTables &ta = tablesFor(A.format), &tb = tablesFor(B.format);
  CodeMatrix Am{A.codes, A.layout, M, K, A.transposed},
      Bm{B.codes, B.layout, K, N, B.transposed};
  int cols = std::min(N, 8);
  std::vector<uint8_t> a(static_cast<size_t>(K)), b(size_t(K) * cols);
  Bm.block(0, K, 0, cols, b.data());
  for (int m : {0, M - 1}) {
    Am.block(m, 1, 0, K, a.data());
    for (int n = 0; n < cols; ++n) {
      int64_t sum = 0;
      for (int k = 0; k < K; ++k) {
        sum += int64_t(ta.ival[a[size_t(k)]]) *
               tb.ival[b[size_t(k) * cols + n]];
        if (sum > limit || -sum > limit)
          return false;
      }
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// f32 accumulation on the integer kernels, from the data
//===----------------------------------------------------------------------===//

/// Largest Σ_j |integer value| over the logical rows of an R×C code matrix
/// (`limit` or more: may stop early and return it). Reads the codes in
/// storage order.
static int64_t maxRowAbsSum(const CodeMatrix &A, const FormatTables &t,
                            int64_t limit) {
  int R = A.rows, Cn = A.cols;
  int32_t absv[256];
  for (int c = 0; c < 256; ++c)
    absv[c] = c < int(t.ival.size()) ? std::abs(int32_t(t.ival[c])) : 0;
  int64_t best = 0;
  if (!A.transposed) {
    // Two codes per byte with rows starting on byte boundaries: a table of
    // the byte's |lo| + |hi|.
    bool pairs = A.layout == CodeLayout::Packed4 && Cn % 2 == 0;
    int32_t pair[256];
    for (int b = 0; pairs && b < 256; ++b)
      pair[b] = absv[b & 0xF] + absv[b >> 4];
    std::vector<uint8_t> row(static_cast<size_t>(Cn));
    for (int i = 0; i < R; ++i) {
      int64_t sum = 0;
      if (pairs) {
        const uint8_t *src = A.codes + size_t(i) * (Cn / 2);
        for (int j = 0; j < Cn / 2; ++j)
          sum += pair[src[j]];
      } else {
        unpackRun(A.codes, A.layout, size_t(i) * Cn, Cn, row.data());
        for (int j = 0; j < Cn; ++j)
          sum += absv[row[size_t(j)]];
      }
      best = std::max(best, sum);
      if (best >= limit)
        return limit;
    }
    return best;
  }
  // Stored as the transpose: storage row j holds logical column j.
  std::vector<int64_t> sums(static_cast<size_t>(R), 0);
  std::vector<uint8_t> run(static_cast<size_t>(R));
  for (int j = 0; j < Cn; ++j) {
    unpackRun(A.codes, A.layout, size_t(j) * R, R, run.data());
    for (int i = 0; i < R; ++i)
      sums[size_t(i)] += absv[run[size_t(i)]];
  }
  for (int64_t v : sums)
    best = std::max(best, v);
  return std::min(best, limit);
}

bool f32ViaIntegersForData(int M, int N, int K, const Operand &A,
                           const Operand &B) {
  if (f32ViaIntegers(A.format, B.format, M, N, K))
    return true;
  if (A.format.bitWidth() > 8 || B.format.bitWidth() > 8 || K <= 0 ||
      double(M) * N * K < double(1 << 27) ||
      !pairInfo(A.format, B.format).int16Exact)
    return false;
  int64_t exact = num::exactIntegerLimit(
      AccumKind::F32, num::lsbExponent(A.format) + num::lsbExponent(B.format));
  if (exact == 0)
    return false;
  const FormatTables &ta = tablesFor(A.format), &tb = tablesFor(B.format);
  auto fits = [&](const CodeMatrix &rows, const FormatTables &t,
                  int64_t otherMax) {
    if (otherMax <= 0)
      return true;
    int64_t cap = exact / otherMax + 1; // fits: sum · otherMax ≤ exact
    return maxRowAbsSum(rows, t, cap) < cap;
  };
  CodeMatrix Am{A.codes, A.layout, M, K, A.transposed};
  CodeMatrix Bt{B.codes, B.layout, N, K, !B.transposed}; // rows = columns of B
  return fits(Am, ta, tb.maxInt) || fits(Bt, tb, ta.maxInt);
}

} // namespace detail

const char *gemmPath(const Format &a, const Format &b, num::Accumulation acc,
                     int M, int N, int K) {
  detail::Path path = detail::choosePath(a, b, acc, false);
  if (path == detail::Path::Float && detail::f32ViaIntegers(a, b, M, N, K))
    path = detail::Path::ExactInt16;
  return detail::pathName(path);
}

} // namespace quant4::kernels
