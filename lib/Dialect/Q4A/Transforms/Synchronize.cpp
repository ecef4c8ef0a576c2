//===- Synchronize.cpp - q4a-hoist-loads, q4a-synchronize -----------------===//
//
// Thin passes over the plain C++ scheduling code (quant4::q4a::hoistLoads,
// quant4::q4a::synchronize): the program's instructions out, the reordered
// or synchronised instructions back in.
//
//===----------------------------------------------------------------------===//
#include "quant4/Dialect/Q4A/Transforms/Passes.h"

#include "quant4/Target/Q4A/Synchronize.h"

#include "mlir/IR/Builders.h"

namespace mlir::q4a {
#define GEN_PASS_DEF_Q4AHOISTLOADS
#define GEN_PASS_DEF_Q4ASYNCHRONIZE
#include "quant4/Dialect/Q4A/Transforms/Passes.h.inc"
} // namespace mlir::q4a

using namespace mlir;
using namespace mlir::q4a;

namespace {

/// The program's instructions, or failure (with a diagnostic). Each one's
/// `source` is its position plus one, so that setInstructions can give an
/// instruction a pass moved its location back (one a pass adds has none).
FailureOr<std::vector<hw::Instr>> instructionsOf(ProgramOp program,
                                                 SmallVector<Location> &locs) {
  std::vector<hw::Instr> code;
  for (Operation &op : program.getBody().front()) {
    if (isa<LoopOp>(op))
      return op.emitOpError("the scheduling passes work on straight-line "
                            "code: run q4a-materialize-loops after them");
    FailureOr<hw::Instr> in = toInstr(&op);
    if (failed(in))
      return failure();
    locs.push_back(op.getLoc());
    in->source = uint32_t(locs.size());
    code.push_back(std::move(*in));
  }
  return code;
}

/// Replaces the program's instructions.
void setInstructions(ProgramOp program, const std::vector<hw::Instr> &code,
                     ArrayRef<Location> locs) {
  Block &body = program.getBody().front();
  body.clear();
  OpBuilder b = OpBuilder::atBlockEnd(&body);
  for (const hw::Instr &in : code)
    createInstrOp(b, in.source ? locs[in.source - 1] : program.getLoc(), in);
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
    setInstructions(program, hw::hoistLoads(*code, getArch(program), window),
                    locs);
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
    setInstructions(program, hw::synchronize(*code, getArch(program), m), locs);
  }
};

} // namespace
