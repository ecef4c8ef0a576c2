//===- Q4A.cpp - C API of the Q4A target ----------------------------------===//
#include "quant4-c/Q4A.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/CAPI/Support.h"
#include "mlir/CAPI/Utils.h"
#include "quant4/Dialect/Q4A/IR/Q4A.h"
#include "quant4/Target/Q4A/Translate.h"

using namespace mlir;

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Q4A, q4a, mlir::q4a::Q4ADialect)

MlirLogicalResult quant4Q4ATranslateToAssembly(MlirOperation op,
                                               MlirStringCallback callback,
                                               void *userData) {
  mlir::detail::CallbackOstream stream(callback, userData);
  return wrap(mlir::q4a::translateToAssembly(unwrap(op), stream));
}

MlirLogicalResult quant4Q4ATranslateToBinary(MlirOperation op,
                                             MlirStringCallback callback,
                                             void *userData) {
  mlir::detail::CallbackOstream stream(callback, userData);
  return wrap(mlir::q4a::translateToBinary(unwrap(op), stream));
}

MlirModule quant4Q4AParseAssembly(MlirContext ctx, MlirStringRef text) {
  OwningOpRef<ModuleOp> m =
      mlir::q4a::importAssembly(unwrap(text), "<c-api>", unwrap(ctx));
  return MlirModule{m.release().getOperation()};
}

MlirModule quant4Q4AParseBinary(MlirContext ctx, MlirStringRef bytes) {
  OwningOpRef<ModuleOp> m =
      mlir::q4a::importBinary(unwrap(bytes), "<c-api>", unwrap(ctx));
  return MlirModule{m.release().getOperation()};
}
