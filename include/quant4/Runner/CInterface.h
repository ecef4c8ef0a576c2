//===- CInterface.h - calls through `_mlir_ciface_` wrappers ----*- C++ -*-===//
//
// quant4-cpu-pipeline marks public functions `llvm.emit_c_interface`; the
// wrapper `_mlir_ciface_F` that FuncToLLVM generates for them takes
//
//  - a pointer to the result first, when the results form an LLVM struct
//    (one memref result: its descriptor; two or more results of any kind:
//    a struct of them, laid out with the natural alignment of each field);
//    a single scalar result is returned by value instead;
//  - then one value per argument: a pointer to a ranked memref descriptor
//    {allocated, aligned, offset, sizes[R], strides[R]} (upstream's
//    StridedMemRefType<T, R>, mlir/ExecutionEngine/CRunnerUtils.h), or the
//    scalar itself (i1, i32, i64/index, f32, f64).
//
// ExecutionEngine::invokePacked passes a pointer to each of these values
// and, for a returned scalar, one more pointer it stores the result to.
// CInterfaceCall builds that list and the result storage; Call.h builds on
// it to call a function with host arrays.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_RUNNER_CINTERFACE_H
#define QUANT4_RUNNER_CINTERFACE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <deque>
#include <vector>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace quant4::runner {

/// A ranked memref descriptor {allocated, aligned, offset, sizes, strides}
/// over contiguous row-major data.
std::vector<int64_t> identityDescriptor(void *data,
                                        llvm::ArrayRef<int64_t> shape);

/// The C-level kind of one result of a `_mlir_ciface_` function.
struct CResult {
  bool isMemref = true;
  unsigned rank = 0;        // memref
  unsigned scalarBytes = 0; // scalar: 1 (i1), 4 (i32, f32) or 8

  static CResult memref(unsigned rank) { return {true, rank, 0}; }
  static CResult scalar(unsigned bytes) { return {false, 0, bytes}; }
  size_t size() const {
    return isMemref ? 8 * (3 + 2 * size_t(rank)) : scalarBytes;
  }
  size_t align() const { return isMemref ? 8 : scalarBytes; }
};

/// One call through a `_mlir_ciface_` wrapper. Add the arguments in order,
/// invoke, then read the results.
class CInterfaceCall {
public:
  explicit CInterfaceCall(llvm::ArrayRef<CResult> results);
  CInterfaceCall(const CInterfaceCall &) = delete; // holds self-pointers
  CInterfaceCall &operator=(const CInterfaceCall &) = delete;

  /// Appends a memref argument: an identity-layout descriptor over `data`.
  void addMemref(void *data, llvm::ArrayRef<int64_t> shape);
  /// Appends a scalar argument of `bytes` bytes (1 for i1, 4 or 8), copied
  /// from `value`.
  void addScalar(const void *value, unsigned bytes);

  /// Calls `_mlir_ciface_<function>`.
  llvm::Error invoke(mlir::ExecutionEngine &engine, llvm::StringRef function);

  /// After invoke(): the descriptor words of memref result `i`.
  const int64_t *resultDescriptor(unsigned i) const;
  /// After invoke(): the bytes of scalar result `i`.
  const void *resultScalar(unsigned i) const;

private:
  std::vector<CResult> results;
  std::vector<size_t> resultOffset;    // bytes into resultStorage
  std::vector<uint64_t> resultStorage; // 8-byte aligned
  void *resultPtr = nullptr;           // the out-parameter's value
  std::deque<std::vector<int64_t>> descriptors;
  std::deque<uint64_t> scalars;      // stable addresses
  std::deque<void *> descriptorPtrs; // stable addresses
  std::vector<void *> argSlots;      // what invokePacked receives
};

} // namespace quant4::runner

#endif // QUANT4_RUNNER_CINTERFACE_H
