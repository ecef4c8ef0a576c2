//===- q4a-asm-fuzzer.cpp - fuzz quant4::q4a::parseAssembly --------------===//
//
// Input: Q4A assembly text (docs/ISA.md §7), e.g. test/Sim/Inputs/*.s.
//
// Properties of a text that parses (a valid program, ISA.h):
//  * printAssembly's text parses to a program that prints the same;
//  * writeBinary serializes it, and readBinary reads that back.
//
//===----------------------------------------------------------------------===//
#include "FuzzCheck.h"

#include "quant4/Target/Q4A/ISA.h"

#include <string_view>

using namespace quant4;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  q4a::AsmError err;
  std::optional<q4a::Program> p = q4a::parseAssembly(text, err);
  if (!p) {
    QUANT4_FUZZ_CHECK(!err.message.empty(), "parseAssembly failed silently");
    return 0;
  }
  std::string printed = q4a::printAssembly(*p);
  std::optional<q4a::Program> reparsed = q4a::parseAssembly(printed, err);
  QUANT4_FUZZ_CHECK(reparsed.has_value(),
                    "printAssembly's text of a parsed program does not parse");
  QUANT4_FUZZ_CHECK(q4a::printAssembly(*reparsed) == printed,
                    "assembly round trip changed the program");

  std::vector<uint8_t> bytes = q4a::writeBinary(*p);
  q4a::BinError berr;
  std::optional<q4a::Program> read =
      q4a::readBinary(bytes.data(), bytes.size(), berr);
  QUANT4_FUZZ_CHECK(read.has_value(),
                    "writeBinary's output of a parsed program does not read");
  QUANT4_FUZZ_CHECK(q4a::printAssembly(*read) == printed,
                    "binary round trip changed the program");
  return 0;
}
