//===- Q4ALoopsTest.cpp - Q4A loops: encoding, rules, walk, rolling
//--------===//
#include "quant4/Target/Q4A/ISA.h"
#include "quant4/Target/Q4A/Loops.h"

#include "../Q4AInstrBuilders.h"

#include <gtest/gtest.h>

#include <random>

using namespace quant4;
using namespace quant4::q4a;
using test::I;

namespace {

Instr loop(uint64_t count, uint64_t len) {
  return I(Opcode::LOOP, {{"count", count}, {"len", len}});
}

/// `in` with one step vector per loop around it: {field, step} pairs.
Instr stepped(Instr in,
              std::initializer_list<
                  std::initializer_list<std::pair<const char *, int64_t>>>
                  loops) {
  const OpInfo *info = lookup(in.opcode);
  for (const auto &l : loops) {
    std::vector<int64_t> s(info->fields.size(), 0);
    for (const auto &[name, v] : l)
      s[size_t(fieldIndex(*info, name))] = v;
    in.steps.push_back(std::move(s));
  }
  return in;
}

Program program(std::vector<Instr> code) {
  Program p;
  p.name = "loops";
  p.dramSize = 0x10000;
  p.code = std::move(code);
  return p;
}

Instr vadd(uint64_t d, uint64_t a, uint64_t b) {
  return I(
      Opcode::VOP,
      {{"fn", uint64_t(VFn::Add)}, {"n", 4}, {"d", d}, {"a", a}, {"b", b}});
}

/// Two nested loops (2 x 3) around a DMA that steps in both and a vop that
/// steps in the inner one only.
Program nested() {
  return program({
      loop(2, 3),
      loop(3, 2),
      stepped(test::dmaLoad(0x1000, 0x100, 16),
              {{{"sp", 0x100}, {"dram", 0x40}}, {{"sp", 0x10}, {"dram", -4}}}),
      stepped(vadd(0x2000, 0x1000, 0x1000), {{}, {{"d", 0x10}}}),
      I(Opcode::HALT, {}),
  });
}

std::string errorOf(std::vector<Instr> code) {
  return program(std::move(code)).validate();
}

} // namespace

TEST(Q4ALoops, ExecutionAppliesTheStepsOfEveryLoopAround) {
  Program p = nested();
  ASSERT_EQ(p.validate(), "");
  Execution ex(p);
  std::vector<std::pair<size_t, std::vector<uint64_t>>> seen;
  while (const Instr *in = ex.next())
    if (in->opcode == Opcode::DMA_LD)
      seen.push_back({ex.pc(), {in->get("sp"), in->get("dram")}});
  ASSERT_EQ(seen.size(), 6u);
  size_t k = 0;
  for (uint64_t i0 = 0; i0 < 2; ++i0)
    for (uint64_t i1 = 0; i1 < 3; ++i1, ++k) {
      EXPECT_EQ(seen[k].first, 2u);
      EXPECT_EQ(seen[k].second[0], 0x1000 + 0x100 * i0 + 0x10 * i1);
      EXPECT_EQ(seen[k].second[1], 0x100 + 0x40 * i0 - 4 * i1);
    }
  // Executed: the outer loop once, the inner one per outer iteration, the
  // body 6 times each, then halt.
  std::vector<Instr> flat = unrollLoops(p.code);
  EXPECT_EQ(flat.size(), 13u);
  EXPECT_EQ(flat[1].get("d"), 0x2000u);
  EXPECT_EQ(flat[3].get("d"), 0x2010u);
  EXPECT_EQ(flat[7].get("d"), 0x2000u); // the inner loop starts again
}

TEST(Q4ALoops, BinaryAndAssemblyRoundTripStepWords) {
  Program p = nested();
  ASSERT_EQ(p.validate(), "");
  EXPECT_EQ(p.codeWords(), 5u + 2u + 2u); // dma and vop: two step words each
  std::vector<uint8_t> bin = writeBinary(p);
  BinError err;
  std::optional<Program> back = readBinary(bin.data(), bin.size(), err);
  ASSERT_TRUE(back) << err.message;
  ASSERT_EQ(back->code.size(), p.code.size());
  for (size_t i = 0; i < p.code.size(); ++i) {
    EXPECT_EQ(back->code[i].fields, p.code[i].fields) << i;
    EXPECT_EQ(back->code[i].steps, p.code[i].steps) << i;
  }
  // The step word: opcode 0x06, each step two's complement in its field.
  Word w = encodeSteps(p.code[2], 1);
  EXPECT_EQ(w[0] & 0xFF, kStepWordOpcode);
  const OpInfo &dma = *lookup(Opcode::DMA_LD);
  const FieldInfo &dram = dma.fields[size_t(fieldIndex(dma, "dram"))];
  uint64_t raw = 0;
  for (unsigned b = 0; b < dram.width; ++b) {
    unsigned at = dram.lsb + b;
    raw |= ((w[at / 64] >> (at % 64)) & 1) << b;
  }
  EXPECT_EQ(raw, 0xFFFFFFFCu); // -4 in 32 bits
  std::string text = printAssembly(p);
  EXPECT_NE(text.find("loop count=3, len=2\n      dma.ld "
                      "sp=0x1000+0x100*i0+0x10*i1, dram=0x100+0x40*i0-0x4*i1"),
            std::string::npos)
      << text;
  AsmError aerr;
  std::optional<Program> parsed = parseAssembly(text, aerr);
  ASSERT_TRUE(parsed) << aerr.line << ": " << aerr.message;
  EXPECT_EQ(writeBinary(*parsed), bin);
}

TEST(Q4ALoops, StructureRulesQ27) {
  Instr ld = test::dmaLoad(0, 0, 16);
  auto in1 = [&](Instr in) { return stepped(std::move(in), {{}}); };
  auto in2 = [&](Instr in) { return stepped(std::move(in), {{}, {}}); };
  EXPECT_NE(
      errorOf({loop(2, 2), in1(ld)})
          .find(
              "its body of 2 instructions runs past the end of the code (Q27)"),
      std::string::npos);
  EXPECT_NE(errorOf({loop(2, 2), loop(2, 2), in2(ld), in1(ld)})
                .find("runs past the end of the enclosing loop's body (Q27)"),
            std::string::npos);
  std::vector<Instr> deep;
  for (unsigned d = 0; d <= kMaxLoopDepth; ++d)
    deep.push_back(loop(2, kMaxLoopDepth - d + 1));
  Instr body = ld;
  body.steps.assign(kMaxLoopDepth + 1, std::vector<int64_t>(6, 0));
  deep.push_back(body);
  EXPECT_NE(errorOf(deep).find("loops nest deeper than 4 (Q27)"),
            std::string::npos);
  EXPECT_NE(errorOf({loop(2, 1), in1(I(Opcode::HALT, {}))})
                .find("halt: inside a loop (Q27)"),
            std::string::npos);
  EXPECT_EQ(errorOf({loop(2, 1), in1(ld)}), "");
}

TEST(Q4ALoops, StepRulesQ28) {
  Instr ld = test::dmaLoad(0, 0, 16);
  // Every instruction inside loops has a step word per loop.
  EXPECT_NE(
      errorOf({loop(2, 1), ld})
          .find("inside 1 loop(s) it needs as many step words, it has 0 (Q28)"),
      std::string::npos);
  Instr looped = loop(2, 1);
  looped.steps.push_back({0, 0});
  EXPECT_NE(errorOf({loop(2, 1), looped, stepped(ld, {{}, {}})})
                .find("a loop instruction has no step words (Q28)"),
            std::string::npos);
  // Only addresses, strides, immediates and accumulator tiles step.
  EXPECT_NE(errorOf({loop(2, 1), stepped(ld, {{{"rows", 1}}})})
                .find("field 'rows' cannot step (Q28)"),
            std::string::npos);
  // A stepped field stays in its range in every iteration.
  EXPECT_NE(errorOf({loop(3, 1),
                     stepped(test::dmaLoad(0x10, 0, 16), {{{"sp", -0x10}}})})
                .find("field 'sp' leaves its range [0x0, 0xfffff] in the "
                      "iteration (2) (Q28)"),
            std::string::npos);
  // ... and so does everything it addresses (Q6, Q21), in the last
  // iteration as in the first.
  EXPECT_NE(errorOf({loop(3, 1),
                     stepped(test::dmaLoad(0x7FFE0, 0, 16), {{{"sp", 0x10}}})})
                .find("exceeds the 524288-byte scratchpad (Q6) (in the "
                      "iteration (2))"),
            std::string::npos);
  EXPECT_NE(errorOf({loop(3, 1),
                     stepped(test::dmaLoad(0, 0xFFE0, 16), {{{"dram", 0x10}}})})
                .find("exceeds the program's DRAM size 0x10000 (Q21) (in the "
                      "iteration (2))"),
            std::string::npos);
  EXPECT_EQ(errorOf({loop(2, 1),
                     stepped(test::dmaLoad(0x7FFE0, 0, 16), {{{"sp", 0x10}}})}),
            "");
  // vtr: the operands overlap in iteration 2 of 5 although they do not in
  // the first and the last (Q11 over the whole span).
  Instr vtr =
      I(Opcode::VTR,
        {{"esz", 2}, {"rows", 2}, {"cols", 2}, {"d", 0x100}, {"s", 0x140}});
  EXPECT_NE(errorOf({loop(5, 1), stepped(vtr, {{{"s", -0x20}}})})
                .find("vtr: source and destination may overlap in some "
                      "iteration (Q11)"),
            std::string::npos);
  EXPECT_EQ(errorOf({loop(5, 1), stepped(vtr, {{{"s", 0x20}}})}), "");
}

TEST(Q4ALoops, MmaOperandsUnderTheMcfgOfThePreviousIteration) {
  auto mcfg = [](num::Format f) {
    return I(Opcode::MCFG,
             {{"fa", encodeFormat(f)}, {"fb", encodeFormat(f)}, {"acc", 0}});
  };
  Instr mma = I(Opcode::MMA, {{"m", 32},
                              {"n", 32},
                              {"k", 32},
                              {"a", 0x7F800},
                              {"b", 0},
                              {"lda", 32},
                              {"ldb", 32}});
  // One-byte operands fit; the body's own f32 mcfg is in force from the
  // second iteration on and makes operand a 4 KiB: past the scratchpad.
  std::vector<Instr> code = {mcfg(num::Format::sint(4)), loop(2, 2),
                             stepped(mma, {{}}),
                             stepped(mcfg(num::Format::fp32()), {{}})};
  EXPECT_NE(errorOf(code).find("mma: operand a"), std::string::npos);
  code[1] = loop(1, 2); // one iteration: the mma only sees the int4 mcfg
  EXPECT_EQ(errorOf(code), "");
}

TEST(Q4ALoops, ReaderRejectsMalformedStepWords) {
  Program p = nested();
  std::vector<uint8_t> bin = writeBinary(p);
  uint32_t codeOff = uint32_t(bin[40] | bin[41] << 8 | bin[42] << 16 |
                              uint32_t(bin[43]) << 24);
  auto reread = [&](std::vector<uint8_t> b) {
    uint32_t crc = crc32(b.data(), b.size() - 4);
    for (int i = 0; i < 4; ++i)
      b[b.size() - 4 + size_t(i)] = uint8_t(crc >> (8 * i));
    BinError err;
    std::optional<Program> r = readBinary(b.data(), b.size(), err);
    return r ? std::string() : err.message;
  };
  // Word 3 is the dma's first step word.
  size_t step = codeOff + 3 * kInstrBytes;
  std::vector<uint8_t> b = bin;
  b[step] = 0x10; // an instruction where the step word belongs

  EXPECT_NE(reread(b).find("inside a loop, a step word (opcode 0x6) must "
                           "follow it, got opcode 0x10 (Q28)"),
            std::string::npos);
  b = bin;
  // Word 6 is the vop's first step word: bits 117..127 are no vop field.
  b[codeOff + 6 * kInstrBytes + 15] = 0x80;
  EXPECT_NE(reread(b).find("a reserved bit of its step word is set (Q4)"),
            std::string::npos);
  b = bin;
  b[step + 8] |= 0x01; // bit 64: in 'rows' (bits 60..71), which cannot step
  EXPECT_NE(reread(b).find("field 'rows' cannot step (Q28)"),
            std::string::npos);
  EXPECT_EQ(reread(bin), "");
}

TEST(Q4ALoops, MaterializeRollsAffineRunsAndKeepsTheSequence) {
  // for i < 10: load block i, add it into an accumulator block, tile i % 1
  std::vector<Instr> code;
  for (uint64_t i = 0; i < 10; ++i) {
    code.push_back(test::dmaLoad(0x100 * i, 0x40 * i, 64));
    code.push_back(vadd(0x4000, 0x4000, 0x100 * i));
  }
  code.push_back(I(Opcode::HALT, {}));
  std::vector<Instr> rolled = materializeLoops(code);
  ASSERT_EQ(rolled.size(), 4u);
  EXPECT_EQ(rolled[0].opcode, Opcode::LOOP);
  EXPECT_EQ(rolled[0].get("count"), 10u);
  EXPECT_EQ(rolled[0].get("len"), 2u);
  const OpInfo &dma = *lookup(Opcode::DMA_LD);
  EXPECT_EQ(rolled[1].steps.at(0)[size_t(fieldIndex(dma, "sp"))], 0x100);
  EXPECT_EQ(rolled[1].steps.at(0)[size_t(fieldIndex(dma, "dram"))], 0x40);
  EXPECT_EQ(rolled[3].opcode, Opcode::HALT);
  EXPECT_EQ(program(rolled).validate(), "");
  std::vector<Instr> back = unrollLoops(rolled);
  ASSERT_EQ(back.size(), code.size());
  for (size_t i = 0; i < code.size(); ++i)
    EXPECT_EQ(back[i].fields, code[i].fields) << i;

  // Not affine (i * i), another row count, another source: no loop.
  for (int variant = 0; variant < 3; ++variant) {
    std::vector<Instr> c;
    for (uint64_t i = 0; i < 6; ++i) {
      Instr in = test::dmaLoad(variant == 0 ? 0x10 * i * i : 0x10 * i, 0, 16);
      if (variant == 1 && i == 3)
        in.set("rows", 2);
      if (variant == 2)
        in.source = uint32_t(i % 2 + 1);
      c.push_back(in);
    }
    std::vector<Instr> r = materializeLoops(c);
    if (variant == 2) { // two sources alternating: a loop of period 2
      ASSERT_EQ(r.size(), 3u);
      EXPECT_EQ(r[0].get("count"), 3u);
      EXPECT_EQ(r[0].source, 1u);
      continue;
    }
    for (const Instr &in : r)
      EXPECT_NE(in.opcode, Opcode::LOOP) << variant;
  }
}

TEST(Q4ALoops, MaterializeNestsAtMostFourDeep) {
  // A 5-dimensional walk of 4 x 4 x 4 x 4 x 4 tiles: each address sums a
  // stride per dimension (digit d of x in base 4 times stride d), so only
  // nested loops roll it, and one dimension has to stay unrolled.
  std::vector<Instr> code;
  const uint64_t strides[5] = {0x2, 0x10, 0x80, 0x400, 0x2000};
  for (uint64_t x = 0; x < 1024; ++x) {
    uint64_t sp = 0;
    for (int d = 0; d < 5; ++d)
      sp += ((x >> (2 * d)) & 3) * strides[d];
    code.push_back(test::dmaLoad(sp, 0, 1));
  }
  std::vector<Instr> rolled = materializeLoops(code);
  Program p = program(rolled);
  ASSERT_EQ(p.validate(), "");
  EXPECT_LE(rolled.size(), 20u);
  unsigned depth = 0;
  for (const Instr &in : rolled)
    depth = std::max<unsigned>(depth, unsigned(in.steps.size()));
  EXPECT_GE(depth, 2u);
  EXPECT_LE(depth, kMaxLoopDepth);
  std::vector<Instr> back = unrollLoops(rolled);
  ASSERT_EQ(back.size(), code.size());
  for (size_t i = 0; i < code.size(); ++i)
    EXPECT_EQ(back[i].fields, code[i].fields) << i;
}

TEST(Q4ALoops, RandomRepetitiveProgramsRollAndUnrollExactly) {
  std::mt19937 g(20261208);
  auto pick = [&](uint64_t n) { return uint64_t(g() % n); };
  for (int trial = 0; trial < 200; ++trial) {
    // Runs of a few instruction templates, each repeated with strides,
    // sometimes with a perturbed repetition.
    std::vector<Instr> code;
    while (code.size() < 300) {
      uint64_t period = 1 + pick(4), reps = 1 + pick(12);
      std::vector<std::pair<Instr, uint64_t>> block;
      for (uint64_t t = 0; t < period; ++t) {
        Instr in = pick(2) ? test::dmaLoad(16 * pick(64), 16 * pick(64), 16)
                           : vadd(16 * pick(64), 16 * pick(64), 16 * pick(64));
        block.push_back({in, 16 * pick(4)});
      }
      for (uint64_t r = 0; r < reps; ++r)
        for (auto &[in, stride] : block) {
          Instr x = in;
          uint64_t s = r == 5 && pick(3) == 0 ? stride + 16 : stride;
          const char *f = x.opcode == Opcode::VOP ? "d" : "sp";
          x.set(f, x.get(f) + r * s);
          code.push_back(x);
        }
    }
    std::vector<Instr> rolled = materializeLoops(code);
    Program p = program(rolled);
    ASSERT_EQ(p.validate(), "") << "trial " << trial;
    EXPECT_LE(p.codeWords(), code.size()) << "trial " << trial;
    std::vector<Instr> back = unrollLoops(rolled);
    ASSERT_EQ(back.size(), code.size()) << "trial " << trial;
    for (size_t i = 0; i < code.size(); ++i)
      ASSERT_EQ(back[i].fields, code[i].fields)
          << "trial " << trial << " instruction " << i;
  }
}
