//===- InnermostOutputDim.cpp - quant4-cpu-innermost-output-dim -----------===//
//
// See the description of quant4-cpu-innermost-output-dim in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quant4/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4CPUINNERMOSTOUTPUTDIM
#include "quant4/Conversion/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;

namespace {

/// The new loop order of `op` (old loop indices, outermost first) that
/// moves the loop indexing its output's innermost dimension last, or empty
/// when `op` does not qualify.
SmallVector<unsigned> outputDimLast(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || !isa<func::FuncOp>(op->getParentOp()) ||
      op.getNumDpsInits() != 1)
    return {};
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  if (iters.empty() || iters.back() != utils::IteratorType::reduction)
    return {};
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (outMap.getNumResults() == 0 || !outMap.isProjectedPermutation())
    return {};
  auto last = dyn_cast<AffineDimExpr>(outMap.getResults().back());
  if (!last || iters[last.getPosition()] != utils::IteratorType::parallel)
    return {};
  unsigned p = last.getPosition();
  // Every input that loop p indexes must have it innermost too (a pooling
  // window, a scalar, may not use it): moving it inside a row sum would
  // read the rows across.
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap m = op.getMatchingIndexingMap(in);
    if (!m.isFunctionOfDim(p))
      continue;
    auto inner = dyn_cast<AffineDimExpr>(m.getResults().back());
    if (!inner || inner.getPosition() != p)
      return {};
  }
  SmallVector<unsigned> order;
  for (unsigned i = 0; i < iters.size(); ++i)
    if (i != p)
      order.push_back(i);
  order.push_back(p);
  return order;
}

struct InnermostOutputDimPass
    : mlir::quant4::impl::Quant4CPUInnermostOutputDimBase<
          InnermostOutputDimPass> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!outputDimLast(op).empty())
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops) {
      SmallVector<unsigned> order = outputDimLast(op);
      rewriter.setInsertionPoint(op);
      auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (!generic) {
        FailureOr<linalg::GenericOp> g = linalg::generalizeNamedOp(rewriter, op);
        if (failed(g))
          continue;
        generic = *g;
      }
      if (failed(linalg::interchangeGenericOp(rewriter, generic, order)))
        return signalPassFailure();
    }
  }
};

} // namespace
