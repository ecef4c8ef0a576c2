//===- RuntimeDecl.h - declarations of runtime entry points -----*- C++ -*-===//
//
// The passes of the CPU flow call the runtime (include/quant4/Runtime/
// Runtime.h) through func.call on unranked memrefs; each entry point is
// declared once per module, private, on first use.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_CONVERSION_QUANT4TOCPU_RUNTIMEDECL_H
#define QUANT4_CONVERSION_QUANT4TOCPU_RUNTIMEDECL_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
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

/// `memref` (ranked) cast to the unranked memref the runtime's entry points
/// take.
inline Value unrankedMemRef(OpBuilder &b, Location loc, Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  return memref::CastOp::create(
      b, loc, UnrankedMemRefType::get(type.getElementType(), 0), memref);
}

} // namespace mlir::quant4

#endif // QUANT4_CONVERSION_QUANT4TOCPU_RUNTIMEDECL_H
