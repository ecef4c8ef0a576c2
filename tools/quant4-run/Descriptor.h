//===- Descriptor.h - memref descriptors for JIT calls ----------*- C++ -*-===//
#ifndef QUANT4_TOOLS_QUANT4_RUN_DESCRIPTOR_H
#define QUANT4_TOOLS_QUANT4_RUN_DESCRIPTOR_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace quant4::run {
/// A ranked memref descriptor {allocated, aligned, offset, sizes, strides}
/// over contiguous row-major data, as `_mlir_ciface_` functions take it.
inline std::vector<int64_t> descriptor(void *data,
                                       llvm::ArrayRef<int64_t> shape) {
  size_t r = shape.size();
  std::vector<int64_t> d(3 + 2 * r);
  d[0] = d[1] = int64_t(reinterpret_cast<intptr_t>(data));
  d[2] = 0;
  int64_t stride = 1;
  for (size_t i = r; i-- > 0;) {
    d[3 + i] = shape[i];
    d[3 + r + i] = stride;
    stride *= shape[i];
  }
  return d;
}
} // namespace quant4::run

#endif // QUANT4_TOOLS_QUANT4_RUN_DESCRIPTOR_H
