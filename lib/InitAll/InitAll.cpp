//===- InitAll.cpp - registration of everything quant4 provides -----------===//
//
// The only translation unit that includes the heavy upstream InitAll headers.
//
//===----------------------------------------------------------------------===//
#include "quant4/InitAll.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/InitAllTranslations.h"
#include "quant4/Conversion/Passes.h"
#include "quant4/Conversion/Quant4ToQ4A/Passes.h"
#include "quant4/Dialect/Q4A/IR/Q4A.h"
#include "quant4/Dialect/Q4A/Transforms/Passes.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"
#include "quant4/Dialect/Quant4/Transforms/Passes.h"
#include "quant4/Dialect/Quant4/Transforms/Recipes.h"
#include "quant4/Target/LLVMIR/Quant4ToLLVMIRTranslation.h"
#include "quant4/Target/ONNX/Import.h"
#include "quant4/Target/Q4A/Translate.h"
#include "quant4/Training/Passes.h"

void quant4::registerQuant4Dialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::quant4::Quant4Dialect, mlir::q4a::Q4ADialect>();
}

void quant4::registerAllDialects(mlir::DialectRegistry &registry) {
  registerQuant4Dialects(registry);
  registry.insert<mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect, mlir::linalg::LinalgDialect,
                  mlir::tensor::TensorDialect,
                  mlir::bufferization::BufferizationDialect,
                  mlir::tosa::TosaDialect, mlir::scf::SCFDialect,
                  mlir::memref::MemRefDialect, mlir::LLVM::LLVMDialect>();
  // All upstream dialects with their external interface models (e.g. the
  // bufferization models that one-shot-bufferize needs), as in mlir-opt.
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
}

void quant4::registerQuant4Passes() {
  mlir::quant4::registerQuant4Passes();
  mlir::quant4::registerQuant4TrainingPasses();
  mlir::quant4::registerQuant4ConversionPassesAndPipelines();
  mlir::q4a::registerQ4APasses();
}

void quant4::registerAllPasses() {
  mlir::registerAllPasses();
  registerQuant4Passes();
}

void quant4::registerAllTranslations() {
  static bool once = [] {
    // Upstream's mlir::registerAllTranslations() (mlir/InitAllTranslations.h),
    // except that mlir-to-llvmir is quant4's: upstream's translation with the
    // quant4 dialect and its LLVM IR translation interface
    // (Target/LLVMIR/Quant4ToLLVMIRTranslation.h). test/Target/LLVMIR/
    // mlir-to-llvmir.test checks that none of upstream's is missing.
    mlir::registerFromLLVMIRTranslation();
    mlir::registerFromSPIRVTranslation();
    mlir::registerIRDLToCppTranslation();
    mlir::registerFromWasmTranslation();
    mlir::registerToCppTranslation();
    ::quant4::registerToLLVMIRTranslation();
    mlir::registerToSPIRVTranslation();
    mlir::smt::registerExportSMTLIBTranslation();
    // quant4's own.
    mlir::q4a::registerQ4ATranslations();
    mlir::quant4::registerRecipeTableTranslation();
    ::quant4::onnx_import::registerONNXImportTranslation();
    return true;
  }();
  (void)once;
}
