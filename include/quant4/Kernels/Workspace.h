//===- Workspace.h - scratch buffers kept across calls ----------*- C++ -*-===//
//
// A convolution's im2col matrix is the largest temporary of a training
// step (LeNet's first layer: 3.7 MB per call). Allocated per call it cost a
// zero-fill and fresh pages at every step; these buffers are allocated once
// per thread and slot, grow to the largest size asked for, and are reused
// by every later call (step after step).
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_KERNELS_WORKSPACE_H
#define QUANT4_KERNELS_WORKSPACE_H

#include <cstddef>

namespace quant4::kernels {

/// Who uses a buffer: one buffer per slot and thread, so that users that
/// call each other never share one.
enum class ScratchSlot { ConvCodes, ConvF32, Count };

/// A 64-byte-aligned buffer of at least `bytes` bytes, uninitialised, owned
/// by the calling thread; valid until the next call with the same slot on
/// this thread.
void *scratch(ScratchSlot slot, size_t bytes);

} // namespace quant4::kernels

#endif // QUANT4_KERNELS_WORKSPACE_H
