//===- StraightThrough.cpp - STE surgery of the 4-bit recipes -------------===//
//
// Master weights and the update stay FP32; the backward reads the
// real-valued gradients of the quantized GEMMs, masked as the recipes'
// straight-through estimators say (docs/Recipes.md).
//
//===----------------------------------------------------------------------===//
#include "StraightThrough.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::quant4;

/// linalg.generic over `type` with identity maps for `tensors`, a broadcast
/// rank-0 map for `scalars`, and `body`.
static Value
elementwise(OpBuilder &ob, Location loc, RankedTensorType type,
            ValueRange tensors, ValueRange scalars,
            function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  MLIRContext *ctx = ob.getContext();
  int64_t rank = type.getRank();
  auto id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  auto scalarMap = AffineMap::get(rank, 0, {}, ctx);
  SmallVector<AffineMap> maps(tensors.size(), id);
  maps.append(scalars.size(), scalarMap);
  maps.push_back(id);
  SmallVector<Value> inputs(tensors);
  inputs.append(scalars.begin(), scalars.end());
  Value empty =
      tensor::EmptyOp::create(ob, loc, type.getShape(), type.getElementType());
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             ob, loc, TypeRange{type}, inputs, ValueRange{empty}, maps, iters,
             [&](OpBuilder &b, Location l, ValueRange args) {
               linalg::YieldOp::create(b, l, body(b, l, args));
             })
      .getResult(0);
}

/// Replaces the uses of `old` by `repl`, except in `keep`.
static void replaceExcept(Value old, Value repl, ArrayRef<Operation *> keep) {
  old.replaceUsesWithIf(repl, [&](OpOperand &use) {
    return !llvm::is_contained(keep, use.getOwner());
  });
}

LogicalResult mlir::quant4::insertSawbMask(const LayerInfo &layer, Value dw,
                                           Value scale) {
  Type wType = layer.param.getType();
  // Follow single-use data movement (e.g. the transpose of a convolution's
  // wgrad) to the value with the parameter's type.
  while (dw.getType() != wType && dw.hasOneUse()) {
    Operation *user = *dw.getUsers().begin();
    if (user->getNumResults() != 1 || RoleAnalysis::stripViews(user->getResult(
                                          0)) != RoleAnalysis::stripViews(dw))
      break;
    dw = user->getResult(0);
  }
  Operation *func = dw.getParentBlock()->getParentOp();
  if (dw.getType() != wType)
    return func->emitError("cannot apply the SAWB "
                           "straight-through mask of layer '")
           << layer.name << "': its wgrad result does not reach a value "
           << "of the parameter's type " << wType;
  OpBuilder ob(dw.getContext());
  ob.setInsertionPointAfterValue(dw);
  Location loc = dw.getLoc();
  float qmax = 7.0f; // !quant4.int<4>: levels -7..7
  Value masked = elementwise(
      ob, loc, cast<RankedTensorType>(wType), {dw, layer.param}, {scale},
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value qm = arith::ConstantOp::create(b, l, b.getF32FloatAttr(qmax));
        Value clip = arith::MulFOp::create(b, l, a[2], qm);
        Value neg = arith::NegFOp::create(b, l, clip);
        Value le =
            arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLE, a[1], clip);
        Value ge =
            arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE, a[1], neg);
        Value in = arith::AndIOp::create(b, l, le, ge);
        Value zero = arith::ConstantOp::create(b, l, b.getF32FloatAttr(0));
        return arith::SelectOp::create(b, l, in, a[0], zero);
      });
  replaceExcept(dw, masked, {masked.getDefiningOp()});
  return success();
}

FailureOr<Value> mlir::quant4::insertPactBackward(const LayerInfo &layer,
                                                  Value dx, Value x,
                                                  Value alpha) {
  // The forward GEMM's activation operand; the unpadded activation when the
  // dgrad was computed for the interior only (quant4-fold-conv-slices: the
  // padding's positions hold 0, inside [0, alpha), and take no gradient);
  // else its root if transposed, reshaped etc.
  if (x && x.getType() != dx.getType()) {
    Value unpadded = x;
    while (unpadded.getType() != dx.getType())
      if (auto pad = unpadded.getDefiningOp<tensor::PadOp>())
        unpadded = pad.getSource();
      else
        break;
    x = unpadded.getType() == dx.getType() ? unpadded
                                           : RoleAnalysis::stripViews(x);
  }
  if (!x || x.getType() != dx.getType())
    return dx.getParentBlock()->getParentOp()->emitError(
               "cannot apply the PACT "
               "straight-through estimator of "
               "layer '")
           << layer.name << "': the dgrad result type " << dx.getType()
           << " differs from the forward activation's type";
  MLIRContext *ctx = dx.getContext();
  OpBuilder ob(ctx);
  ob.setInsertionPointAfterValue(dx);
  Location loc = dx.getLoc();
  auto type = cast<RankedTensorType>(dx.getType());
  Value masked = elementwise(
      ob, loc, type, {dx, x}, {alpha},
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value zero = arith::ConstantOp::create(b, l, b.getF32FloatAttr(0));
        Value lt =
            arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, a[1], a[2]);
        Value ge0 =
            arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE, a[1], zero);
        Value in = arith::AndIOp::create(b, l, lt, ge0);
        return arith::SelectOp::create(b, l, in, a[0], zero);
      });
  // dalpha: a full reduction into a rank-0 tensor.
  int64_t rank = type.getRank();
  auto scalarType = RankedTensorType::get({}, ob.getF32Type());
  Value zero = arith::ConstantOp::create(ob, loc, ob.getF32FloatAttr(0));
  Value empty0 =
      tensor::EmptyOp::create(ob, loc, ArrayRef<int64_t>{}, ob.getF32Type());
  Value acc0 =
      linalg::FillOp::create(ob, loc, ValueRange{zero}, ValueRange{empty0})
          .getResult(0);
  auto id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  auto scalarMap = AffineMap::get(rank, 0, {}, ctx);
  SmallVector<utils::IteratorType> red(rank, utils::IteratorType::reduction);
  Value dalpha =
      linalg::GenericOp::create(
          ob, loc, TypeRange{scalarType}, ValueRange{dx, x, alpha},
          ValueRange{acc0}, ArrayRef<AffineMap>{id, id, scalarMap, scalarMap},
          red,
          [&](OpBuilder &b, Location l, ValueRange a) {
            Value z = arith::ConstantOp::create(b, l, b.getF32FloatAttr(0));
            Value ge = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE,
                                             a[1], a[2]);
            Value sel = arith::SelectOp::create(b, l, ge, a[0], z);
            Value sum = arith::AddFOp::create(b, l, a[3], sel);
            linalg::YieldOp::create(b, l, sum);
          })
          .getResult(0);
  replaceExcept(dx, masked, {masked.getDefiningOp(), dalpha.getDefiningOp()});
  return dalpha;
}

Value mlir::quant4::insertPactUpdate(Value alpha, Value dalpha, float lr) {
  OpBuilder ob(dalpha.getContext());
  ob.setInsertionPointAfterValue(dalpha);
  Location loc = dalpha.getLoc();
  Value lrValue = arith::ConstantOp::create(ob, loc, ob.getF32FloatAttr(lr));
  return elementwise(ob, loc, cast<RankedTensorType>(dalpha.getType()),
                     {alpha, dalpha}, {},
                     [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                       Value step = arith::MulFOp::create(b, l, lrValue, a[1]);
                       return arith::SubFOp::create(b, l, a[0], step);
                     });
}
