//===- Passes.h - from a forward model to a training step -------*- C++ -*-===//
//
// The Training layer (docs/Training.md): quant4-build-training-step turns a
// forward function into a joint training step (forward, loss, reverse-mode
// backward, SGD). It creates upstream ops only and tags the step with the
// quant4 attribute contract (quant4/Dialect/Quant4/IR/DiscardableAttrs.h).
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_TRAINING_PASSES_H
#define QUANT4_TRAINING_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"

namespace mlir::quant4 {
#define GEN_PASS_DECL
#include "quant4/Training/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "quant4/Training/Passes.h.inc"

/// The rewrites of quant4-fold-conv-slices in `f`, applied to the
/// convolutions `allow` accepts (all when null): quant4-apply-recipe folds
/// the data gradients whose gradient operand is rounded deterministically.
LogicalResult
foldConvSlices(func::FuncOp f,
               function_ref<bool(linalg::Conv2DNhwcHwcfOp)> allow = nullptr);
} // namespace mlir::quant4

#endif // QUANT4_TRAINING_PASSES_H
