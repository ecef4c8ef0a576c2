//===- StraightLine.h - a q4a.program's code in and out of the passes -*- C++
//-*-===//
//
// The back-end passes over plain C++ code (hoisting, synchronisation, loop
// materialisation) take a program's straight-line instructions out and put
// the result back; each instruction's `source` indexes the locations the
// ops had, so that the new ops get them back.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_LIB_DIALECT_Q4A_TRANSFORMS_STRAIGHTLINE_H
#define QUANT4_LIB_DIALECT_Q4A_TRANSFORMS_STRAIGHTLINE_H

#include "quant4/Dialect/Q4A/IR/Q4A.h"

namespace mlir::q4a {

/// How an instruction taken out of a program refers to its op's location.
enum class SourceKey {
  /// Each its own (a pass moves an op and it keeps its location).
  Position,
  /// One per name location, none for others (instructions compare equal
  /// only with the same label, as in the binary's source map).
  Label,
};

/// The instructions of `program`, each with `source` indexing `locs` plus
/// one (0: none), or failure with a diagnostic: `loopsError` at a q4a.loop
/// (the passes work on straight-line code), or an op that does not convert.
FailureOr<std::vector<hw::Instr>>
straightLineCode(ProgramOp program, SourceKey key, StringRef loopsError,
                 SmallVectorImpl<Location> &locs);

/// Replaces the program's code with `code` (loops as q4a.loop ops), each op
/// at `locs[source - 1]`, or the program's location for an instruction a
/// pass added.
void replaceCode(ProgramOp program, ArrayRef<hw::Instr> code,
                 ArrayRef<Location> locs);

} // namespace mlir::q4a

#endif // QUANT4_LIB_DIALECT_Q4A_TRANSFORMS_STRAIGHTLINE_H
