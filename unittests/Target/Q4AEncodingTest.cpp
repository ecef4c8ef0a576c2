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

// The source map: labels travel with the instructions through the binary
// (version 1.3, 96-byte header) and the assembly (.source); an instruction
// without a label of its own belongs to the run before it.
TEST(Q4AContainer, SourceMapRoundTripsThroughBinaryAndAssembly) {
  Program p;
  p.name = "src";
  p.dramSize = 4096;
  p.code = {Instr::make(Opcode::NOP), Instr::make(Opcode::NOP),
            Instr::make(Opcode::NOP), Instr::make(Opcode::NOP),
            Instr::make(Opcode::HALT)};
  uint32_t conv = p.internSource("conv1.weight (lenet.mlir:36)");
  uint32_t odd = p.internSource("a \"quoted\" ; label\\");
  EXPECT_EQ(p.internSource("conv1.weight (lenet.mlir:36)"), conv);
  p.code[1].source = conv;
  p.code[2].source = 0; // continues conv's run
  p.code[3].source = odd;
  p.code[4].source = conv;
  ASSERT_EQ(p.validate(), "");
  EXPECT_EQ(p.sourceRuns(), (std::vector<uint32_t>{0, conv, conv, odd, conv}));

  std::vector<uint8_t> bin = writeBinary(p);
  EXPECT_EQ(bin[6], kVersionMinor);
  EXPECT_EQ(bin[8], kHeaderBytesWithSources);
  BinError err;
  auto q = readBinary(bin.data(), bin.size(), err);
  ASSERT_TRUE(q) << err.offset << ": " << err.message;
  EXPECT_EQ(q->sources, p.sources);
  std::vector<uint32_t> read;
  for (const Instr &in : q->code)
    read.push_back(in.source);
  EXPECT_EQ(read, p.sourceRuns());
  EXPECT_EQ(writeBinary(*q), bin);
  for (size_t n = 0; n < bin.size(); ++n)
    EXPECT_FALSE(readBinary(bin.data(), n, err)) << n;
  for (size_t i = 0; i < bin.size(); ++i) {
    std::vector<uint8_t> c = bin;
    c[i] ^= 0x10;
    EXPECT_FALSE(readBinary(c.data(), c.size(), err)) << i;
  }

  std::string text = printAssembly(p);
  EXPECT_NE(text.find(".source \"a \\\"quoted\\\" ; label\\\\\"\n  nop"),
            std::string::npos)
      << text;
  AsmError aerr;
  auto r = parseAssembly(text, aerr);
  ASSERT_TRUE(r) << aerr.line << ": " << aerr.message;
  EXPECT_EQ(r->sources, p.sources);
  EXPECT_EQ(printAssembly(*r), text);
  EXPECT_EQ(writeBinary(*r), bin);

  // A program without labels keeps the 80-byte header.
  for (Instr &in : p.code)
    in.source = 0;
  EXPECT_EQ(writeBinary(p)[8], kHeaderBytes);
}

TEST(Q4AContainer, MalformedSourceMapsAreRejected) {
  Program p;
  p.name = "src";
  p.dramSize = 4096;
  p.code = {Instr::make(Opcode::NOP), Instr::make(Opcode::HALT)};
  p.code[0].source = p.internSource("first");
  p.code[1].source = p.internSource("second");
  std::vector<uint8_t> bin = writeBinary(p);
  auto at = [&](std::vector<uint8_t> b, size_t off, uint32_t v) {
    for (unsigned i = 0; i < 4; ++i)
      b[off + i] = uint8_t(v >> (8 * i));
    uint32_t crc = crc32(b.data(), b.size() - 4);
    for (unsigned i = 0; i < 4; ++i)
      b[b.size() - 4 + i] = uint8_t(crc >> (8 * i));
    return b;
  };
  uint32_t map =
      uint32_t(bin[80] | bin[81] << 8 | bin[82] << 16 | bin[83] << 24);
  BinError err;
  auto expect = [&](const std::vector<uint8_t> &b, uint64_t off,
                    const std::string &what) {
    EXPECT_FALSE(readBinary(b.data(), b.size(), err)) << what;
    EXPECT_EQ(err.offset, off) << err.message;
    EXPECT_NE(err.message.find(what), std::string::npos) << err.message;
  };
  expect(at(bin, map, 7), map, "pc 7 is past the last instruction");
  expect(at(bin, map + 8, 0), map + 8, "does not follow the previous entry's");
  expect(at(bin, map + 4, 100000), map + 4, "outside the string table");
  expect(at(bin, 88, 1), 88, "reserved header bytes 88..95");
  expect(at(bin, 6, 2) /* version 1.2 */, 8, "version 1.2 has no source map");
  // Q26 in Program::validate: unique, non-empty labels that exist.
  Program bad = p;
  bad.sources.push_back("first");
  EXPECT_NE(bad.validate().find("listed twice (Q26)"), std::string::npos);
  bad = p;
  bad.code[0].source = 9;
  EXPECT_NE(bad.validate().find("does not exist"), std::string::npos);
  AsmError aerr;
  EXPECT_FALSE(parseAssembly(
      ".program p\n.dram 0x10\n.text\n.source \"\"\n  halt\n", aerr));
  EXPECT_NE(aerr.message.find("empty label"), std::string::npos);
  EXPECT_FALSE(parseAssembly(".program p\n.source \"x\"\n.dram 0x10\n", aerr));
  EXPECT_NE(aerr.message.find("belongs after '.text'"), std::string::npos);
  EXPECT_FALSE(
      parseAssembly(".program p\n.dram 0x10\n.text\n.source \"x\n", aerr));
  EXPECT_NE(aerr.message.find("unterminated label"), std::string::npos);
  // A NUL byte would end the label's string in the binary (found by
  // q4a-asm-fuzzer: the binary round trip changed the program).
  std::string nul = ".program p\n.dram 0x10\n.text\n.source \"a";
  nul += '\0';
  nul += "b\"\n  halt\n";
  EXPECT_FALSE(parseAssembly(nul, aerr));
  EXPECT_NE(aerr.message.find("NUL byte in a label"), std::string::npos);
  bad = p;
  bad.sources[0] = std::string("a\0b", 3);
  EXPECT_NE(bad.validate().find("contains a NUL byte"), std::string::npos);
}

TEST(Q4AAssembly, ParseErrorsNameTheLine) {
  AsmError err;
  EXPECT_FALSE(parseAssembly(".program p\n.dram 0x10\n.text\n  halt\n  bogus\n", err));
  EXPECT_EQ(err.line, 5u);
  EXPECT_NE(err.message.find("unknown mnemonic 'bogus'"), std::string::npos);
}
