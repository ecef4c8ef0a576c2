//===- Passes.h - quant4 -> q4a conversion ----------------------*- C++ -*-===//
#ifndef QUANT4_CONVERSION_QUANT4TOQ4A_PASSES_H
#define QUANT4_CONVERSION_QUANT4TOQ4A_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "quant4/Dialect/Q4A/IR/Q4A.h"

namespace mlir::q4a {
#define GEN_PASS_DECL
#include "quant4/Conversion/Quant4ToQ4A/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "quant4/Conversion/Quant4ToQ4A/Passes.h.inc"
} // namespace mlir::q4a

#endif // QUANT4_CONVERSION_QUANT4TOQ4A_PASSES_H
