//===- Synchronize.cpp - q4a-hoist-loads, q4a-synchronize -----------------===//
//
// Thin passes over the plain C++ scheduling code (quant4::q4a::hoistLoads,
// quant4::q4a::synchronize): the program's instructions out, the reordered
// or synchronised instructions back in.
//
//===----------------------------------------------------------------------===//
#include "quant4/Dialect/Q4A/Transforms/Passes.h"

#include "StraightLine.h"

#include "quant4/Target/Q4A/Synchronize.h"

namespace mlir::q4a {
#define GEN_PASS_DEF_Q4AHOISTLOADS
#define GEN_PASS_DEF_Q4ASYNCHRONIZE
#include "quant4/Dialect/Q4A/Transforms/Passes.h.inc"
} // namespace mlir::q4a

using namespace mlir;
using namespace mlir::q4a;

namespace {

/// A scheduling pass's input: straight-line code, each instruction with its
/// own location.
FailureOr<std::vector<hw::Instr>> instructionsOf(ProgramOp program,
                                                 SmallVector<Location> &locs) {
  return straightLineCode(program, SourceKey::Position,
                          "the scheduling passes work on straight-line code: "
                          "run q4a-materialize-loops after them",
                          locs);
}

struct Q4AHoistLoadsPass
    : mlir::q4a::impl::Q4AHoistLoadsBase<Q4AHoistLoadsPass> {
  using Base::Base;

  void runOnOperation() override {
    ProgramOp program = getOperation();
    SmallVector<Location> locs;
    FailureOr<std::vector<hw::Instr>> code = instructionsOf(program, locs);
    if (failed(code))
      return signalPassFailure();
    replaceCode(program, hw::hoistLoads(*code, getArch(program), window), locs);
  }
};

struct Q4ASynchronizePass
    : mlir::q4a::impl::Q4ASynchronizeBase<Q4ASynchronizePass> {
  using Base::Base;

  void runOnOperation() override {
    ProgramOp program = getOperation();
    hw::SyncMode m;
    if (mode == "tokens") {
      m = hw::SyncMode::Tokens;
    } else if (mode == "serial") {
      m = hw::SyncMode::Serial;
    } else {
      program.emitError("q4a-synchronize: unknown mode '")
          << mode << "' (expected 'tokens' or 'serial')";
      return signalPassFailure();
    }
    SmallVector<Location> locs;
    FailureOr<std::vector<hw::Instr>> code = instructionsOf(program, locs);
    if (failed(code))
      return signalPassFailure();
    replaceCode(program, hw::synchronize(*code, getArch(program), m), locs);
  }
};

} // namespace
