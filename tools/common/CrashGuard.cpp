//===- CrashGuard.cpp - a crash inside upstream code becomes an error -----===//
#include "CrashGuard.h"

#include "llvm/Support/CrashRecoveryContext.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <cstdlib>

int quant4::tools::runCatchingCrashes(llvm::StringRef tool,
                                      llvm::function_ref<int()> body) {
  llvm::CrashRecoveryContext::Enable();
  llvm::CrashRecoveryContext context;
  int rc = 1;
  if (context.RunSafely([&] { rc = body(); })) {
    // Later crashes (outside any guarded region) keep LLVM's usual report.
    llvm::CrashRecoveryContext::Disable();
    return rc;
  }
  // Removes what ToolOutputFile (and anyone else) registered with
  // RemoveFileOnSignal: the partial output of the crashed run.
  llvm::sys::RunInterruptHandlers();
  llvm::errs() << tool << ": error: internal crash (signal "
               << context.RetCode - 128
               << ") in upstream MLIR/LLVM code on this input; no output was "
                  "written (docs/Reliability.md, known upstream issues)\n";
  llvm::errs().flush();
  llvm::outs().flush();
  std::fflush(nullptr);
  std::_Exit(kCrashExitCode);
}
