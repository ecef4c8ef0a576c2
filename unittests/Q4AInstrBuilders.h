//===- Q4AInstrBuilders.h - Q4A instructions for unit tests -----*- C++ -*-===//
//
// Shorthands the Q4A unit tests (unittests/Target, unittests/Sim) build
// instructions with.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_UNITTESTS_Q4AINSTRBUILDERS_H
#define QUANT4_UNITTESTS_Q4AINSTRBUILDERS_H

#include "quant4/Target/Q4A/ISA.h"

#include <initializer_list>
#include <utility>

namespace quant4::q4a::test {

/// An instruction with the named fields set (the others zero).
inline Instr I(Opcode op,
               std::initializer_list<std::pair<const char *, uint64_t>> f) {
  Instr in = Instr::make(op);
  for (auto &[n, v] : f)
    in.set(n, v);
  return in;
}

/// One contiguous DMA transfer (dma.ld or dma.st) of `bytes` between SP `sp`
/// and DRAM `dram`.
inline Instr dma(Opcode op, uint64_t sp, uint64_t dram, uint64_t bytes) {
  return I(op, {{"sp", sp},
                {"dram", dram},
                {"rows", 1},
                {"bytes", bytes},
                {"dstride", bytes},
                {"sstride", bytes}});
}
inline Instr dmaLoad(uint64_t sp, uint64_t dram, uint64_t bytes) {
  return dma(Opcode::DMA_LD, sp, dram, bytes);
}
inline Instr dmaStore(uint64_t sp, uint64_t dram, uint64_t bytes) {
  return dma(Opcode::DMA_ST, sp, dram, bytes);
}

} // namespace quant4::q4a::test

#endif // QUANT4_UNITTESTS_Q4AINSTRBUILDERS_H
