//===- Quant4Plugin.cpp - quant4 as an mlir-opt plugin --------------------===//
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "quant4/InitAll.h"
#include "llvm/Config/llvm-config.h"

// The host mlir-opt already registers the upstream dialects; the plugin adds
// quant4's own.
extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "Quant4", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            quant4::registerQuant4Dialects(*registry);
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "Quant4Passes", LLVM_VERSION_STRING,
          [] { quant4::registerQuant4Passes(); }};
}
