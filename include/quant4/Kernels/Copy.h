//===- Copy.h - strided copies and transposes -------------------*- C++ -*-===//
//
// The data movement of a training step: transposes between the layouts of
// a model (NCHW, FCHW from ONNX) and those of the kernels (NHWC, HWCF), and
// copies into and out of strided views (padding, pooling taps). Compiled
// loop by loop, a transpose reads or writes one element per cache line (a
// 512x512x3x3 weight transposed at 0.7 GB/s); here the copy is blocked so
// that both sides use whole cache lines.
//
// A copy moves bits: no rounding, no order of operations, so the result
// does not depend on the blocking or on the thread count.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_KERNELS_COPY_H
#define QUANT4_KERNELS_COPY_H

#include <cstddef>
#include <cstdint>

namespace quant4::kernels {

/// dst[i] = src[i] for every index i of the `rank`-dimensional space
/// `sizes`, element i of each at the sum of i[k]·strides[k] elements from
/// its base pointer (strides in elements, any sign). Elements are
/// `elemBytes` wide (1, 2, 4 or 8). The destination's elements must not
/// overlap each other or the source. Large copies run on up to `threads`
/// threads of the pool.
void stridedCopy(int rank, const int64_t *sizes, const char *src,
                 const int64_t *srcStrides, char *dst,
                 const int64_t *dstStrides, size_t elemBytes, int threads);

} // namespace quant4::kernels

#endif // QUANT4_KERNELS_COPY_H
