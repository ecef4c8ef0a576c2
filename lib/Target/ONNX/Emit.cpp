//===- Emit.cpp - IR building blocks of the ONNX importer -----------------===//
#include "Emit.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace ::quant4::onnx_import;
namespace q4onnx = ::quant4::onnx_import;

std::optional<SmallVector<int64_t>> q4onnx::broadcastShapes(
    ArrayRef<SmallVector<int64_t>> shapes) {
  size_t rank = 0;
  for (const auto &s : shapes)
    rank = std::max(rank, s.size());
  SmallVector<int64_t> out(rank, 1);
  for (const auto &s : shapes) {
    size_t off = rank - s.size();
    for (size_t j = 0; j < s.size(); ++j) {
      int64_t &o = out[off + j];
      if (s[j] == o || s[j] == 1)
        continue;
      if (o != 1)
        return std::nullopt;
      o = s[j];
    }
  }
  return out;
}

Value Emitter::empty(ArrayRef<int64_t> shape, Type et) {
  return tensor::EmptyOp::create(b, loc, shape, et);
}

Value Emitter::intScalar(Type et, int64_t v) {
  unsigned w = et.getIntOrFloatBitWidth();
  return arith::ConstantOp::create(
      b, loc,
      IntegerAttr::get(et, APInt(w, uint64_t(v), /*isSigned=*/true,
                                 /*implicitTrunc=*/true)));
}

Value Emitter::scalar(Type et, double v) {
  if (isa<FloatType>(et))
    return arith::ConstantOp::create(b, loc, FloatAttr::get(et, v));
  if (et.isInteger(1))
    return intScalar(et, v != 0.0);
  return intScalar(et, int64_t(v));
}

Value Emitter::fill(ArrayRef<int64_t> shape, Value s) {
  return linalg::FillOp::create(b, loc, ValueRange{s},
                                ValueRange{empty(shape, s.getType())})
      .getResult(0);
}

Value Emitter::constant(const HostTensor &h) {
  return arith::ConstantOp::create(b, loc, h.toAttr(ctx()));
}

Value Emitter::transpose(Value v, ArrayRef<int64_t> perm) {
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == int64_t(i);
  if (identity)
    return v;
  // transpose(transpose(x, p), q) with q∘p = id is x (NCHW <-> NHWC
  // between consecutive convolutions and pools).
  if (auto prev = v.getDefiningOp<linalg::TransposeOp>()) {
    ArrayRef<int64_t> p = prev.getPermutation();
    bool inverse = p.size() == perm.size();
    for (size_t i = 0; inverse && i < perm.size(); ++i)
      inverse = p[perm[i]] == int64_t(i);
    if (inverse)
      return prev.getInput();
  }
  ArrayRef<int64_t> s = shapeOf(v);
  SmallVector<int64_t> out;
  for (int64_t p : perm)
    out.push_back(s[p]);
  Value init = empty(out, elementTypeOf(v));
  return linalg::TransposeOp::create(b, loc, v, init, perm).getResult()[0];
}

Value Emitter::reshape(Value v, ArrayRef<int64_t> shape) {
  auto srcType = llvm::cast<RankedTensorType>(v.getType());
  if (srcType.getShape() == shape)
    return v;
  // Undo a reshape made earlier (e.g. a per-channel vector shaped C x 1 x 1
  // for broadcasting, then collapsed again by `elementwise`).
  if (Operation *def = v.getDefiningOp())
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def) &&
        llvm::cast<RankedTensorType>(def->getOperand(0).getType()).getShape() ==
            shape)
      return def->getOperand(0);
  auto dstType = RankedTensorType::get(shape, srcType.getElementType());
  int64_t srcRank = srcType.getRank(), dstRank = dstType.getRank();
  if (dstRank == 0)
    return tensor::CollapseShapeOp::create(b, loc, dstType, v,
                                           ArrayRef<ReassociationIndices>{});
  if (srcRank == 0)
    return tensor::ExpandShapeOp::create(b, loc, dstType, v,
                                         ArrayRef<ReassociationIndices>{});
  if (srcRank > dstRank) {
    if (auto re = getReassociationIndicesForCollapse(srcType.getShape(), shape))
      return tensor::CollapseShapeOp::create(b, loc, dstType, v, *re);
  } else if (srcRank < dstRank) {
    if (auto re = getReassociationIndicesForCollapse(shape, srcType.getShape()))
      return tensor::ExpandShapeOp::create(b, loc, dstType, v, *re);
  }
  // Through one dimension.
  int64_t n = 1;
  for (int64_t d : srcType.getShape())
    n *= d;
  Value flat = v;
  if (srcRank != 1) {
    ReassociationIndices all;
    for (int64_t i = 0; i < srcRank; ++i)
      all.push_back(i);
    flat = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({n}, srcType.getElementType()), v,
        ArrayRef<ReassociationIndices>{all});
  }
  if (dstRank == 1)
    return flat;
  ReassociationIndices all;
  for (int64_t i = 0; i < dstRank; ++i)
    all.push_back(i);
  return tensor::ExpandShapeOp::create(b, loc, dstType, flat,
                                       ArrayRef<ReassociationIndices>{all});
}

Value Emitter::pad(Value v, ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                   Value padScalar) {
  if (llvm::all_of(low, [](int64_t x) { return x == 0; }) &&
      llvm::all_of(high, [](int64_t x) { return x == 0; }))
    return v;
  ArrayRef<int64_t> s = shapeOf(v);
  SmallVector<int64_t> out;
  for (size_t i = 0; i < s.size(); ++i)
    out.push_back(s[i] + low[i] + high[i]);
  auto type = RankedTensorType::get(out, elementTypeOf(v));
  return tensor::PadOp::create(b, loc, type, v,
                               getAsIndexOpFoldResult(ctx(), low),
                               getAsIndexOpFoldResult(ctx(), high), padScalar);
}

Value Emitter::extractSlice(Value v, ArrayRef<int64_t> offsets,
                            ArrayRef<int64_t> sizes,
                            ArrayRef<int64_t> strides) {
  if (shapeOf(v) == sizes &&
      llvm::all_of(offsets, [](int64_t x) { return x == 0; }))
    return v;
  auto type = RankedTensorType::get(sizes, elementTypeOf(v));
  return tensor::ExtractSliceOp::create(
      b, loc, type, v, getAsIndexOpFoldResult(ctx(), offsets),
      getAsIndexOpFoldResult(ctx(), sizes),
      getAsIndexOpFoldResult(ctx(), strides));
}

Value Emitter::insertSlice(Value src, Value dest, ArrayRef<int64_t> offsets,
                           ArrayRef<int64_t> strides) {
  return tensor::InsertSliceOp::create(
      b, loc, src, dest, getAsIndexOpFoldResult(ctx(), offsets),
      getAsIndexOpFoldResult(ctx(), shapeOf(src)),
      getAsIndexOpFoldResult(ctx(), strides));
}

Value Emitter::concat(ArrayRef<Value> parts, int64_t axis) {
  if (parts.size() == 1)
    return parts.front();
  SmallVector<int64_t> out(shapeOf(parts.front()));
  out[axis] = 0;
  for (Value p : parts)
    out[axis] += shapeOf(p)[axis];
  Value dest = empty(out, elementTypeOf(parts.front()));
  SmallVector<int64_t> offsets(out.size(), 0), strides(out.size(), 1);
  for (Value p : parts) {
    if (shapeOf(p)[axis] == 0)
      continue;
    dest = insertSlice(p, dest, offsets, strides);
    offsets[axis] += shapeOf(p)[axis];
  }
  return dest;
}

Value Emitter::elementwise(ValueRange operands, ArrayRef<int64_t> outShape,
                           Type outEt, ScalarFn body) {
  int64_t rank = outShape.size();
  SmallVector<Value> ins;
  SmallVector<AffineMap> maps;
  for (Value v : operands) {
    ArrayRef<int64_t> s = shapeOf(v);
    int64_t off = rank - int64_t(s.size());
    SmallVector<int64_t> kept;
    SmallVector<AffineExpr> exprs;
    for (int64_t j = 0; j < int64_t(s.size()); ++j) {
      if (s[j] == outShape[off + j]) {
        kept.push_back(s[j]);
        exprs.push_back(b.getAffineDimExpr(off + j));
      }
    }
    ins.push_back(kept.size() == s.size() ? v : reshape(v, kept));
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx()));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{RankedTensorType::get(outShape, outEt)}, ins,
      ValueRange{empty(outShape, outEt)}, maps, iters,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value r = body(nb, l, args.drop_back());
        linalg::YieldOp::create(nb, l, r);
      });
  return op.getResult(0);
}

Value Emitter::broadcastTo(Value v, ArrayRef<int64_t> shape) {
  if (shapeOf(v) == shape)
    return v;
  // Only leading unit dimensions added: an expand_shape is enough.
  ArrayRef<int64_t> s = shapeOf(v);
  if (s.size() < shape.size() && shape.take_back(s.size()) == s &&
      llvm::all_of(shape.drop_back(s.size()),
                   [](int64_t d) { return d == 1; }))
    return reshape(v, shape);
  return elementwise(ValueRange{v}, shape, elementTypeOf(v),
                     [](OpBuilder &, Location, ValueRange a) { return a[0]; });
}

Value Emitter::reduce(
    Value v, ArrayRef<int64_t> axes, bool keepdims, Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  ArrayRef<int64_t> s = shapeOf(v);
  int64_t rank = s.size();
  SmallVector<int64_t> outShape, keptShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    iters.push_back(reduced ? utils::IteratorType::reduction
                            : utils::IteratorType::parallel);
    keptShape.push_back(reduced ? 1 : s[d]);
    if (!reduced) {
      outShape.push_back(s[d]);
      outExprs.push_back(b.getAffineDimExpr(d));
    }
  }
  Value acc = fill(outShape, init);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{acc.getType()}, ValueRange{v}, ValueRange{acc},
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank),
                          AffineMap::get(rank, 0, outExprs, ctx())},
      iters, [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, combine(nb, l, args[1], args[0]));
      });
  Value r = op.getResult(0);
  return keepdims ? reshape(r, keptShape) : r;
}

Value Emitter::convertScalar(OpBuilder &b, Location loc, Value x, DType from,
                             DType to) {
  MLIRContext *ctx = b.getContext();
  Type src = x.getType(), dst = toMlirType(to, ctx);
  if (src == dst && isUnsigned(from) == isUnsigned(to))
    return x;
  bool fromF = isFloat(from), toF = isFloat(to);
  if (fromF && toF) {
    unsigned ws = src.getIntOrFloatBitWidth(), wd = dst.getIntOrFloatBitWidth();
    if (ws == wd) { // f16 <-> bf16
      Value f = arith::ExtFOp::create(b, loc, Float32Type::get(ctx), x);
      return arith::TruncFOp::create(b, loc, dst, f);
    }
    if (ws < wd)
      return arith::ExtFOp::create(b, loc, dst, x);
    return arith::TruncFOp::create(b, loc, dst, x);
  }
  if (!fromF && toF) {
    if (isUnsigned(from) || from == DType::Bool)
      return arith::UIToFPOp::create(b, loc, dst, x);
    return arith::SIToFPOp::create(b, loc, dst, x);
  }
  if (fromF && !toF) {
    if (to == DType::Bool) {
      Value zero = arith::ConstantOp::create(b, loc, FloatAttr::get(src, 0.0));
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x, zero);
    }
    if (isUnsigned(to))
      return arith::FPToUIOp::create(b, loc, dst, x);
    return arith::FPToSIOp::create(b, loc, dst, x);
  }
  // Integer to integer.
  if (to == DType::Bool) {
    Value zero = arith::ConstantOp::create(b, loc, IntegerAttr::get(src, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x, zero);
  }
  unsigned ws = src.getIntOrFloatBitWidth(), wd = dst.getIntOrFloatBitWidth();
  if (ws == wd)
    return x;
  if (ws > wd)
    return arith::TruncIOp::create(b, loc, dst, x);
  if (isUnsigned(from) || from == DType::Bool)
    return arith::ExtUIOp::create(b, loc, dst, x);
  return arith::ExtSIOp::create(b, loc, dst, x);
}

Value Emitter::cast(Value v, DType from, DType to) {
  if (from == to)
    return v;
  Type dst = toMlirType(to, ctx());
  return map(v, dst, [&](OpBuilder &nb, Location l, ValueRange a) {
    return convertScalar(nb, l, a[0], from, to);
  });
}
