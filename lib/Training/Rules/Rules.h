//===- Rules.h - registration of the derivative rules -----------*- C++ -*-===//
//
// Internal to lib/Training: each file of Rules/ attaches the derivative
// rules of one family of ops (quant4/Training/AdjointOpInterface.h).
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_LIB_TRAINING_RULES_RULES_H
#define QUANT4_LIB_TRAINING_RULES_RULES_H

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::quant4::rules {

/// linalg.matmul, batch_matmul and the convolutions (Gemm.cpp).
void registerGemmAdjoints(DialectRegistry &registry);
/// linalg.pooling_nhwc_max and pooling_nhwc_sum (Pooling.cpp).
void registerPoolingAdjoints(DialectRegistry &registry);
/// linalg.generic: element-wise maps, reductions, gathers (Generic.cpp).
void registerGenericAdjoints(DialectRegistry &registry);
/// linalg.transpose and the tensor dialect's data movement (Layout.cpp).
void registerLayoutAdjoints(DialectRegistry &registry);
/// quant4.dropout (Dropout.cpp).
void registerDropoutAdjoint(DialectRegistry &registry);
/// Scalar arith and math ops of linalg.generic bodies (Scalar.cpp).
void registerScalarAdjoints(DialectRegistry &registry);

/// The values of an i64 attribute such as a convolution's strides.
inline SmallVector<int64_t> intValues(DenseIntElementsAttr attr) {
  SmallVector<int64_t> v;
  for (const APInt &x : attr.getValues<APInt>())
    v.push_back(x.getSExtValue());
  return v;
}

} // namespace mlir::quant4::rules

#endif // QUANT4_LIB_TRAINING_RULES_RULES_H
