//===- Interrupt.cpp - SIGINT during training -----------------------------===//
#include "Interrupt.h"

#include "llvm/Support/Signals.h"

#include <atomic>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace quant4::runner {

namespace {
/// SIGINTs received while training (counted by the handler, in whichever
/// thread the kernel delivers a SIGINT to).
std::atomic<int> sigints{0};
static_assert(std::atomic<int>::is_always_lock_free,
              "sigints is written by a signal handler");
/// The thread that trains and writes the output files.
pid_t mainThread = 0;
/// What the second SIGINT writes (SigintHandler::message, set before the
/// handler is installed).
const char *secondMessage = nullptr;
size_t secondMessageSize = 0;

void onSigint(int) {
  if (sigints.fetch_add(1) == 0)
    return;
  if (::gettid() != mainThread) {
    ::syscall(SYS_tgkill, ::getpid(), mainThread, SIGINT);
    return;
  }
  llvm::sys::RunInterruptHandlers(); // removes registered temporary files
  if (secondMessageSize) {
    ssize_t n = ::write(STDERR_FILENO, secondMessage, secondMessageSize);
    (void)n;
  }
  ::_exit(130);
}
} // namespace

bool sigintIsIgnored() {
  struct sigaction now = {};
  return ::sigaction(SIGINT, nullptr, &now) == 0 && now.sa_handler == SIG_IGN;
}

SigintBlocked::SigintBlocked() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  ::pthread_sigmask(SIG_BLOCK, &set, &previous);
}

SigintBlocked::~SigintBlocked() {
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

SigintHandler::SigintHandler(bool active, std::string secondMsg)
    : message(std::move(secondMsg)) {
  sigints = 0;
  if (!active)
    return;
  mainThread = ::gettid();
  secondMessage = message.data();
  secondMessageSize = message.size();
  struct sigaction sa = {};
  sa.sa_handler = onSigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  installed = ::sigaction(SIGINT, &sa, &previous) == 0;
}

SigintHandler::~SigintHandler() {
  if (installed)
    ::sigaction(SIGINT, &previous, nullptr);
}

bool SigintHandler::interrupted() const { return sigints.load() > 0; }

} // namespace quant4::runner
