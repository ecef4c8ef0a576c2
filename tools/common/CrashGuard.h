//===- CrashGuard.h - a crash inside upstream code becomes an error -*- C++ -*-===//
//
// quant4's tools parse and transform IR with upstream MLIR code, and some of
// that code crashes on malformed input instead of reporting it (LLVM 22's
// linalg.transpose parser dereferences a null attribute after a bad
// `permutation` list; docs/Reliability.md lists the known cases). A user of
// quant4-opt must get a diagnostic and a non-zero exit, not a core dump, and
// no half-written output file.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_TOOLS_COMMON_CRASHGUARD_H
#define QUANT4_TOOLS_COMMON_CRASHGUARD_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"

namespace quant4::tools {

/// Exit code of a tool whose work crashed and was recovered (EX_SOFTWARE).
constexpr int kCrashExitCode = 70;

/// Runs `body` and returns its result. If `body` crashes on the calling
/// thread (SIGSEGV, SIGBUS, SIGILL, SIGFPE, abort), removes the files the
/// tool registered for removal on a signal (llvm::ToolOutputFile does so for
/// `-o`, quant4/Runner/OutputFiles.h for its temporaries), prints one line
///   TOOL: error: internal crash (signal N) in upstream MLIR/LLVM code on
///   this input; no output was written (docs/Reliability.md, ...)
/// and ends the process with kCrashExitCode, running no destructors: the
/// objects `body` was building (a half-parsed module, its context) are in
/// no state to be destroyed. In the sanitizer build, std::_Exit also skips
/// LeakSanitizer's exit-time check (it runs from atexit): what the crashed
/// work allocated is abandoned on purpose and is not reported as leaked,
/// while every process that exits normally is still checked
/// (test/Tools/upstream-parser-crash.mlir takes this path under ASan;
/// docs/Reliability.md, "Sanitizers").
int runCatchingCrashes(llvm::StringRef tool, llvm::function_ref<int()> body);

} // namespace quant4::tools

#endif // QUANT4_TOOLS_COMMON_CRASHGUARD_H
