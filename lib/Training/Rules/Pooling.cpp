//===- Pooling.cpp - derivative rules of pooling --------------------------===//
//
// linalg.pooling_nhwc_max (the gradient goes to the first maximum of each
// window) and linalg.pooling_nhwc_sum (every input of a window gets the
// window's gradient; average pooling is a sum pool and a division).
//
//===----------------------------------------------------------------------===//
#include "Rules.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "quant4/Training/AdjointOpInterface.h"

using namespace mlir;
using namespace mlir::quant4;
using namespace mlir::quant4::rules;
using utils::IteratorType;

namespace {

/// The part of a pooling rule common to max and sum pooling: checks the
/// form and, for every window offset (i, j), adds `contribution(i, j, slice)`
/// to the strided slice of dX that this offset reads.
template <typename PoolOp>
LogicalResult poolAdjoint(
    PoolOp op, AdjointContext &ad,
    function_ref<Value(int64_t i, int64_t j, Value slice)> contribution) {
  Value x = op.getInputs()[0];
  SmallVector<int64_t> s = intValues(op.getStrides()),
                       d = intValues(op.getDilations());
  ArrayRef<int64_t> xs = ad.shapeOf(x), ys = ad.shapeOf(op.getResult(0)),
                    win = ad.shapeOf(op.getInputs()[1]);
  int64_t n = ys[0], oh = ys[1], ow = ys[2], c = ys[3];
  OpBuilder &b = ad.builder();
  Value dx = ad.filled(xs, ad.constantFloat(0.0));
  for (int64_t i = 0; i < win[0]; ++i) {
    for (int64_t j = 0; j < win[1]; ++j) {
      SmallVector<OpFoldResult> offs = ad.indexAttrs({0, i * d[0], j * d[1], 0}),
                                sizes = ad.indexAttrs({n, oh, ow, c}),
                                strides = ad.indexAttrs({1, s[0], s[1], 1});
      Value slice =
          tensor::ExtractSliceOp::create(b, ad.getLoc(), dx, offs, sizes,
                                         strides);
      Value upd = contribution(i, j, slice);
      dx = tensor::InsertSliceOp::create(b, ad.getLoc(), upd, dx, offs, sizes,
                                         strides);
    }
  }
  ad.accumulate(x, dx);
  return success();
}

template <typename PoolOp>
LogicalResult checkPool(PoolOp op, AdjointContext &ad) {
  if (!op.hasPureTensorSemantics())
    return ad.unsupported(op, "expected tensor operands");
  if (ad.isVaried(op.getOutputs()[0]) || ad.isVaried(op.getInputs()[1]))
    return ad.unsupported(op, "its init or window depends on a parameter");
  return success();
}

/// An element-wise generic over (n, oh, ow, c) of `ins` and a slice.
Value elementwise4d(AdjointContext &ad, ValueRange ins, ArrayRef<int64_t> shape,
                    function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
  AffineMap id4 = AffineMap::getMultiDimIdentityMap(4, ad.getContext());
  return linalg::GenericOp::create(
             ad.builder(), ad.getLoc(),
             TypeRange{RankedTensorType::get(shape, ad.f32Type())}, ins,
             ValueRange{ad.empty(shape, ad.f32Type())},
             SmallVector<AffineMap>(ins.size() + 1, id4),
             SmallVector<IteratorType>(4, IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               linalg::YieldOp::create(nb, l, fn(nb, l, a));
             })
      .getResult(0);
}

struct MaxPoolAdjoint
    : AdjointOpInterface::ExternalModel<MaxPoolAdjoint,
                                        linalg::PoolingNhwcMaxOp> {
  LogicalResult buildAdjoint(Operation *o, AdjointContext &ad) const {
    auto op = cast<linalg::PoolingNhwcMaxOp>(o);
    if (failed(checkPool(op, ad)))
      return failure();
    Value x = op.getInputs()[0], y = op.getResult(0);
    if (!ad.isVaried(x))
      return success();
    Value g = ad.adjointOf(y);
    SmallVector<int64_t> s = intValues(op.getStrides()),
                         d = intValues(op.getDilations());
    ArrayRef<int64_t> ys = ad.shapeOf(y), win = ad.shapeOf(op.getInputs()[1]);
    int64_t kh = win[0], kw = win[1];
    // A[n,oh,ow,c] = first (row-major) window offset kh·KW + kw whose input
    // equals the pooled maximum; KH·KW when there is none (NaN).
    AffineExpr en, eoh, eow, ec, ekh, ekw;
    bindDims(ad.getContext(), en, eoh, eow, ec, ekh, ekw);
    AffineMap xMap = ad.map(6, {en, eoh * s[0] + ekh * d[0],
                                eow * s[1] + ekw * d[1], ec});
    AffineMap yMap = ad.map(6, {en, eoh, eow, ec});
    AffineMap winMap = ad.map(6, {ekh, ekw});
    SmallVector<IteratorType> iters(4, IteratorType::parallel);
    iters.append(2, IteratorType::reduction);
    Type i32 = ad.builder().getI32Type();
    Value argmax =
        linalg::GenericOp::create(
            ad.builder(), ad.getLoc(), TypeRange{RankedTensorType::get(ys, i32)},
            ValueRange{x, y, ad.empty({kh, kw}, ad.f32Type())},
            ValueRange{ad.filled(ys, ad.constantI32(kh * kw))},
            ArrayRef<AffineMap>{xMap, yMap, winMap, yMap}, iters,
            [&](OpBuilder &nb, Location l, ValueRange a) {
              Value i = linalg::IndexOp::create(nb, l, 4);
              Value j = linalg::IndexOp::create(nb, l, 5);
              Value kwC = arith::ConstantIndexOp::create(nb, l, kw);
              Value off = arith::AddIOp::create(
                  nb, l, arith::MulIOp::create(nb, l, i, kwC), j);
              Value off32 =
                  arith::IndexCastOp::create(nb, l, nb.getI32Type(), off);
              Value eq = arith::CmpFOp::create(
                  nb, l, arith::CmpFPredicate::OEQ, a[0], a[1]);
              Value cand = arith::SelectOp::create(nb, l, eq, off32, a[3]);
              Value r = arith::MinSIOp::create(nb, l, a[3], cand);
              linalg::YieldOp::create(nb, l, r);
            })
            .getResult(0);
    return poolAdjoint(op, ad, [&](int64_t i, int64_t j, Value slice) {
      int64_t which = i * kw + j;
      return elementwise4d(
          ad, ValueRange{slice, g, argmax}, ys,
          [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
            Value w =
                arith::ConstantOp::create(nb, l, nb.getI32IntegerAttr(which));
            Value eq =
                arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, a[2], w);
            Value z = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0));
            Value sel = arith::SelectOp::create(nb, l, eq, a[1], z);
            return arith::AddFOp::create(nb, l, a[0], sel);
          });
    });
  }
};

struct SumPoolAdjoint
    : AdjointOpInterface::ExternalModel<SumPoolAdjoint,
                                        linalg::PoolingNhwcSumOp> {
  LogicalResult buildAdjoint(Operation *o, AdjointContext &ad) const {
    auto op = cast<linalg::PoolingNhwcSumOp>(o);
    if (failed(checkPool(op, ad)))
      return failure();
    Value x = op.getInputs()[0];
    if (!ad.isVaried(x))
      return success();
    Value g = ad.adjointOf(op.getResult(0));
    ArrayRef<int64_t> ys = ad.shapeOf(g);
    return poolAdjoint(op, ad, [&](int64_t, int64_t, Value slice) {
      return elementwise4d(ad, ValueRange{slice, g}, ys,
                           [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                             return arith::AddFOp::create(nb, l, a[0], a[1]);
                           });
    });
  }
};

} // namespace

void mlir::quant4::rules::registerPoolingAdjoints(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, linalg::LinalgDialect *) {
    linalg::PoolingNhwcMaxOp::attachInterface<MaxPoolAdjoint>(*ctx);
    linalg::PoolingNhwcSumOp::attachInterface<SumPoolAdjoint>(*ctx);
  });
}
