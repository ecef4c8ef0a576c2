//===- quant4-translate.cpp - translations to and from quant4 -------------===//
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "quant4/InitAll.h"

int main(int argc, char **argv) {
  quant4::registerAllTranslations();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "quant4 translation driver\n"));
}
