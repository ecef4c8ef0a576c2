//===- StridedCopy.h - strided memref.copy as linalg.copy -------*- C++ -*-===//
//
// A statically shaped memref.copy whose source or target is not contiguous
// (a strided subview: e.g. max-pool backward's scatter into its window taps,
// or the interior of a padded buffer) becomes a linalg.copy: the LLVM
// lowering would call the C runner utilities' generic memrefCopy, element by
// element with index arithmetic per element, while linalg's loops have a
// unit-stride inner dimension and compile to plain (vectorisable) code.
// Contiguous copies stay memref.copy (a memcpy). Shared by
// convert-linalg-to-loops-linear and quant4-cpu-parallel-loops.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_CONVERSION_QUANT4TOCPU_STRIDEDCOPY_H
#define QUANT4_CONVERSION_QUANT4TOCPU_STRIDEDCOPY_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::quant4 {

/// A copy between statically shaped memrefs, one of them not contiguous.
inline bool isStridedStaticCopy(memref::CopyOp op) {
  auto src = dyn_cast<MemRefType>(op.getSource().getType());
  auto dst = dyn_cast<MemRefType>(op.getTarget().getType());
  return src && dst && src.hasStaticShape() &&
         !(memref::isStaticShapeAndContiguousRowMajor(src) &&
           memref::isStaticShapeAndContiguousRowMajor(dst));
}

/// Replaces `op` by the equivalent linalg.copy and returns it.
inline linalg::CopyOp replaceWithLinalgCopy(RewriterBase &rewriter,
                                            memref::CopyOp op) {
  rewriter.setInsertionPoint(op);
  auto copy =
      linalg::CopyOp::create(rewriter, op.getLoc(), ValueRange{op.getSource()},
                             ValueRange{op.getTarget()});
  rewriter.eraseOp(op);
  return copy;
}

} // namespace mlir::quant4

#endif // QUANT4_CONVERSION_QUANT4TOCPU_STRIDEDCOPY_H
