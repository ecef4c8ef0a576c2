//===- Jit.cpp - JIT-compiling a module lowered by quant4-cpu-pipeline ----===//
#include "Jit.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/TargetSelect.h"

#include <functional>

namespace quant4::tools {

llvm::Expected<std::unique_ptr<mlir::ExecutionEngine>>
createEngine(mlir::ModuleOp module, unsigned optLevel,
             const rt::Symbol *symbols) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  // ExecutionEngineOptions keeps a function_ref: this must outlive create().
  std::function<llvm::Error(llvm::Module *)> transformer =
      mlir::makeOptimizingTransformer(optLevel, /*sizeLevel=*/0,
                                      /*targetMachine=*/nullptr);
  mlir::ExecutionEngineOptions options;
  options.transformer = transformer;
  llvm::StringRef runnerUtils[] = {QUANT4_C_RUNNER_UTILS};
  options.sharedLibPaths = runnerUtils;
  auto engine = mlir::ExecutionEngine::create(module, options);
  if (!engine)
    return engine.takeError();
  if (symbols)
    (*engine)->registerSymbols([symbols](llvm::orc::MangleAndInterner intern) {
      llvm::orc::SymbolMap map;
      for (const rt::Symbol *s = symbols; s->name; ++s)
        map[intern(s->name)] = {llvm::orc::ExecutorAddr::fromPtr(s->address),
                                llvm::JITSymbolFlags::Exported};
      return map;
    });
  return std::move(*engine);
}

} // namespace quant4::tools
