//===- AdjointOpInterface.cpp - derivative rule interfaces ----------------===//
//
// The interfaces' generated definitions, the AdjointContext helpers and the
// registration of every rule of Rules/.
//
//===----------------------------------------------------------------------===//
#include "quant4/Training/AdjointOpInterface.h"

#include "Rules/Rules.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::quant4;

#include "quant4/Training/AdjointOpInterface.cpp.inc"

Value AdjointContext::constantFloat(double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

Value AdjointContext::constantI32(int64_t v) {
  return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
}

Value AdjointContext::empty(ArrayRef<int64_t> shape, Type elementType) {
  return tensor::EmptyOp::create(b, loc, shape, elementType);
}

Value AdjointContext::filled(ArrayRef<int64_t> shape, Value scalar) {
  return linalg::FillOp::create(b, loc, ValueRange{scalar},
                                ValueRange{empty(shape, scalar.getType())})
      .getResult(0);
}

Value AdjointContext::zerosLike(Value v) {
  return filled(shapeOf(v), constantFloat(0.0));
}

Value AdjointContext::transpose(Value v, ArrayRef<int64_t> perm) {
  ArrayRef<int64_t> s = shapeOf(v);
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(s[p]);
  Value init = empty(shape, elementTypeOf(v));
  return linalg::TransposeOp::create(b, loc, v, init, perm).getResult()[0];
}

Value AdjointContext::add(Value x, Value y) {
  return linalg::AddOp::create(b, loc, ValueRange{x, y},
                               ValueRange{empty(shapeOf(x), elementTypeOf(x))})
      .getResult(0);
}

SmallVector<OpFoldResult> AdjointContext::indexAttrs(ArrayRef<int64_t> values) {
  SmallVector<OpFoldResult> r;
  for (int64_t x : values)
    r.push_back(b.getIndexAttr(x));
  return r;
}

AffineMap AdjointContext::map(unsigned numDims, ArrayRef<AffineExpr> results) {
  return AffineMap::get(numDims, 0, results, b.getContext());
}

void mlir::quant4::registerAdjointExternalModels(DialectRegistry &registry) {
  rules::registerGemmAdjoints(registry);
  rules::registerPoolingAdjoints(registry);
  rules::registerGenericAdjoints(registry);
  rules::registerLayoutAdjoints(registry);
  rules::registerDropoutAdjoint(registry);
  rules::registerScalarAdjoints(registry);
}
