//===- WidenMath.cpp - f32 exp/log/tanh through double --------------------===//
//
// See the description of quant4-cpu-widen-math in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quant4/Conversion/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4CPUWIDENMATH
#include "quant4/Conversion/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;

namespace {
struct WidenMathPass
    : mlir::quant4::impl::Quant4CPUWidenMathBase<WidenMathPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<math::ExpOp, math::LogOp, math::TanhOp>(op) &&
          op->getResult(0).getType().isF32())
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      Value wide =
          arith::ExtFOp::create(b, loc, b.getF64Type(), op->getOperand(0));
      Operation *wideOp = b.create(loc, op->getName().getIdentifier(),
                                   ValueRange{wide}, TypeRange{b.getF64Type()},
                                   op->getAttrs());
      Value narrow = arith::TruncFOp::create(b, loc, b.getF32Type(),
                                             wideOp->getResult(0));
      op->getResult(0).replaceAllUsesWith(narrow);
      op->erase();
    }
  }
};
} // namespace
