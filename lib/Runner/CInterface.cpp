//===- CInterface.cpp - calls through `_mlir_ciface_` wrappers ------------===//
#include "quant4/Runner/CInterface.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"

#include <cstring>

namespace quant4::runner {

std::vector<int64_t> identityDescriptor(void *data,
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

CInterfaceCall::CInterfaceCall(llvm::ArrayRef<CResult> rs)
    : results(rs.begin(), rs.end()) {
  // The LLVM struct of the results: each field at the next multiple of its
  // alignment (a single result is its own layout).
  size_t size = 0;
  for (const CResult &r : results) {
    size = (size + r.align() - 1) / r.align() * r.align();
    resultOffset.push_back(size);
    size += r.size();
  }
  resultStorage.assign(size / 8 + 1, 0);
  bool outParam =
      results.size() > 1 || (results.size() == 1 && results[0].isMemref);
  if (outParam) {
    resultPtr = resultStorage.data();
    argSlots.push_back(&resultPtr);
  }
}

void CInterfaceCall::addMemref(void *data, llvm::ArrayRef<int64_t> shape) {
  descriptors.push_back(identityDescriptor(data, shape));
  descriptorPtrs.push_back(descriptors.back().data());
  argSlots.push_back(&descriptorPtrs.back());
}

void CInterfaceCall::addScalar(const void *value, unsigned bytes) {
  scalars.push_back(0);
  std::memcpy(&scalars.back(), value, bytes);
  argSlots.push_back(&scalars.back());
}

llvm::Error CInterfaceCall::invoke(mlir::ExecutionEngine &engine,
                                   llvm::StringRef function) {
  std::vector<void *> packed = argSlots;
  // A single scalar result is returned by value; invokePacked stores it
  // through one more pointer.
  if (results.size() == 1 && !results[0].isMemref)
    packed.push_back(resultStorage.data());
  return engine.invokePacked(("_mlir_ciface_" + function).str(), packed);
}

const int64_t *CInterfaceCall::resultDescriptor(unsigned i) const {
  return reinterpret_cast<const int64_t *>(
      reinterpret_cast<const char *>(resultStorage.data()) + resultOffset[i]);
}

const void *CInterfaceCall::resultScalar(unsigned i) const {
  return reinterpret_cast<const char *>(resultStorage.data()) + resultOffset[i];
}

} // namespace quant4::runner
