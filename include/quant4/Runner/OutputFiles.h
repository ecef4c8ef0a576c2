//===- OutputFiles.h - output files written all or nothing -----*- C++ -*-===//
//
// Used by quant4-run (--output-dir) and the training loop (metrics and plot
// files, Train.h): no run leaves a half-written or partial set of output
// files.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_RUNNER_OUTPUTFILES_H
#define QUANT4_RUNNER_OUTPUTFILES_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace quant4::runner {

/// Checks, before any work, that a file can be written at `path`: its
/// directory exists and a file can be created in it (a temporary file next
/// to `path` is created and removed at once), and `path` is not a
/// directory. "" if so, else the reason (naming the directory or `path`).
std::string probeWritable(const std::string &path);

/// A set of output files written all or nothing. Each file is written to a
/// temporary file in its destination's directory (`PATH.tmp.PID`) and all
/// are renamed over their destinations by commit(). On any failure, and
/// when the object is destroyed uncommitted, the temporary files are
/// removed; a failed commit also removes the destinations already renamed.
/// While they exist, the temporary files are registered with
/// llvm::sys::RemoveFileOnSignal: a signal that kills the process (or
/// llvm::sys::RunInterruptHandlers() in a signal handler) removes them.
class OutputFiles {
public:
  OutputFiles() = default;
  OutputFiles(const OutputFiles &) = delete;
  OutputFiles &operator=(const OutputFiles &) = delete;
  ~OutputFiles() { discard(); }

  /// Writes `bytes` as the future content of `path`; "" or the problem.
  std::string add(const std::string &path, llvm::StringRef bytes);
  /// Adds a file whose content `write(tempPath)` writes (returning "" or
  /// the problem); "" or the problem.
  std::string
  add(const std::string &path,
      llvm::function_ref<std::string(const std::string &tempPath)> write);
  /// Renames every temporary file over its destination; "" or the problem
  /// (then none of the files is left).
  std::string commit();
  /// Removes the temporary files not yet committed.
  void discard();

private:
  struct File {
    std::string path, temp;
  };
  std::vector<File> files;
};

} // namespace quant4::runner

#endif // QUANT4_RUNNER_OUTPUTFILES_H
