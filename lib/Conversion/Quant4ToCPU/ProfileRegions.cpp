//===- ProfileRegions.cpp - time compiled ops by class --------------------===//
//
// See the description of quant4-cpu-profile-regions in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quant4/Conversion/Passes.h"
#include "quant4/Runtime/Runtime.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/Builders.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4CPUPROFILEREGIONS
#include "quant4/Conversion/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;

namespace {
constexpr llvm::StringLiteral kBegin = "quant4_rt_profile_begin";
constexpr llvm::StringLiteral kEnd = "quant4_rt_profile_end";

/// A linalg op whose body only forwards block arguments (a copy, transpose
/// or broadcast written as linalg.generic).
bool onlyMovesData(linalg::LinalgOp op) {
  Block *body = op.getBlock();
  if (!body || body->getOperations().size() != 1) // the yield alone
    return false;
  return llvm::all_of(body->getTerminator()->getOperands(), [&](Value v) {
    auto arg = dyn_cast<BlockArgument>(v);
    return arg && arg.getOwner() == body;
  });
}

/// A contraction or convolution: its body multiplies (pooling ops, which
/// are convolutions to linalg's interfaces, only compare or add).
bool multiplies(linalg::LinalgOp op) {
  return (linalg::isaContractionOpInterface(op) ||
          isa<linalg::ConvolutionOpInterface>(op.getOperation())) &&
         llvm::any_of(op.getBlock()->without_terminator(), [](Operation &o) {
           return isa<arith::MulFOp, arith::MulIOp>(o);
         });
}

/// The profile class of `op`, or -1 when it is not timed.
int profileClass(Operation *op) {
  if (isa<memref::CopyOp>(op))
    return QUANT4_RT_PROFILE_DATAMOVE;
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !linalgOp.hasPureBufferSemantics())
    return -1;
  if (isa<linalg::FillOp, linalg::CopyOp, linalg::TransposeOp,
          linalg::BroadcastOp>(op) ||
      onlyMovesData(linalgOp))
    return QUANT4_RT_PROFILE_DATAMOVE;
  if (multiplies(linalgOp))
    return QUANT4_RT_PROFILE_LOOPGEMM;
  if (linalgOp.getNumReductionLoops() > 0)
    return QUANT4_RT_PROFILE_REDUCTION;
  return QUANT4_RT_PROFILE_ELEMENTWISE;
}

/// The runtime function `name` of type `type`, declared on first use.
func::FuncOp declare(ModuleOp module, StringRef name, FunctionType type) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b(module.getBodyRegion());
  auto f = func::FuncOp::create(b, module.getLoc(), name, type);
  f.setPrivate();
  return f;
}

struct ProfileRegionsPass
    : mlir::quant4::impl::Quant4CPUProfileRegionsBase<ProfileRegionsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<Operation *, int>> timed;
    for (auto f : module.getOps<func::FuncOp>())
      f.walk([&](Operation *op) {
        int cls = profileClass(op);
        if (cls >= 0)
          timed.push_back({op, cls});
        // The ops inside a linalg op's body are part of it.
        return isa<linalg::LinalgOp>(op) ? WalkResult::skip()
                                         : WalkResult::advance();
      });
    if (timed.empty())
      return;
    Builder types(module.getContext());
    FunctionType beginType = types.getFunctionType({}, {types.getI64Type()});
    FunctionType endType =
        types.getFunctionType({types.getI32Type(), types.getI64Type()}, {});
    func::FuncOp begin = declare(module, kBegin, beginType);
    func::FuncOp end = declare(module, kEnd, endType);
    if (begin.getFunctionType() != beginType ||
        end.getFunctionType() != endType) {
      module.emitError() << "'" << kBegin << "' or '" << kEnd
                         << "' is declared with another type";
      return signalPassFailure();
    }
    for (auto [op, cls] : timed) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      Value t0 = func::CallOp::create(b, loc, begin).getResult(0);
      b.setInsertionPointAfter(op);
      Value c = arith::ConstantIntOp::create(b, loc, cls, 32);
      func::CallOp::create(b, loc, end, ValueRange{c, t0});
    }
  }
};
} // namespace
