//===- Q4AEncodingTest.cpp - Q4A field packing and container --------------===//
#include "quant4/Target/Q4A/ISA.h"

#include <gtest/gtest.h>

using namespace quant4;
using namespace quant4::q4a;

namespace {
Instr mma() {
  Instr in = Instr::make(Opcode::MMA);
  in.set("tile", 5);
  in.set("accum", 1);
  in.set("ta", 0);
  in.set("tb", 1);
  in.set("m", 32);
  in.set("n", 7);
  in.set("k", 513);
  in.set("a", 0x12340);
  in.set("b", 0xfffff - 0x1000);
  in.set("lda", 513);
  in.set("ldb", 513);
  return in;
}
} // namespace

TEST(Q4AEncoding, FieldsAreContiguousFromBit8) {
  for (const OpInfo &op : instructionTable()) {
    unsigned pos = 8;
    for (const FieldInfo &f : op.fields) {
      EXPECT_EQ(f.lsb, pos) << op.mnemonic << " " << f.name;
      pos += f.width;
    }
    EXPECT_LE(pos, 128u) << op.mnemonic;
  }
}

TEST(Q4AEncoding, MmaPacking) {
  Instr in = mma();
  ASSERT_EQ(validate(in, Arch()), "");
  Word w = encode(in);
  EXPECT_EQ(w[0] & 0xFF, 0x21u);          // opcode
  EXPECT_EQ((w[0] >> 8) & 7, 5u);          // tile
  EXPECT_EQ((w[0] >> 11) & 1, 1u);         // accum
  EXPECT_EQ((w[0] >> 13) & 1, 1u);         // tb
  EXPECT_EQ((w[0] >> 14) & 63, 32u);       // m
  EXPECT_EQ((w[0] >> 20) & 63, 7u);        // n
  EXPECT_EQ((w[0] >> 26) & 0xFFFF, 513u);  // k
  EXPECT_EQ((w[0] >> 42) & 0xFFFFF, 0x12340u); // a
  // b straddles the two words: bits 62..81.
  uint64_t b = (w[0] >> 62) | ((w[1] & 0x3FFFF) << 2);
  EXPECT_EQ(b, 0xfffffu - 0x1000u);
  std::string err;
  auto back = decode(w, Arch(), &err);
  ASSERT_TRUE(back) << err;
  EXPECT_EQ(back->fields, in.fields);
}

TEST(Q4AEncoding, EveryOpcodeRoundTripsWithZeroOrMinimalFields) {
  for (const OpInfo &op : instructionTable()) {
    Instr in = Instr::make(op.opcode);
    for (size_t i = 0; i < op.fields.size(); ++i)
      in.fields[i] = op.fields[i].min;
    for (size_t i = 0; i < op.fields.size(); ++i)
      if (op.fields[i].dest)
        in.fields[i] = 1;
    if (int f = fieldIndex(op, "fmt"); f >= 0)
      in.fields[size_t(f)] = encodeFormat(num::Format::sint(4));
    if (op.opcode == Opcode::SPACT)
      in.set("fmt", encodeFormat(num::Format::uint(4)));
    if (op.opcode == Opcode::MCFG) {
      in.set("fa", encodeFormat(num::Format::sint(4)));
      in.set("fb", encodeFormat(num::Format::sint(4)));
    }
    if (op.opcode == Opcode::VTR)
      in.set("d", 0x100);
    if (op.opcode == Opcode::DEP_SIGNAL || op.opcode == Opcode::DEP_WAIT)
      in.set("peer", 2); // a token goes between two units (Q25)
    ASSERT_EQ(validate(in, Arch()), "") << op.mnemonic;
    std::string err;
    auto back = decode(encode(in), Arch(), &err);
    ASSERT_TRUE(back) << op.mnemonic << ": " << err;
    EXPECT_EQ(back->fields, in.fields) << op.mnemonic;
    // The assembly round-trips too.
    EXPECT_FALSE(printInstr(in).empty());
  }
}

TEST(Q4AEncoding, SignedFieldSignExtends) {
  Instr in = Instr::make(Opcode::SDLY);
  in.set("fd", 1);
  in.set("fmt", encodeFormat(num::Format::fp8e4m3()));
  in.set("margin", uint64_t(int64_t(-3)));
  in.set("h", 4);
  std::string err;
  auto back = decode(encode(in), Arch(), &err);
  ASSERT_TRUE(back) << err;
  EXPECT_EQ(int64_t(back->get("margin")), -3);
}

TEST(Q4AEncoding, FormatDescriptors) {
  for (num::Format f :
       {num::Format::log(4, 3, 0), num::Format::log(4, 3, 1),
        num::Format::log(2, 3, 0, -5), num::Format::log(16, 2, 1),
        num::Format::sint(4), num::Format::uint(8), num::Format::fp4e2m1(),
        num::Format::fp8e4m3(), num::Format::fp8e5m2(), num::Format::e8m0(),
        num::Format::fp16(), num::Format::bf16(), num::Format::fp32()}) {
    uint32_t d = encodeFormat(f);
    EXPECT_LT(d, 1u << 20);
    std::string err;
    auto back = decodeFormat(d, &err);
    ASSERT_TRUE(back) << f.str() << ": " << err;
    EXPECT_EQ(*back, f) << f.str();
  }
  std::string err;
  EXPECT_FALSE(decodeFormat(0xA, &err));                  // kind 10
  EXPECT_FALSE(decodeFormat(0x0, &err));                  // log radix code 0
  EXPECT_FALSE(decodeFormat(0x91, &err));                 // int9
  EXPECT_FALSE(decodeFormat(0x13, &err));                 // e2m1 with params
}

TEST(Q4AContainer, CrcMatchesZlib) {
  const char *s = "123456789";
  EXPECT_EQ(crc32(reinterpret_cast<const uint8_t *>(s), 9), 0xCBF43926u);
}

TEST(Q4AContainer, WriteReadIsIdentityAndDeterministic) {
  Program p;
  p.name = "unit";
  p.dramSize = 4096;
  TensorDesc x;
  x.name = "x";
  x.dtype = DType::Code;
  x.format = num::Format::log(4, 3, 1);
  x.shape = {4, 8};
  p.inputs.push_back(x);
  p.segments.push_back(Segment{1024, {1, 2, 3}});
  Instr cfg = Instr::make(Opcode::MCFG);
  cfg.set("fa", encodeFormat(num::Format::sint(4)));
  cfg.set("fb", encodeFormat(num::Format::sint(4)));
  p.code = {cfg, mma(), Instr::make(Opcode::HALT)};
  p.code[1].set("b", 0x100);
  ASSERT_EQ(p.validate(), "");
  std::vector<uint8_t> a = writeBinary(p), b = writeBinary(p);
  EXPECT_EQ(a, b);
  BinError err;
  auto q = readBinary(a.data(), a.size(), err);
  ASSERT_TRUE(q) << err.offset << ": " << err.message;
  EXPECT_EQ(printAssembly(*q), printAssembly(p));
  // Every single-byte truncation is rejected, never a crash.
  for (size_t n = 0; n < a.size(); ++n)
    EXPECT_FALSE(readBinary(a.data(), n, err)) << n;
  // Every single-bit flip is rejected (the CRC covers every byte).
  for (size_t i = 0; i < a.size(); ++i) {
    std::vector<uint8_t> c = a;
    c[i] ^= 0x10;
    EXPECT_FALSE(readBinary(c.data(), c.size(), err)) << i;
  }
}

TEST(Q4AAssembly, ParseErrorsNameTheLine) {
  AsmError err;
  EXPECT_FALSE(parseAssembly(".program p\n.dram 0x10\n.text\n  halt\n  bogus\n", err));
  EXPECT_EQ(err.line, 5u);
  EXPECT_NE(err.message.find("unknown mnemonic 'bogus'"), std::string::npos);
}
