//===- GemmTest.cpp - fast kernels are bit-exact with the reference -------===//
//
// Every case runs num::referenceGemm / referenceConv2D and the fast kernels
// on the same codes and compares the float results bit for bit (memcmp), for
// every instruction set this CPU has, several thread counts and both code
// layouts. Every kernel call also checks the path it took
// (Options::pathTaken) against the path written out by hand below, so a
// case that silently falls back to the reference routine fails.
//
//===----------------------------------------------------------------------===//
#include "quant4/Kernels/Gemm.h"
#include "quant4/Numerics/Numerics.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using namespace quant4;
using kernels::CodeLayout;
using kernels::Isa;
using num::AccumKind;
using num::Accumulation;
using num::Format;

namespace {

std::vector<Isa> isas() {
  std::vector<Isa> all = {Isa::Portable};
  if (kernels::detectIsa() >= Isa::AVX2)
    all.push_back(Isa::AVX2);
  if (kernels::detectIsa() >= Isa::AVX512)
    all.push_back(Isa::AVX512);
  return all;
}

struct Case {
  Format fa, fb;
  Accumulation acc;
};

/// Formats with NaN/Inf codes (docs/Formats.md, C2 table): E4M3 NaN is
/// 0x7F/0xFF, E5M2 Inf/NaN are 0x7C-0x7F/0xFC-0xFF.
bool hasNonFiniteCodes(const Format &f) {
  return f.kind == num::FormatKind::FP8E4M3 ||
         f.kind == num::FormatKind::FP8E5M2;
}
bool nonFiniteCode(const Format &f, uint8_t c) {
  if (f.kind == num::FormatKind::FP8E4M3)
    return (c & 0x7F) == 0x7F;
  if (f.kind == num::FormatKind::FP8E5M2)
    return (c & 0x7C) == 0x7C;
  return false;
}

/// Formats the integer kernels take: integer-valued grids whose integers
/// fit int16 — int/uint up to 8 bits, E2M1 (units of 1/2), and the 3-bit
/// exponent log formats (radix 2 or 4: at most 4^6 = 2^12 units of the
/// smallest level). Not FP8 (no integer tables) and not wide log formats
/// such as log<4,5> (2^60 units).
bool integerKernelFormat(const Format &f) {
  switch (f.kind) {
  case num::FormatKind::Int:
  case num::FormatKind::UInt:
  case num::FormatKind::FP4E2M1:
    return true;
  case num::FormatKind::Log:
    return f.ebits <= 3 && f.radix <= 4;
  default:
    return false;
  }
}

/// The paths gemm() may report for a case, written out from the rules in
/// lib/Kernels/FormatAnalysis.cpp and Gemm.cpp (not computed by
/// kernels::gemmPath, which shares their code): a fast case that falls back
/// to "reference" fails.
///  * exact: "exact-int" for two integer-kernel formats without block
///    scales; FP8 operands or block scales: "reference".
///  * f32: "float" (every product of two codes of these formats is exact
///    in float32) unless a FP8 operand holds a NaN/Inf code: "reference".
///    (M·N·K >= 2^27 may run on "exact-int"; the callers say when.)
///  * f16: "float-f16" for formats without NaN/Inf codes (with or without
///    block scales), else "reference"; on AVX-512, uint A x int4 B
///    without block scales may first succeed on the integer kernels
///    ("exact-int", depending on the sums), and a sparse A takes
///    "float-f16-rows" (the callers say when).
///  * f16_chunked: as f16 without block scales (the integer kernels need
///    prefix sums within half the FP16 exact limit), else "reference".
std::vector<std::string> expectedPaths(const Case &c, Isa isa, bool blocked,
                                       bool nonFiniteData) {
  bool finiteFormats = !hasNonFiniteCodes(c.fa) && !hasNonFiniteCodes(c.fb);
  switch (c.acc.kind) {
  case AccumKind::Exact:
    return {integerKernelFormat(c.fa) && integerKernelFormat(c.fb) && !blocked
                ? "exact-int"
                : "reference"};
  case AccumKind::F32:
    return {nonFiniteData ? "reference" : "float"};
  case AccumKind::F16: {
    if (!finiteFormats)
      return {"reference"};
    bool unsignedA = c.fa.kind == num::FormatKind::UInt;
    if (isa == Isa::AVX512 && !blocked && unsignedA &&
        c.fb.kind == num::FormatKind::Int && c.fb.bits <= 4)
      return {"float-f16", "exact-int"};
    return {"float-f16"};
  }
  case AccumKind::F16Chunked: {
    if (!finiteFormats || blocked)
      return {"reference"};
    bool unsignedA = c.fa.kind == num::FormatKind::UInt;
    if (isa == Isa::AVX512 && unsignedA &&
        c.fb.kind == num::FormatKind::Int && c.fb.bits <= 4)
      return {"float-f16", "exact-int"};
    return {"float-f16"};
  }
  }
  return {};
}

/// EXPECT that `path` is one of `allowed`.
void expectPath(const char *path, const std::vector<std::string> &allowed) {
  std::string all;
  for (const std::string &a : allowed)
    all += (all.empty() ? "" : " or ") + a;
  EXPECT_NE(std::find(allowed.begin(), allowed.end(), std::string(path)),
            allowed.end())
      << "path taken: " << path << ", expected " << all;
}

std::vector<uint8_t> randomCodes(const Format &f, size_t n, std::mt19937 &rng,
                                 bool extreme = false) {
  std::vector<uint8_t> c(n);
  uint32_t codes = f.numCodes();
  for (auto &x : c) {
    if (extreme) {
      // The largest magnitude, both signs where the format has them.
      uint32_t top = f.isSigned() ? codes / 2 - 1 : codes - 1;
      if (f.kind == num::FormatKind::Int)
        top = codes / 2 - 1; // +max; -max is its two's complement
      x = uint8_t(top);
      if (f.isSigned() && (rng() & 1))
        x = uint8_t(f.kind == num::FormatKind::Int ? codes - top
                                                   : top | (codes / 2));
    } else {
      x = uint8_t(rng() % codes);
    }
  }
  return c;
}

std::vector<uint32_t> widen(const std::vector<uint8_t> &c) {
  return std::vector<uint32_t>(c.begin(), c.end());
}

/// The codes of an M×K A and a K×N B in the storage variants the kernels
/// read: 0 = one code per byte, 1 = two codes per byte, 2 = transposed.
struct Storage {
  std::vector<uint8_t> pa, pb, at, bt;
  Storage(const std::vector<uint8_t> &a, const std::vector<uint8_t> &b, int M,
          int N, int K, bool packable)
      : pa((a.size() + 1) / 2), pb((b.size() + 1) / 2), at(a.size()),
        bt(b.size()) {
    if (packable) {
      kernels::packCodes4(a.data(), a.size(), pa.data());
      kernels::packCodes4(b.data(), b.size(), pb.data());
    }
    for (int m = 0; m < M; ++m)
      for (int k = 0; k < K; ++k)
        at[size_t(k) * M + m] = a[size_t(m) * K + k];
    for (int k = 0; k < K; ++k)
      for (int n = 0; n < N; ++n)
        bt[size_t(n) * K + k] = b[size_t(k) * N + n];
  }
  /// Points A and B (byte codes) at the storage of `variant`.
  void use(int variant, kernels::Operand &A, kernels::Operand &B) const {
    if (variant == 1) {
      A.codes = pa.data(), A.layout = CodeLayout::Packed4;
      B.codes = pb.data(), B.layout = CodeLayout::Packed4;
    } else if (variant == 2) {
      A.codes = at.data(), A.transposed = true;
      B.codes = bt.data(), B.transposed = true;
    }
  }
};

std::string describe(const Case &c, int M, int N, int K) {
  return c.fa.str() + " x " + c.fb.str() + " acc=" +
         std::string(num::accumName(c.acc.kind)) +
         (c.acc.kind == AccumKind::F16Chunked
              ? "(" + std::to_string(c.acc.chunk) + ")"
              : "") +
         " M=" + std::to_string(M) + " N=" + std::to_string(N) +
         " K=" + std::to_string(K);
}

// Runs the reference and every kernel configuration and compares bits.
void checkGemm(const Case &c, int M, int N, int K, std::mt19937 &rng,
               num::ScaleLayout la = num::ScaleLayout::Tensor,
               num::ScaleLayout lb = num::ScaleLayout::Tensor,
               bool extreme = false, double zeroA = 0.0,
               const char *rowsPath = nullptr, int blockSize = 0) {
  SCOPED_TRACE(describe(c, M, N, K) +
               (blockSize ? " blockSize=" + std::to_string(blockSize) : ""));
  auto a = randomCodes(c.fa, size_t(M) * K, rng, extreme);
  if (zeroA > 0) { // this fraction of A (about) zero codes
    uint32_t zero = num::encode(c.fa, 0.0f, num::Rounding::NearestLinear);
    ASSERT_EQ(num::decode(c.fa, zero), 0.0f) << c.fa.str() << " has no zero";
    std::bernoulli_distribution pick(zeroA);
    for (auto &x : a)
      if (pick(rng))
        x = uint8_t(zero);
    // Denser than kSparseRowsDensity (small shapes may be): the panel
    // kernel runs.
    size_t nonzero = 0;
    for (uint8_t x : a)
      nonzero += num::decode(c.fa, x) != 0.0f;
    if (rowsPath &&
        double(nonzero) > kernels::kSparseRowsDensity * double(a.size()))
      rowsPath = "float-f16";
  }
  auto b = randomCodes(c.fb, size_t(K) * N, rng, extreme);
  std::uniform_real_distribution<float> sd(0.01f, 3.0f);
  // BlockK (blockSize > 0): A's scales [M][nb], B's [nb][N].
  int nb = blockSize > 0 ? (K + blockSize - 1) / blockSize : 0;
  std::vector<float> sa(la == num::ScaleLayout::Outer    ? M
                        : la == num::ScaleLayout::BlockK ? size_t(M) * nb
                                                         : 1),
      sb(lb == num::ScaleLayout::Outer    ? N
         : lb == num::ScaleLayout::BlockK ? size_t(nb) * N
                                          : 1);
  for (auto &s : sa)
    s = sd(rng);
  for (auto &s : sb)
    s = sd(rng);
  float ta = 1.0f, tb = 1.0f;
  auto wa = widen(a), wb = widen(b);
  num::QOperand RA{c.fa, wa.data(), la, sa.data(), blockSize, ta};
  num::QOperand RB{c.fb, wb.data(), lb, sb.data(), blockSize, tb};
  std::vector<float> ref(size_t(M) * N);
  ASSERT_EQ(num::referenceGemm(M, N, K, RA, RB, c.acc, ref.data()), "");

  bool packable = c.fa.bitWidth() <= 4 && c.fb.bitWidth() <= 4;
  Storage store(a, b, M, N, K, packable);
  bool nonFiniteData =
      std::any_of(a.begin(), a.end(),
                  [&](uint8_t x) { return nonFiniteCode(c.fa, x); }) ||
      std::any_of(b.begin(), b.end(),
                  [&](uint8_t x) { return nonFiniteCode(c.fb, x); });

  // (layout variant, threads): byte layout at 1, 2 and 3 threads; packed
  // codes and transposed storage once each.
  const std::pair<int, int> runs[] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {2, 1}};
  for (Isa isa : isas())
    for (auto [variant, threads] : runs) {
        if (variant == 1 && !packable)
          continue;
        SCOPED_TRACE(std::string(kernels::isaName(isa)) + " threads=" +
                     std::to_string(threads) + " variant=" +
                     std::to_string(variant));
        kernels::Operand A{c.fa, a.data(), CodeLayout::Byte, la, sa.data(),
                           blockSize, ta};
        kernels::Operand B{c.fb, b.data(), CodeLayout::Byte, lb, sb.data(),
                           blockSize, tb};
        store.use(variant, A, B);
        std::vector<float> out(size_t(M) * N, -123.0f);
        const char *path = "";
        kernels::Options opts{threads, isa};
        opts.pathTaken = &path;
        ASSERT_EQ(kernels::gemm(M, N, K, A, B, c.acc, out.data(), opts), "");
        if (rowsPath)
          EXPECT_STREQ(path, rowsPath);
        else
          expectPath(path, expectedPaths(c, isa, blockSize > 0, nonFiniteData));
        ASSERT_EQ(std::memcmp(out.data(), ref.data(), out.size() * 4), 0)
            << "first mismatch at "
            << [&] {
                 for (size_t i = 0; i < out.size(); ++i)
                   if (std::memcmp(&out[i], &ref[i], 4))
                     return std::to_string(i) + ": " + std::to_string(out[i]) +
                            " vs " + std::to_string(ref[i]);
                 return std::string("?");
               }();
      }
}

std::vector<Case> formatCases(Accumulation acc) {
  std::vector<Case> cs;
  Format log4 = Format::log(4, 3, 0), log4p = Format::log(4, 3, 1),
         log2 = Format::log(2, 3, 0), i4 = Format::sint(4),
         u4 = Format::uint(4), e2m1 = Format::fp4e2m1(),
         e4m3 = Format::fp8e4m3(), i8 = Format::sint(8);
  for (auto [a, b] : std::vector<std::pair<Format, Format>>{
           {u4, i4}, {i4, i4}, {log4, i4}, {log4p, u4}, {log2, i4},
           {u4, log4}, {e2m1, e2m1}, {e4m3, e4m3}, {i8, i8}, {log4, log4}})
    cs.push_back({a, b, acc});
  return cs;
}

TEST(KernelGemm, F32AccumulationIsBitExact) {
  std::mt19937 rng(1);
  for (const Case &c : formatCases({AccumKind::F32, 0}))
    for (auto [M, N, K] : std::vector<std::array<int, 3>>{
             {1, 1, 1}, {7, 13, 33}, {17, 40, 100}, {33, 65, 400}})
      checkGemm(c, M, N, K, rng);
}

TEST(KernelGemm, F16AccumulationIsBitExact) {
  std::mt19937 rng(2);
  for (const Case &c : formatCases({AccumKind::F16, 0}))
    for (auto [M, N, K] : std::vector<std::array<int, 3>>{
             {3, 5, 7}, {9, 33, 129}, {16, 17, 500}})
      checkGemm(c, M, N, K, rng);
}

TEST(KernelGemm, F16ChunkedAccumulationIsBitExact) {
  std::mt19937 rng(3);
  for (int chunk : {1, 5, 64, 1000})
    for (const Case &c : formatCases({AccumKind::F16Chunked, chunk}))
      checkGemm(c, 5, 9, 70, rng);
  for (const Case &c : formatCases({AccumKind::F16Chunked, 64}))
    checkGemm(c, 10, 33, 450, rng); // chunks across reduction blocks
}

TEST(KernelGemm, ExactAccumulationIsBitExact) {
  std::mt19937 rng(4);
  for (const Case &c : formatCases({AccumKind::Exact, 0}))
    for (auto [M, N, K] : std::vector<std::array<int, 3>>{
             {1, 1, 1}, {6, 7, 9}, {13, 35, 801}, {17, 33, 1600},
             // K·N ≥ 2^16: B's panels are packed by 2 and 3 threads
             {5, 97, 700}})
      checkGemm(c, M, N, K, rng);
}

// All-maximum operands: FP16 accumulation overflows to Inf, exact int32 block
// sums would overflow without the kernel's reduction blocking.
TEST(KernelGemm, ExtremeValues) {
  std::mt19937 rng(5);
  for (AccumKind k : {AccumKind::F32, AccumKind::F16, AccumKind::Exact})
    for (const Case &c : formatCases({k, 0}))
      checkGemm(c, 9, 37, 700, rng, num::ScaleLayout::Tensor,
                num::ScaleLayout::Tensor, /*extreme=*/true);
}

// log<4,5> x int8 products of extreme codes overflow FP16, so the FP16 sums
// meet Inf - Inf: a NaN must leave the FP16 accumulator as the reference's
// FP16 NaN (not the x86 default NaN, sign bit set) in every mode — whole
// sums (f16), chunk partials (f16_chunked, chunks within and across
// reduction blocks) and per-block partials under block scales.
TEST(KernelGemm, ExtremeValuesOverflowFp16) {
  std::mt19937 rng(13);
  Format log45 = Format::log(4, 5, 0), i8 = Format::sint(8);
  auto T = num::ScaleLayout::Tensor, O = num::ScaleLayout::Outer,
       BK = num::ScaleLayout::BlockK;
  for (Accumulation acc :
       {Accumulation{AccumKind::F16, 0}, Accumulation{AccumKind::F16Chunked, 1},
        Accumulation{AccumKind::F16Chunked, 64},
        Accumulation{AccumKind::F16Chunked, 1000}})
    checkGemm({log45, i8, acc}, 9, 37, 700, rng, T, T, /*extreme=*/true);
  for (int bs : {32, 300}) {
    checkGemm({log45, i8, {AccumKind::F16, 0}}, 9, 37, 700, rng, BK, BK,
              /*extreme=*/true, 0.0, nullptr, bs);
    checkGemm({log45, i8, {AccumKind::F16, 0}}, 9, 37, 700, rng, BK, O,
              /*extreme=*/true, 0.0, nullptr, bs);
  }
}

// f32 accumulation of large GEMMs runs on the integer kernels when the codes
// bound every partial sum below 2^24 product-grid units (row sums of |A|
// times max|B|, or column sums of |B| times max|A|), else on the FMA kernel:
// both bit-exact with the reference, and the bound is what keeps them so.
TEST(KernelGemm, F32OnIntegersFollowsTheData) {
  Format log4 = Format::log(4, 3, 0), i4 = Format::sint(4),
         u4 = Format::uint(4);
  int M = 128, N = 1024, K = 1024; // M·N·K ≥ 2^27: large enough to qualify
  uint32_t big = num::encode(log4, 64.0f, num::Rounding::NearestLinear),
           tiny = num::encode(log4, 1.0f / 64, num::Rounding::NearestLinear),
           seven = num::encode(i4, 7.0f, num::Rounding::NearestLinear);
  ASSERT_EQ(num::decode(log4, big), 64.0f);
  ASSERT_EQ(num::decode(log4, tiny), 1.0f / 64);
  std::mt19937 rng(11);
  struct Data {
    const char *what;
    Format fa, fb;
    std::vector<uint8_t> a, b;
    const char *path;
  };
  std::vector<Data> cases;
  // Random log4 x int4: Σ_k |a| ≈ 800·K units · 8 < 2^24 → integers.
  cases.push_back({"random log4 x int4", log4, i4,
                   randomCodes(log4, size_t(M) * K, rng),
                   randomCodes(i4, size_t(K) * N, rng), "exact-int"});
  // Random uint4 x log4: rows of A fail (15·K · 4096), columns of B pass.
  cases.push_back({"random uint4 x log4", u4, log4,
                   randomCodes(u4, size_t(M) * K, rng),
                   randomCodes(log4, size_t(K) * N, rng), "exact-int"});
  // Rows of 64s with a 1/64 every 7th element, times 7: partial sums pass
  // 2^24 units of 2^-6 while small products keep arriving, so float32
  // rounds and the FMA kernel must run.
  Data round{"rounding log4 x int4", log4, i4,
             std::vector<uint8_t>(size_t(M) * K),
             std::vector<uint8_t>(size_t(K) * N, uint8_t(seven)), "float"};
  for (size_t i = 0; i < round.a.size(); ++i)
    round.a[i] = uint8_t(i % 7 == 3 ? tiny : big);
  cases.push_back(round);
  for (const Data &d : cases) {
    SCOPED_TRACE(d.what);
    // The reference on a sample of rows (it is slow at this size); the
    // kernels compute all of C and are compared on those rows.
    const int rows[] = {0, 1, 77, M - 1};
    auto wa = widen(d.a), wb = widen(d.b);
    float sa = 0.5f, sb = 0.75f;
    num::QOperand RB{d.fb, wb.data(), num::ScaleLayout::Tensor, &sb, 0, 1.0f};
    std::vector<float> ref(size_t(M) * N), exact(size_t(M) * N);
    for (int m : rows) {
      num::QOperand RA{d.fa, wa.data() + size_t(m) * K,
                       num::ScaleLayout::Tensor, &sa, 0, 1.0f};
      ASSERT_EQ(num::referenceGemm(1, N, K, RA, RB, {AccumKind::F32, 0},
                                   ref.data() + size_t(m) * N),
                "");
    }
    auto sameRows = [&](const std::vector<float> &x) {
      for (int m : rows)
        if (std::memcmp(x.data() + size_t(m) * N, ref.data() + size_t(m) * N,
                        size_t(N) * 4))
          return false;
      return true;
    };
    // Exact sums from the integer kernels (checked against the reference's
    // exact accumulation in ExactAccumulationIsBitExact).
    kernels::Operand EA{d.fa, d.a.data(), CodeLayout::Byte,
                        num::ScaleLayout::Tensor, &sa};
    kernels::Operand EB{d.fb, d.b.data(), CodeLayout::Byte,
                        num::ScaleLayout::Tensor, &sb};
    ASSERT_EQ(kernels::gemm(M, N, K, EA, EB, {AccumKind::Exact, 0},
                            exact.data(), {2}),
              "");
    // Where the kernel must not use the integers, float32 did round.
    EXPECT_EQ(!sameRows(exact), std::string(d.path) == "float");
    Storage store(d.a, d.b, M, N, K, /*packable=*/true);
    for (int variant : {0, 1, 2}) {
      SCOPED_TRACE("variant " + std::to_string(variant));
      kernels::Operand A{d.fa, d.a.data(), CodeLayout::Byte,
                         num::ScaleLayout::Tensor, &sa};
      kernels::Operand B{d.fb, d.b.data(), CodeLayout::Byte,
                         num::ScaleLayout::Tensor, &sb};
      store.use(variant, A, B);
      const char *path = "";
      kernels::Options opts;
      opts.threads = 2;
      opts.pathTaken = &path;
      std::vector<float> out(size_t(M) * N, -1.0f);
      ASSERT_EQ(kernels::gemm(M, N, K, A, B, {AccumKind::F32, 0}, out.data(),
                              opts),
                "");
      EXPECT_STREQ(path, d.path);
      EXPECT_TRUE(sameRows(out));
    }
  }
}

// FP16 accumulation of uint4 x int4 runs on the integer kernels when no
// partial sum leaves FP16's exact integers (|sum| ≤ 2048), else on the FP16
// kernel: bit-exact with the reference either way. The middle case has odd
// partial sums between 2048 and 4096, which FP16 rounds.
TEST(KernelGemm, F16OnIntegersWhileSumsStayExact) {
  if (kernels::detectIsa() < Isa::AVX512)
    GTEST_SKIP() << "the integer FP16 path needs AVX-512 VNNI";
  Format u4 = Format::uint(4), i4 = Format::sint(4);
  std::mt19937 rng(12);
  struct Data {
    const char *what;
    int M, N, K;
    uint32_t aMax, bMax; // codes drawn from [0, aMax] and [-bMax, bMax]
    bool constant;       // every a = aMax, every b = bMax instead
    const char *path;
    int hotRow = -1; // this row of A all 15 (sums too large only there)
  };
  for (Data d : {Data{"small sums", 37, 45, 300, 3, 2, false, "exact-int"},
                 Data{"sums 2048..4096", 9, 40, 30, 15, 7, true, "float-f16"},
                 Data{"large sums", 13, 33, 301, 15, 7, false, "float-f16"},
                 // A is zero but for row 20 (15s), B all 7: the pre-check's
                 // sample (rows 0 and M-1) does not see row 20, whose sums
                 // FP16 rounds, so the integer result must be rejected by
                 // the kernels' own peak tracking. (The test sees only the
                 // path taken and the bits. A is that sparse: the FP16 row
                 // kernel over its nonzeros runs.)
                 Data{"one large row", 41, 40, 30, 0, 7, false,
                      "float-f16-rows", 20}}) {
    SCOPED_TRACE(d.what);
    std::vector<uint8_t> a(size_t(d.M) * d.K), b(size_t(d.K) * d.N);
    auto intCode = [&](int v) {
      return uint8_t(num::encode(i4, float(v), num::Rounding::NearestLinear));
    };
    for (auto &x : a)
      x = uint8_t(d.constant ? d.aMax : rng() % (d.aMax + 1));
    for (int k = 0; d.hotRow >= 0 && k < d.K; ++k)
      a[size_t(d.hotRow) * d.K + k] = 15;
    bool bConstant = d.constant || d.hotRow >= 0;
    for (auto &x : b)
      x = intCode(bConstant ? int(d.bMax)
                            : int(rng() % (2 * d.bMax + 1)) - int(d.bMax));
    auto wa = widen(a), wb = widen(b);
    float sa = 0.5f, sb = 0.25f;
    num::QOperand RA{u4, wa.data(), num::ScaleLayout::Tensor, &sa, 0, 1.0f};
    num::QOperand RB{i4, wb.data(), num::ScaleLayout::Tensor, &sb, 0, 1.0f};
    std::vector<float> ref(size_t(d.M) * d.N), exact(ref.size());
    ASSERT_EQ(num::referenceGemm(d.M, d.N, d.K, RA, RB, {AccumKind::F16, 0},
                                 ref.data()),
              "");
    ASSERT_EQ(num::referenceGemm(d.M, d.N, d.K, RA, RB, {AccumKind::Exact, 0},
                                 exact.data()),
              "");
    if (bConstant) // the constructed cases: FP16 must round somewhere
      EXPECT_NE(std::memcmp(ref.data(), exact.data(), ref.size() * 4), 0)
          << "FP16 rounds these sums";
    Storage store(a, b, d.M, d.N, d.K, /*packable=*/true);
    for (auto [variant, threads] :
         std::vector<std::pair<int, int>>{{0, 1}, {0, 3}, {1, 2}, {2, 1}}) {
      SCOPED_TRACE("variant " + std::to_string(variant) + " threads " +
                   std::to_string(threads));
      kernels::Operand A{u4, a.data(), CodeLayout::Byte,
                         num::ScaleLayout::Tensor, &sa};
      kernels::Operand B{i4, b.data(), CodeLayout::Byte,
                         num::ScaleLayout::Tensor, &sb};
      store.use(variant, A, B);
      const char *path = "";
      kernels::Options opts;
      opts.threads = threads;
      opts.pathTaken = &path;
      std::vector<float> out(ref.size(), -1.0f);
      ASSERT_EQ(kernels::gemm(d.M, d.N, d.K, A, B, {AccumKind::F16, 0},
                              out.data(), opts),
                "");
      EXPECT_STREQ(path, d.path);
      EXPECT_EQ(std::memcmp(out.data(), ref.data(), out.size() * 4), 0);
    }
  }
}

// Chunked FP16 (C43) on the integer kernels: a chunk's partial sums are
// differences of prefix sums, so the prefix sums must stay within half of
// FP16's exact integers. Constant 15 x 7 = 105: 6 terms (prefix 630) stand
// on the integers; 12 terms (prefix 1260, chunk partials up to 840 -- exact,
// but the kernel cannot know) go to the float kernel. Bit-exact either way.
TEST(KernelGemm, F16ChunkedOnIntegersWithinHalfTheLimit) {
  if (kernels::detectIsa() < Isa::AVX512)
    GTEST_SKIP() << "the integer FP16 path needs AVX-512 VNNI";
  Format u4 = Format::uint(4), i4 = Format::sint(4);
  for (auto [K, chunk, expected] :
       std::vector<std::tuple<int, int, const char *>>{
           {6, 4, "exact-int"}, {12, 8, "float-f16"}, {40, 3, "float-f16"}}) {
    SCOPED_TRACE("K " + std::to_string(K));
    int M = 9, N = 20;
    uint8_t b7 = uint8_t(num::encode(i4, 7.0f, num::Rounding::NearestLinear));
    std::vector<uint8_t> a(size_t(M) * K, 15), b(size_t(K) * N, b7);
    auto wa = widen(a), wb = widen(b);
    float sa = 0.5f, sb = 0.25f;
    num::QOperand RA{u4, wa.data(), num::ScaleLayout::Tensor, &sa, 0, 1.0f};
    num::QOperand RB{i4, wb.data(), num::ScaleLayout::Tensor, &sb, 0, 1.0f};
    Accumulation acc{AccumKind::F16Chunked, chunk};
    std::vector<float> ref(size_t(M) * N);
    ASSERT_EQ(num::referenceGemm(M, N, K, RA, RB, acc, ref.data()), "");
    kernels::Operand A{u4, a.data(), CodeLayout::Byte,
                       num::ScaleLayout::Tensor, &sa};
    kernels::Operand B{i4, b.data(), CodeLayout::Byte,
                       num::ScaleLayout::Tensor, &sb};
    const char *path = "";
    kernels::Options opts;
    opts.pathTaken = &path;
    std::vector<float> out(ref.size(), -1.0f);
    ASSERT_EQ(kernels::gemm(M, N, K, A, B, acc, out.data(), opts), "");
    EXPECT_STREQ(path, expected);
    EXPECT_EQ(std::memcmp(out.data(), ref.data(), out.size() * 4), 0);
  }
}

// FP16 accumulation with a sparse A runs row by row over A's nonzero values
// (at most 60 % of A nonzero): bit-exact with the reference for every
// layout, thread count and ISA, including all-zero A, products FP16 must
// round (log<4,5> x int8, int8 x int8), tails in every dimension and rows
// wider than the 256-column register block; denser A keeps the panel kernel.
TEST(KernelGemm, F16SparseRowsAreBitExact) {
  std::mt19937 rng(21);
  Accumulation f16{AccumKind::F16, 0};
  Format log4 = Format::log(4, 3, 0), log4p = Format::log(4, 3, 1),
         log45 = Format::log(4, 5, 0), i4 = Format::sint(4),
         u4 = Format::uint(4), e2m1 = Format::fp4e2m1(), i8 = Format::sint(8);
  const std::array<int, 3> shapes[] = {
      {1, 1, 1}, {7, 33, 19}, {13, 17, 64}, {11, 300, 37}, {37, 45, 50}};
  for (auto [fa, fb] : std::vector<std::pair<Format, Format>>{
           {log4, i4}, {u4, log4}, {log4p, u4}, {e2m1, e2m1}, {log45, i8},
           {i8, i8}})
    for (auto [M, N, K] : shapes)
      for (double zeros : {0.55, 0.9, 1.0})
        checkGemm({fa, fb, f16}, M, N, K, rng, num::ScaleLayout::Tensor,
                  num::ScaleLayout::Tensor, false, zeros, "float-f16-rows");
  // Per-row / per-column scales, and a dense A (random codes) on the panels.
  checkGemm({log4, i4, f16}, 29, 70, 41, rng, num::ScaleLayout::Outer,
            num::ScaleLayout::Outer, false, 0.7, "float-f16-rows");
  checkGemm({log4, i4, f16}, 29, 70, 41, rng, num::ScaleLayout::Tensor,
            num::ScaleLayout::Tensor, false, 0.0, "float-f16");
}

// The same row kernel under chunked FP16 accumulation (C43): each chunk's
// nonzero terms are one FP16 sum, the chunk sums added in float32. Chunks of
// 1, 3 (chunk boundaries inside every run of nonzeros), the overflow-free
// 32/64 of the recipe, and longer than K (= plain F16 then a conversion).
TEST(KernelGemm, F16ChunkedSparseRowsAreBitExact) {
  std::mt19937 rng(22);
  Format log4 = Format::log(4, 3, 0), log4p = Format::log(4, 3, 1),
         i4 = Format::sint(4), u4 = Format::uint(4), i8 = Format::sint(8);
  const std::array<int, 3> shapes[] = {
      {1, 1, 1}, {7, 33, 19}, {13, 17, 64}, {11, 300, 37}, {37, 45, 150}};
  for (int chunk : {1, 3, 32, 64, 1000})
    for (auto [fa, fb] : std::vector<std::pair<Format, Format>>{
             {log4, i4}, {u4, log4p}, {i8, i8}})
      for (auto [M, N, K] : shapes)
        for (double zeros : {0.55, 0.9, 1.0})
          checkGemm({fa, fb, {AccumKind::F16Chunked, chunk}}, M, N, K, rng,
                    num::ScaleLayout::Tensor, num::ScaleLayout::Tensor, false,
                    zeros, "float-f16-rows");
  checkGemm({log4, i4, {AccumKind::F16Chunked, 8}}, 29, 70, 41, rng,
            num::ScaleLayout::Outer, num::ScaleLayout::Outer, false, 0.7,
            "float-f16-rows");
  checkGemm({log4, i4, {AccumKind::F16Chunked, 8}}, 29, 70, 41, rng,
            num::ScaleLayout::Tensor, num::ScaleLayout::Tensor, false, 0.0,
            "float-f16");
}

TEST(KernelGemm, PerRowAndPerColumnScales) {
  std::mt19937 rng(6);
  for (AccumKind k : {AccumKind::F32, AccumKind::F16, AccumKind::Exact})
    checkGemm({Format::uint(4), Format::sint(4), {k, 0}}, 19, 45, 77, rng,
              num::ScaleLayout::Outer, num::ScaleLayout::Outer);
}

// MX/NVFP4-style block scales along K (with a tail block, per-tensor scales,
// the other operand per block or per column), f32 and f16 accumulation:
// bit-exact with the reference at any thread count.
TEST(KernelGemm, BlockScales) {
  std::mt19937 rng(7);
  int M = 13, N = 37, K = 70;
  Format e2m1 = Format::fp4e2m1();
  auto a = randomCodes(e2m1, size_t(M) * K, rng);
  auto b = randomCodes(e2m1, size_t(K) * N, rng);
  auto wa = widen(a), wb = widen(b);
  for (int bs : {32, 16})
    for (AccumKind k : {AccumKind::F32, AccumKind::F16})
      for (bool bothBlocked : {true, false}) {
        int nb = (K + bs - 1) / bs;
        std::vector<float> sa(size_t(M) * nb),
            sb(bothBlocked ? size_t(nb) * N : size_t(N));
        for (auto &s : sa)
          s = std::ldexp(1.0f, int(rng() % 8) - 4) * (1 + (rng() % 3) / 4.0f);
        for (auto &s : sb)
          s = std::ldexp(1.0f, int(rng() % 8) - 4);
        auto lb = bothBlocked ? num::ScaleLayout::BlockK : num::ScaleLayout::Outer;
        Accumulation acc{k, 0};
        std::vector<float> ref(size_t(M) * N), out(size_t(M) * N);
        ASSERT_EQ(num::referenceGemm(
                      M, N, K,
                      {e2m1, wa.data(), num::ScaleLayout::BlockK, sa.data(), bs, 0.5f},
                      {e2m1, wb.data(), lb, sb.data(), bs, 3.0f}, acc, ref.data()),
                  "");
        for (int threads : {1, 2}) {
          SCOPED_TRACE("bs=" + std::to_string(bs) + " " +
                       std::string(num::accumName(k)) +
                       " both=" + std::to_string(bothBlocked) +
                       " threads=" + std::to_string(threads));
          const char *path = "";
          kernels::Options opts;
          opts.threads = threads;
          opts.pathTaken = &path;
          ASSERT_EQ(kernels::gemm(M, N, K,
                                  {e2m1, a.data(), CodeLayout::Byte,
                                   num::ScaleLayout::BlockK, sa.data(), bs, 0.5f},
                                  {e2m1, b.data(), CodeLayout::Byte, lb,
                                   sb.data(), bs, 3.0f},
                                  acc, out.data(), opts),
                    "");
          // Block scales keep the float kernels (f32: FMA, f16: FP16
          // rounding per block partial), never the integer or row kernels.
          EXPECT_STREQ(path, k == AccumKind::F32 ? "float" : "float-f16");
          EXPECT_EQ(std::memcmp(out.data(), ref.data(), out.size() * 4), 0);
        }
      }
}

// FP8 formats have NaN (and E5M2 Inf) codes; data without them takes the
// fast f32 path, data with them the reference: both bit-exact.
TEST(KernelGemm, Fp8WithAndWithoutNonFiniteCodes) {
  std::mt19937 rng(9);
  int M = 11, N = 35, K = 90;
  for (auto [fa, fb] : std::vector<std::pair<Format, Format>>{
           {Format::fp8e4m3(), Format::fp8e4m3()},
           {Format::fp8e4m3(), Format::fp8e5m2()}})
    for (bool withNaN : {false, true}) {
      auto pick = [&](const Format &f, size_t n) {
        std::vector<uint8_t> c(n);
        for (auto &x : c)
          do
            x = uint8_t(rng() % 256);
          while (!std::isfinite(num::decode(f, x)));
        if (withNaN)
          c[n / 2] = f.kind == num::FormatKind::FP8E4M3 ? 0x7F : 0x7E;
        return c;
      };
      auto a = pick(fa, size_t(M) * K), b = pick(fb, size_t(K) * N);
      auto wa = widen(a), wb = widen(b);
      float s = 0.75f;
      std::vector<float> ref(size_t(M) * N), out(size_t(M) * N);
      Accumulation acc{AccumKind::F32, 0};
      ASSERT_EQ(num::referenceGemm(M, N, K,
                                   {fa, wa.data(), num::ScaleLayout::Tensor, &s, 0, 1.0f},
                                   {fb, wb.data(), num::ScaleLayout::Tensor, &s, 0, 1.0f},
                                   acc, ref.data()),
                "");
      for (int threads : {1, 2}) {
        const char *path = "";
        kernels::Options opts;
        opts.threads = threads;
        opts.pathTaken = &path;
        ASSERT_EQ(kernels::gemm(M, N, K,
                                {fa, a.data(), CodeLayout::Byte,
                                 num::ScaleLayout::Tensor, &s},
                                {fb, b.data(), CodeLayout::Byte,
                                 num::ScaleLayout::Tensor, &s},
                                acc, out.data(), opts),
                  "");
        EXPECT_STREQ(path, withNaN ? "reference" : "float")
            << fa.str() << " x " << fb.str();
        EXPECT_EQ(std::memcmp(out.data(), ref.data(), out.size() * 4), 0)
            << fa.str() << " x " << fb.str() << " nan=" << withNaN;
      }
    }
}

TEST(KernelGemm, PathSelection) {
  Format i4 = Format::sint(4), log4 = Format::log(4, 3, 0);
  EXPECT_STREQ(kernels::gemmPath(log4, i4, {AccumKind::Exact, 0}),
               "exact-int");
  EXPECT_STREQ(kernels::gemmPath(log4, i4, {AccumKind::F32, 0}), "float");
  // f32 sums of uint4 x int4 products stay exact in float32 for K < 2^24/105.
  EXPECT_STREQ(kernels::gemmPath(Format::uint(4), i4, {AccumKind::F32, 0},
                                 1024, 1024, 1024),
               "exact-int");
  EXPECT_STREQ(kernels::gemmPath(Format::uint(4), i4, {AccumKind::F32, 0},
                                 16, 64, 200000),
               "float");
  EXPECT_STREQ(kernels::gemmPath(log4, i4, {AccumKind::F32, 0}, 1024, 1024,
                                 1024),
               "float");
  EXPECT_STREQ(kernels::gemmPath(log4, i4, {AccumKind::F16, 0}), "float-f16");
  // E4M3 has NaN codes: it takes the reference path (NaN signs of SIMD
  // arithmetic are not the scalar reference's).
  EXPECT_STREQ(kernels::gemmPath(Format::fp8e4m3(), Format::fp8e4m3(),
                                 {AccumKind::Exact, 0}),
               "reference");
  EXPECT_STREQ(kernels::gemmPath(Format::fp8e4m3(), Format::fp8e4m3(),
                                 {AccumKind::F32, 0}),
               "reference");
  EXPECT_STREQ(kernels::gemmPath(Format::fp4e2m1(), Format::fp4e2m1(),
                                 {AccumKind::F16, 0}),
               "float-f16");
}

TEST(KernelGemm, Errors) {
  uint8_t codes[4] = {0, 1, 2, 3};
  float out[4];
  kernels::Operand A{Format::sint(8), codes, CodeLayout::Packed4};
  kernels::Operand B{Format::sint(4), codes};
  EXPECT_NE(kernels::gemm(2, 2, 1, A, B, {AccumKind::F32, 0}, out).find(
                "wider than 4 bits"),
            std::string::npos);
  kernels::Operand L{Format::log(2, 7, 0), codes};
  EXPECT_NE(kernels::gemm(2, 2, 1, L, L, {AccumKind::Exact, 0}, out), "");
  EXPECT_NE(kernels::gemm(-1, 2, 1, B, B, {AccumKind::F32, 0}, out), "");
}

// Per-tap runs (dilationW 2) and window-row runs (dilationW 1) of im2col,
// byte and packed codes (C = 3: runs start at odd nibbles), on rows split
// over 1 and 2 threads; large enough (M·K >= 2^16) for the split.
class KernelConv : public ::testing::TestWithParam<int> {};

TEST_P(KernelConv, MatchesReferenceConvolution) {
  std::mt19937 rng(8);
  num::ConvShape s;
  s.N = 2, s.H = 9, s.W = 8, s.C = 3, s.KH = 3, s.KW = 2, s.F = 5;
  s.strideH = 2, s.dilationW = GetParam();
  if (GetParam() == 1) // the im2col is split over the threads
    s.N = 40, s.H = 20, s.W = 20, s.KW = 3;
  Format u4 = Format::uint(4), i4 = Format::sint(4);
  auto in = randomCodes(u4, size_t(s.N) * s.H * s.W * s.C, rng);
  std::vector<uint8_t> packedIn((in.size() + 1) / 2);
  kernels::packCodes4(in.data(), in.size(), packedIn.data());
  auto f = randomCodes(i4, size_t(s.KH) * s.KW * s.C * s.F, rng);
  std::vector<float> fs(s.F);
  for (auto &x : fs)
    x = 0.25f * float(1 + rng() % 7);
  float is = 0.75f;
  auto win = widen(in), wf = widen(f);
  size_t outN = size_t(s.N) * s.outH() * s.outW() * s.F;
  for (AccumKind k : {AccumKind::F32, AccumKind::F16, AccumKind::Exact}) {
    std::vector<float> ref(outN), out(outN);
    ASSERT_EQ(num::referenceConv2D(
                  s, {u4, win.data(), num::ScaleLayout::Tensor, &is, 0, 1.0f},
                  {i4, wf.data(), num::ScaleLayout::Outer, fs.data(), 0, 1.0f},
                  {k, 0}, ref.data()),
              "");
    for (int threads : {1, 2})
    for (bool packed : {false, true}) {
      const char *path = "";
      kernels::Options opts;
      opts.threads = threads;
      opts.pathTaken = &path;
      std::fill(out.begin(), out.end(), -1.0f);
      ASSERT_EQ(kernels::conv2d(s,
                                {u4, packed ? packedIn.data() : in.data(),
                                 packed ? CodeLayout::Packed4
                                        : CodeLayout::Byte,
                                 num::ScaleLayout::Tensor, &is},
                                {i4, f.data(), CodeLayout::Byte,
                                 num::ScaleLayout::Outer, fs.data()},
                                {k, 0}, out.data(), opts),
                "");
      // The im2col GEMM takes the fast paths of uint4 x int4.
      expectPath(path, expectedPaths({u4, i4, {k, 0}}, opts.isa, false, false));
      EXPECT_EQ(std::memcmp(out.data(), ref.data(), outN * 4), 0)
          << num::accumName(k) << " threads " << threads << " packed "
          << packed;
    }
  }
}
INSTANTIATE_TEST_SUITE_P(DilationW, KernelConv, ::testing::Values(1, 2));

} // namespace

namespace {
// Large f32-accumulation GEMMs of small-integer codes run on the integer
// kernels (every f32 partial sum is provably exact); still the reference's
// bits. Extreme operands make the partial sums as large as possible.
TEST(KernelGemm, LargeF32GemmOnIntegerKernels) {
  std::mt19937 rng(10);
  int M = 512, N = 512, K = 520;
  Format u4 = Format::uint(4), i4 = Format::sint(4);
  ASSERT_STREQ(kernels::gemmPath(u4, i4, {AccumKind::F32, 0}, M, N, K),
               "exact-int");
  for (bool extreme : {false, true}) {
    auto a = randomCodes(u4, size_t(M) * K, rng, extreme);
    auto b = randomCodes(i4, size_t(K) * N, rng, extreme);
    auto wa = widen(a), wb = widen(b);
    float sa = 0.3f, sb = 1.7f;
    std::vector<float> ref(size_t(M) * N), out(size_t(M) * N);
    Accumulation acc{AccumKind::F32, 0};
    ASSERT_EQ(num::referenceGemm(M, N, K,
                                 {u4, wa.data(), num::ScaleLayout::Tensor, &sa, 0, 1.0f},
                                 {i4, wb.data(), num::ScaleLayout::Tensor, &sb, 0, 1.0f},
                                 acc, ref.data()),
              "");
    const char *path = "";
    kernels::Options opts;
    opts.threads = 2;
    opts.pathTaken = &path;
    ASSERT_EQ(kernels::gemm(M, N, K,
                            {u4, a.data(), CodeLayout::Byte,
                             num::ScaleLayout::Tensor, &sa},
                            {i4, b.data(), CodeLayout::Byte,
                             num::ScaleLayout::Tensor, &sb},
                            acc, out.data(), opts),
              "");
    // K·15·7 = 54600 < 2^24: every f32 partial sum is exact, whatever the
    // data, so the integer kernels run.
    EXPECT_STREQ(path, "exact-int");
    EXPECT_EQ(std::memcmp(out.data(), ref.data(), out.size() * 4), 0)
        << "extreme=" << extreme;
  }
}
} // namespace
