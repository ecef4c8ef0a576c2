//===- Synchronize.cpp - q4a-synchronize ----------------------------------===//
//
// A thin pass over the plain C++ scheduler (quant4::q4a::synchronize): the
// program's instructions out, synchronised instructions back in.
//
//===----------------------------------------------------------------------===//
#include "quant4/Dialect/Q4A/Transforms/Passes.h"

#include "quant4/Target/Q4A/Synchronize.h"

#include "mlir/IR/Builders.h"

namespace mlir::q4a {
#define GEN_PASS_DEF_Q4ASYNCHRONIZE
#include "quant4/Dialect/Q4A/Transforms/Passes.h.inc"
} // namespace mlir::q4a

using namespace mlir;
using namespace mlir::q4a;

namespace {

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
    Block &body = program.getBody().front();
    std::vector<hw::Instr> code;
    SmallVector<Location> locs;
    for (Operation &op : body) {
      FailureOr<hw::Instr> in = toInstr(&op);
      if (failed(in))
        return signalPassFailure();
      code.push_back(std::move(*in));
    }
    std::vector<hw::Instr> out = hw::synchronize(code, getArch(program), m);
    body.clear();
    OpBuilder b = OpBuilder::atBlockEnd(&body);
    for (const hw::Instr &in : out)
      createInstrOp(b, program.getLoc(), in);
  }
};

} // namespace
