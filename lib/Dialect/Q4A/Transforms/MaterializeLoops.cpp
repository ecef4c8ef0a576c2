//===- MaterializeLoops.cpp - q4a-materialize-loops -----------------------===//
//
// A thin pass over quant4::q4a::materializeLoops: the program's straight-line
// instructions out, the code with loops back in. Each instruction's source
// is its name location's (what the binary's source map keeps, the layer or
// op it was lowered from), so that instructions repeat only with the same
// label; other locations (a file and line) are not kept, as in the binary.
//
//===----------------------------------------------------------------------===//
#include "quant4/Dialect/Q4A/Transforms/Passes.h"

#include "quant4/Target/Q4A/Loops.h"

#include "StraightLine.h"

namespace mlir::q4a {
#define GEN_PASS_DEF_Q4AMATERIALIZELOOPS
#include "quant4/Dialect/Q4A/Transforms/Passes.h.inc"
} // namespace mlir::q4a

using namespace mlir;
using namespace mlir::q4a;

namespace {

struct Q4AMaterializeLoopsPass
    : mlir::q4a::impl::Q4AMaterializeLoopsBase<Q4AMaterializeLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    ProgramOp program = getOperation();
    SmallVector<Location> locs;
    FailureOr<std::vector<hw::Instr>> code = straightLineCode(
        program, SourceKey::Label,
        "q4a-materialize-loops takes straight-line code; the program already "
        "has loops",
        locs);
    if (failed(code))
      return signalPassFailure();
    hw::LoopOptions opts;
    opts.maxBody = maxBody;
    replaceCode(program, hw::materializeLoops(*code, opts), locs);
  }
};

} // namespace
