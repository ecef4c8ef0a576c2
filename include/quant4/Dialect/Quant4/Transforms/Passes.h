//===- Passes.h - quant4 transformation passes ------------------*- C++ -*-===//
#ifndef QUANT4_DIALECT_QUANT4_TRANSFORMS_PASSES_H
#define QUANT4_DIALECT_QUANT4_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"

namespace mlir::quant4 {
#define GEN_PASS_DECL
#include "quant4/Dialect/Quant4/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "quant4/Dialect/Quant4/Transforms/Passes.h.inc"

/// The stages of quant4-apply-recipe with its options: quant4-assign-recipes,
/// quant4-thread-recipe-state, quant4-quantize-by-recipe.
void buildApplyRecipePipeline(OpPassManager &pm,
                              const Quant4ApplyRecipeOptions &options);
} // namespace mlir::quant4

#endif // QUANT4_DIALECT_QUANT4_TRANSFORMS_PASSES_H
