//===- SimTest.cpp - Q4A simulator: functional model and cycle model
//-------===//
//
// Functional: MMA chains against num::dotCodes for every accumulation mode,
// MST against num::referenceGemm's scale rule, QUANT/DEQ against
// num::quantize/dequantize (per-axis groups, stochastic keys), and every
// runtime error kind. Cycle model: durations and scoreboard timelines worked
// out by hand from docs/Simulator.md.
//
//===----------------------------------------------------------------------===//
#include "quant4/Sim/Sim.h"
#include "quant4/Numerics/Numerics.h"
#include "quant4/Target/Q4A/Loops.h"
#include "quant4/Target/Q4A/Synchronize.h"

#include "../Q4AInstrBuilders.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

using namespace quant4;
using namespace quant4::q4a;
using quant4::sim::Simulator;

namespace {

using test::I;

TensorDesc tensor(const std::string &name, DType dt, num::Format fmt,
                  std::vector<uint32_t> shape, uint64_t addr) {
  TensorDesc t;
  t.name = name;
  t.dtype = dt;
  t.format = fmt;
  t.shape = std::move(shape);
  t.address = addr;
  return t;
}

std::vector<uint8_t> codeBytes(const std::vector<uint32_t> &codes, unsigned esz) {
  std::vector<uint8_t> b;
  for (uint32_t c : codes)
    for (unsigned i = 0; i < esz; ++i)
      b.push_back(uint8_t(c >> (8 * i)));
  return b;
}

std::vector<uint8_t> floatBytes(const std::vector<float> &v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::vector<float> asFloats(const std::vector<uint8_t> &b) {
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), b.size());
  return v;
}

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

std::vector<uint32_t> randomCodes(const num::Format &f, size_t n, uint32_t seed) {
  std::mt19937 g(seed);
  std::vector<uint32_t> c(n);
  for (auto &x : c) {
    if (f.kind == num::FormatKind::FP32) {
      float v = std::uniform_real_distribution<float>(-4, 4)(g);
      x = bits(v);
    } else {
      x = g() % f.numCodes();
    }
  }
  return c;
}

/// C[M x N] = A·B through DMA, one MCFG and an MMA chain split along K at
/// `splits`, MST with per-row/column scales, DMA back. Returns C.
std::vector<float> simGemm(const num::Format &fa, const num::Format &fb,
                           num::Accumulation acc, int M, int N, int K,
                           bool ta, bool tb, const std::vector<uint32_t> &A,
                           const std::vector<uint32_t> &B,
                           const std::vector<float> &sa,
                           const std::vector<float> &sb,
                           std::vector<int> splits, std::string *error) {
  unsigned ea = elementBytes(fa), eb = elementBytes(fb);
  Program p;
  p.name = "gemm";
  uint64_t aAddr = 0, bAddr = 0x4000, saAddr = 0x8000, sbAddr = 0x8400,
           cAddr = 0x9000;
  p.dramSize = 0x10000;
  p.inputs.push_back(tensor("a", DType::Code, fa,
                            {uint32_t(ta ? K : M), uint32_t(ta ? M : K)}, aAddr));
  p.inputs.push_back(tensor("b", DType::Code, fb,
                            {uint32_t(tb ? N : K), uint32_t(tb ? K : N)}, bAddr));
  p.inputs.push_back(tensor("sa", DType::F32, {}, {uint32_t(M)}, saAddr));
  p.inputs.push_back(tensor("sb", DType::F32, {}, {uint32_t(N)}, sbAddr));
  p.outputs.push_back(tensor("c", DType::F32, {}, {uint32_t(M), uint32_t(N)},
                             cAddr));
  uint64_t spA = 0, spB = 0x4000, spSa = 0x8000, spSb = 0x8400, spC = 0x9000;
  auto ld = [&](uint64_t sp, uint64_t dram, uint64_t bytes) {
    p.code.push_back(I(Opcode::DMA_LD, {{"sp", sp}, {"dram", dram}, {"rows", 1},
                                        {"bytes", bytes}, {"dstride", bytes},
                                        {"sstride", bytes}}));
  };
  ld(spA, aAddr, uint64_t(M) * K * ea);
  ld(spB, bAddr, uint64_t(K) * N * eb);
  ld(spSa, saAddr, 4 * M);
  ld(spSb, sbAddr, 4 * N);
  p.code.push_back(I(Opcode::SYNC, {{"mask", 0x1f}}));
  p.code.push_back(I(Opcode::MCFG, {{"fa", encodeFormat(fa)},
                                    {"fb", encodeFormat(fb)},
                                    {"acc", uint64_t(acc.kind)},
                                    {"chunk", uint64_t(acc.chunk)}}));
  splits.push_back(K);
  int k0 = 0;
  for (int k1 : splits) {
    if (k1 <= k0)
      continue;
    uint64_t a = ta ? spA + uint64_t(k0) * M * ea : spA + uint64_t(k0) * ea;
    uint64_t b = tb ? spB + uint64_t(k0) * eb : spB + uint64_t(k0) * N * eb;
    p.code.push_back(I(Opcode::MMA, {{"tile", 3}, {"accum", k0 > 0}, {"ta", ta},
                                     {"tb", tb}, {"m", uint64_t(M)},
                                     {"n", uint64_t(N)}, {"k", uint64_t(k1 - k0)},
                                     {"a", a}, {"b", b},
                                     {"lda", uint64_t(ta ? M : K)},
                                     {"ldb", uint64_t(tb ? K : N)}}));
    k0 = k1;
  }
  p.code.push_back(I(Opcode::MST, {{"tile", 3}, {"m", uint64_t(M)},
                                   {"n", uint64_t(N)}, {"d", spC},
                                   {"ldc", uint64_t(N)}, {"sam", 1},
                                   {"sa", spSa}, {"sbm", 1}, {"sb", spSb},
                                   {"ts", 0}}));
  p.code.push_back(I(Opcode::SYNC, {{"mask", 0x1f}}));
  p.code.push_back(I(Opcode::DMA_ST, {{"sp", spC}, {"dram", cAddr}, {"rows", 1},
                                      {"bytes", uint64_t(4 * M * N)},
                                      {"dstride", 0}, {"sstride", 0}}));
  p.code.push_back(I(Opcode::SYNC, {{"mask", 0x1f}}));
  p.code.push_back(I(Opcode::HALT, {}));
  std::string v = p.validate();
  EXPECT_EQ(v, "");
  Simulator s(p);
  auto in = [&](size_t i, const std::vector<uint8_t> &b) {
    std::string e = s.setInput(i, b.data(), b.size());
    EXPECT_EQ(e, "");
  };
  in(0, codeBytes(A, ea));
  in(1, codeBytes(B, eb));
  in(2, floatBytes(sa));
  in(3, floatBytes(sb));
  *error = s.run();
  std::vector<uint8_t> out;
  if (error->empty())
    *error = s.output(0, out);
  return asFloats(out);
}

struct GemmCase {
  num::Format fa, fb;
  num::Accumulation acc;
};

} // namespace

TEST(SimMxu, MmaChainsEqualDotCodesAndMstEqualsScaleRule) {
  using num::AccumKind;
  using num::Format;
  std::vector<GemmCase> cases = {
      {Format::sint(4), Format::sint(4), {AccumKind::F32, 0}},
      {Format::sint(4), Format::sint(4), {AccumKind::Exact, 0}},
      {Format::log(4, 3, 0), Format::sint(4), {AccumKind::F16, 0}},
      {Format::log(4, 3, 1), Format::uint(4), {AccumKind::F16Chunked, 5}},
      {Format::log(4, 3, 0), Format::log(4, 3, 1), {AccumKind::Exact, 0}},
      {Format::uint(4), Format::sint(4), {AccumKind::F16, 0}},
      {Format::fp4e2m1(), Format::fp4e2m1(), {AccumKind::F16Chunked, 8}},
      {Format::fp8e4m3(), Format::fp8e5m2(), {AccumKind::F32, 0}},
      {Format::fp8e4m3(), Format::fp8e4m3(), {AccumKind::Exact, 0}},
      {Format::fp16(), Format::fp16(), {AccumKind::F16, 0}},
      {Format::bf16(), Format::fp16(), {AccumKind::F32, 0}},
      {Format::fp32(), Format::fp32(), {AccumKind::F32, 0}},
  };
  const int M = 5, N = 7, K = 37;
  uint32_t seed = 1;
  for (const GemmCase &c : cases)
    for (int t = 0; t < 4; ++t) {
      bool ta = t & 1, tb = t & 2;
      SCOPED_TRACE(sim::formatPairName(c.fa, c.fb) + " " +
                   std::string(num::accumName(c.acc.kind)) + " ta=" +
                   std::to_string(ta) + " tb=" + std::to_string(tb));
      std::vector<uint32_t> A = randomCodes(c.fa, M * K, seed++);
      std::vector<uint32_t> B = randomCodes(c.fb, K * N, seed++);
      std::vector<float> sa = {0.5f, 3.0f, 0.0f, 1e-3f, 7.25f};
      std::vector<float> sb = {1.0f, 0.125f, 2.0f, -1.0f, 9.0f, 0.3f, 1e30f};
      std::string err;
      std::vector<float> C = simGemm(c.fa, c.fb, c.acc, M, N, K, ta, tb, A, B,
                                     sa, sb, {13, 24}, &err);
      ASSERT_EQ(err, "");
      ASSERT_EQ(C.size(), size_t(M * N));
      for (int i = 0; i < M; ++i)
        for (int j = 0; j < N; ++j) {
          // Logical A(i,k) and B(k,j) from the stored layouts.
          std::vector<uint32_t> ra(K), cb(K);
          for (int k = 0; k < K; ++k) {
            ra[k] = ta ? A[k * M + i] : A[i * K + k];
            cb[k] = tb ? B[j * K + k] : B[k * N + j];
          }
          float dot = num::dotCodes(c.fa, ra.data(), 1, c.fb, cb.data(), 1, K,
                                    c.acc);
          float want = num::scaleDot(dot, sa[i], sb[j], 1.0f);
          // NaN sign/payload bits depend on the compiler's operand order
          // of commutative float adds (docs/Simulator.md): NaN-ness must
          // match, every other value bit for bit.
          if (std::isnan(want))
            EXPECT_TRUE(std::isnan(C[i * N + j])) << "C(" << i << "," << j << ")";
          else
            EXPECT_EQ(bits(C[i * N + j]), bits(want))
                << "C(" << i << "," << j << ")";
        }
    }
}

TEST(SimMxu, MatchesReferenceGemmWithOuterScales) {
  const int M = 6, N = 4, K = 50;
  num::Format fa = num::Format::log(4, 3, 0), fb = num::Format::sint(4);
  std::vector<uint32_t> A = randomCodes(fa, M * K, 77), B = randomCodes(fb, K * N, 78);
  std::vector<float> sa = {0.5f, 2.0f, 0.25f, 1.5f, 3.0f, 0.75f};
  std::vector<float> sb = {0.1f, 0.2f, 0.3f, 0.4f};
  num::Accumulation acc{num::AccumKind::F16, 0};
  std::string err;
  std::vector<float> C = simGemm(fa, fb, acc, M, N, K, false, false, A, B, sa, sb,
                                 {1, 2, 49}, &err);
  ASSERT_EQ(err, "");
  num::QOperand qa{fa, A.data(), num::ScaleLayout::Outer, sa.data()};
  num::QOperand qb{fb, B.data(), num::ScaleLayout::Outer, sb.data()};
  std::vector<float> ref(M * N);
  ASSERT_EQ(num::referenceGemm(M, N, K, qa, qb, acc, ref.data()), "");
  for (int i = 0; i < M * N; ++i)
    EXPECT_EQ(bits(C[i]), bits(ref[i])) << i;
}

namespace {

/// A program with one f32 input x[n] at DRAM 0, scales at 0x1000, and the
/// given instructions between loading x (SP 0x100) / scales (SP 0x40) and
/// storing `outBytes` from SP 0x2000 to the output.
Program sfuProgram(uint32_t n, uint32_t nScales, std::vector<Instr> body,
                   DType outType, num::Format outFmt) {
  Program p;
  p.name = "sfu";
  p.dramSize = 0x8000;
  p.inputs.push_back(tensor("x", DType::F32, {}, {n}, 0));
  p.inputs.push_back(tensor("s", DType::F32, {}, {nScales}, 0x1000));
  p.outputs.push_back(tensor("y", outType, outFmt, {n}, 0x4000));
  p.code.push_back(I(Opcode::DMA_LD, {{"sp", 0x100}, {"dram", 0}, {"rows", 1},
                                      {"bytes", 4 * n}, {"dstride", 0},
                                      {"sstride", 0}}));
  p.code.push_back(I(Opcode::DMA_LD, {{"sp", 0x40}, {"dram", 0x1000},
                                      {"rows", 1}, {"bytes", 4 * nScales},
                                      {"dstride", 0}, {"sstride", 0}}));
  p.code.push_back(I(Opcode::SYNC, {{"mask", 0x1f}}));
  for (Instr &in : body)
    p.code.push_back(in);
  p.code.push_back(I(Opcode::SYNC, {{"mask", 0x1f}}));
  uint64_t bytes = p.outputs[0].byteSize();
  p.code.push_back(I(Opcode::DMA_ST, {{"sp", 0x2000}, {"dram", 0x4000},
                                      {"rows", 1}, {"bytes", bytes},
                                      {"dstride", 0}, {"sstride", 0}}));
  p.code.push_back(I(Opcode::HALT, {}));
  return p;
}

std::string runProgram(const Program &p,
                       const std::vector<std::vector<uint8_t>> &inputs,
                       std::vector<uint8_t> *out, sim::Options o = {}) {
  Simulator s(p, o);
  for (size_t i = 0; i < inputs.size(); ++i)
    if (std::string e = s.setInput(i, inputs[i].data(), inputs[i].size());
        !e.empty())
      return e;
  if (std::string e = s.run(); !e.empty())
    return e;
  return out ? s.output(0, *out) : "";
}

} // namespace

TEST(SimSfu, QuantizePerAxisStochasticEqualsNumerics) {
  // x is 4 x 6, per-row scales (axis 0: inner = 6, len = 4), stochastic
  // rounding with seed 99 / stream 5, scale multiplied by f[ts] = 0.5.
  const uint32_t n = 24;
  std::vector<float> x(n), sc = {0.3f, 1.0f, 2.5f, 0.01f};
  for (uint32_t i = 0; i < n; ++i)
    x[i] = std::sin(float(i)) * float(i % 5);
  num::Format fmt = num::Format::log(4, 3, 1);
  std::vector<Instr> body = {
      I(Opcode::LI, {{"xd", 6}, {"imm", 99}}),
      I(Opcode::LI, {{"xd", 7}, {"imm", 5}}),
      I(Opcode::LI, {{"xd", 8}, {"imm", 6 | (uint64_t(4) << 32)}}),
      I(Opcode::LI, {{"xd", 9}, {"imm", 0}}),
      I(Opcode::LIF, {{"fd", 3}, {"imm", bits(0.5f)}}),
      I(Opcode::QUANT, {{"fmt", encodeFormat(fmt)},
                        {"rnd", uint64_t(num::Rounding::Stochastic)},
                        {"n", n}, {"d", 0x2000}, {"s", 0x100}, {"sc", 0x40},
                        {"key", 6}, {"grp", 8}, {"ts", 3}})};
  Program p = sfuProgram(n, 4, body, DType::Code, fmt);
  ASSERT_EQ(p.validate(), "");
  std::vector<uint8_t> out;
  ASSERT_EQ(runProgram(p, {floatBytes(x), floatBytes(sc)}, &out), "");
  ASSERT_EQ(out.size(), n);
  for (uint32_t i = 0; i < n; ++i) {
    float s = sc[i / 6] * 0.5f;
    uint32_t want = num::quantize(fmt, x[i], s, num::Rounding::Stochastic,
                                  {99, 5}, i);
    EXPECT_EQ(out[i], want) << i;
  }
}

TEST(SimSfu, DequantizeWithIndexBaseEqualsNumerics) {
  // quant to int4 codes in SP, then deq of those codes.
  const uint32_t n = 10;
  std::vector<float> x = {0, 1, -2, 3.5f, -7, 8, 100, -0.2f, 0.6f, 4};
  std::vector<float> sc = {0.5f, 2.0f};
  num::Format fmt = num::Format::sint(4);
  std::vector<Instr> body = {
      // Column groups of 5 (inner 5, len 2) starting at element 0.
      I(Opcode::LI, {{"xd", 3}, {"imm", 5 | (uint64_t(2) << 32)}}),
      I(Opcode::QUANT, {{"fmt", encodeFormat(fmt)}, {"rnd", 0}, {"n", n},
                        {"d", 0x1000}, {"s", 0x100}, {"sc", 0x40},
                        {"key", 0}, {"grp", 3}, {"ts", 0}}),
      I(Opcode::DEQ, {{"fmt", encodeFormat(fmt)}, {"n", n}, {"d", 0x2000},
                      {"s", 0x1000}, {"sc", 0x40}, {"grp", 3}, {"ts", 0}})};
  Program p = sfuProgram(n, 2, body, DType::F32, {});
  ASSERT_EQ(p.validate(), "");
  std::vector<uint8_t> out;
  ASSERT_EQ(runProgram(p, {floatBytes(x), floatBytes(sc)}, &out), "");
  std::vector<float> y = asFloats(out);
  for (uint32_t i = 0; i < n; ++i) {
    float s = sc[i / 5];
    uint32_t c = num::quantize(fmt, x[i], s, num::Rounding::NearestLinear);
    EXPECT_EQ(bits(y[i]), bits(num::dequantize(fmt, c, s))) << i;
  }
}

TEST(SimSfu, ScalePoliciesEqualNumerics) {
  const uint32_t n = 16;
  std::vector<float> x(n);
  for (uint32_t i = 0; i < n; ++i)
    x[i] = float(int(i) - 7) * 0.37f;
  num::Format i4 = num::Format::sint(4), u4 = num::Format::uint(4),
              l4 = num::Format::log(4, 3, 0);
  std::vector<Instr> body = {
      I(Opcode::VRED, {{"red", 3},
                       {"axis", 0},
                       {"init", 0},
                       {"rows", 1},
                       {"cols", n},
                       {"d", 0x80},
                       {"s", 0x100}}),
      I(Opcode::SYNC, {{"mask", 0x1f}}),
      I(Opcode::FLD, {{"fd", 1}, {"addr", 0x80}}),
      I(Opcode::FLD, {{"fd", 2}, {"addr", 0x40}}),
      I(Opcode::SAMAX,
        {{"fd", 3}, {"fa", 1}, {"fmt", encodeFormat(i4)}, {"pow2", 1}}),
      I(Opcode::SGRAD,
        {{"fd", 4}, {"fs", 2}, {"fa", 1}, {"fmt", encodeFormat(l4)}}),
      I(Opcode::SSAWB,
        {{"fd", 5}, {"fmt", encodeFormat(i4)}, {"s", 0x100}, {"n", n}}),
      // The same scale from chunks (ISA 1.2): something to forget, then x in
      // two pieces, the second starting in lane 5.
      I(Opcode::SAWB_ACC, {{"s", 0x80}, {"n", 1}, {"lane", 0}, {"init", 1}}),
      I(Opcode::SAWB_ACC, {{"s", 0x100}, {"n", 5}, {"lane", 0}, {"init", 1}}),
      I(Opcode::SAWB_ACC,
        {{"s", 0x114}, {"n", n - 5}, {"lane", 5}, {"init", 0}}),
      I(Opcode::SAWB_FIN, {{"fd", 10}, {"fmt", encodeFormat(i4)}}),
      I(Opcode::SPACT, {{"fd", 6}, {"fa", 2}, {"fmt", encodeFormat(u4)}}),
      I(Opcode::SDLY, {{"fd", 7},
                       {"fs", 2},
                       {"fmt", encodeFormat(i4)},
                       {"pow2", 0},
                       {"margin", uint64_t(int64_t(-1))},
                       {"h", 4},
                       {"hist", 0x100}}),
      I(Opcode::HPUSH, {{"fa", 1}, {"h", 4}, {"hist", 0x100}}),
      I(Opcode::SYNC, {{"mask", 0x1f}}),
      I(Opcode::FST, {{"fs", 3}, {"addr", 0x2000}}),
      I(Opcode::FST, {{"fs", 4}, {"addr", 0x2004}}),
      I(Opcode::FST, {{"fs", 5}, {"addr", 0x2008}}),
      I(Opcode::FST, {{"fs", 6}, {"addr", 0x200c}}),
      I(Opcode::FST, {{"fs", 7}, {"addr", 0x2010}}),
      I(Opcode::FLD, {{"fd", 8}, {"addr", 0x100}}),
      I(Opcode::FLD, {{"fd", 9}, {"addr", 0x104}}),
      I(Opcode::FST, {{"fs", 8}, {"addr", 0x2014}}),
      I(Opcode::FST, {{"fs", 9}, {"addr", 0x2018}}),
      I(Opcode::FST, {{"fs", 10}, {"addr", 0x201c}}),
  };
  for (int i = 8; i < 16; ++i)
    body.push_back(I(Opcode::FST, {{"fs", 0}, {"addr", 0x2000 + 4u * i}}));
  Program p = sfuProgram(n, 1, body, DType::F32, {});
  ASSERT_EQ(p.validate(), "");
  std::vector<uint8_t> out;
  std::vector<float> state = {0.8f};
  ASSERT_EQ(runProgram(p, {floatBytes(x), floatBytes(state)}, &out), "");
  std::vector<float> y = asFloats(out);
  float amax = num::amaxOf(x.data(), n);
  EXPECT_EQ(bits(y[0]), bits(num::amaxScale(i4, amax, true)));
  EXPECT_EQ(bits(y[1]), bits(num::gradScaleUpdate(l4, 0.8f, amax)));
  EXPECT_EQ(bits(y[2]), bits(num::sawbScale(x.data(), n, 4)));
  EXPECT_EQ(bits(y[3]), bits(num::pactScale(0.8f, 4)));
  EXPECT_EQ(bits(y[4]), bits(num::delayedScale(i4, x.data(), 4, -1, 0.8f)));
  EXPECT_EQ(bits(y[5]), bits(amax)); // hpush: newest first
  EXPECT_EQ(bits(y[6]), bits(x[0]));
  EXPECT_EQ(bits(y[7]), bits(num::sawbScale(x.data(), n, 4)));
}

TEST(SimVpu, VopReductionsTransposeEqualIsaFunctions) {
  const uint32_t n = 12;
  std::vector<float> x(n);
  for (uint32_t i = 0; i < n; ++i)
    x[i] = float(int(i) - 5) / 3.0f;
  std::vector<Instr> body = {
      I(Opcode::LIF, {{"fd", 1}, {"imm", bits(0.25f)}}),
      // y = exp(x) * 0.25 - x, then per-row sums of y as 3 x 4, transposed.
      I(Opcode::VOP, {{"fn", uint64_t(VFn::Exp)}, {"n", n}, {"d", 0x400}, {"a", 0x100}}),
      I(Opcode::VOP, {{"fn", uint64_t(VFn::Mul)}, {"n", n}, {"d", 0x400},
                      {"a", 0x400}, {"b", 1}, {"rb", 1}}),
      I(Opcode::VOP, {{"fn", uint64_t(VFn::Sub)}, {"n", n}, {"d", 0x400},
                      {"a", 0x400}, {"b", 0x100}}),
      I(Opcode::VTR, {{"esz", 2}, {"rows", 3}, {"cols", 4}, {"d", 0x2000}, {"s", 0x400}}),
      I(Opcode::VRED, {{"red", 0}, {"axis", 1}, {"init", 0}, {"rows", 3},
                       {"cols", 4}, {"d", 0x600}, {"s", 0x400}}),
  };
  Program p = sfuProgram(n, 1, body, DType::F32, {});
  ASSERT_EQ(p.validate(), "");
  std::vector<uint8_t> out;
  std::vector<float> one = {1.0f};
  ASSERT_EQ(runProgram(p, {floatBytes(x), floatBytes(one)}, &out), "");
  std::vector<float> yt = asFloats(out);
  std::vector<float> y(n);
  for (uint32_t i = 0; i < n; ++i)
    y[i] = applyVFn(VFn::Sub, applyVFn(VFn::Mul, applyVFn(VFn::Exp, x[i]), 0.25f), x[i]);
  for (uint32_t r = 0; r < 3; ++r)
    for (uint32_t c = 0; c < 4; ++c)
      EXPECT_EQ(bits(yt[c * 3 + r]), bits(y[r * 4 + c]));
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST(SimErrors, UninitialisedScratchpadReadNamesTheInstruction) {
  std::vector<Instr> body = {
      I(Opcode::VOP, {{"fn", uint64_t(VFn::Add)}, {"n", 4}, {"d", 0x2000},
                      {"a", 0x100}, {"b", 0x3000}})};
  Program p = sfuProgram(4, 1, body, DType::F32, {});
  std::vector<float> x = {1, 2, 3, 4}, s = {1};
  std::string e = runProgram(p, {floatBytes(x), floatBytes(s)}, nullptr);
  EXPECT_NE(e.find("pc 3 (vop fn=add, n=4"), std::string::npos) << e;
  EXPECT_NE(e.find("reads uninitialised scratchpad bytes [0x3000, 0x3004) "
                   "(operand b, element 0)"),
            std::string::npos)
      << e;
}

TEST(SimErrors, UninitialisedDramAndOutputs) {
  Program p;
  p.name = "u";
  p.dramSize = 0x1000;
  p.outputs.push_back(tensor("y", DType::F32, {}, {4}, 0x100));
  p.code.push_back(I(Opcode::DMA_LD, {{"sp", 0}, {"dram", 0x800}, {"rows", 2},
                                      {"bytes", 8}, {"dstride", 16},
                                      {"sstride", 8}}));
  p.code.push_back(I(Opcode::HALT, {}));
  ASSERT_EQ(p.validate(), "");
  std::string e = runProgram(p, {}, nullptr);
  EXPECT_NE(e.find("pc 0 (dma.ld sp=0x0, dram=0x800"), std::string::npos) << e;
  EXPECT_NE(e.find("reads uninitialised DRAM bytes [0x800, 0x808) (DMA source "
                   "row)"),
            std::string::npos)
      << e;
  // A program that never writes its output.
  p.code.erase(p.code.begin());
  std::vector<uint8_t> out;
  e = runProgram(p, {}, &out);
  EXPECT_NE(e.find("output 'y' has 16 of its 16 byte(s) never written"),
            std::string::npos)
      << e;
}

// dma.stp / dma.ldp (docs/ISA.md §6.3): codes two per DRAM byte, low
// nibble first, `dram` and `dstride` in nibbles. Worked by hand: code 10
// stored at nibble 2 of the packed area (byte 1's low nibble), then codes
// 1..6 in two rows of 3 from nibble 3 with a stride of 4 nibbles (row 2 at
// nibble 7, skipping byte 3's low nibble): bytes 1..4 become 0x1A 0x32 0x40
// 0x65 (the second store keeps byte 1's low nibble). Loading the same rows
// back gives 1..6; a store of an SP byte above 15 is an error.
TEST(SimDma, PackedCodesTwoPerByteLowNibbleFirst) {
  num::Format u4 = num::Format::uint(4);
  const uint64_t area = 0x300; // the packed area: nibble 2 * area + i
  Program p;
  p.name = "packed";
  p.dramSize = 0x1000;
  p.inputs.push_back(tensor("c", DType::Code, u4, {7}, 0x100));
  p.outputs.push_back(tensor("back", DType::Code, u4, {6}, 0x200));
  p.outputs.push_back(tensor("raw", DType::U8, {}, {4}, area + 1));
  auto dma = [](Opcode op, uint64_t sp, uint64_t dram, uint64_t rows,
                uint64_t n, uint64_t ds, uint64_t ss) {
    return I(op, {{"sp", sp},
                  {"dram", dram},
                  {"rows", rows},
                  {"bytes", n},
                  {"dstride", ds},
                  {"sstride", ss}});
  };
  p.code = {dma(Opcode::DMA_LD, 0x10, 0x100, 1, 7, 7, 7),
            dma(Opcode::DMA_STP, 0x16, 2 * area + 2, 1, 1, 1, 1),
            dma(Opcode::DMA_STP, 0x10, 2 * area + 3, 2, 3, 4, 3),
            dma(Opcode::DMA_LDP, 0x20, 2 * area + 3, 2, 3, 4, 3),
            dma(Opcode::DMA_ST, 0x20, 0x200, 1, 6, 6, 6),
            I(Opcode::HALT, {})};
  ASSERT_EQ(p.validate(), "");
  Simulator s(p);
  std::vector<uint8_t> codes = {1, 2, 3, 4, 5, 6, 10};
  ASSERT_EQ(s.setInput(0, codes.data(), codes.size()), "");
  ASSERT_EQ(s.run(), "");
  std::vector<uint8_t> back, raw;
  ASSERT_EQ(s.output(0, back), "");
  ASSERT_EQ(s.output(1, raw), "");
  EXPECT_EQ(back, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(raw, (std::vector<uint8_t>{0x1A, 0x32, 0x40, 0x65}));
  // DRAM bytes moved: 7 + 1 + 2 + 2 stored or loaded one way, 2 + 2 back,
  // 6 out; the packed rows charged as the bytes they touch.
  EXPECT_EQ(s.stats().dramToSpBytes, 7u + 4u);
  EXPECT_EQ(s.stats().spToDramBytes, 1u + 4u + 6u);
  EXPECT_EQ(s.stats().chargedDmaBytes, 7u + 1u + 4u + 4u + 6u);

  // The DRAM range of a packed DMA counts nibbles (Q21).
  Program q = p;
  q.code[2].set("dram", 2 * p.dramSize - 5); // row 2 ends past the DRAM
  EXPECT_NE(q.validate().find("dma.stp: DRAM region"), std::string::npos)
      << q.validate();
  // A byte that is not a 4-bit code cannot be packed.
  q = p;
  q.code.insert(q.code.begin() + 1,
                I(Opcode::LIF, {{"fd", 1}, {"imm", 0x41200000}})); // 10.0f
  q.code.insert(q.code.begin() + 2,
                I(Opcode::FST, {{"fs", 1}, {"addr", 0x14}}));
  Simulator t(q);
  ASSERT_EQ(t.setInput(0, codes.data(), codes.size()), "");
  std::string e = t.run();
  EXPECT_NE(e.find("SP byte 0x16 holds 32, which is not a 4-bit code"),
            std::string::npos)
      << e;
}

TEST(SimMemory, DramIsAllocatedAsWrittenAndPagesSpanRows) {
  // A 2 GiB - 16 DRAM (the limit is 2 GiB) with an input near its end and
  // an output near its start: the simulator allocates the pages these touch
  // (64 KiB of bytes + 64 KiB of tags each), not the header's claim. The
  // input straddles a page boundary, the DMA row too.
  Program p;
  p.name = "big";
  p.dramSize = sim::kMaxDramBytes - 16;
  const uint64_t in = 0x7FFF0000 - 8; // 8 bytes before a page boundary
  p.inputs.push_back(tensor("x", DType::F32, {}, {4}, in));
  p.outputs.push_back(tensor("y", DType::F32, {}, {4}, 0x10));
  p.code = {I(Opcode::DMA_LD, {{"sp", 0}, {"dram", in}, {"rows", 1},
                               {"bytes", 16}, {"dstride", 0}, {"sstride", 0}}),
            I(Opcode::SYNC, {{"mask", 0x2}}),
            I(Opcode::DMA_ST, {{"sp", 0}, {"dram", 0x10}, {"rows", 1},
                               {"bytes", 16}, {"dstride", 0}, {"sstride", 0}}),
            I(Opcode::HALT, {})};
  ASSERT_EQ(p.validate(), "");
  Simulator s(p);
  std::vector<uint8_t> x = floatBytes({1.5f, -2.0f, 3.25f, 0.0f}), y;
  ASSERT_EQ(s.setInput(0, x.data(), x.size()), "");
  ASSERT_EQ(s.run(), "");
  ASSERT_EQ(s.output(0, y), "");
  EXPECT_EQ(y, x);
  EXPECT_EQ(s.dramBytesAllocated(), 3u * 2 * 65536); // two input pages + one
}

TEST(SimErrors, DramBeyondTheLimitIsRefused) {
  Program p;
  p.name = "huge";
  p.dramSize = sim::kMaxDramBytes + 1;
  p.code = {I(Opcode::HALT, {})};
  ASSERT_EQ(p.validate(), "");
  EXPECT_EQ(runProgram(p, {}, nullptr),
            "the program's DRAM size 2147483649 exceeds the simulator's limit "
            "of 2147483648 bytes (2 GiB)");

  // setInput refuses such a program the same way, even for an input of the
  // declared size (what sim-fuzzer expects of a valid program over the limit:
  // fuzz/corpus/sim-fuzzer/dram-over-limit-with-input.q4a).
  p.inputs.push_back(tensor("x", DType::F32, {}, {4}, 0));
  ASSERT_EQ(p.validate(), "");
  Simulator s(p);
  std::vector<uint8_t> x = floatBytes({1.0f, 2.0f, 3.0f, 4.0f});
  EXPECT_EQ(s.setInput(0, x.data(), x.size()),
            "the program's DRAM size 2147483649 exceeds the simulator's limit "
            "of 2147483648 bytes (2 GiB)");
  EXPECT_NE(s.run(), "");
}

TEST(SimErrors, AccumulatorAndScaleIndexAndBudget) {
  // mst of a tile no mma wrote.
  Program p;
  p.name = "acc";
  p.dramSize = 0x1000;
  p.code.push_back(I(Opcode::FST, {{"fs", 0}, {"addr", 0}}));
  p.code.push_back(I(Opcode::MCFG, {{"fa", encodeFormat(num::Format::sint(4))},
                                    {"fb", encodeFormat(num::Format::sint(4))}}));
  p.code.push_back(I(Opcode::MST, {{"tile", 2}, {"m", 1}, {"n", 1}, {"d", 0x10},
                                   {"ldc", 1}, {"sa", 0}, {"sb", 0}}));
  p.code.push_back(I(Opcode::HALT, {}));
  ASSERT_EQ(p.validate(), "");
  std::string e = runProgram(p, {}, nullptr);
  EXPECT_NE(e.find("pc 2 (mst tile=2"), std::string::npos) << e;
  EXPECT_NE(e.find("reads ACC[2][0][0], which no mma has written"),
            std::string::npos)
      << e;

  // A per-axis scale index beyond the scratchpad (len from a register).
  std::vector<Instr> body = {
      I(Opcode::LI, {{"xd", 3}, {"imm", 1 | (uint64_t(1) << 52)}}),
      I(Opcode::LI, {{"xd", 4}, {"imm", 200000}}),
      I(Opcode::QUANT, {{"fmt", encodeFormat(num::Format::sint(4))}, {"rnd", 0},
                        {"n", 4}, {"d", 0x2000}, {"s", 0x100}, {"sc", 0x40},
                        {"key", 0}, {"grp", 3}, {"ts", 0}})};
  Program q = sfuProgram(4, 1, body, DType::Code, num::Format::sint(4));
  ASSERT_EQ(q.validate(), "");
  std::vector<float> x = {1, 2, 3, 4}, s = {1};
  e = runProgram(q, {floatBytes(x), floatBytes(s)}, nullptr);
  EXPECT_NE(e.find("pc 5 (quant fmt=int4"), std::string::npos) << e;
  EXPECT_NE(e.find("accesses scales [0xc3540, 0xc3550) outside the "
                   "524288-byte scratchpad"),
            std::string::npos)
      << e;

  // The instruction budget.
  sim::Options o;
  o.maxInstructions = 3;
  e = runProgram(q, {floatBytes(x), floatBytes(s)}, nullptr, o);
  EXPECT_NE(e.find("pc 3 (li xd=x3"), std::string::npos) << e;
  EXPECT_NE(e.find("instruction budget of 3 exhausted"), std::string::npos) << e;
}

TEST(SimErrors, MissingSyncIsReportedAndStrictModeStops) {
  // dma.ld then vop reading the loaded bytes without a sync in between.
  Program p;
  p.name = "race";
  p.dramSize = 0x1000;
  p.inputs.push_back(tensor("x", DType::F32, {}, {4}, 0));
  p.code.push_back(I(Opcode::DMA_LD, {{"sp", 0x100}, {"dram", 0}, {"rows", 1},
                                      {"bytes", 16}, {"dstride", 0},
                                      {"sstride", 0}}));
  p.code.push_back(I(Opcode::VOP, {{"fn", uint64_t(VFn::Neg)}, {"n", 4},
                                   {"d", 0x200}, {"a", 0x100}}));
  p.code.push_back(I(Opcode::HALT, {}));
  ASSERT_EQ(p.validate(), "");
  std::vector<float> x = {1, 2, 3, 4};
  {
    Simulator s(p);
    std::vector<uint8_t> b = floatBytes(x);
    ASSERT_EQ(s.setInput(0, b.data(), b.size()), "");
    ASSERT_EQ(s.run(), "");
    EXPECT_EQ(s.stats().hazards, 1u);
    EXPECT_NE(s.stats().firstHazard.find(
                  "pc 1 (vop fn=neg, n=4, d=0x200, a=0x100, b=0x0, c=0x0, "
                  "ra=0, rb=0, rc=0) on vpu: RAW on scratchpad [0x100, 0x110) "
                  "with pc 0 (dma.ld"),
              std::string::npos)
        << s.stats().firstHazard;
  }
  sim::Options o;
  o.strictSync = true;
  std::string e = runProgram(p, {floatBytes(x)}, nullptr, o);
  EXPECT_NE(e.find("not well synchronised"), std::string::npos) << e;
}

TEST(SimErrors, WriteAfterReadOfARegisterIsAHazard) {
  // The vop reads f3 when it runs; the lif after it rewrites f3 at issue.
  Program p;
  p.name = "war";
  p.dramSize = 0x1000;
  p.inputs.push_back(tensor("x", DType::F32, {}, {4}, 0));
  p.code.push_back(I(Opcode::DMA_LD, {{"sp", 0x100},
                                      {"dram", 0},
                                      {"rows", 1},
                                      {"bytes", 16},
                                      {"dstride", 0},
                                      {"sstride", 0}}));
  p.code.push_back(I(Opcode::SYNC, {{"mask", kAllUnitsMask}}));
  p.code.push_back(I(Opcode::VOP, {{"fn", uint64_t(VFn::Mul)},
                                   {"n", 4},
                                   {"d", 0x200},
                                   {"a", 0x100},
                                   {"b", 3},
                                   {"rb", 1}}));
  p.code.push_back(I(Opcode::LIF, {{"fd", 3}, {"imm", bits(2.0f)}}));
  p.code.push_back(I(Opcode::HALT, {}));
  ASSERT_EQ(p.validate(), "");
  Simulator s(p);
  std::vector<uint8_t> b = floatBytes({1, 2, 3, 4});
  ASSERT_EQ(s.setInput(0, b.data(), b.size()), "");
  ASSERT_EQ(s.run(), "");
  EXPECT_EQ(s.stats().hazards, 1u);
  EXPECT_NE(s.stats().firstHazard.find(
                "on scalar: WAR on f register [0x3, 0x4) with pc 2 (vop"),
            std::string::npos)
      << s.stats().firstHazard;
}

// Random straight-line programs over a small scratchpad window, made well
// synchronised by quant4::q4a::synchronize (every other one with its loads
// hoisted by quant4::q4a::hoistLoads first): with dependency tokens they run
// under --strict-sync (no hazard the simulator's own access tracking can
// see), give the bytes of the serial schedule, and never take longer.
TEST(SimSchedule, RandomProgramsWithTokensAreHazardFreeAndExact) {
  std::mt19937 g(20261207);
  auto pick = [&](uint64_t n) { return uint64_t(g() % n); };
  std::vector<float> x(1024);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = float(int(i % 37) - 18) / 8.0f;
  for (int trial = 0; trial < 40; ++trial) {
    Program p;
    p.name = "random";
    p.dramSize = 0x2000;
    p.inputs.push_back(tensor("x", DType::F32, {}, {1024}, 0));
    p.outputs.push_back(tensor("y", DType::F32, {}, {1024}, 0x1000));
    auto ld = test::dmaLoad;
    auto st = test::dmaStore;
    // SP [0, 0x2000) is initialised first; operands are 64-byte blocks in it.
    auto blk = [&] { return 16 * pick(0x2000 / 16 - 4); };
    p.code.push_back(ld(0, 0, 0x1000));
    p.code.push_back(ld(0x1000, 0, 0x1000));
    for (int k = 0; k < 60; ++k) {
      switch (pick(8)) {
      case 0:
        p.code.push_back(ld(blk(), 16 * pick(252), 64));
        break;
      case 1:
        p.code.push_back(st(blk(), 0x1000 + 16 * pick(252), 64));
        break;
      case 2:
        p.code.push_back(I(Opcode::VOP, {{"fn", uint64_t(VFn::Add)},
                                         {"n", 16},
                                         {"d", blk()},
                                         {"a", blk()},
                                         {"b", blk()}}));
        break;
      case 3:
        p.code.push_back(I(Opcode::VRED, {{"red", uint64_t(Red::Max)},
                                          {"axis", uint64_t(Axis::Row)},
                                          {"rows", 4},
                                          {"cols", 4},
                                          {"d", blk()},
                                          {"s", blk()}}));
        break;
      case 4: { // source and destination apart (Q11)
        uint64_t src = blk(), dst = blk();
        while (dst + 64 > src && src + 64 > dst)
          dst = blk();
        p.code.push_back(
            I(Opcode::VTR,
              {{"esz", 2}, {"rows", 4}, {"cols", 4}, {"d", dst}, {"s", src}}));
        break;
      }
      case 5:
        p.code.push_back(
            I(Opcode::LIF,
              {{"fd", 1 + pick(3)}, {"imm", bits(0.5f * float(pick(5)))}}));
        break;
      case 6:
        p.code.push_back(I(Opcode::VOP, {{"fn", uint64_t(VFn::Mul)},
                                         {"n", 16},
                                         {"d", blk()},
                                         {"a", blk()},
                                         {"b", 1 + pick(3)},
                                         {"rb", 1}}));
        break;
      case 7:
        p.code.push_back(
            k % 2 ? I(Opcode::FLD, {{"fd", 1 + pick(3)}, {"addr", blk()}})
                  : I(Opcode::FST, {{"fs", 1 + pick(3)}, {"addr", blk()}}));
        break;
      }
    }
    p.code.push_back(st(0, 0x1000, 0x1000));
    p.code.push_back(I(Opcode::HALT, {}));
    ASSERT_EQ(p.validate(), "") << "trial " << trial;
    Program serial = p, tokens = p;
    serial.code = synchronize(p.code, p.arch, SyncMode::Serial);
    // Loads hoisted as far as their dependencies allow, then tokens.
    tokens.code = synchronize(trial % 2 ? hoistLoads(p.code, p.arch) : p.code,
                              p.arch, SyncMode::Tokens);
    ASSERT_EQ(tokens.validate(), "") << "trial " << trial;
    sim::Options strict;
    strict.strictSync = true;
    std::vector<uint8_t> a, b;
    Simulator ss(serial, strict), st2(tokens, strict);
    std::vector<uint8_t> in = floatBytes(x);
    ASSERT_EQ(ss.setInput(0, in.data(), in.size()), "");
    ASSERT_EQ(st2.setInput(0, in.data(), in.size()), "");
    ASSERT_EQ(ss.run(), "") << "trial " << trial;
    ASSERT_EQ(st2.run(), "")
        << "trial " << trial << ": " << printAssembly(tokens);
    ASSERT_EQ(ss.output(0, a), "");
    ASSERT_EQ(st2.output(0, b), "");
    EXPECT_EQ(a, b) << "trial " << trial;
    EXPECT_LE(st2.stats().cycles, ss.stats().cycles) << "trial " << trial;
  }
}

//===----------------------------------------------------------------------===//
// Cycle model
//===----------------------------------------------------------------------===//

TEST(SimTiming, InstructionDurations) {
  sim::TimingParams t;
  num::Format i4 = num::Format::sint(4), l4 = num::Format::log(4, 3, 0),
              e4 = num::Format::fp8e4m3(), h = num::Format::fp16(),
              f = num::Format::fp32();
  sim::DmaBytes none;
  auto mma = [](uint64_t m, uint64_t n, uint64_t k) {
    return I(Opcode::MMA, {{"m", m}, {"n", n}, {"k", k}, {"lda", 1000},
                           {"ldb", 1000}});
  };
  // k/rate + m + n: 4-bit x 4-bit at 4 k-steps per cycle.
  EXPECT_EQ(sim::instrCycles(t, mma(32, 32, 256), l4, i4, none), 64u + 64u);
  EXPECT_EQ(sim::instrCycles(t, mma(32, 32, 257), i4, i4, none), 65u + 64u);
  // FP8 at 2, FP16 at 1 (the ISA's k + m + n), f32 at 1/4.
  EXPECT_EQ(sim::instrCycles(t, mma(8, 16, 100), e4, i4, none), 50u + 24u);
  EXPECT_EQ(sim::instrCycles(t, mma(8, 16, 100), h, h, none), 100u + 24u);
  EXPECT_EQ(sim::instrCycles(t, mma(8, 16, 100), f, f, none), 400u + 24u);
  sim::TimingParams fp16 = t;
  fp16.f32AsFp16 = true;
  EXPECT_EQ(sim::instrCycles(fp16, mma(8, 16, 100), f, f, none), 100u + 24u);
  // DMA: 8 + ceil(bytes / 64), bytes as charged.
  auto dma = I(Opcode::DMA_LD, {{"rows", 1}, {"bytes", 1000}});
  sim::DmaBytes b{600, 300, 100};
  EXPECT_EQ(sim::chargedBytes(t, b), 1000u);
  EXPECT_EQ(sim::instrCycles(t, dma, f, f, b), 8u + 16u);
  sim::TimingParams packed = t;
  packed.packedCodes = true;
  EXPECT_EQ(sim::chargedBytes(packed, b), 850u);
  EXPECT_EQ(sim::chargedBytes(fp16, b), 700u);
  EXPECT_EQ(sim::chargedBytes(packed, sim::DmaBytes{0, 3, 0}), 2u); // rounds up
  // VPU / SFU formulas of docs/ISA.md §2.3.
  EXPECT_EQ(sim::instrCycles(t, I(Opcode::VOP, {{"n", 100}}), f, f, none), 4u + 4u);
  EXPECT_EQ(sim::instrCycles(t, I(Opcode::QUANT, {{"n", 64}}), f, f, none), 2u + 4u);
  EXPECT_EQ(sim::instrCycles(t, I(Opcode::VRED, {{"rows", 3}, {"cols", 33}}), f, f, none), 4u + 4u);
  EXPECT_EQ(sim::instrCycles(t, I(Opcode::VTR, {{"rows", 8}, {"cols", 32}}), f, f, none), 16u + 4u);
  EXPECT_EQ(sim::instrCycles(t, I(Opcode::MST, {{"m", 32}, {"n", 17}}), f, f, none), 17u + 4u);
  EXPECT_EQ(sim::instrCycles(t, I(Opcode::SSAWB, {{"n", 33}}), f, f, none), 3u + 8u);
  EXPECT_EQ(sim::instrCycles(t, I(Opcode::SDLY, {{"h", 16}}), f, f, none), 20u);
  EXPECT_EQ(sim::instrCycles(t, I(Opcode::SAMAX, {}), f, f, none), 4u);
  EXPECT_EQ(sim::instrCycles(t, I(Opcode::LI, {}), f, f, none), 0u);
}

TEST(SimTiming, ScoreboardOverlapsUnitsAndSyncWaits) {
  // dma (24 cycles) and an independent mma (80) overlap; a sync waits for
  // both; a second dma queues behind the first.
  sim::Scoreboard s;
  auto a = s.issue(Unit::DMA, 24);
  EXPECT_EQ(a.issue, 0u);
  EXPECT_EQ(a.finish, 24u);
  auto b = s.issue(Unit::MXU, 80);
  EXPECT_EQ(b.issue, 1u);
  EXPECT_EQ(b.start, 1u);
  EXPECT_EQ(b.finish, 81u);
  auto c = s.issue(Unit::DMA, 10);
  EXPECT_EQ(c.issue, 2u);
  EXPECT_EQ(c.start, 24u); // in order on its unit
  EXPECT_EQ(c.finish, 34u);
  auto y = s.sync(0x4); // MXU only (bit 2)
  EXPECT_EQ(y.issue, 81u);
  EXPECT_EQ(s.syncStall(), 81u - 3u);
  auto d = s.issue(Unit::Scalar, 0);
  EXPECT_EQ(d.issue, 82u);
  EXPECT_EQ(d.finish, 83u);
  EXPECT_EQ(s.total(), 83u);
  EXPECT_EQ(s.busy(Unit::DMA), 34u);
  EXPECT_EQ(s.busy(Unit::MXU), 80u);
  EXPECT_EQ(s.count(Unit::Scalar), 2u); // sync + scalar
}

TEST(SimTiming, TokensOrderUnitsWithoutStallingIssue) {
  // dma (40) signals the MXU; the MXU's wait holds its mma until the token's
  // stamp, while issue goes on; a wait with no token and a 17th token in
  // one queue are refused.
  sim::Scoreboard s;
  s.issue(Unit::DMA, 40);
  sim::Scoreboard::Slot sig, w;
  ASSERT_TRUE(s.signal(Unit::DMA, Unit::MXU, sig));
  EXPECT_EQ(sig.issue, 1u);
  EXPECT_EQ(sig.finish, 40u); // when the dma.ld completes
  auto v = s.issue(Unit::VPU, 5); // other units are not held
  EXPECT_EQ(v.start, 2u);
  ASSERT_TRUE(s.wait(Unit::MXU, Unit::DMA, w));
  EXPECT_EQ(w.issue, 3u);
  EXPECT_EQ(w.start, 40u);
  auto m = s.issue(Unit::MXU, 80);
  EXPECT_EQ(m.issue, 4u); // issue did not stall
  EXPECT_EQ(m.start, 40u);
  EXPECT_EQ(s.syncStall(), 0u);
  EXPECT_FALSE(s.wait(Unit::MXU, Unit::DMA, w)); // its one token is taken
  for (unsigned i = 0; i < q4a::kTokenQueueDepth; ++i)
    ASSERT_TRUE(s.signal(Unit::VPU, Unit::SFU, sig));
  EXPECT_FALSE(s.signal(Unit::VPU, Unit::SFU, sig));
  EXPECT_TRUE(s.signal(Unit::VPU, Unit::DMA, sig)); // another queue
}

TEST(SimTiming, ProgramTimelineAndStats) {
  // The GEMM program of simGemm, timed: every sync serialises.
  num::Format i4 = num::Format::sint(4);
  const int M = 4, N = 4, K = 64;
  Program p;
  p.name = "t";
  p.dramSize = 0x1000;
  p.inputs.push_back(tensor("a", DType::Code, i4, {M, K}, 0));
  p.inputs.push_back(tensor("b", DType::Code, i4, {K, N}, 0x100));
  p.code.push_back(I(Opcode::DMA_LD, {{"sp", 0}, {"dram", 0}, {"rows", 1},
                                      {"bytes", 256}, {"dstride", 0}, {"sstride", 0}}));
  p.code.push_back(I(Opcode::DMA_LD, {{"sp", 0x100}, {"dram", 0x100}, {"rows", 1},
                                      {"bytes", 256}, {"dstride", 0}, {"sstride", 0}}));
  p.code.push_back(I(Opcode::MCFG, {{"fa", encodeFormat(i4)}, {"fb", encodeFormat(i4)},
                                    {"acc", uint64_t(num::AccumKind::Exact)}}));
  p.code.push_back(I(Opcode::SYNC, {{"mask", 0x2}}));
  p.code.push_back(I(Opcode::MMA, {{"m", M}, {"n", N}, {"k", K}, {"a", 0},
                                   {"b", 0x100}, {"lda", K}, {"ldb", N}}));
  p.code.push_back(I(Opcode::HALT, {}));
  // Source labels: the loads (and the mcfg after them, which has none of
  // its own), then the sync, mma and halt.
  p.code[0].source = p.internSource("load");
  p.code[3].source = p.internSource("gemm");
  ASSERT_EQ(p.validate(), "");
  sim::Options o;
  o.trace = true;
  Simulator s(p, o);
  std::vector<uint8_t> a(M * K, 1), b(K * N, 2);
  ASSERT_EQ(s.setInput(0, a.data(), a.size()), "");
  ASSERT_EQ(s.setInput(1, b.data(), b.size()), "");
  ASSERT_EQ(s.run(), "");
  const auto &tr = s.trace();
  ASSERT_EQ(tr.size(), 6u);
  // dma.ld: [0, 12), [12, 24) (8 + 256/64 each, queued); mcfg on the MXU at
  // [2, 3); sync waits for the DMA: issue 24; mma [25, 25 + 16 + 8);
  // halt issues at 26; total 49.
  EXPECT_EQ(tr[0].finish, 12u);
  EXPECT_EQ(tr[1].start, 12u);
  EXPECT_EQ(tr[1].finish, 24u);
  EXPECT_EQ(tr[2].start, 2u);
  EXPECT_EQ(tr[3].issue, 24u);
  EXPECT_EQ(tr[4].start, 25u);
  EXPECT_EQ(tr[4].finish, 49u);
  EXPECT_EQ(tr[5].issue, 26u);
  const sim::Stats &st = s.stats();
  EXPECT_EQ(st.cycles, 49u);
  EXPECT_EQ(st.macs, uint64_t(M * N * K));
  EXPECT_EQ(st.macsByFormats.at("int4 x int4"), uint64_t(M * N * K));
  EXPECT_EQ(st.dramToSpBytes, 512u);
  EXPECT_EQ(st.unitBusy[unsigned(Unit::DMA)], 24u);
  EXPECT_EQ(st.unitBusy[unsigned(Unit::MXU)], 1u + 24u);
  EXPECT_EQ(st.syncStallCycles, 24u - 3u);
  EXPECT_EQ(st.hazards, 0u);
  // What each source cost: the busy cycles of its instructions per unit.
  ASSERT_EQ(st.sources.size(), 3u);
  EXPECT_EQ(st.sources[0].instructions, 0u);
  const sim::SourceStats &load = st.sources[1], &gemm = st.sources[2];
  EXPECT_EQ(load.instructions, 3u);
  EXPECT_EQ(load.unitBusy[unsigned(Unit::DMA)], 24u);
  EXPECT_EQ(load.unitBusy[unsigned(Unit::MXU)], 1u);
  EXPECT_EQ(load.chargedDmaBytes, 512u);
  EXPECT_EQ(load.macs, 0u);
  EXPECT_EQ(gemm.instructions, 3u);
  EXPECT_EQ(gemm.unitBusy[unsigned(Unit::MXU)], 24u);
  EXPECT_EQ(gemm.unitBusy[unsigned(Unit::Scalar)], 2u); // sync, halt
  EXPECT_EQ(gemm.macs, uint64_t(M * N * K));
  for (unsigned u = 0; u < sim::kNumUnits; ++u)
    EXPECT_EQ(load.unitBusy[u] + gemm.unitBusy[u], st.unitBusy[u]) << u;
}

TEST(SimTiming, ParametersAreSettable) {
  sim::TimingParams t;
  EXPECT_EQ(t.set("rate4=8"), "");
  EXPECT_EQ(t.rate4, 8.0);
  EXPECT_EQ(t.set("dram-bw=128"), "");
  EXPECT_EQ(t.dramBytesPerCycle, 128u);
  EXPECT_NE(t.set("dram-bw=0").find("dram-bw must be at least 1"), std::string::npos);
  EXPECT_NE(t.set("bogus=1").find("unknown timing parameter 'bogus'"), std::string::npos);
  EXPECT_NE(t.set("rate4").find("expected NAME=VALUE"), std::string::npos);
  EXPECT_NE(t.set("vpu-lanes=1.5").find("whole number"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// Loops (ISA 1.5)
//===----------------------------------------------------------------------===//

TEST(SimLoops, RolledProgramsComputeTheSameAndCostOneIssuePerLoop) {
  // Straight-line: 16 blocks of 16 floats, each loaded, doubled, stored.
  Program flat;
  flat.name = "blocks";
  flat.dramSize = 0x800;
  flat.inputs.push_back(tensor("x", DType::F32, {}, {256}, 0));
  flat.outputs.push_back(tensor("y", DType::F32, {}, {256}, 0x400));
  for (uint64_t i = 0; i < 16; ++i) {
    flat.code.push_back(test::dmaLoad(0x100 * i, 0x40 * i, 0x40));
    flat.code.push_back(I(Opcode::VOP, {{"fn", uint64_t(VFn::Add)},
                                        {"n", 16},
                                        {"d", 0x2000 + 0x100 * i},
                                        {"a", 0x100 * i},
                                        {"b", 0x100 * i}}));
    flat.code.push_back(
        test::dmaStore(0x2000 + 0x100 * i, 0x400 + 0x40 * i, 0x40));
  }
  flat.code.push_back(I(Opcode::HALT, {}));
  Program tokens = flat;
  tokens.code = synchronize(hoistLoads(flat.code, flat.arch), flat.arch,
                            SyncMode::Tokens);
  Program rolled = tokens;
  rolled.code = materializeLoops(tokens.code);
  ASSERT_EQ(rolled.validate(), "");
  ASSERT_LT(rolled.code.size(), tokens.code.size() / 2)
      << printAssembly(rolled);
  // Unrolled, the loops give back the scheduled program.
  std::vector<Instr> unrolled = unrollLoops(rolled.code);
  ASSERT_EQ(unrolled.size(), tokens.code.size());
  for (size_t i = 0; i < unrolled.size(); ++i) {
    ASSERT_EQ(unrolled[i].opcode, tokens.code[i].opcode) << i;
    ASSERT_EQ(unrolled[i].fields, tokens.code[i].fields) << i;
  }
  Execution ex(rolled);
  uint64_t executedLoops = 0;
  while (const Instr *in = ex.next())
    executedLoops += in->opcode == Opcode::LOOP;
  ASSERT_GT(executedLoops, 0u);

  std::vector<float> x(256);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = float(i) / 8.0f - 3.0f;
  sim::Options strict;
  strict.strictSync = true;
  Simulator a(tokens, strict), b(rolled, strict);
  std::vector<uint8_t> in = floatBytes(x), ya, yb;
  ASSERT_EQ(a.setInput(0, in.data(), in.size()), "");
  ASSERT_EQ(b.setInput(0, in.data(), in.size()), "");
  ASSERT_EQ(a.run(), "");
  ASSERT_EQ(b.run(), "") << printAssembly(rolled);
  ASSERT_EQ(a.output(0, ya), "");
  ASSERT_EQ(b.output(0, yb), "");
  EXPECT_EQ(ya, yb);
  std::vector<float> y = asFloats(yb);
  for (size_t i = 0; i < y.size(); ++i)
    ASSERT_EQ(y[i], x[i] + x[i]) << i;
  // The same instructions execute, plus each loop once per entry, which
  // takes one issue cycle on the scalar unit and nothing else.
  EXPECT_EQ(b.stats().instructions, a.stats().instructions + executedLoops);
  EXPECT_GE(b.stats().cycles, a.stats().cycles);
  EXPECT_LE(b.stats().cycles, a.stats().cycles + executedLoops);
  for (unsigned u = 1; u < sim::kNumUnits; ++u)
    EXPECT_EQ(b.stats().unitBusy[u], a.stats().unitBusy[u]) << u;
  EXPECT_EQ(b.stats().unitBusy[0], a.stats().unitBusy[0] + executedLoops);
  EXPECT_EQ(b.stats().macs, a.stats().macs);
}

TEST(SimLoops, ErrorsNameThePcAndTheIteration) {
  // The third iteration reads SP bytes no instruction wrote.
  Program p;
  p.name = "uninit";
  p.dramSize = 0x400;
  p.inputs.push_back(tensor("x", DType::F32, {}, {32}, 0));
  Instr vop =
      I(Opcode::VOP,
        {{"fn", uint64_t(VFn::Mov)}, {"n", 16}, {"d", 0x1000}, {"a", 0x0}});
  const OpInfo &info = *lookup(Opcode::VOP);
  vop.steps.push_back(std::vector<int64_t>(info.fields.size(), 0));
  vop.steps[0][size_t(fieldIndex(info, "a"))] = 0x40;
  p.code = {test::dmaLoad(0, 0, 0x80), I(Opcode::SYNC, {{"mask", 0x2}}),
            I(Opcode::LOOP, {{"count", 4}, {"len", 1}}), vop,
            I(Opcode::HALT, {})};
  ASSERT_EQ(p.validate(), "");
  Simulator s(p);
  std::vector<uint8_t> in(128, 0);
  ASSERT_EQ(s.setInput(0, in.data(), in.size()), "");
  std::string e = s.run();
  EXPECT_NE(e.find("pc 3 (vop fn=mov, n=16, d=0x1000, a=0x80, b=0x0, c=0x0, "
                   "ra=0, rb=0, rc=0) in iteration (2): reads uninitialised "
                   "scratchpad bytes [0x80, 0x84)"),
            std::string::npos)
      << e;
}
