//===- ParallelLoops.cpp - quant4-cpu-parallel-loops ----------------------===//
//
// See the description of quant4-cpu-parallel-loops in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "StridedCopy.h"
#include "quant4/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h" // dependent dialects
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4CPUPARALLELLOOPS
#include "quant4/Conversion/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;

namespace {

/// True when `op` may run its first loop in parallel, with at least
/// `minWork` iterations in all.
bool qualifies(linalg::LinalgOp op, int64_t minWork) {
  if (!op.hasPureBufferSemantics() || !isa<func::FuncOp>(op->getParentOp()))
    return false;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (iterators.empty() || iterators[0] != utils::IteratorType::parallel)
    return false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t work = 1;
  for (int64_t r : ranges) {
    if (ShapedType::isDynamic(r))
      return false;
    work *= r;
  }
  if (ranges[0] < 2 || work < minWork)
    return false;
  // Every output is indexed by loop 0 directly: two of its iterations never
  // write the same element.
  AffineExpr d0 = getAffineDimExpr(0, op->getContext());
  for (OpOperand &init : op.getDpsInitsMutable())
    if (!llvm::is_contained(op.getMatchingIndexingMap(&init).getResults(), d0))
      return false;
  return true;
}

/// Replaces `loop` (no iteration arguments) by an scf.parallel over the
/// same range with the same body.
void makeParallel(RewriterBase &rewriter, scf::ForOp loop) {
  rewriter.setInsertionPoint(loop);
  auto par = scf::ParallelOp::create(
      rewriter, loop.getLoc(), ValueRange{loop.getLowerBound()},
      ValueRange{loop.getUpperBound()}, ValueRange{loop.getStep()});
  Block *from = loop.getBody();
  Block *to = par.getBody();
  rewriter.replaceAllUsesWith(loop.getInductionVar(),
                              par.getInductionVars()[0]);
  to->getOperations().splice(to->getTerminator()->getIterator(),
                             from->getOperations(), from->begin(),
                             std::prev(from->end()));
  rewriter.eraseOp(loop);
}

struct ParallelLoopsPass
    : mlir::quant4::impl::Quant4CPUParallelLoopsBase<ParallelLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (minWork <= 0)
      return;
    IRRewriter rewriter(&getContext());
    // Strided copies (padding, pooling taps) are loops too.
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp op) {
      if (isa<func::FuncOp>(op->getParentOp()) &&
          quant4::isStridedStaticCopy(op))
        copies.push_back(op);
    });
    for (memref::CopyOp op : copies)
      quant4::replaceWithLinalgCopy(rewriter, op);
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (qualifies(op, minWork))
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::LinalgLoops> loops =
          linalg::linalgOpToLoops(rewriter, op);
      if (failed(loops) || loops->empty())
        continue; // convert-linalg-to-loops-linear lowers it serially
      rewriter.eraseOp(op);
      makeParallel(rewriter, cast<scf::ForOp>(loops->front()));
    }
  }
};

} // namespace
