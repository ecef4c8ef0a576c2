//===- q4a-binary-fuzzer.cpp - fuzz quant4::q4a::readBinary --------------===//
//
// Input: a Q4A binary container (docs/ISA.md §8), e.g. the output of
// `quant4-translate --q4a-to-bin`. Each input is read twice: as it is (the
// header, size and CRC checks) and with its size field and CRC made
// consistent (fixUpQ4ABinary), which lets mutations reach the sections.
//
// Property: a binary that reads back is a valid program (ISA.h), so
// writeBinary must serialize it, and reading that again must give the same
// program (compared through its assembly text).
//
//===----------------------------------------------------------------------===//
#include "FuzzCheck.h"
#include "Q4ABinary.h"

using namespace quant4;

static void readAndCheck(const uint8_t *data, size_t size) {
  q4a::BinError err;
  std::optional<q4a::Program> p = q4a::readBinary(data, size, err);
  if (!p) {
    QUANT4_FUZZ_CHECK(!err.message.empty(), "readBinary failed silently");
    return;
  }
  std::vector<uint8_t> bytes = q4a::writeBinary(*p);
  std::optional<q4a::Program> again =
      q4a::readBinary(bytes.data(), bytes.size(), err);
  QUANT4_FUZZ_CHECK(again.has_value(),
                    "writeBinary's output of a read program does not read");
  QUANT4_FUZZ_CHECK(q4a::printAssembly(*p) == q4a::printAssembly(*again),
                    "binary round trip changed the program");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  readAndCheck(data, size);
  std::vector<uint8_t> fixed = fuzz::fixUpQ4ABinary(data, size);
  readAndCheck(fixed.data(), fixed.size());
  return 0;
}
