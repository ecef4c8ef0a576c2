//===- Sizes.h - checked size arithmetic for untrusted inputs ---*- C++ -*-===//
//
// Plain C++17, header only (no MLIR/LLVM). Every element count, byte size,
// extent or stride that quant4 derives from a file it reads (.npy headers,
// Q4A binaries and assembly, MNIST IDX headers, ONNX tensors) is computed
// with these helpers: an overflow is an error, never a wrapped value that
// passes a later bounds check. docs/Reliability.md lists the limits.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_SUPPORT_SIZES_H
#define QUANT4_SUPPORT_SIZES_H

#include <cstdint>
#include <iterator>
#include <optional>
#include <type_traits>

namespace quant4 {

/// The largest tensor any quant4 tool accepts, in bytes (1 TiB). A shape is
/// judged with every zero extent counted as one, so that the strides of an
/// empty tensor fit in int64 too. Real data is bounded much earlier by the
/// files that hold it; this limit is what a header alone can claim.
constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 40;

/// a + b, or nullopt if the sum does not fit in 64 bits.
inline std::optional<uint64_t> checkedAdd(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return std::nullopt;
  return r;
}

/// a * b, or nullopt if the product does not fit in 64 bits.
inline std::optional<uint64_t> checkedMul(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    return std::nullopt;
  return r;
}

/// Byte size of a tensor of `elementBytes`-byte elements with the extents
/// [first, last) (any integer type; a negative extent is invalid), or
/// nullopt when an extent is negative or the size, with zero extents counted
/// as one, exceeds `limit`. The value returned is the real size (zero when
/// any extent is zero).
template <typename It>
std::optional<uint64_t> checkedTensorBytes(It first, It last,
                                           uint64_t elementBytes,
                                           uint64_t limit = kMaxTensorBytes) {
  uint64_t bound = elementBytes, real = elementBytes;
  for (It it = first; it != last; ++it) {
    using T = std::decay_t<decltype(*it)>;
    if constexpr (std::is_signed_v<T>)
      if (*it < 0)
        return std::nullopt;
    uint64_t d = uint64_t(*it);
    std::optional<uint64_t> b = checkedMul(bound, d ? d : 1);
    if (!b || *b > limit)
      return std::nullopt;
    bound = *b;
    real *= d; // real <= bound: cannot overflow
  }
  if (bound > limit)
    return std::nullopt;
  return real;
}

template <typename Range>
std::optional<uint64_t> checkedTensorBytes(const Range &shape,
                                           uint64_t elementBytes,
                                           uint64_t limit = kMaxTensorBytes) {
  return checkedTensorBytes(std::begin(shape), std::end(shape), elementBytes,
                            limit);
}

} // namespace quant4

#endif // QUANT4_SUPPORT_SIZES_H
