//===- Emit.h - IR building blocks of the ONNX importer ---------*- C++ -*-===//
//
// Upstream ops only, statically shaped tensors. Broadcasting follows numpy:
// an operand dimension of size 1 that is broadcast is collapsed away
// (tensor.collapse_shape) so that every linalg.generic operand map is a
// projected permutation (what quant4-build-training-step differentiates).
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_LIB_TARGET_ONNX_EMIT_H
#define QUANT4_LIB_TARGET_ONNX_EMIT_H

#include "Tensor.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>

namespace quant4::onnx_import {

/// The numpy broadcast of `shapes`, or nullopt if they are incompatible.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<llvm::SmallVector<int64_t>> shapes);

/// The scalar body of an element-wise op: the operands' elements in, the
/// result element out.
using ScalarFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

struct Emitter {
  Emitter(mlir::OpBuilder &b, mlir::Location loc) : b(b), loc(loc) {}

  mlir::OpBuilder &b;
  mlir::Location loc;

  mlir::MLIRContext *ctx() const { return b.getContext(); }
  static llvm::ArrayRef<int64_t> shapeOf(mlir::Value v) {
    return llvm::cast<mlir::RankedTensorType>(v.getType()).getShape();
  }
  static mlir::Type elementTypeOf(mlir::Value v) {
    return llvm::cast<mlir::RankedTensorType>(v.getType()).getElementType();
  }

  mlir::Value empty(llvm::ArrayRef<int64_t> shape, mlir::Type et);
  /// A scalar constant of `et` (float, or integer from `v` truncated).
  mlir::Value scalar(mlir::Type et, double v);
  mlir::Value intScalar(mlir::Type et, int64_t v);
  /// linalg.fill of a fresh tensor.
  mlir::Value fill(llvm::ArrayRef<int64_t> shape, mlir::Value scalar);
  mlir::Value filled(llvm::ArrayRef<int64_t> shape, mlir::Type et, double v) {
    return fill(shape, scalar(et, v));
  }
  /// arith.constant of a host tensor.
  mlir::Value constant(const HostTensor &h);

  mlir::Value transpose(mlir::Value v, llvm::ArrayRef<int64_t> perm);
  /// Row-major reshape through tensor.collapse_shape / expand_shape.
  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<int64_t> shape);
  /// tensor.pad with a constant.
  mlir::Value pad(mlir::Value v, llvm::ArrayRef<int64_t> low,
                  llvm::ArrayRef<int64_t> high, mlir::Value padScalar);
  mlir::Value extractSlice(mlir::Value v, llvm::ArrayRef<int64_t> offsets,
                           llvm::ArrayRef<int64_t> sizes,
                           llvm::ArrayRef<int64_t> strides);
  mlir::Value insertSlice(mlir::Value src, mlir::Value dest,
                          llvm::ArrayRef<int64_t> offsets,
                          llvm::ArrayRef<int64_t> strides);
  /// Concatenation along `axis` (tensor.insert_slice into a fresh tensor).
  mlir::Value concat(llvm::ArrayRef<mlir::Value> parts, int64_t axis);

  /// An element-wise linalg.generic over operands broadcast (numpy) to
  /// `outShape`; `outShape` must be their broadcast.
  mlir::Value elementwise(mlir::ValueRange operands,
                          llvm::ArrayRef<int64_t> outShape, mlir::Type outEt,
                          ScalarFn body);
  /// `v` broadcast to `shape` (numpy rules; same value when equal).
  mlir::Value broadcastTo(mlir::Value v, llvm::ArrayRef<int64_t> shape);
  /// Unary map.
  mlir::Value map(mlir::Value v, mlir::Type outEt, ScalarFn body) {
    return elementwise(mlir::ValueRange{v}, shapeOf(v), outEt, body);
  }

  /// Reduces `v` over `axes` (sorted, unique, normalized) with `combine`
  /// (acc, element) -> acc, starting from `init`; keepdims keeps the
  /// reduced dimensions as 1.
  mlir::Value reduce(mlir::Value v, llvm::ArrayRef<int64_t> axes,
                     bool keepdims, mlir::Value init,
                     llvm::function_ref<mlir::Value(mlir::OpBuilder &,
                                                    mlir::Location,
                                                    mlir::Value acc,
                                                    mlir::Value x)>
                         combine);

  /// Scalar conversion with ONNX Cast semantics.
  static mlir::Value convertScalar(mlir::OpBuilder &b, mlir::Location loc,
                                   mlir::Value x, DType from, DType to);
  /// Element-wise conversion of a tensor.
  mlir::Value cast(mlir::Value v, DType from, DType to);
};

} // namespace quant4::onnx_import

#endif // QUANT4_LIB_TARGET_ONNX_EMIT_H
