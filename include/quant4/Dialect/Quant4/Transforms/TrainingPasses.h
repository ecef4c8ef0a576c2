//===- TrainingPasses.h - quant4 training-graph builders --------*- C++ -*-===//
#ifndef QUANT4_DIALECT_QUANT4_TRANSFORMS_TRAININGPASSES_H
#define QUANT4_DIALECT_QUANT4_TRANSFORMS_TRAININGPASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::quant4 {
#define GEN_PASS_DECL
#include "quant4/Dialect/Quant4/Transforms/TrainingPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "quant4/Dialect/Quant4/Transforms/TrainingPasses.h.inc"
} // namespace mlir::quant4

#endif // QUANT4_DIALECT_QUANT4_TRANSFORMS_TRAININGPASSES_H
