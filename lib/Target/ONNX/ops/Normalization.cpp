//===- Normalization.cpp - BatchNorm, LayerNorm, InstanceNorm, Softmax ----===//
//
// BatchNormalization in inference form (per-channel scale s / sqrt(var + eps)
// applied in one element-wise op) and in training form (training_mode = 1:
// batch statistics, and the running statistics as outputs 1 and 2, as the
// ONNX specification defines them: biased batch variance);
// LayerNormalization and InstanceNormalization over their axes (mean,
// centred values, variance, one fused element-wise op); Softmax and
// LogSoftmax with the maximum subtracted first. Before opset 13 Softmax and
// LogSoftmax normalize over all dimensions from `axis` on.
//
//===----------------------------------------------------------------------===//
#include "../Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace ::quant4::onnx_import;
namespace q4onnx = ::quant4::onnx_import;

namespace {

Value cst(OpBuilder &b, Location l, Type et, double v) {
  return arith::ConstantOp::create(b, l, FloatAttr::get(et, v));
}

Value sumOver(Emitter &em, Value x, ArrayRef<int64_t> axes, bool keep) {
  Type et = Emitter::elementTypeOf(x);
  return em.reduce(x, axes, keep, em.scalar(et, 0.0),
                   [](OpBuilder &b, Location l, Value acc, Value v) -> Value {
                     return arith::AddFOp::create(b, l, acc, v);
                   });
}

Value sumSquaresOver(Emitter &em, Value x, ArrayRef<int64_t> axes, bool keep) {
  Type et = Emitter::elementTypeOf(x);
  return em.reduce(x, axes, keep, em.scalar(et, 0.0),
                   [](OpBuilder &b, Location l, Value acc, Value v) -> Value {
                     return arith::AddFOp::create(
                         b, l, acc, arith::MulFOp::create(b, l, v, v));
                   });
}

Value divideBy(Emitter &em, Value x, double n) {
  Type et = Emitter::elementTypeOf(x);
  return em.map(x, et, [&](OpBuilder &b, Location l, ValueRange s) -> Value {
    return arith::DivFOp::create(b, l, s[0], cst(b, l, et, n));
  });
}

Value subtract(Emitter &em, Value x, Value m) {
  Type et = Emitter::elementTypeOf(x);
  return em.elementwise(ValueRange{x, m}, Emitter::shapeOf(x), et,
                        [](OpBuilder &b, Location l, ValueRange s) -> Value {
                          return arith::SubFOp::create(b, l, s[0], s[1]);
                        });
}

/// Mean and variance (biased) of `x` over `axes`, kept as unit dimensions,
/// and the centred values.
struct Moments {
  Value mean, centred, var;
};

Moments momentsOver(Emitter &em, Value x, ArrayRef<int64_t> axes) {
  ArrayRef<int64_t> s = Emitter::shapeOf(x);
  double count = 1;
  for (int64_t a : axes)
    count *= double(s[a]);
  Moments m;
  m.mean = divideBy(em, sumOver(em, x, axes, true), count);
  m.centred = subtract(em, x, m.mean);
  m.var = divideBy(em, sumSquaresOver(em, m.centred, axes, true), count);
  return m;
}

/// 1 / sqrt(v + eps).
Value invStd(Emitter &em, Value var, double eps) {
  Type et = Emitter::elementTypeOf(var);
  return em.map(var, et, [&](OpBuilder &b, Location l, ValueRange s) -> Value {
    return math::RsqrtOp::create(
        b, l, arith::AddFOp::create(b, l, s[0], cst(b, l, et, eps)));
  });
}

/// A per-channel [C] tensor shaped [C, 1, ..., 1] to broadcast over
/// N x C x ... of rank `rank`.
Value perChannel(Emitter &em, Value v, int64_t rank) {
  SmallVector<int64_t> s{Emitter::shapeOf(v)[0]};
  s.append(size_t(rank - 2), 1);
  return em.reshape(v, s);
}

bool checkChannelParam(NodeContext &ctx, TensorValue *p, DType t, int64_t c,
                       StringRef what) {
  if (!p)
    return false;
  if (p->dtype != t || p->rank() != 1 || p->shape[0] != c) {
    ctx.error() << what << " of type " << dtypeName(p->dtype) << " and shape "
                << shapeString(p->shape) << " does not match " << c
                << " channels of " << dtypeName(t);
    return false;
  }
  return true;
}

LogicalResult importBatchNorm(NodeContext &ctx) {
  double eps = ctx.attrFloat("epsilon", 1e-5);
  double momentum = ctx.attrFloat("momentum", 0.9);
  if (ctx.opset() < 7)
    ctx.ignoreAttr("is_test");
  if (ctx.opset() < 6)
    ctx.ignoreAttr("consumed_inputs");
  if (ctx.opset() < 9) {
    int64_t spatial = ctx.attrInt("spatial", 1);
    if (spatial != 1)
      return ctx.unsupportedAttr("spatial", std::to_string(spatial),
                                 "per-activation statistics");
  }
  int64_t training = ctx.opset() >= 14 ? ctx.attrInt("training_mode", 0) : 0;
  if (ctx.failed())
    return failure();
  if (training != 0 && training != 1)
    return ctx.unsupportedAttr("training_mode", std::to_string(training));
  // The import may override the exported mode (ImportOptions::batchNorm).
  bool forcedInference = false;
  switch (ctx.options().batchNorm) {
  case BatchNormMode::AsExported:
    break;
  case BatchNormMode::Training:
    training = 1;
    break;
  case BatchNormMode::Inference:
    forcedInference = training == 1;
    training = 0;
    break;
  }
  TensorValue *xv = ctx.input(0);
  if (!xv)
    return failure();
  if (!isFloat(xv->dtype) || xv->rank() < 2) {
    ctx.error() << "input of type " << dtypeName(xv->dtype) << " and shape "
                << shapeString(xv->shape) << " is not supported";
    return failure();
  }
  int64_t c = xv->shape[1], rank = xv->rank();
  const char *names[] = {"", "scale", "B", "input_mean", "input_var"};
  TensorValue *p[5] = {xv};
  for (unsigned i = 1; i < 5; ++i) {
    p[i] = ctx.input(i);
    if (!checkChannelParam(ctx, p[i], xv->dtype, c, names[i]))
      return failure();
  }
  if (!training && !forcedInference)
    for (unsigned i = 1; i < ctx.numOutputs(); ++i)
      if (failed(ctx.requireNoOutput(
              i, "a training statistic, without training_mode = 1")))
        return failure();
  if (training && ctx.opset() >= 14)
    for (unsigned i = 3; i < ctx.numOutputs(); ++i)
      if (failed(ctx.requireNoOutput(i, "a saved statistic")))
        return failure();
  Emitter em = ctx.emitter();
  Type et = toMlirType(xv->dtype, ctx.context());
  Value x = ctx.materialize(*xv);
  Value scale = ctx.materialize(*p[1]), bias = ctx.materialize(*p[2]);
  Value mean = ctx.materialize(*p[3]), var = ctx.materialize(*p[4]);
  Value centred, batchMean, batchVar;
  if (training) {
    SmallVector<int64_t> axes{0};
    for (int64_t d = 2; d < rank; ++d)
      axes.push_back(d);
    double count = 1;
    for (int64_t a : axes)
      count *= double(xv->shape[a]);
    batchMean = divideBy(em, sumOver(em, x, axes, false), count);
    centred = subtract(em, x, perChannel(em, batchMean, rank));
    batchVar = divideBy(em, sumSquaresOver(em, centred, axes, false), count);
  }
  // Per channel: a = scale / sqrt(var + eps).
  Value a = em.elementwise(
      ValueRange{scale, training ? batchVar : var}, {c}, et,
      [&](OpBuilder &b, Location l, ValueRange s) -> Value {
        Value r = math::RsqrtOp::create(
            b, l, arith::AddFOp::create(b, l, s[1], cst(b, l, et, eps)));
        return arith::MulFOp::create(b, l, s[0], r);
      });
  Value y;
  if (training) {
    y = em.elementwise(
        ValueRange{centred, perChannel(em, a, rank), perChannel(em, bias, rank)},
        xv->shape, et, [](OpBuilder &b, Location l, ValueRange s) -> Value {
          return arith::AddFOp::create(
              b, l, arith::MulFOp::create(b, l, s[0], s[1]), s[2]);
        });
  } else {
    y = em.elementwise(
        ValueRange{x, perChannel(em, mean, rank), perChannel(em, a, rank),
                   perChannel(em, bias, rank)},
        xv->shape, et, [](OpBuilder &b, Location l, ValueRange s) -> Value {
          Value d = arith::SubFOp::create(b, l, s[0], s[1]);
          return arith::AddFOp::create(
              b, l, arith::MulFOp::create(b, l, d, s[2]), s[3]);
        });
  }
  ctx.setOutput(0, y, xv->dtype);
  if (forcedInference) {
    // Exported in training mode, evaluated: the statistics stay.
    ctx.setOutput(1, *p[3]);
    ctx.setOutput(2, *p[4]);
  }
  if (training) {
    auto running = [&](Value old, Value batch) {
      return em.elementwise(
          ValueRange{old, batch}, {c}, et,
          [&](OpBuilder &b, Location l, ValueRange s) -> Value {
            Value o = arith::MulFOp::create(b, l, s[0], cst(b, l, et, momentum));
            Value n = arith::MulFOp::create(b, l, s[1],
                                            cst(b, l, et, 1.0 - momentum));
            return arith::AddFOp::create(b, l, o, n);
          });
    };
    // The new running statistics: the node's outputs 1 and 2, and the new
    // values of the buffers they come from (results of the function).
    Value newMean = running(mean, batchMean), newVar = running(var, batchVar);
    ctx.setOutput(1, newMean, xv->dtype);
    ctx.setOutput(2, newVar, xv->dtype);
    ctx.updateBufferInput(3, newMean, xv->dtype);
    ctx.updateBufferInput(4, newVar, xv->dtype);
  }
  return success();
}

LogicalResult importLayerNorm(NodeContext &ctx) {
  int64_t axisAttr = ctx.attrInt("axis", -1);
  double eps = ctx.attrFloat("epsilon", 1e-5);
  ctx.ignoreAttr("stash_type"); // computed in the input's type
  TensorValue *xv = ctx.input(0), *sv = ctx.input(1);
  if (!xv || !sv || ctx.failed())
    return failure();
  if (!isFloat(xv->dtype) || sv->dtype != xv->dtype) {
    ctx.error() << "element types " << dtypeName(xv->dtype) << " and "
                << dtypeName(sv->dtype) << " are not supported";
    return failure();
  }
  auto axis = ctx.normalizeAxis(axisAttr, xv->rank(), "axis");
  if (!axis)
    return failure();
  SmallVector<int64_t> axes;
  for (int64_t d = *axis; d < xv->rank(); ++d)
    axes.push_back(d);
  SmallVector<Value> affine{ctx.materialize(*sv)};
  SmallVector<SmallVector<int64_t>> shapes{xv->shape, sv->shape};
  if (ctx.hasInput(2)) {
    TensorValue *bv = ctx.input(2);
    if (!bv)
      return failure();
    if (bv->dtype != xv->dtype) {
      ctx.error() << "B of type " << dtypeName(bv->dtype)
                  << " does not match X";
      return failure();
    }
    affine.push_back(ctx.materialize(*bv));
    shapes.push_back(bv->shape);
  }
  auto out = broadcastShapes(shapes);
  if (!out || ArrayRef<int64_t>(*out) != ArrayRef<int64_t>(xv->shape)) {
    ctx.error() << "Scale/B do not broadcast to X of shape "
                << shapeString(xv->shape);
    return failure();
  }
  Emitter em = ctx.emitter();
  Type et = toMlirType(xv->dtype, ctx.context());
  Moments m = momentsOver(em, ctx.materialize(*xv), axes);
  Value inv = invStd(em, m.var, eps);
  SmallVector<Value> ins{m.centred, inv};
  ins.append(affine);
  bool hasBias = affine.size() == 2;
  Value y = em.elementwise(ins, xv->shape, et,
                           [&](OpBuilder &b, Location l, ValueRange s) -> Value {
                             Value r = arith::MulFOp::create(
                                 b, l, arith::MulFOp::create(b, l, s[0], s[1]),
                                 s[2]);
                             if (hasBias)
                               r = arith::AddFOp::create(b, l, r, s[3]);
                             return r;
                           });
  ctx.setOutput(0, y, xv->dtype);
  ctx.setOutput(1, m.mean, xv->dtype);
  ctx.setOutput(2, inv, xv->dtype);
  return success();
}

LogicalResult importInstanceNorm(NodeContext &ctx) {
  double eps = ctx.attrFloat("epsilon", 1e-5);
  TensorValue *xv = ctx.input(0);
  if (!xv || ctx.failed())
    return failure();
  if (!isFloat(xv->dtype) || xv->rank() < 3) {
    ctx.error() << "input of type " << dtypeName(xv->dtype) << " and shape "
                << shapeString(xv->shape) << " is not supported";
    return failure();
  }
  int64_t c = xv->shape[1], rank = xv->rank();
  TensorValue *sv = ctx.input(1), *bv = ctx.input(2);
  if (!checkChannelParam(ctx, sv, xv->dtype, c, "scale") ||
      !checkChannelParam(ctx, bv, xv->dtype, c, "B"))
    return failure();
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  Emitter em = ctx.emitter();
  Type et = toMlirType(xv->dtype, ctx.context());
  Moments m = momentsOver(em, ctx.materialize(*xv), axes);
  Value inv = invStd(em, m.var, eps);
  Value y = em.elementwise(
      ValueRange{m.centred, inv, perChannel(em, ctx.materialize(*sv), rank),
                 perChannel(em, ctx.materialize(*bv), rank)},
      xv->shape, et, [](OpBuilder &b, Location l, ValueRange s) -> Value {
        Value r = arith::MulFOp::create(
            b, l, arith::MulFOp::create(b, l, s[0], s[1]), s[2]);
        return arith::AddFOp::create(b, l, r, s[3]);
      });
  ctx.setOutput(0, y, xv->dtype);
  return success();
}

template <bool Log> LogicalResult importSoftmax(NodeContext &ctx) {
  bool modern = ctx.opset() >= 13;
  int64_t axisAttr = ctx.attrInt("axis", modern ? -1 : 1);
  TensorValue *xv = ctx.input(0);
  if (!xv || ctx.failed())
    return failure();
  if (!isFloat(xv->dtype)) {
    ctx.error() << "input of type " << dtypeName(xv->dtype)
                << " is not supported";
    return failure();
  }
  auto axis = ctx.normalizeAxis(axisAttr, xv->rank(), "axis");
  if (!axis)
    return failure();
  SmallVector<int64_t> axes{*axis};
  if (!modern)
    for (int64_t d = *axis + 1; d < xv->rank(); ++d)
      axes.push_back(d);
  Emitter em = ctx.emitter();
  Type et = toMlirType(xv->dtype, ctx.context());
  Value x = ctx.materialize(*xv);
  Value m = em.reduce(x, axes, true, em.scalar(et, -INFINITY),
                      [](OpBuilder &b, Location l, Value acc, Value v) -> Value {
                        return arith::MaximumFOp::create(b, l, acc, v);
                      });
  Value shifted = subtract(em, x, m);
  Value e = em.map(shifted, et, [](OpBuilder &b, Location l, ValueRange s) -> Value {
    return math::ExpOp::create(b, l, s[0]);
  });
  Value sum = sumOver(em, e, axes, true);
  Value y;
  if (Log)
    y = em.elementwise(ValueRange{shifted, sum}, xv->shape, et,
                       [](OpBuilder &b, Location l, ValueRange s) -> Value {
                         return arith::SubFOp::create(
                             b, l, s[0], math::LogOp::create(b, l, s[1]));
                       });
  else
    y = em.elementwise(ValueRange{e, sum}, xv->shape, et,
                       [](OpBuilder &b, Location l, ValueRange s) -> Value {
                         return arith::DivFOp::create(b, l, s[0], s[1]);
                       });
  ctx.setOutput(0, y, xv->dtype);
  return success();
}

} // namespace

void q4onnx::registerNormalizationOps(OpRegistry &r) {
  r.add("BatchNormalization", importBatchNorm, 6);
  r.add("LayerNormalization", importLayerNorm, 17);
  r.add("InstanceNormalization", importInstanceNorm, 6);
  r.add("Softmax", importSoftmax<false>, 1);
  r.add("LogSoftmax", importSoftmax<true>, 1);
}
