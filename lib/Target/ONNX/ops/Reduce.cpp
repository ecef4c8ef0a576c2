//===- Reduce.cpp - Reduce* and ArgMax/ArgMin -----------------------------===//
//
// One linalg.generic with reduction iterators per reduction (then a map for
// Mean, L2, LogSum, LogSumExp). Axes come from the `axes` attribute before
// opset 13 (ReduceSum) / 18 (the others) and from input 1 after;
// noop_with_empty_axes applies to the input form.
//
//===----------------------------------------------------------------------===//
#include "../Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace ::quant4::onnx_import;
namespace q4onnx = ::quant4::onnx_import;

namespace {

enum class RK { Sum, Mean, Max, Min, Prod, SumSquare, L1, L2, LogSum, LogSumExp };

/// The lowest / highest value of an element type.
Value extreme(Emitter &em, Type et, DType t, bool lowest) {
  if (isa<FloatType>(et))
    return em.scalar(et, lowest ? -INFINITY : INFINITY);
  unsigned w = et.getIntOrFloatBitWidth();
  APInt v = isUnsigned(t) ? (lowest ? APInt::getZero(w) : APInt::getMaxValue(w))
                          : (lowest ? APInt::getSignedMinValue(w)
                                    : APInt::getSignedMaxValue(w));
  return arith::ConstantOp::create(em.b, em.loc, IntegerAttr::get(et, v));
}

/// The normalized reduction axes; empty result with `identity` set when the
/// reduction is a no-op.
std::optional<SmallVector<int64_t>> reductionAxes(NodeContext &ctx,
                                                  int64_t inputFrom,
                                                  int64_t rank,
                                                  bool &identity) {
  identity = false;
  std::vector<int64_t> axes;
  bool noop = false;
  if (ctx.opset() < inputFrom) {
    auto a = ctx.attrIntsOpt("axes");
    if (ctx.failed())
      return std::nullopt;
    if (a)
      axes.assign(a->begin(), a->end());
  } else {
    noop = ctx.attrInt("noop_with_empty_axes", 0) != 0;
    if (ctx.hasInput(1)) {
      auto a = ctx.hostInts(1, "axes");
      if (!a)
        return std::nullopt;
      axes = *a;
    }
  }
  if (ctx.failed())
    return std::nullopt;
  SmallVector<int64_t> r;
  if (axes.empty()) {
    if (noop) {
      identity = true;
      return r;
    }
    for (int64_t d = 0; d < rank; ++d)
      r.push_back(d);
    return r;
  }
  for (int64_t a : axes) {
    auto n = ctx.normalizeAxis(a, rank, "axis");
    if (!n)
      return std::nullopt;
    if (!llvm::is_contained(r, *n))
      r.push_back(*n);
  }
  llvm::sort(r);
  return r;
}

template <RK K> LogicalResult importReduce(NodeContext &ctx) {
  TensorValue *xv = ctx.input(0);
  if (!xv)
    return failure();
  int64_t keep = ctx.attrInt("keepdims", 1);
  bool identity;
  auto axes = reductionAxes(ctx, K == RK::Sum ? 13 : 18, xv->rank(), identity);
  if (!axes)
    return failure();
  DType t = xv->dtype;
  bool intOk = K == RK::Sum || K == RK::Max || K == RK::Min || K == RK::Prod ||
               K == RK::SumSquare || K == RK::L1;
  if (t == DType::Bool || (!isFloat(t) && !intOk)) {
    ctx.error() << "input of type " << dtypeName(t) << " is not supported";
    return failure();
  }
  if (identity) {
    ctx.setOutput(0, *xv);
    return success();
  }
  Emitter em = ctx.emitter();
  Type et = toMlirType(t, ctx.context());
  bool fl = isFloat(t), u = isUnsigned(t);
  Value x = ctx.materialize(*xv);
  double count = 1;
  for (int64_t a : *axes)
    count *= double(xv->shape[a]);
  auto add = [&](OpBuilder &b, Location l, Value p, Value q) -> Value {
    return fl ? Value(arith::AddFOp::create(b, l, p, q))
              : Value(arith::AddIOp::create(b, l, p, q));
  };
  auto mul = [&](OpBuilder &b, Location l, Value p, Value q) -> Value {
    return fl ? Value(arith::MulFOp::create(b, l, p, q))
              : Value(arith::MulIOp::create(b, l, p, q));
  };
  Value shift; // LogSumExp: the maximum, kept as unit dimensions
  if (K == RK::LogSumExp) {
    shift = em.reduce(x, *axes, true, extreme(em, et, t, true),
                      [](OpBuilder &b, Location l, Value acc, Value v) -> Value {
                        return arith::MaximumFOp::create(b, l, acc, v);
                      });
    // A maximum of -inf (empty or all -inf) would give NaN: use 0.
    shift = em.map(shift, et, [&](OpBuilder &b, Location l, ValueRange s) -> Value {
      Value inf = arith::ConstantOp::create(b, l, FloatAttr::get(et, -INFINITY));
      Value isInf = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, s[0], inf);
      Value zero = arith::ConstantOp::create(b, l, FloatAttr::get(et, 0.0));
      return arith::SelectOp::create(b, l, isInf, zero, s[0]);
    });
    x = em.elementwise(ValueRange{x, shift}, xv->shape, et,
                       [](OpBuilder &b, Location l, ValueRange s) -> Value {
                         return math::ExpOp::create(
                             b, l, arith::SubFOp::create(b, l, s[0], s[1]));
                       });
  }
  Value init;
  switch (K) {
  case RK::Max:
    init = extreme(em, et, t, true);
    break;
  case RK::Min:
    init = extreme(em, et, t, false);
    break;
  case RK::Prod:
    init = em.scalar(et, 1.0);
    break;
  default:
    init = em.scalar(et, 0.0);
    break;
  }
  Value r = em.reduce(
      x, *axes, keep != 0, init,
      [&](OpBuilder &b, Location l, Value acc, Value v) -> Value {
        switch (K) {
        case RK::Max:
          return fl ? Value(arith::MaximumFOp::create(b, l, acc, v))
                 : u ? Value(arith::MaxUIOp::create(b, l, acc, v))
                     : Value(arith::MaxSIOp::create(b, l, acc, v));
        case RK::Min:
          return fl ? Value(arith::MinimumFOp::create(b, l, acc, v))
                 : u ? Value(arith::MinUIOp::create(b, l, acc, v))
                     : Value(arith::MinSIOp::create(b, l, acc, v));
        case RK::Prod:
          return mul(b, l, acc, v);
        case RK::SumSquare:
        case RK::L2:
          return add(b, l, acc, mul(b, l, v, v));
        case RK::L1:
          return add(b, l, acc,
                     fl ? Value(math::AbsFOp::create(b, l, v))
                        : u ? v : Value(math::AbsIOp::create(b, l, v)));
        default:
          return add(b, l, acc, v);
        }
      });
  if (K == RK::Mean || K == RK::L2 || K == RK::LogSum) {
    r = em.map(r, et, [&](OpBuilder &b, Location l, ValueRange s) -> Value {
      if (K == RK::Mean)
        return arith::DivFOp::create(
            b, l, s[0], arith::ConstantOp::create(b, l, FloatAttr::get(et, count)));
      if (K == RK::L2)
        return math::SqrtOp::create(b, l, s[0]);
      return math::LogOp::create(b, l, s[0]);
    });
  } else if (K == RK::LogSumExp) {
    Value m = keep ? shift : em.reshape(shift, Emitter::shapeOf(r));
    r = em.elementwise(ValueRange{r, m}, Emitter::shapeOf(r), et,
                       [](OpBuilder &b, Location l, ValueRange s) -> Value {
                         return arith::AddFOp::create(
                             b, l, math::LogOp::create(b, l, s[0]), s[1]);
                       });
  }
  ctx.setOutput(0, r, t);
  return success();
}

template <bool Max> LogicalResult importArg(NodeContext &ctx) {
  TensorValue *xv = ctx.input(0);
  if (!xv)
    return failure();
  int64_t axisAttr = ctx.attrInt("axis", 0);
  int64_t keep = ctx.attrInt("keepdims", 1);
  int64_t last = ctx.attrInt("select_last_index", 0);
  if (ctx.failed())
    return failure();
  DType t = xv->dtype;
  if (t == DType::Bool) {
    ctx.error() << "bool input is not supported";
    return failure();
  }
  auto axis = ctx.normalizeAxis(axisAttr, xv->rank(), "axis");
  if (!axis)
    return failure();
  Emitter em = ctx.emitter();
  Type et = toMlirType(t, ctx.context());
  int64_t rank = xv->rank();
  SmallVector<int64_t> out, kept;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d) {
    bool red = d == *axis;
    iters.push_back(red ? utils::IteratorType::reduction
                        : utils::IteratorType::parallel);
    kept.push_back(red ? 1 : xv->shape[d]);
    if (!red) {
      out.push_back(xv->shape[d]);
      outExprs.push_back(em.b.getAffineDimExpr(d));
    }
  }
  Value vInit = em.fill(out, extreme(em, et, t, Max));
  Value iInit = em.fill(out, em.intScalar(em.b.getI64Type(), 0));
  AffineMap outMap = AffineMap::get(rank, 0, outExprs, em.ctx());
  bool fl = isFloat(t), u = isUnsigned(t);
  int64_t ax = *axis;
  auto op = linalg::GenericOp::create(
      em.b, em.loc, TypeRange{vInit.getType(), iInit.getType()},
      ValueRange{ctx.materialize(*xv)}, ValueRange{vInit, iInit},
      ArrayRef<AffineMap>{em.b.getMultiDimIdentityMap(rank), outMap, outMap},
      iters, [&](OpBuilder &b, Location l, ValueRange a) {
        Value x = a[0], cur = a[1], curI = a[2];
        Value better;
        if (fl)
          better = arith::CmpFOp::create(
              b, l,
              Max ? (last ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OGT)
                  : (last ? arith::CmpFPredicate::OLE : arith::CmpFPredicate::OLT),
              x, cur);
        else
          better = arith::CmpIOp::create(
              b, l,
              Max ? (last ? (u ? arith::CmpIPredicate::uge : arith::CmpIPredicate::sge)
                          : (u ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt))
                  : (last ? (u ? arith::CmpIPredicate::ule : arith::CmpIPredicate::sle)
                          : (u ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt)),
              x, cur);
        Value i = arith::IndexCastOp::create(b, l, b.getI64Type(),
                                             linalg::IndexOp::create(b, l, ax));
        linalg::YieldOp::create(
            b, l,
            ValueRange{arith::SelectOp::create(b, l, better, x, cur),
                       arith::SelectOp::create(b, l, better, i, curI)});
      });
  Value r = op.getResult(1);
  if (keep)
    r = em.reshape(r, kept);
  ctx.setOutput(0, r, DType::Int64);
  return success();
}

} // namespace

void q4onnx::registerReduceOps(OpRegistry &r) {
  r.add("ReduceSum", importReduce<RK::Sum>, 1);
  r.add("ReduceMean", importReduce<RK::Mean>, 1);
  r.add("ReduceMax", importReduce<RK::Max>, 1);
  r.add("ReduceMin", importReduce<RK::Min>, 1);
  r.add("ReduceProd", importReduce<RK::Prod>, 1);
  r.add("ReduceSumSquare", importReduce<RK::SumSquare>, 1);
  r.add("ReduceL1", importReduce<RK::L1>, 1);
  r.add("ReduceL2", importReduce<RK::L2>, 1);
  r.add("ReduceLogSum", importReduce<RK::LogSum>, 1);
  r.add("ReduceLogSumExp", importReduce<RK::LogSumExp>, 1);
  r.add("ArgMax", importArg<true>, 1);
  r.add("ArgMin", importArg<false>, 1);
}
