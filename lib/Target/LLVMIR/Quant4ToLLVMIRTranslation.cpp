//===- Quant4ToLLVMIRTranslation.cpp - quant4 attributes in LLVM IR -------===//
#include "quant4/Target/LLVMIR/Quant4ToLLVMIRTranslation.h"

#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Target/LLVMIR/LLVMTranslationInterface.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

using namespace mlir;

namespace {
/// quant4 ops never reach the translation (quant4-cpu-pipeline lowers them
/// all: convertOperation keeps the default failure). quant4 attributes on
/// operations (e.g. quant4.signature on an llvm.func) are left alone by
/// the default amendOperation; those of arguments and results are accepted
/// here, and translate to nothing.
class Quant4LLVMIRTranslationInterface
    : public LLVMTranslationDialectInterface {
public:
  using LLVMTranslationDialectInterface::LLVMTranslationDialectInterface;

  LogicalResult convertParameterAttr(LLVM::LLVMFuncOp, int, NamedAttribute,
                                     LLVM::ModuleTranslation &) const override {
    return success();
  }
};
} // namespace

void ::quant4::registerQuant4DialectTranslation(DialectRegistry &registry) {
  registry.insert<mlir::quant4::Quant4Dialect>();
  registry.addExtension(
      +[](MLIRContext *, mlir::quant4::Quant4Dialect *dialect) {
        dialect->addInterfaces<Quant4LLVMIRTranslationInterface>();
      });
}

void ::quant4::registerQuant4DialectTranslation(MLIRContext &context) {
  DialectRegistry registry;
  registerQuant4DialectTranslation(registry);
  context.appendDialectRegistry(registry);
}

void ::quant4::registerToLLVMIRTranslation() {
  // The body of upstream's registration (mlir/lib/Target/LLVMIR/
  // ConvertToLLVMIR.cpp, LLVM 22), plus the quant4 dialect.
  // test/Target/LLVMIR/mlir-to-llvmir.test compares the output with
  // upstream's mlir-translate.
  TranslateFromMLIRRegistration registration(
      "mlir-to-llvmir", "Translate MLIR to LLVMIR",
      [](Operation *op, raw_ostream &output) {
        llvm::LLVMContext llvmContext;
        auto llvmModule = translateModuleToLLVMIR(op, llvmContext);
        if (!llvmModule)
          return failure();
        llvmModule->removeDebugIntrinsicDeclarations();
        llvmModule->print(output, nullptr);
        return success();
      },
      [](DialectRegistry &registry) {
        registry.insert<DLTIDialect, func::FuncDialect>();
        registerAllToLLVMIRTranslations(registry);
        registerQuant4DialectTranslation(registry);
      });
}
