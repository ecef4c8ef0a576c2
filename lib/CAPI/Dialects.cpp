//===- Dialects.cpp - C API of the quant4 dialect -------------------------===//
#include "quant4-c/Dialects.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/CAPI/Support.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"
#include "quant4/InitAll.h"

using namespace mlir;

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Quant4, quant4,
                                      mlir::quant4::Quant4Dialect)

void quant4RegisterPasses(void) { ::quant4::registerQuant4Passes(); }

void quant4RegisterAllDialects(MlirDialectRegistry registry) {
  ::quant4::registerAllDialects(*unwrap(registry));
}

MlirType quant4LogTypeGetChecked(MlirLocation loc, unsigned radix,
                                 unsigned ebits, unsigned phase, int bias) {
  Location l = unwrap(loc);
  return wrap(mlir::quant4::LogType::getChecked(
      [&] { return emitError(l); }, l.getContext(), radix, ebits, phase,
      bias));
}

int quant4LogTypeDefaultBias(unsigned ebits) {
  return mlir::quant4::LogType::defaultBias(ebits);
}

bool quant4TypeIsALog(MlirType type) {
  return isa<mlir::quant4::LogType>(unwrap(type));
}
unsigned quant4LogTypeGetRadix(MlirType type) {
  return cast<mlir::quant4::LogType>(unwrap(type)).getRadix();
}
unsigned quant4LogTypeGetEbits(MlirType type) {
  return cast<mlir::quant4::LogType>(unwrap(type)).getEbits();
}
unsigned quant4LogTypeGetPhase(MlirType type) {
  return cast<mlir::quant4::LogType>(unwrap(type)).getPhase();
}
int quant4LogTypeGetBias(MlirType type) {
  return cast<mlir::quant4::LogType>(unwrap(type)).getBias();
}

MlirType quant4IntTypeGetChecked(MlirLocation loc, unsigned bits) {
  Location l = unwrap(loc);
  return wrap(mlir::quant4::IntType::getChecked(
      [&] { return emitError(l); }, l.getContext(), bits));
}
MlirType quant4UIntTypeGetChecked(MlirLocation loc, unsigned bits) {
  Location l = unwrap(loc);
  return wrap(mlir::quant4::UIntType::getChecked(
      [&] { return emitError(l); }, l.getContext(), bits));
}
bool quant4TypeIsAInt(MlirType type) {
  return isa<mlir::quant4::IntType>(unwrap(type));
}
bool quant4TypeIsAUInt(MlirType type) {
  return isa<mlir::quant4::UIntType>(unwrap(type));
}
unsigned quant4FormatGetWidth(MlirType type) {
  return mlir::quant4::getFormatWidth(unwrap(type));
}

MlirAttribute quant4RoundingAttrGet(MlirContext ctx, MlirStringRef name) {
  auto kind = mlir::quant4::symbolizeRoundingKind(unwrap(name));
  if (!kind)
    return MlirAttribute{nullptr};
  return wrap(mlir::quant4::RoundingKindAttr::get(unwrap(ctx), *kind));
}
