//===- Sign.h - which tensors are provably non-negative ---------*- C++ -*-===//
//
// A GEMM's activation is quantized to an unsigned format (ultralow4's PACT
// UINT4) only when no element can be negative; otherwise the unsigned grid
// would clip every negative element to zero. This analysis proves
// non-negativity from the IR that computes a tensor: ReLU and clip (a
// maximum with a non-negative bound), exp, softmax, absolute values and
// squares, sums, products and quotients of non-negative values, max and
// average pooling, and the data-movement ops between them. Anything it does
// not understand (a function argument, a subtraction, a GEMM with a weight)
// is "maybe negative". See docs/Recipes.md ("Signed and unsigned
// activations").
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_DIALECT_QUANT4_ANALYSIS_SIGN_H
#define QUANT4_DIALECT_QUANT4_ANALYSIS_SIGN_H

#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::quant4 {

/// Answers "is every element of this tensor (or scalar) >= 0 or NaN?" for the
/// values of one function. Results are cached; construct one per function
/// and query it as often as needed.
class NonNegativeAnalysis {
public:
  /// True when every element of `v` is provably non-negative (or NaN).
  bool isNonNegative(Value v) { return tensorNonNegative(v, false); }

private:
  /// `maxWindow`: `v` is read by a max-reduction whose every window holds at
  /// least one element of the unpadded tensor (pooling), so the values a
  /// tensor.pad adds cannot be the result.
  bool tensorNonNegative(Value v, bool maxWindow);
  bool computeTensor(Value v, bool maxWindow);
  /// A scalar of the body of `linalgOp` (or defined above it).
  bool scalarNonNegative(Value s, Operation *linalgOp, bool maxWindow,
                         unsigned depth);
  /// Whether the select condition `cond` (a scalar of `owner`'s body) being
  /// `whenTrue` implies x >= k for a non-negative k: ReLU as `x > 0 ? x : 0`.
  bool guardedNonNegative(Value cond, Value x, bool whenTrue, Operation *owner,
                          unsigned depth);

  llvm::DenseMap<std::pair<Value, unsigned>, bool> cache;
};

} // namespace mlir::quant4

#endif // QUANT4_DIALECT_QUANT4_ANALYSIS_SIGN_H
