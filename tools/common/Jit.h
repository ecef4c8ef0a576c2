//===- Jit.h - JIT-compiling a module lowered by quant4-cpu-pipeline -*- C++ -*-===//
//
// Shared by quant4-run (and its train mode) and quant4-gradcheck.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_TOOLS_COMMON_JIT_H
#define QUANT4_TOOLS_COMMON_JIT_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "quant4/Runtime/Runtime.h"

#include <memory>

namespace quant4::tools {

/// JIT-compiles an LLVM-dialect module: LLVM optimization at `optLevel`,
/// MLIR's C runner utilities loaded (memrefCopy for strided copies) and
/// the null-terminated `symbols` (e.g. rt::runtimeSymbols()) made
/// callable. Not yet initialized: the caller runs engine->initialize().
llvm::Expected<std::unique_ptr<mlir::ExecutionEngine>>
createEngine(mlir::ModuleOp module, unsigned optLevel,
             const rt::Symbol *symbols = nullptr);

} // namespace quant4::tools

#endif // QUANT4_TOOLS_COMMON_JIT_H
