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

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

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
    Block &body = program.getBody().front();
    std::vector<hw::Instr> code;
    SmallVector<Location> locs;
    llvm::DenseMap<StringAttr, uint32_t> ids;
    for (Operation &op : body) {
      if (isa<LoopOp>(op)) {
        op.emitOpError("q4a-materialize-loops takes straight-line code; the "
                       "program already has loops");
        return signalPassFailure();
      }
      FailureOr<hw::Instr> in = toInstr(&op);
      if (failed(in))
        return signalPassFailure();
      if (auto name = dyn_cast<NameLoc>(op.getLoc())) {
        auto [it, added] = ids.try_emplace(name.getName(), locs.size() + 1);
        if (added)
          locs.push_back(name);
        in->source = it->second;
      }
      code.push_back(std::move(*in));
    }
    hw::LoopOptions opts;
    opts.maxBody = maxBody;
    std::vector<hw::Instr> rolled = hw::materializeLoops(code, opts);
    body.clear();
    OpBuilder b = OpBuilder::atBlockEnd(&body);
    buildCode(b, rolled, [&](const hw::Instr &in) -> Location {
      return in.source ? locs[in.source - 1] : program.getLoc();
    });
  }
};

} // namespace
