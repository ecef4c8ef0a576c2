//===- Compile.cpp - compile a module for the CPU and JIT it --------------===//
#include "quant4/Runner/Compile.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "quant4/Conversion/Passes.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"
#include "quant4/InitAll.h"
#include "quant4/Target/LLVMIR/Quant4ToLLVMIRTranslation.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Support/TargetSelect.h"

#include <functional>

using namespace mlir;

namespace quant4::runner {

namespace {
void registerTranslations(DialectRegistry &registry) {
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry); // the parallel loops
  ::quant4::registerQuant4DialectTranslation(registry);
}
} // namespace

void registerDialects(DialectRegistry &registry) {
  ::quant4::registerAllDialects(registry);
  registerTranslations(registry);
}

bool isLoweredToLLVM(ModuleOp module) {
  for (Operation &op : module.getBody()->getOperations())
    if (!isa<LLVM::LLVMDialect>(op.getDialect()))
      return false;
  return true;
}

LogicalResult lowerToLLVM(ModuleOp module, bool blas, bool profile) {
  PassManager pm(module->getContext(), ModuleOp::getOperationName());
  mlir::quant4::Quant4CPUPipelineOptions options;
  options.blas = blas;
  options.profile = profile;
  mlir::quant4::buildQuant4CPUPipeline(pm, options);
  return pm.run(module);
}

llvm::Expected<std::unique_ptr<ExecutionEngine>>
createEngine(ModuleOp module, unsigned optLevel, const rt::Symbol *symbols) {
  // The translation finds the interface of an attribute's dialect only when
  // that dialect is loaded (the quant4.* argument attributes: Target/LLVMIR).
  MLIRContext *context = module->getContext();
  DialectRegistry registry;
  registerTranslations(registry);
  context->appendDialectRegistry(registry);
  context->getOrLoadDialect<mlir::quant4::Quant4Dialect>();

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  // The optimisation pipeline sees the host CPU (its vector registers and
  // costs): without a target machine LLVM's loop and SLP vectorisers think
  // the target has no vectors and leave every loop scalar. Codegen targets
  // the same host. Vectorisation keeps every result bit: LLVM reorders
  // floating-point reductions only under fast-math flags, which the
  // pipeline never sets, and it fuses multiply-adds only where the IR asks
  // for one (math.fma).
  auto hostBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!hostBuilder)
    return hostBuilder.takeError();
  auto host = hostBuilder->createTargetMachine();
  if (!host)
    return host.takeError();
  std::unique_ptr<llvm::TargetMachine> hostMachine = std::move(*host);
  // ExecutionEngineOptions keeps a function_ref: this must outlive create().
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(optLevel, /*sizeLevel=*/0, hostMachine.get());
  ExecutionEngineOptions options;
  options.transformer = transformer;
  llvm::StringRef runnerUtils[] = {QUANT4_C_RUNNER_UTILS};
  options.sharedLibPaths = runnerUtils;
  // Code generation at the same level. The engine's own target machine is
  // -O2's whatever ExecutionEngineOptions::jitCodeGenOptLevel says (the
  // option reaches a builder the compiler does not use), so it gets one made
  // here: at -O0 no machine scheduler, which on a large model's step (huge
  // basic blocks) took most of the JIT's time. The level changes no result
  // bit (no fast-math; codegen keeps the IR's IEEE operations and order).
  static constexpr llvm::CodeGenOptLevel kCodeGenLevel[] = {
      llvm::CodeGenOptLevel::None, llvm::CodeGenOptLevel::Less,
      llvm::CodeGenOptLevel::Default, llvm::CodeGenOptLevel::Aggressive};
  hostBuilder->setCodeGenOptLevel(kCodeGenLevel[std::min(optLevel, 3u)]);
  auto codegenMachine = hostBuilder->createTargetMachine();
  if (!codegenMachine)
    return codegenMachine.takeError();
  auto engine =
      ExecutionEngine::create(module, options, std::move(*codegenMachine));
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
  (*engine)->initialize();
  return std::move(*engine);
}

} // namespace quant4::runner
