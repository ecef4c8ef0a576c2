//===- AdjointOpInterface.h - reverse-mode derivative rules -----*- C++ -*-===//
//
// The derivative rules of quant4-build-training-step (docs/Training.md,
// "Derivative rules"):
//
//  * AdjointOpInterface: a tensor op's rule. quant4 attaches it to the
//    linalg and tensor ops the training-step builder differentiates as
//    external models (registerAdjointExternalModels); the builder walks the
//    forward ops in reverse and calls each op's rule with an
//    AdjointContext, which holds the adjoints and the builder's state.
//  * ScalarAdjointOpInterface: the rule of a scalar arith/math op in the
//    body of a linalg.generic (the generic's own rule differentiates its
//    body op by op with them).
//
// AdjointContext also carries the small IR helpers every rule needs
// (constants, empty and filled tensors, transposes, additions), so that a
// rule is the derivative and nothing else.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_TRAINING_ADJOINTOPINTERFACE_H
#define QUANT4_TRAINING_ADJOINTOPINTERFACE_H

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OpDefinition.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::quant4 {

/// What a derivative rule sees of the training-step builder: the adjoints,
/// the set of values that depend on a trained parameter, the GEMM tagging
/// and diagnostics, and IR helpers at the builder's insertion point.
class AdjointContext {
public:
  AdjointContext(OpBuilder &b, Location loc) : b(b), loc(loc) {}
  virtual ~AdjointContext() = default;

  // ---- the builder's state (implemented by the training-step builder) ----
  /// The adjoint of a result of the op being differentiated (null if the
  /// loss does not depend on it).
  virtual Value adjointOf(Value result) = 0;
  /// True if `v` depends on a trained parameter.
  virtual bool isVaried(Value v) = 0;
  /// Adds `adjoint` to the adjoint of `v` (which must be varied).
  virtual void accumulate(Value v, Value adjoint) = 0;
  /// The role of the GEMM that computes the adjoint of operand `v` of a
  /// GEMM or convolution: wgrad when `v` is (a view of) a parameter, else
  /// dgrad.
  virtual GemmRole gradRole(Value v) = 0;
  /// Tags `gemm` (created by a rule) with `role` and the layer of the
  /// forward GEMM or convolution `forward`.
  virtual void tagGemm(Operation *gemm, Operation *forward, GemmRole role) = 0;
  /// Reports that `op` cannot be differentiated, and why; names the op of
  /// the forward function the user wrote.
  virtual InFlightDiagnostic unsupported(Operation *op, const Twine &why) = 0;
  /// The op of the forward function that `op` (an op of the step being
  /// built) is a copy of; `op` itself if it is none.
  virtual Operation *originalOf(Operation *op) = 0;

  // ---- IR helpers ----------------------------------------------------------
  OpBuilder &builder() { return b; }
  Location getLoc() const { return loc; }
  MLIRContext *getContext() const { return b.getContext(); }
  Type f32Type() { return b.getF32Type(); }

  static ArrayRef<int64_t> shapeOf(Value v) {
    return cast<RankedTensorType>(v.getType()).getShape();
  }
  static Type elementTypeOf(Value v) {
    return cast<RankedTensorType>(v.getType()).getElementType();
  }
  Value constantFloat(double v);
  Value constantI32(int64_t v);
  Value empty(ArrayRef<int64_t> shape, Type elementType);
  Value filled(ArrayRef<int64_t> shape, Value scalar);
  /// A zero f32 tensor of `v`'s shape.
  Value zerosLike(Value v);
  Value transpose(Value v, ArrayRef<int64_t> perm);
  /// x + y, element-wise (same shapes).
  Value add(Value x, Value y);
  SmallVector<OpFoldResult> indexAttrs(ArrayRef<int64_t> values);
  AffineMap map(unsigned numDims, ArrayRef<AffineExpr> results);

protected:
  OpBuilder &b;
  Location loc;
};

/// Attaches the derivative rules to the linalg, tensor, arith and math ops
/// they differentiate (lib/Training/Rules).
void registerAdjointExternalModels(DialectRegistry &registry);

} // namespace mlir::quant4

#include "quant4/Training/AdjointOpInterface.h.inc"

#endif // QUANT4_TRAINING_ADJOINTOPINTERFACE_H
