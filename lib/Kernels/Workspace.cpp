//===- Workspace.cpp - scratch buffers kept across calls ------------------===//
#include "quant4/Kernels/Workspace.h"

#include <cstdlib>
#include <new>

namespace quant4::kernels {
namespace {

struct Buffer {
  void *p = nullptr;
  size_t bytes = 0;
  ~Buffer() { std::free(p); }
};

thread_local Buffer tBuffers[size_t(ScratchSlot::Count)];

} // namespace

void *scratch(ScratchSlot slot, size_t bytes) {
  Buffer &b = tBuffers[size_t(slot)];
  if (bytes > b.bytes) {
    // Grow by at least half: a sequence of slightly larger requests does
    // not reallocate each time.
    size_t want = bytes + bytes / 2;
    want = (want + 63) / 64 * 64;
    void *p = std::aligned_alloc(64, want);
    if (!p)
      throw std::bad_alloc();
    std::free(b.p);
    b.p = p;
    b.bytes = want;
  }
  return b.p;
}

} // namespace quant4::kernels
