//===- sim-fuzzer.cpp - fuzz the Q4A simulator ---------------------------===//
//
// Input: a Q4A program followed by the bytes of its inputs.
//  * An input that starts with "Q4AB" is a binary container: the program is
//    its first N bytes, N the container's size field (offset 12) when that
//    lies within the input, else the whole input; its CRC is made consistent
//    (fixUpQ4ABinary) so that mutations of the code reach the simulator.
//  * Anything else is assembly text, up to the first NUL byte.
// The bytes after the program fill the program's inputs in order (zeros
// where they run out). A program that decodes is run with a budget of
// kMaxInstructions instructions, then every output is read.
//
// Properties: the simulator returns an error message (or success) for every
// valid program and inputs — it never crashes or touches memory out of
// bounds — and stops within its instruction budget; it takes inputs of the
// declared size, and refuses a program only with an error when its DRAM is
// over the simulator's limit.
//
//===----------------------------------------------------------------------===//
#include "FuzzCheck.h"
#include "Q4ABinary.h"

#include "quant4/Sim/Sim.h"

#include <algorithm>
#include <cstring>
#include <string_view>

using namespace quant4;

/// Enough for every program under test/ (executed instructions: a loop
/// counts its body once per iteration);
/// bounds the time of one input.
constexpr uint64_t kMaxInstructions = 20000;
/// Programs whose inputs and outputs together exceed this are skipped: the
/// fuzzer builds every input at its declared size and the simulator copies
/// every output out, under libFuzzer's RSS limit. (DRAM itself costs what
/// the program writes: the simulator allocates it in pages, so any declared
/// size up to its 2 GiB limit is fuzzed.) The largest program in test/
/// needs a few hundred KiB.
constexpr uint64_t kMaxFuzzTensorBytes = uint64_t(64) << 20;

static bool tensorsFit(const q4a::Program &p) {
  uint64_t total = 0;
  for (const auto *list : {&p.inputs, &p.outputs})
    for (const q4a::TensorDesc &t : *list) {
      total += t.byteSize(); // each <= the DRAM size (validated)
      if (total > kMaxFuzzTensorBytes)
        return false;
    }
  return true;
}

static std::optional<q4a::Program> decode(const uint8_t *data, size_t size,
                                          size_t &programBytes) {
  if (size >= 4 && std::memcmp(data, "Q4AB", 4) == 0) {
    programBytes = size;
    if (size >= 16) {
      uint64_t n = 0;
      for (unsigned i = 0; i < 4; ++i)
        n |= uint64_t(data[12 + i]) << (8 * i);
      if (n >= q4a::kHeaderBytes + 4 && n <= size)
        programBytes = size_t(n);
    }
    std::vector<uint8_t> bin = fuzz::fixUpQ4ABinary(data, programBytes);
    q4a::BinError err;
    return q4a::readBinary(bin.data(), bin.size(), err);
  }
  const void *nul = std::memchr(data, 0, size);
  size_t textBytes =
      nul ? size_t(static_cast<const uint8_t *>(nul) - data) : size;
  programBytes = nul ? textBytes + 1 : size;
  q4a::AsmError err;
  return q4a::parseAssembly(
      std::string_view(reinterpret_cast<const char *>(data), textBytes), err);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t used = 0;
  std::optional<q4a::Program> prog = decode(data, size, used);
  if (!prog || !tensorsFit(*prog))
    return 0;

  sim::Options opts;
  opts.maxInstructions = kMaxInstructions;
  sim::Simulator s(*prog, opts);
  // A valid program may declare more DRAM than the simulator models
  // (sim::kMaxDramBytes): then setInput and run refuse it, with the limit.
  if (prog->dramSize > sim::kMaxDramBytes) {
    QUANT4_FUZZ_CHECK(!s.run().empty(),
                      "a program over the simulator's DRAM limit ran");
    return 0;
  }
  const uint8_t *rest = data + used;
  size_t left = size - used;
  for (size_t i = 0; i < prog->inputs.size(); ++i) {
    // At most kMaxFuzzTensorBytes (tensorsFit).
    std::vector<uint8_t> bytes(size_t(prog->inputs[i].byteSize()), 0);
    size_t n = std::min(left, bytes.size());
    if (n) // memcpy's pointers must not be null, even for 0 bytes
      std::memcpy(bytes.data(), rest, n);
    rest += n;
    left -= n;
    std::string err = s.setInput(i, bytes.data(), bytes.size());
    QUANT4_FUZZ_CHECK(err.empty(), "an input of the declared size is refused");
  }
  std::string err = s.run();
  QUANT4_FUZZ_CHECK(s.stats().instructions <= kMaxInstructions,
                    "the simulator ran past its instruction budget");
  if (!err.empty())
    return 0;
  std::vector<uint8_t> out;
  for (size_t i = 0; i < prog->outputs.size(); ++i)
    (void)s.output(i, out);
  return 0;
}
