//===- quant4-opt.cpp - mlir-opt with quant4 registered -------------------===//
#include "../common/CrashGuard.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "quant4/InitAll.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  quant4::registerAllDialects(registry);
  quant4::registerAllPasses();
  return quant4::tools::runCatchingCrashes("quant4-opt", [&] {
    return mlir::asMainReturnCode(mlir::MlirOptMain(
        argc, argv, "quant4 optimizer driver\n", registry));
  });
}
