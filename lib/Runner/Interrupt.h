//===- Interrupt.h - SIGINT during training (Train.cpp) ---------*- C++ -*-===//
//
// TrainOptions::handleSigint: the first SIGINT ends training after the
// current batch; a second one exits at once without output files.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_LIB_RUNNER_INTERRUPT_H
#define QUANT4_LIB_RUNNER_INTERRUPT_H

#include <csignal>
#include <string>

namespace quant4::runner {

/// Whether SIGINT is ignored now (e.g. in a background job of a shell
/// script); then it stays ignored.
bool sigintIsIgnored();

/// Blocks SIGINT in the calling thread while it lives (threads created
/// meanwhile inherit the blocked mask).
class SigintBlocked {
public:
  SigintBlocked();
  ~SigintBlocked();
  SigintBlocked(const SigintBlocked &) = delete;
  SigintBlocked &operator=(const SigintBlocked &) = delete;

private:
  sigset_t previous;
};

/// Handles SIGINT while it lives if `active` (the caller leaves an ignored
/// SIGINT alone: sigintIsIgnored() before anything could change it). The
/// first SIGINT only sets interrupted(). A
/// second one removes the temporary files registered with
/// llvm::sys::RemoveFileOnSignal, writes `secondMessage` to stderr and ends
/// the process with status 130 -- on the constructing thread, which creates
/// those files: another thread that counts the second SIGINT forwards it
/// there (that thread then counts a third), so no temporary file can appear
/// after the removal. One instance at a time.
class SigintHandler {
public:
  SigintHandler(bool active, std::string secondMessage);
  ~SigintHandler();
  SigintHandler(const SigintHandler &) = delete;
  SigintHandler &operator=(const SigintHandler &) = delete;
  bool interrupted() const;

private:
  std::string message;
  struct sigaction previous = {};
  bool installed = false;
};

} // namespace quant4::runner

#endif // QUANT4_LIB_RUNNER_INTERRUPT_H
