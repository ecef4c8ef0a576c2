//===- SCFToCF.cpp - convert-scf-to-cf-linear: last loop first ------------===//
//
// See the description of convert-scf-to-cf-linear in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quant4/Conversion/Passes.h"

#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_CONVERTSCFTOCFLINEAR
#include "quant4/Conversion/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;

namespace {
struct SCFToCFPass : mlir::quant4::impl::ConvertSCFToCFLinearBase<SCFToCFPass> {
  LogicalResult initialize(MLIRContext *ctx) override {
    RewritePatternSet set(ctx);
    populateSCFToControlFlowConversionPatterns(set);
    patterns = std::make_shared<FrozenRewritePatternSet>(std::move(set));
    // The ops upstream's convert-scf-to-cf marks illegal (and has patterns
    // for).
    auto t = std::make_shared<ConversionTarget>(*ctx);
    t->addIllegalOp<scf::ForallOp, scf::ForOp, scf::IfOp, scf::IndexSwitchOp,
                    scf::ParallelOp, scf::WhileOp, scf::ExecuteRegionOp>();
    t->markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    target = std::move(t);
    return success();
  }

  void runOnOperation() override {
    // Top-level ops (of every block of the body) that are or hold scf ops,
    // last first: lowering one splits its block after it, moving only the
    // ops up to the next (already lowered) one.
    SmallVector<Operation *> roots;
    for (Block &block : getOperation().getBody())
      for (Operation &op : block)
        if (op.walk([&](Operation *nested) {
                return target->isIllegal(nested) ? WalkResult::interrupt()
                                                 : WalkResult::advance();
              }).wasInterrupted())
          roots.push_back(&op);
    if (roots.empty())
      return;
    std::reverse(roots.begin(), roots.end());
    if (failed(applyPartialConversion(roots, *target, *patterns)))
      signalPassFailure();
  }

  std::shared_ptr<const FrozenRewritePatternSet> patterns;
  std::shared_ptr<const ConversionTarget> target;
};
} // namespace
