//===- Loops.h - hardware loops from straight-line Q4A code -----*- C++ -*-===//
//
// Plain C++17 (no MLIR). Loop materialisation (docs/Q4ACompiler.md, stage
// 4): a scheduled, straight-line Q4A program repeats itself wherever the
// lowering tiled an op — the same instructions, tile after tile, with
// addresses that advance by a constant. materializeLoops finds such runs
// and rewrites each as a `loop` whose body is one period, every stepped
// field carrying its per-iteration step (docs/ISA.md §2.5), nested up to
// kMaxLoopDepth deep. The program it returns executes exactly the
// instructions of the one it was given, in the same order (q4a::Execution
// walks both alike), so every result bit and every cycle but the loops' own
// issue slots are the same; only its size changes.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_TARGET_Q4A_LOOPS_H
#define QUANT4_TARGET_Q4A_LOOPS_H

#include "quant4/Target/Q4A/ISA.h"

#include <vector>

namespace quant4::q4a {

struct LoopOptions {
  /// The longest loop body searched for, in (already rolled) instructions.
  unsigned maxBody = 4096;
};

/// `code` (straight-line: no `loop`, no steps) with every profitable run
/// of affinely repeating instructions rolled into loops. Two instructions
/// repeat when opcode, source label and every field that cannot step are
/// equal; a run rolls when it saves code words (each instruction inside
/// loops pays one step word per loop around it).
std::vector<Instr> materializeLoops(const std::vector<Instr> &code,
                                    const LoopOptions &opts = {});

/// The executed instruction sequence of `code` with its loops unrolled
/// (what q4a::Execution walks), for tests and for passes that need
/// straight-line code.
std::vector<Instr> unrollLoops(const std::vector<Instr> &code);

} // namespace quant4::q4a

#endif // QUANT4_TARGET_Q4A_LOOPS_H
