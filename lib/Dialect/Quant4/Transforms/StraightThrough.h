//===- StraightThrough.h - STE surgery of the 4-bit recipes -----*- C++ -*-===//
//
// The straight-through estimators that quant4-quantize-by-recipe inserts
// after a rewritten GEMM (docs/Recipes.md, "Straight-through estimators and
// PACT α"). Private to lib/Dialect/Quant4/Transforms.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_LIB_DIALECT_QUANT4_TRANSFORMS_STRAIGHTTHROUGH_H
#define QUANT4_LIB_DIALECT_QUANT4_TRANSFORMS_STRAIGHTTHROUGH_H

#include "quant4/Dialect/Quant4/Analysis/Roles.h"

namespace mlir::quant4 {

/// SAWB: after the wgrad of `layer` (result `dw`), followed through
/// single-use data movement to a value of the parameter's type,
/// dW <- dW · 1[|W| <= 7·scale] (7: the largest !quant4.int<4> level), for
/// every user but the mask. `scale` is the weight's SAWB scale.
LogicalResult insertSawbMask(const LayerInfo &layer, Value dw, Value scale);

/// PACT: after the dgrad of `layer` (result `dx`), with `x` the forward
/// activation of the layer and `alpha` its clip,
/// dX <- dX · 1[0 <= x < alpha] for every user but the new ops, and returns
/// dL/dalpha = sum(dX · 1[x >= alpha]) (a rank-0 tensor).
FailureOr<Value> insertPactBackward(const LayerInfo &layer, Value dx, Value x,
                                    Value alpha);

/// alpha - lr · dalpha, right after dalpha.
Value insertPactUpdate(Value alpha, Value dalpha, float lr);

} // namespace mlir::quant4

#endif // QUANT4_LIB_DIALECT_QUANT4_TRANSFORMS_STRAIGHTTHROUGH_H
