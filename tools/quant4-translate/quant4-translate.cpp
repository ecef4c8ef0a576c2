//===- quant4-translate.cpp - translations to and from quant4 -------------===//
//
// `-o FILE` is written through a temporary file in FILE's directory that is
// renamed onto FILE only when the translation succeeds: a failed run leaves
// no partial output and does not touch an existing FILE.
//
//===----------------------------------------------------------------------===//
#include "../common/CrashGuard.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "quant4/InitAll.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Process.h"

#include <string>
#include <vector>

int main(int argc, char **argv) {
  quant4::registerAllTranslations();

  // Find the output file and redirect it to a temporary one.
  std::vector<std::string> args(argv, argv + argc);
  std::string output, temp;
  for (size_t i = 1; i < args.size(); ++i) {
    llvm::StringRef a = args[i];
    if (a == "--")
      break;
    size_t slot = 0;
    std::string prefix;
    if ((a == "-o" || a == "--o") && i + 1 < args.size()) {
      slot = ++i;
    } else if (a.starts_with("-o=") || a.starts_with("--o=")) {
      slot = i;
      prefix = a.substr(0, a.find('=') + 1).str();
    } else {
      continue;
    }
    std::string path = args[slot].substr(prefix.size());
    if (path == "-" || path.empty())
      continue;
    output = path;
    temp = output + ".tmp" + std::to_string(llvm::sys::Process::getProcessId());
    args[slot] = prefix + temp;
  }
  std::vector<char *> newArgv;
  for (std::string &a : args)
    newArgv.push_back(a.data());
  newArgv.push_back(nullptr);

  int rc = quant4::tools::runCatchingCrashes("quant4-translate", [&] {
    return mlir::succeeded(mlir::mlirTranslateMain(
               argc, newArgv.data(), "quant4 translation driver\n"))
               ? 0
               : 1;
  });
  bool ok = rc == 0;
  if (!temp.empty()) {
    if (ok && llvm::sys::fs::rename(temp, output)) {
      llvm::errs() << "error: cannot rename '" << temp << "' to '" << output
                   << "'\n";
      ok = false;
    }
    if (!ok)
      llvm::sys::fs::remove(temp);
  }
  return ok ? 0 : 1;
}
