//===- Passes.h - Q4A back-end passes ---------------------------*- C++ -*-===//
#ifndef QUANT4_DIALECT_Q4A_TRANSFORMS_PASSES_H
#define QUANT4_DIALECT_Q4A_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"
#include "quant4/Dialect/Q4A/IR/Q4A.h"

namespace mlir::q4a {
#define GEN_PASS_DECL
#include "quant4/Dialect/Q4A/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "quant4/Dialect/Q4A/Transforms/Passes.h.inc"
} // namespace mlir::q4a

#endif // QUANT4_DIALECT_Q4A_TRANSFORMS_PASSES_H
