//===- Q4ASynchronizeTest.cpp - footprints and the token scheduler --------===//
//
// What quant4::q4a::footprint says an instruction touches, and where
// quant4::q4a::synchronize puts syncs and dependency tokens (docs/ISA.md
// §2.3-2.4). The simulator's test (unittests/Sim) runs scheduled random
// programs under --strict-sync.
//
//===----------------------------------------------------------------------===//
#include "quant4/Target/Q4A/Synchronize.h"

#include "../Q4AInstrBuilders.h"

#include <gtest/gtest.h>

using namespace quant4;
using namespace quant4::q4a;

namespace {

using test::I;
Instr load(uint64_t sp, uint64_t dram, uint64_t bytes) {
  return test::dmaLoad(sp, dram, bytes);
}
Instr store(uint64_t sp, uint64_t dram, uint64_t bytes) {
  return test::dmaStore(sp, dram, bytes);
}
Instr neg(uint64_t d, uint64_t a, uint64_t n) {
  return I(Opcode::VOP,
           {{"fn", uint64_t(VFn::Neg)}, {"n", n}, {"d", d}, {"a", a}});
}
Instr halt() { return Instr::make(Opcode::HALT); }

std::vector<Access> fp(const Instr &in, StaticState &st) {
  std::vector<Access> out;
  footprint(in, Arch(), st, out);
  return out;
}
bool has(const std::vector<Access> &v, Space s, bool w, uint64_t lo,
         uint64_t hi) {
  for (const Access &a : v)
    if (a.space == s && a.write == w && a.lo == lo && a.hi == hi)
      return true;
  return false;
}

/// The program as one mnemonic (and unit/peer or mask) per instruction.
std::string shape(const std::vector<Instr> &code) {
  std::string s;
  for (const Instr &in : code) {
    if (!s.empty())
      s += " ";
    s += lookup(in.opcode)->mnemonic;
    if (isDependencyToken(in.opcode))
      s += "(" + std::string(unitName(Unit(in.get("unit")))) + "<" +
           std::string(unitName(Unit(in.get("peer")))) + ")";
    if (in.opcode == Opcode::SYNC)
      s += "(" + std::to_string(in.get("mask")) + ")";
  }
  return s;
}

} // namespace

TEST(Q4AFootprint, DmaRowsAndStrides) {
  StaticState st;
  // Strided rows are listed one by one; contiguous rows are one range.
  auto a = fp(I(Opcode::DMA_LD, {{"sp", 0x100},
                                 {"dram", 0x1000},
                                 {"rows", 3},
                                 {"bytes", 8},
                                 {"dstride", 64},
                                 {"sstride", 8}}),
              st);
  EXPECT_TRUE(has(a, Space::SP, true, 0x100, 0x118));
  EXPECT_TRUE(has(a, Space::DRAM, false, 0x1000, 0x1008));
  EXPECT_TRUE(has(a, Space::DRAM, false, 0x1080, 0x1088));
  EXPECT_FALSE(has(a, Space::DRAM, false, 0x1008, 0x1040));
  auto s = fp(I(Opcode::DMA_ST, {{"sp", 0x0},
                                 {"dram", 0x40},
                                 {"rows", 100},
                                 {"bytes", 4},
                                 {"dstride", 16},
                                 {"sstride", 32}}),
              st);
  // More than 64 rows: the enclosing ranges.
  EXPECT_TRUE(has(s, Space::SP, false, 0, 99 * 32 + 4));
  EXPECT_TRUE(has(s, Space::DRAM, true, 0x40, 0x40 + 99 * 16 + 4));
  // Packed codes: nibble addresses; each row covers the DRAM bytes its
  // nibbles are in (nibbles 3..5 -> bytes 1..2, 67..69 -> bytes 33..34).
  auto pk = fp(I(Opcode::DMA_STP, {{"sp", 0x10},
                                   {"dram", 3},
                                   {"rows", 2},
                                   {"bytes", 3},
                                   {"dstride", 64},
                                   {"sstride", 3}}),
               st);
  EXPECT_TRUE(has(pk, Space::SP, false, 0x10, 0x16));
  EXPECT_TRUE(has(pk, Space::DRAM, true, 1, 3));
  EXPECT_TRUE(has(pk, Space::DRAM, true, 33, 35));
}

TEST(Q4AFootprint, MmaUsesTheElementBytesOfTheMcfgInForce) {
  StaticState st;
  auto cfg = I(Opcode::MCFG, {{"fa", encodeFormat(num::Format::fp16())},
                              {"fb", encodeFormat(num::Format::sint(4))},
                              {"acc", 0},
                              {"chunk", 0}});
  EXPECT_TRUE(has(fp(cfg, st), Space::MxuConfig, true, 0, 1));
  auto m = fp(I(Opcode::MMA, {{"tile", 3},
                              {"accum", 1},
                              {"m", 2},
                              {"n", 4},
                              {"k", 8},
                              {"a", 0x200},
                              {"b", 0x400},
                              {"lda", 8},
                              {"ldb", 4}}),
              st);
  // A: 2 rows of 8 f16 codes (16 bytes), 16 bytes apart = contiguous.
  EXPECT_TRUE(has(m, Space::SP, false, 0x200, 0x220));
  EXPECT_TRUE(has(m, Space::SP, false, 0x400, 0x420));
  EXPECT_TRUE(has(m, Space::Acc, false, 3, 4));
  EXPECT_TRUE(has(m, Space::Acc, true, 3, 4));
}

TEST(Q4AFootprint, ScaleTablesFollowTheGroupRegister) {
  StaticState st;
  auto quant = [&](unsigned grp) {
    return I(Opcode::QUANT, {{"fmt", encodeFormat(num::Format::sint(4))},
                             {"rnd", 0},
                             {"n", 16},
                             {"d", 0x800},
                             {"s", 0x400},
                             {"sc", 0x100},
                             {"grp", grp},
                             {"ts", 2}});
  };
  auto a = fp(quant(0), st);
  EXPECT_TRUE(has(a, Space::SP, false, 0x100, 0x104));
  EXPECT_TRUE(has(a, Space::SP, false, 0x400, 0x440));
  EXPECT_TRUE(has(a, Space::SP, true, 0x800, 0x810));
  EXPECT_TRUE(has(a, Space::FReg, false, 2, 3));
  // x5 = (len 6 << 32) | inner 4: six scales.
  fp(I(Opcode::LI, {{"xd", 5}, {"imm", (uint64_t(6) << 32) | 4}}), st);
  auto b = fp(quant(5), st);
  EXPECT_TRUE(has(b, Space::SP, false, 0x100, 0x118));
  EXPECT_TRUE(has(b, Space::XReg, false, 5, 6));
  EXPECT_TRUE(has(b, Space::XReg, false, 6, 7));
  // After xld the register is unknown: the whole scratchpad.
  fp(I(Opcode::XLD, {{"xd", 5}, {"addr", 0}}), st);
  auto c = fp(quant(5), st);
  EXPECT_TRUE(has(c, Space::SP, false, 0, Arch().spBytes));
}

TEST(Q4AFootprint, VectorRegisterOperands) {
  StaticState st;
  auto v = fp(I(Opcode::VOP, {{"fn", uint64_t(VFn::Mul)},
                              {"n", 4},
                              {"d", 0x40},
                              {"a", 0x0},
                              {"b", 7},
                              {"rb", 1}}),
              st);
  EXPECT_TRUE(has(v, Space::SP, false, 0x0, 0x10));
  EXPECT_TRUE(has(v, Space::FReg, false, 7, 8));
  EXPECT_TRUE(has(v, Space::SP, true, 0x40, 0x50));
  EXPECT_EQ(v.size(), 3u);
}

TEST(Q4ASynchronize, RawGetsATokenFromProducerToConsumer) {
  std::vector<Instr> code = {load(0x0, 0x0, 16), neg(0x100, 0x0, 4),
                             store(0x100, 0x40, 16), halt()};
  SyncStats st;
  auto out = synchronize(code, Arch(), SyncMode::Tokens, &st);
  EXPECT_EQ(shape(out),
            "dma.ld dep.signal(dma<vpu) dep.wait(vpu<dma) vop "
            "dep.signal(vpu<dma) dep.wait(dma<vpu) dma.st sync(2) halt");
  EXPECT_EQ(st.signals, 2u);
  EXPECT_EQ(st.waits, 2u);
  EXPECT_EQ(st.syncs, 1u);
  // Serial: a sync at every change of unit and before halt.
  EXPECT_EQ(shape(synchronize(code, Arch(), SyncMode::Serial)),
            "dma.ld sync(2) vop sync(8) dma.st sync(2) halt");
}

TEST(Q4ASynchronize, IndependentWorkOverlapsAndWarIsOrdered) {
  // The second load touches nothing the vop reads or writes: no token. The
  // third overwrites the vop's source: it waits for the vop (WAR). halt
  // syncs the DMA alone: its last load is ordered after the vop.
  std::vector<Instr> code = {load(0x0, 0x0, 16), neg(0x100, 0x0, 4),
                             load(0x200, 0x40, 16), load(0x0, 0x80, 16),
                             halt()};
  EXPECT_EQ(shape(synchronize(code, Arch(), SyncMode::Tokens)),
            "dma.ld dep.signal(dma<vpu) dep.wait(vpu<dma) vop "
            "dep.signal(vpu<dma) dma.ld dep.wait(dma<vpu) dma.ld sync(2) "
            "halt");
}

TEST(Q4ASynchronize, ScalarInstructionsSyncOnlyWhatTheyDependOn) {
  // fld reads what the vop wrote: a sync of the VPU alone; lif rewrites f3,
  // which the MXU's pending mst does not read: no sync for it.
  std::vector<Instr> code = {load(0x0, 0x0, 16),
                             neg(0x100, 0x0, 4),
                             I(Opcode::FLD, {{"fd", 3}, {"addr", 0x100}}),
                             I(Opcode::LIF, {{"fd", 4}, {"imm", 0x3f800000}}),
                             I(Opcode::VOP, {{"fn", uint64_t(VFn::Mul)},
                                             {"n", 4},
                                             {"d", 0x200},
                                             {"a", 0x100},
                                             {"b", 3},
                                             {"rb", 1}}),
                             I(Opcode::LIF, {{"fd", 3}, {"imm", 0x40000000}}),
                             halt()};
  EXPECT_EQ(shape(synchronize(code, Arch(), SyncMode::Tokens)),
            "dma.ld dep.signal(dma<vpu) dep.wait(vpu<dma) vop sync(8) fld "
            "lif vop sync(8) lif halt");
}

TEST(Q4ASynchronize, OrderTravelsAlongChainsOfTokens) {
  // DMA -> MXU (operands), MXU -> VPU (the mst's result): the VPU also reads
  // the DMA's bytes but is already ordered after them through the MXU.
  std::vector<Instr> code = {
      I(Opcode::MCFG, {{"fa", encodeFormat(num::Format::fp32())},
                       {"fb", encodeFormat(num::Format::fp32())},
                       {"acc", 0},
                       {"chunk", 0}}),
      load(0x0, 0x0, 64),
      load(0x40, 0x40, 64),
      I(Opcode::MMA, {{"tile", 0},
                      {"m", 4},
                      {"n", 4},
                      {"k", 4},
                      {"a", 0x0},
                      {"b", 0x40},
                      {"lda", 4},
                      {"ldb", 4}}),
      I(Opcode::MST, {{"tile", 0},
                      {"m", 4},
                      {"n", 4},
                      {"d", 0x100},
                      {"ldc", 4},
                      {"sa", 0x0},
                      {"sb", 0x0}}),
      I(Opcode::VOP, {{"fn", uint64_t(VFn::Add)},
                      {"n", 16},
                      {"d", 0x200},
                      {"a", 0x100},
                      {"b", 0x40}}),
      halt()};
  EXPECT_EQ(shape(synchronize(code, Arch(), SyncMode::Tokens)),
            "mcfg dma.ld dma.ld dep.signal(dma<mxu) dep.wait(mxu<dma) mma "
            "mst dep.signal(mxu<vpu) dep.wait(vpu<mxu) vop sync(8) halt");
}

TEST(Q4ASynchronize, TokenQueuesNeverHoldMoreThanTheirDepth) {
  // 20 loads, then 20 vops each reading one of them: at most 16 DMA -> VPU
  // tokens may wait at once.
  std::vector<Instr> code;
  for (uint64_t i = 0; i < 20; ++i)
    code.push_back(load(0x40 * i, 0x40 * i, 16));
  for (uint64_t i = 0; i < 20; ++i)
    code.push_back(neg(0x1000 + 0x40 * i, 0x40 * i, 4));
  code.push_back(halt());
  SyncStats st;
  auto out = synchronize(code, Arch(), SyncMode::Tokens, &st);
  int pending = 0, most = 0;
  for (const Instr &in : out) {
    if (in.opcode == Opcode::DEP_SIGNAL)
      most = std::max(most, ++pending);
    if (in.opcode == Opcode::DEP_WAIT)
      --pending;
  }
  EXPECT_EQ(pending, 0);
  EXPECT_LE(most, int(kTokenQueueDepth));
  EXPECT_EQ(st.signals, st.waits);
  EXPECT_GE(st.waits, 2u);
}

TEST(Q4ASynchronize, ExistingSynchronisationIsReplaced) {
  std::vector<Instr> code = {load(0x0, 0x0, 16), neg(0x100, 0x0, 4), halt()};
  std::vector<Instr> synced = synchronize(code, Arch(), SyncMode::Serial);
  EXPECT_EQ(shape(synchronize(synced, Arch(), SyncMode::Tokens)),
            shape(synchronize(code, Arch(), SyncMode::Tokens)));
  EXPECT_EQ(shape(synchronize(synced, Arch(), SyncMode::Serial)),
            shape(synced));
}

TEST(Q4AHoistLoads, LoadsMoveUpToTheirLastDependency) {
  // The second load reads DRAM the store writes: it stays after the store.
  // The third load touches nothing earlier: it moves to the front. The fourth
  // overwrites the vop's source (WAR): it moves up to just after the vop.
  std::vector<Instr> code = {load(0x0, 0x0, 16),
                             neg(0x100, 0x0, 4),
                             store(0x100, 0x40, 16),
                             load(0x200, 0x40, 16),
                             load(0x300, 0x80, 16),
                             load(0x0, 0xc0, 16),
                             halt()};
  std::vector<Instr> out = hoistLoads(code, Arch());
  ASSERT_EQ(out.size(), code.size());
  auto at = [&](size_t i) { return lookup(out[i].opcode)->mnemonic; };
  EXPECT_EQ(out[0].get("sp"), 0x300u); // the independent load
  EXPECT_EQ(out[1].get("sp"), 0x0u);
  EXPECT_EQ(at(2), std::string("vop"));
  EXPECT_EQ(out[3].get("sp"), 0x0u); // the WAR load, right after the vop
  EXPECT_EQ(out[3].get("dram"), 0xc0u);
  EXPECT_EQ(at(4), std::string("dma.st"));
  EXPECT_EQ(out[5].get("sp"), 0x200u); // the RAW-on-DRAM load
  EXPECT_EQ(at(6), std::string("halt"));
  // A window of 1: each load moves at most one place (among the
  // instructions placed before it).
  std::vector<Instr> w1 = hoistLoads(code, Arch(), 1);
  EXPECT_EQ(w1[3].get("sp"), 0x300u);
  EXPECT_EQ(w1[4].get("sp"), 0x0u);
  EXPECT_EQ(w1[5].get("sp"), 0x200u);
}
