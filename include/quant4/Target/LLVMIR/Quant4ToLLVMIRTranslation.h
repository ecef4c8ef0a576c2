//===- Quant4ToLLVMIRTranslation.h - quant4 attrs in LLVM IR ----*- C++ -*-===//
//
// The quant4 dialect's part of the translation of the LLVM dialect to LLVM IR
// (upstream's LLVMTranslationDialectInterface; cf. mlir/Target/LLVMIR/
// Dialect/*/...ToLLVMIRTranslation.h). quant4-cpu-pipeline lowers every
// quant4 op, but it keeps the dialect's discardable attributes of function
// arguments and results (the training-step contract: quant4.param,
// quant4.state, quant4.seed, quant4.batch, ...) on the llvm.func they become:
// they still describe the function to its callers (quant4-run reads a
// lowered module). They have no LLVM IR counterpart. Without an interface
// for their dialect, the translation warns about each of them and prints the
// whole function; this one accepts them and emits nothing. Attributes of
// other dialects are unaffected (an unknown one still warns).
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_TARGET_LLVMIR_QUANT4TOLLVMIRTRANSLATION_H
#define QUANT4_TARGET_LLVMIR_QUANT4TOLLVMIRTRANSLATION_H

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace quant4 {
/// Registers the quant4 dialect with its LLVM IR translation interface.
void registerQuant4DialectTranslation(mlir::DialectRegistry &registry);
/// The same on an existing context (also when the dialect is loaded already).
void registerQuant4DialectTranslation(mlir::MLIRContext &context);
/// Registers the translation `mlir-to-llvmir` (quant4-translate
/// --mlir-to-llvmir): upstream's (mlir::registerToLLVMIRTranslation: the same
/// function and output) with the quant4 dialect and this interface added to
/// the dialects it registers, so that a lowered module's quant4.* attributes
/// and the quant4 types in its quant4.signature parse and translate without
/// warnings. Registered instead of upstream's (two registrations of one name
/// are an error): quant4::registerAllTranslations() does so.
void registerToLLVMIRTranslation();
} // namespace quant4

#endif // QUANT4_TARGET_LLVMIR_QUANT4TOLLVMIRTRANSLATION_H
