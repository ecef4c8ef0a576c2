//===- RuntimeDecl.h - declarations of runtime entry points -----*- C++ -*-===//
//
// The passes of the CPU flow call the runtime (include/quant4/Runtime/
// Runtime.h) through func.call; each entry point is declared once per
// module, private, on first use.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_CONVERSION_QUANT4TOCPU_RUNTIMEDECL_H
#define QUANT4_CONVERSION_QUANT4TOCPU_RUNTIMEDECL_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::quant4 {

/// The declaration of runtime function `name` of type `type` in `module`,
/// added at the start of the module on first use; null when the module
/// already has a function `name` of another type.
inline func::FuncOp declareRuntimeFunction(ModuleOp module, StringRef name,
                                           FunctionType type) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f.getFunctionType() == type ? f : func::FuncOp();
  OpBuilder b(module.getBodyRegion());
  auto f = func::FuncOp::create(b, module.getLoc(), name, type);
  f.setPrivate();
  return f;
}

} // namespace mlir::quant4

#endif // QUANT4_CONVERSION_QUANT4TOCPU_RUNTIMEDECL_H
