//===- Compile.h - compile a module for the CPU and JIT it ------*- C++ -*-===//
//
// The first half of quant4's Runner library (docs/Lowering.md, "The Runner
// library"): a module of quant4 and upstream dialects on tensors is lowered
// with quant4-cpu-pipeline to the LLVM dialect and JIT-compiled with MLIR's
// ExecutionEngine, with the quant4 runtime (quant4/Runtime/Runtime.h) and
// upstream's C runner utilities linked in. Call.h calls the result.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_RUNNER_COMPILE_H
#define QUANT4_RUNNER_COMPILE_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "quant4/Runtime/Runtime.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace quant4::runner {

/// Registers what a module that the Runner compiles and runs may contain
/// (quant4::registerAllDialects: quant4's and the upstream dialects) and
/// what its JIT compilation needs: the translations to LLVM IR of the
/// builtin, LLVM and quant4 dialects.
void registerDialects(mlir::DialectRegistry &registry);

/// Whether every operation at the top of `module` is in the LLVM dialect
/// (e.g. the output of quant4-opt --quant4-cpu-pipeline).
bool isLoweredToLLVM(mlir::ModuleOp module);

/// Lowers `module` in place with quant4-cpu-pipeline; `blas` is the
/// pipeline's option of that name (f32 matmuls on OpenBLAS, else as
/// k-ascending loops); `profile` times the compiled ops by class
/// (quant4-cpu-profile-regions). Failures are diagnostics on the module's
/// context.
mlir::LogicalResult lowerToLLVM(mlir::ModuleOp module, bool blas = true,
                                bool profile = false);

/// JIT-compiles a module lowered by quant4-cpu-pipeline and initializes it:
/// LLVM optimization at `optLevel` (0-3), MLIR's C runner utilities loaded
/// (memrefCopy for strided copies) and the null-terminated `symbols` (the
/// quant4 runtime by default; null for none) made callable. The translations
/// of registerDialects() are added to the module's context.
llvm::Expected<std::unique_ptr<mlir::ExecutionEngine>>
createEngine(mlir::ModuleOp module, unsigned optLevel = 2,
             const rt::Symbol *symbols = rt::runtimeSymbols());

} // namespace quant4::runner

#endif // QUANT4_RUNNER_COMPILE_H
