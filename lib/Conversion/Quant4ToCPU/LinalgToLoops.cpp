//===- LinalgToLoops.cpp - linalg to scf.for, no region simplification ----===//
//
// See the description of convert-linalg-to-loops-linear in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quant4/Conversion/Passes.h"
#include "StridedCopy.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_CONVERTLINALGTOLOOPSLINEAR
#include "quant4/Conversion/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;

namespace {
/// A linalg op on buffers → its scf.for loop nest.
struct LinalgOpToLoops : RewritePattern {
  explicit LinalgOpToLoops(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp || !linalgOp.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not a linalg op on buffers");
    if (failed(linalg::linalgOpToLoops(rewriter, linalgOp)))
      return failure();
    rewriter.eraseOp(op);
    return success();
  }
};

/// A strided memref.copy → linalg.copy (Quant4ToCPU/StridedCopy.h), then
/// loops like any linalg op.
struct StridedCopyToLinalg : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const override {
    if (!quant4::isStridedStaticCopy(op))
      return rewriter.notifyMatchFailure(op, "contiguous or unranked copy");
    quant4::replaceWithLinalgCopy(rewriter, op);
    return success();
  }
};

struct LinalgToLoopsPass
    : mlir::quant4::impl::ConvertLinalgToLoopsLinearBase<LinalgToLoopsPass> {
  LogicalResult initialize(MLIRContext *ctx) override {
    RewritePatternSet set(ctx);
    set.add<LinalgOpToLoops, StridedCopyToLinalg>(ctx);
    memref::DimOp::getCanonicalizationPatterns(set, ctx);
    tensor::DimOp::getCanonicalizationPatterns(set, ctx);
    affine::AffineApplyOp::getCanonicalizationPatterns(set, ctx);
    // convert-scf-to-openmp wraps each parallel loop body in an
    // alloca_scope; bodies without allocas are inlined (a scope must stay
    // one block, which scf-to-cf would break).
    memref::AllocaScopeOp::getCanonicalizationPatterns(set, ctx);
    patterns = std::make_shared<FrozenRewritePatternSet>(std::move(set));
    return success();
  }

  void runOnOperation() override {
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    // As upstream: a linalg op the lowering cannot handle stays (and the
    // LLVM conversions report it); not converging within the iteration
    // limit leaves valid IR.
    (void)applyPatternsGreedily(getOperation(), *patterns, config);
  }

  std::shared_ptr<const FrozenRewritePatternSet> patterns;
};
} // namespace
