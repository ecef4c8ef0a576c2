//===- InitAll.h - register everything quant4 provides ----------*- C++ -*-===//
//
// The one place that lists what the quant4 tools and the plugin register.
// Every tool (quant4-opt, quant4-translate, ...) and the mlir-opt plugin call
// these; none keeps a list of its own.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_INITALL_H
#define QUANT4_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace quant4 {
/// quant4's own dialects.
void registerQuant4Dialects(mlir::DialectRegistry &registry);
/// quant4's own dialects, plus the upstream dialects a training graph uses
/// (func, arith, math, linalg, tensor, bufferization, tosa, scf, memref,
/// llvm, ...) and the upstream interface extensions they need.
void registerAllDialects(mlir::DialectRegistry &registry);
/// quant4's own passes and pipelines.
void registerQuant4Passes();
/// quant4's passes plus all upstream passes (as in mlir-opt).
void registerAllPasses();
/// quant4's translations plus upstream's (as in mlir-translate).
void registerAllTranslations();
} // namespace quant4

#endif // QUANT4_INITALL_H
