//===- Elementwise.cpp - element-wise ONNX operators ----------------------===//
//
// Binary and variadic arithmetic, comparisons and logic with numpy
// broadcasting (one linalg.generic through Emitter::elementwise), unary
// math and activations, Clip, Where, Cast/CastLike. When every input is
// known at import the result is computed on the host instead (shape
// arithmetic), so later shape-taking operators see constants.
//
//===----------------------------------------------------------------------===//
#include "../Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace ::quant4::onnx_import;
namespace q4onnx = ::quant4::onnx_import;

namespace {

enum class Bin {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Mod,
  FMod,
  Max,
  Min,
  Equal,
  Less,
  Greater,
  LessOrEqual,
  GreaterOrEqual,
  And,
  Or,
  Xor,
  PRelu,
};

bool isComparison(Bin k) {
  return k == Bin::Equal || k == Bin::Less || k == Bin::Greater ||
         k == Bin::LessOrEqual || k == Bin::GreaterOrEqual;
}

//===----------------------------------------------------------------------===//
// Host evaluation
//===----------------------------------------------------------------------===//

/// For each element of `out`, the linear index into each input (numpy
/// broadcasting).
void forEachBroadcast(
    ArrayRef<const HostTensor *> ins, ArrayRef<int64_t> out,
    function_ref<void(size_t outIndex, ArrayRef<size_t> inIndex)> fn) {
  size_t rank = out.size();
  SmallVector<SmallVector<size_t>> strides;
  for (const HostTensor *h : ins) {
    SmallVector<size_t> s(rank, 0);
    size_t stride = 1, off = rank - h->shape.size();
    for (size_t j = h->shape.size(); j-- > 0;) {
      s[off + j] = h->shape[j] == 1 && out[off + j] != 1 ? 0 : stride;
      stride *= size_t(h->shape[j]);
    }
    strides.push_back(s);
  }
  size_t total = 1;
  for (int64_t d : out)
    total *= size_t(d);
  SmallVector<size_t> idx(rank, 0), lin(ins.size(), 0);
  for (size_t k = 0; k < total; ++k) {
    for (size_t i = 0; i < ins.size(); ++i) {
      size_t l = 0;
      for (size_t d = 0; d < rank; ++d)
        l += idx[d] * strides[i][d];
      lin[i] = l;
    }
    fn(k, lin);
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < size_t(out[d]))
        break;
      idx[d] = 0;
    }
  }
}

int64_t wrapAdd(int64_t a, int64_t b) {
  return int64_t(uint64_t(a) + uint64_t(b));
}
int64_t wrapSub(int64_t a, int64_t b) {
  return int64_t(uint64_t(a) - uint64_t(b));
}
int64_t wrapMul(int64_t a, int64_t b) {
  return int64_t(uint64_t(a) * uint64_t(b));
}

std::optional<HostTensor> hostBinary(Bin k, const HostTensor &a,
                                     const HostTensor &b,
                                     ArrayRef<int64_t> out) {
  DType t = a.dtype;
  DType rt = isComparison(k) ? DType::Bool : t;
  size_t n = 1;
  for (int64_t d : out)
    n *= size_t(d);
  HostTensor r;
  r.dtype = rt;
  r.shape.assign(out.begin(), out.end());
  bool fl = isFloat(t);
  if (isFloat(rt))
    r.floats.resize(n);
  else
    r.ints.resize(n);
  bool ok = true;
  const HostTensor *ins[] = {&a, &b};
  forEachBroadcast(ins, out, [&](size_t o, ArrayRef<size_t> i) {
    if (fl) {
      double x = a.floatAt(i[0]), y = b.floatAt(i[1]);
      double v = 0;
      switch (k) {
      case Bin::Add: v = x + y; break;
      case Bin::Sub: v = x - y; break;
      case Bin::Mul: v = x * y; break;
      case Bin::Div: v = x / y; break;
      case Bin::Pow: v = std::pow(x, y); break;
      case Bin::Max: v = std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y); break;
      case Bin::Min: v = std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y); break;
      case Bin::Equal: r.ints[o] = x == y; return;
      case Bin::Less: r.ints[o] = x < y; return;
      case Bin::Greater: r.ints[o] = x > y; return;
      case Bin::LessOrEqual: r.ints[o] = x <= y; return;
      case Bin::GreaterOrEqual: r.ints[o] = x >= y; return;
      default: ok = false; return;
      }
      r.floats[o] = HostTensor::castFloat(v, rt);
      return;
    }
    int64_t x = a.ints[i[0]], y = b.ints[i[1]];
    bool u = isUnsigned(t);
    int64_t v = 0;
    switch (k) {
    case Bin::Add: v = wrapAdd(x, y); break;
    case Bin::Sub: v = wrapSub(x, y); break;
    case Bin::Mul: v = wrapMul(x, y); break;
    case Bin::Div:
      if (y == 0 || (y == -1 && x == std::numeric_limits<int64_t>::min()))
        v = 0;
      else
        v = u ? int64_t(uint64_t(x) / uint64_t(y)) : x / y;
      break;
    case Bin::Max: v = u ? int64_t(std::max(uint64_t(x), uint64_t(y))) : std::max(x, y); break;
    case Bin::Min: v = u ? int64_t(std::min(uint64_t(x), uint64_t(y))) : std::min(x, y); break;
    case Bin::Equal: v = x == y; break;
    case Bin::Less: v = u ? uint64_t(x) < uint64_t(y) : x < y; break;
    case Bin::Greater: v = u ? uint64_t(x) > uint64_t(y) : x > y; break;
    case Bin::LessOrEqual: v = u ? uint64_t(x) <= uint64_t(y) : x <= y; break;
    case Bin::GreaterOrEqual: v = u ? uint64_t(x) >= uint64_t(y) : x >= y; break;
    case Bin::And: v = x && y; break;
    case Bin::Or: v = x || y; break;
    case Bin::Xor: v = (x != 0) != (y != 0); break;
    default: ok = false; return;
    }
    r.ints[o] = HostTensor::castInt(v, rt);
  });
  if (!ok)
    return std::nullopt;
  return r;
}

//===----------------------------------------------------------------------===//
// Scalar bodies
//===----------------------------------------------------------------------===//

Value scalarBinary(OpBuilder &b, Location loc, Bin k, DType t, Value x,
                   Value y) {
  bool fl = isFloat(t), u = isUnsigned(t);
  Type et = x.getType();
  auto cmpF = [&](arith::CmpFPredicate p) -> Value {
    return arith::CmpFOp::create(b, loc, p, x, y);
  };
  auto cmpI = [&](arith::CmpIPredicate s, arith::CmpIPredicate us) -> Value {
    return arith::CmpIOp::create(b, loc, u ? us : s, x, y);
  };
  switch (k) {
  case Bin::Add:
    return fl ? Value(arith::AddFOp::create(b, loc, x, y))
              : Value(arith::AddIOp::create(b, loc, x, y));
  case Bin::Sub:
    return fl ? Value(arith::SubFOp::create(b, loc, x, y))
              : Value(arith::SubIOp::create(b, loc, x, y));
  case Bin::Mul:
    return fl ? Value(arith::MulFOp::create(b, loc, x, y))
              : Value(arith::MulIOp::create(b, loc, x, y));
  case Bin::Div: {
    if (fl)
      return arith::DivFOp::create(b, loc, x, y);
    // Integer division by zero (and INT_MIN / -1) gives 0 instead of
    // trapping.
    Value zero = arith::ConstantOp::create(b, loc, IntegerAttr::get(et, 0));
    Value one = arith::ConstantOp::create(b, loc, IntegerAttr::get(et, 1));
    Value isZero =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, zero);
    Value bad = isZero;
    if (!u) {
      unsigned w = et.getIntOrFloatBitWidth();
      Value minusOne = arith::ConstantOp::create(
          b, loc, IntegerAttr::get(et, APInt::getAllOnes(w)));
      Value minV = arith::ConstantOp::create(
          b, loc, IntegerAttr::get(et, APInt::getSignedMinValue(w)));
      Value ovf = arith::AndIOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, minusOne),
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, minV));
      bad = arith::OrIOp::create(b, loc, isZero, ovf);
    }
    Value safeY = arith::SelectOp::create(b, loc, bad, one, y);
    Value q = u ? Value(arith::DivUIOp::create(b, loc, x, safeY))
                : Value(arith::DivSIOp::create(b, loc, x, safeY));
    return arith::SelectOp::create(b, loc, bad, zero, q);
  }
  case Bin::Pow: {
    // y already converted to x's type by the caller.
    if (fl)
      return math::PowFOp::create(b, loc, x, y);
    // Integers through f64 (exact while |result| < 2^53; the CPU pipeline
    // has no lowering of math.ipowi).
    Type f64 = b.getF64Type();
    auto toF = [&](Value v) -> Value {
      return u ? Value(arith::UIToFPOp::create(b, loc, f64, v))
               : Value(arith::SIToFPOp::create(b, loc, f64, v));
    };
    Value p = math::PowFOp::create(b, loc, toF(x), toF(y));
    return u ? Value(arith::FPToUIOp::create(b, loc, et, p))
             : Value(arith::FPToSIOp::create(b, loc, et, p));
  }
  case Bin::FMod:
    if (fl)
      return arith::RemFOp::create(b, loc, x, y);
    [[fallthrough]];
  case Bin::Mod: {
    if (fl) { // fmod=0 on floats is rejected by the caller
      return arith::RemFOp::create(b, loc, x, y);
    }
    Value zero = arith::ConstantOp::create(b, loc, IntegerAttr::get(et, 0));
    Value one = arith::ConstantOp::create(b, loc, IntegerAttr::get(et, 1));
    Value isZero =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, zero);
    Value safeY = arith::SelectOp::create(b, loc, isZero, one, y);
    Value r = u ? Value(arith::RemUIOp::create(b, loc, x, safeY))
                : Value(arith::RemSIOp::create(b, loc, x, safeY));
    if (!u && k == Bin::Mod) {
      // The sign of the divisor (Python's %).
      Value rNeg =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero);
      Value yNeg =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, safeY, zero);
      Value rNonZero =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, r, zero);
      Value fix = arith::AndIOp::create(
          b, loc, rNonZero,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, rNeg, yNeg));
      r = arith::SelectOp::create(b, loc, fix,
                                  arith::AddIOp::create(b, loc, r, safeY), r);
    }
    return arith::SelectOp::create(b, loc, isZero, zero, r);
  }
  case Bin::Max:
    return fl ? Value(arith::MaximumFOp::create(b, loc, x, y))
              : u ? Value(arith::MaxUIOp::create(b, loc, x, y))
                  : Value(arith::MaxSIOp::create(b, loc, x, y));
  case Bin::Min:
    return fl ? Value(arith::MinimumFOp::create(b, loc, x, y))
              : u ? Value(arith::MinUIOp::create(b, loc, x, y))
                  : Value(arith::MinSIOp::create(b, loc, x, y));
  case Bin::Equal:
    return fl ? cmpF(arith::CmpFPredicate::OEQ)
              : cmpI(arith::CmpIPredicate::eq, arith::CmpIPredicate::eq);
  case Bin::Less:
    return fl ? cmpF(arith::CmpFPredicate::OLT)
              : cmpI(arith::CmpIPredicate::slt, arith::CmpIPredicate::ult);
  case Bin::Greater:
    return fl ? cmpF(arith::CmpFPredicate::OGT)
              : cmpI(arith::CmpIPredicate::sgt, arith::CmpIPredicate::ugt);
  case Bin::LessOrEqual:
    return fl ? cmpF(arith::CmpFPredicate::OLE)
              : cmpI(arith::CmpIPredicate::sle, arith::CmpIPredicate::ule);
  case Bin::GreaterOrEqual:
    return fl ? cmpF(arith::CmpFPredicate::OGE)
              : cmpI(arith::CmpIPredicate::sge, arith::CmpIPredicate::uge);
  case Bin::And:
    return arith::AndIOp::create(b, loc, x, y);
  case Bin::Or:
    return arith::OrIOp::create(b, loc, x, y);
  case Bin::Xor:
    return arith::XOrIOp::create(b, loc, x, y);
  case Bin::PRelu: {
    Value zero = arith::ConstantOp::create(b, loc, FloatAttr::get(et, 0.0));
    Value neg =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero);
    return arith::SelectOp::create(b, loc, neg,
                                   arith::MulFOp::create(b, loc, x, y), x);
  }
  }
  return x;
}

/// Checks the element type of a binary operator's operands.
bool checkTypes(NodeContext &ctx, Bin k, DType a, DType b) {
  if (k == Bin::Pow) {
    if (isSupported(b) && b != DType::Bool && a != DType::Bool)
      return true;
  } else if (a == b) {
    if (k == Bin::And || k == Bin::Or || k == Bin::Xor) {
      if (a == DType::Bool)
        return true;
    } else if (k == Bin::PRelu || (k == Bin::FMod)) {
      if (isFloat(a) || k == Bin::FMod)
        return true;
    } else if (a != DType::Bool || k == Bin::Equal) {
      return true;
    }
  }
  ctx.error() << "operands of element types " << dtypeName(a) << " and "
              << dtypeName(b) << " are not supported";
  return false;
}

/// Opset < 7: `broadcast`/`axis` attributes. Returns B's shape aligned with
/// A (numpy rules apply afterwards), or nullopt on error.
std::optional<SmallVector<int64_t>> legacyBroadcast(NodeContext &ctx,
                                                       const TensorValue &a,
                                                       const TensorValue &b) {
  int64_t broadcast = ctx.attrInt("broadcast", 0);
  std::optional<int64_t> axis = ctx.attrIntOpt("axis");
  if (!broadcast) {
    if (a.shape != b.shape) {
      ctx.error() << "operand shapes " << shapeString(a.shape) << " and "
                  << shapeString(b.shape)
                  << " differ and 'broadcast' is not set";
      return std::nullopt;
    }
    return b.shape;
  }
  if (!axis)
    return b.shape; // suffix alignment = numpy
  int64_t ax = *axis < 0 ? *axis + a.rank() : *axis;
  if (ax < 0 || ax + b.rank() > a.rank()) {
    ctx.error() << "legacy broadcast axis " << *axis << " does not fit "
                << shapeString(b.shape) << " into " << shapeString(a.shape);
    return std::nullopt;
  }
  SmallVector<int64_t> s(a.rank(), 1);
  for (int64_t j = 0; j < b.rank(); ++j)
    s[ax + j] = b.shape[j];
  return s;
}

LogicalResult importBinary(NodeContext &ctx, Bin k) {
  TensorValue *a = ctx.input(0), *bv = ctx.input(1);
  if (!a || !bv)
    return failure();
  if (k == Bin::Mod) {
    if (ctx.attrInt("fmod", 0))
      k = Bin::FMod;
    else if (isFloat(a->dtype))
      return ctx.unsupportedAttr("fmod", "0",
                                 "floating-point Mod needs fmod = 1");
  }
  if (!checkTypes(ctx, k, a->dtype, bv->dtype))
    return failure();
  SmallVector<int64_t> bShape = bv->shape;
  bool legacy = ctx.opset() < 7 &&
                (k == Bin::Add || k == Bin::Sub || k == Bin::Mul ||
                 k == Bin::Div || k == Bin::Pow || k == Bin::Equal ||
                 k == Bin::Less || k == Bin::Greater || k == Bin::And ||
                 k == Bin::Or || k == Bin::Xor);
  if (legacy) {
    auto s = legacyBroadcast(ctx, *a, *bv);
    if (!s)
      return failure();
    bShape = *s;
  }
  // PRelu before opset 7: a slope of C values is per channel (dimension 1).
  if (k == Bin::PRelu && ctx.opset() < 7 && bShape.size() == 1 &&
      a->rank() >= 2 && bShape[0] == a->shape[1] && bShape[0] != 1) {
    SmallVector<int64_t> s{bShape[0]};
    s.append(size_t(a->rank() - 2), 1);
    bShape = s;
  }
  auto out = broadcastShapes({a->shape, bShape});
  if (!out) {
    ctx.error() << "operand shapes " << shapeString(a->shape) << " and "
                << shapeString(bShape) << " do not broadcast";
    return failure();
  }
  if (k == Bin::PRelu && *out != ArrayRef<int64_t>(a->shape)) {
    // Slope broadcasts to X (unidirectional).
    ctx.error() << "slope of shape " << shapeString(bShape)
                << " does not broadcast to X of shape "
                << shapeString(a->shape);
    return failure();
  }
  DType rt = isComparison(k) ? DType::Bool : a->dtype;
  std::optional<int64_t> n = checkedNumElements(*out, 8);
  if (!n) {
    ctx.error() << "the result shape " << shapeString(*out)
                << " exceeds the tensor size limit";
    return failure();
  }
  if (a->host && bv->host && *n <= kMaxHostElements &&
      (k != Bin::Pow || a->dtype == bv->dtype)) {
    HostTensor hb = *bv->host;
    hb.shape = bShape;
    if (auto r = hostBinary(k, *a->host, hb, *out)) {
      ctx.setOutput(0, std::move(*r));
      return success();
    }
  }
  Emitter em = ctx.emitter();
  Value x = ctx.materialize(*a), y = ctx.materialize(*bv);
  if (bShape != ArrayRef<int64_t>(bv->shape))
    y = em.reshape(y, bShape);
  DType at = a->dtype, bt = bv->dtype;
  Type outEt = toMlirType(rt, ctx.context());
  // Pow: a float base takes any exponent (converted to the base's type);
  // an integer base with a float exponent is computed in the exponent's
  // type and converted back.
  if (k == Bin::Pow && at != bt) {
    if (isFloat(at)) {
      y = em.cast(y, bt, at);
    } else if (isFloat(bt)) {
      Value xf = em.cast(x, at, bt);
      Value r = em.elementwise(
          ValueRange{xf, y}, *out, Emitter::elementTypeOf(y),
          [&](OpBuilder &nb, Location l, ValueRange s) {
            return scalarBinary(nb, l, Bin::Pow, bt, s[0], s[1]);
          });
      ctx.setOutput(0, em.cast(r, bt, at), at);
      return success();
    } else {
      y = em.cast(y, bt, at);
    }
  }
  Value r = em.elementwise(ValueRange{x, y}, *out, outEt,
                           [&](OpBuilder &nb, Location l, ValueRange s) {
                             return scalarBinary(nb, l, k, at, s[0], s[1]);
                           });
  ctx.setOutput(0, r, rt);
  return success();
}

template <Bin K> LogicalResult binary(NodeContext &ctx) {
  return importBinary(ctx, K);
}

/// Max, Min, Sum, Mean: any number of inputs, broadcast together.
enum class Variadic { Max, Min, Sum, Mean };

template <Variadic K> LogicalResult variadic(NodeContext &ctx) {
  unsigned n = ctx.numInputs();
  if (n == 0) {
    ctx.error() << "needs at least one input";
    return failure();
  }
  SmallVector<TensorValue *> ins;
  SmallVector<SmallVector<int64_t>> shapes;
  for (unsigned i = 0; i < n; ++i) {
    TensorValue *v = ctx.input(i);
    if (!v)
      return failure();
    ins.push_back(v);
    shapes.push_back(v->shape);
  }
  DType t = ins.front()->dtype;
  for (TensorValue *v : ins)
    if (v->dtype != t || t == DType::Bool ||
        (K == Variadic::Mean && !isFloat(t))) {
      ctx.error() << "inputs of element type " << dtypeName(v->dtype)
                  << " are not supported";
      return failure();
    }
  auto out = broadcastShapes(shapes);
  if (!out) {
    ctx.error() << "the input shapes do not broadcast";
    return failure();
  }
  Bin op = K == Variadic::Max   ? Bin::Max
           : K == Variadic::Min ? Bin::Min
                                : Bin::Add;
  Emitter em = ctx.emitter();
  SmallVector<Value> vals;
  for (TensorValue *v : ins)
    vals.push_back(ctx.materialize(*v));
  Type et = toMlirType(t, ctx.context());
  Value r = em.elementwise(vals, *out, et,
                           [&](OpBuilder &nb, Location l, ValueRange s) {
                             Value acc = s[0];
                             for (Value x : s.drop_front())
                               acc = scalarBinary(nb, l, op, t, acc, x);
                             if (K == Variadic::Mean) {
                               Value c = arith::ConstantOp::create(
                                   nb, l, FloatAttr::get(et, double(n)));
                               acc = arith::DivFOp::create(nb, l, acc, c);
                             }
                             return acc;
                           });
  ctx.setOutput(0, r, t);
  return success();
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

enum class Un {
  Relu,
  Neg,
  Abs,
  Exp,
  Log,
  Sqrt,
  Reciprocal,
  Sigmoid,
  Tanh,
  Erf,
  Floor,
  Ceil,
  Round,
  Sin,
  Cos,
  Softplus,
  Softsign,
  Sign,
  Not,
  IsNaN,
  LeakyRelu,
  Elu,
  Selu,
  HardSigmoid,
  HardSwish,
  Tan,
  Asin,
  Acos,
  Atan,
  Sinh,
  Cosh,
  Asinh,
  Acosh,
  Atanh,
  ThresholdedRelu,
  Celu,
  Shrink,
  IsInf,
};

/// Which element types a unary operator accepts.
bool unaryAccepts(Un k, DType t) {
  switch (k) {
  case Un::Not:
    return t == DType::Bool;
  case Un::IsNaN:
  case Un::IsInf:
    return isFloat(t);
  case Un::Relu:
  case Un::Neg:
  case Un::Abs:
  case Un::Sign:
    return t != DType::Bool && (!isUnsigned(t) || k != Un::Neg);
  default:
    return isFloat(t);
  }
}

LogicalResult importUnary(NodeContext &ctx, Un k) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  DType t = in->dtype;
  if (!unaryAccepts(k, t)) {
    ctx.error() << "input of element type " << dtypeName(t)
                << " is not supported";
    return failure();
  }
  double alpha = 0, beta = 0, gamma = 0;
  switch (k) {
  case Un::LeakyRelu:
    alpha = ctx.attrFloat("alpha", 0.01);
    break;
  case Un::Elu:
    alpha = ctx.attrFloat("alpha", 1.0);
    break;
  case Un::Selu:
    alpha = ctx.attrFloat("alpha", 1.67326319217681884765625);
    gamma = ctx.attrFloat("gamma", 1.05070102214813232421875);
    break;
  case Un::HardSigmoid:
    alpha = ctx.attrFloat("alpha", 0.2);
    beta = ctx.attrFloat("beta", 0.5);
    break;
  case Un::ThresholdedRelu:
  case Un::Celu:
    alpha = ctx.attrFloat("alpha", 1.0);
    break;
  case Un::Shrink:
    alpha = ctx.attrFloat("lambd", 0.5); // lambda
    beta = ctx.attrFloat("bias", 0.0);
    break;
  case Un::IsInf:
    alpha = double(ctx.attrInt("detect_negative", 1));
    beta = double(ctx.attrInt("detect_positive", 1));
    break;
  default:
    break;
  }
  if (ctx.opset() < 6)
    ctx.ignoreAttr("consumed_inputs");
  if (ctx.failed())
    return failure();
  DType rt = k == Un::IsNaN || k == Un::IsInf ? DType::Bool : t;
  // Host folding of the integer-valued ones (shape arithmetic).
  if (in->host && (k == Un::Neg || k == Un::Abs || k == Un::Not)) {
    HostTensor r = *in->host;
    for (auto &v : r.ints)
      v = k == Un::Not ? !v : k == Un::Neg ? wrapSub(0, v) : (v < 0 ? wrapSub(0, v) : v);
    for (auto &v : r.floats)
      v = k == Un::Neg ? -v : std::fabs(v);
    ctx.setOutput(0, std::move(r));
    return success();
  }
  Emitter em = ctx.emitter();
  Value x = ctx.materialize(*in);
  Type et = toMlirType(t, ctx.context());
  bool fl = isFloat(t);
  Value r = em.map(x, toMlirType(rt, ctx.context()), [&](OpBuilder &b,
                                                          Location l,
                                                          ValueRange a)
                                                          -> Value {
    Value v = a[0];
    auto cf = [&](double c) -> Value {
      return arith::ConstantOp::create(b, l, FloatAttr::get(et, c));
    };
    auto ci = [&](int64_t c) -> Value {
      return arith::ConstantOp::create(b, l, IntegerAttr::get(et, c));
    };
    switch (k) {
    case Un::Relu:
      return fl ? Value(arith::MaximumFOp::create(b, l, v, cf(0)))
                : isUnsigned(t) ? v : Value(arith::MaxSIOp::create(b, l, v, ci(0)));
    case Un::Neg:
      return fl ? Value(arith::NegFOp::create(b, l, v))
                : Value(arith::SubIOp::create(b, l, ci(0), v));
    case Un::Abs:
      return fl ? Value(math::AbsFOp::create(b, l, v))
                : isUnsigned(t) ? v : Value(math::AbsIOp::create(b, l, v));
    case Un::Exp:
      return math::ExpOp::create(b, l, v);
    case Un::Log:
      return math::LogOp::create(b, l, v);
    case Un::Sqrt:
      return math::SqrtOp::create(b, l, v);
    case Un::Reciprocal:
      return arith::DivFOp::create(b, l, cf(1), v);
    case Un::Sigmoid: {
      Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, v));
      return arith::DivFOp::create(b, l, cf(1),
                                   arith::AddFOp::create(b, l, cf(1), e));
    }
    case Un::Tanh:
      return math::TanhOp::create(b, l, v);
    case Un::Erf:
      return math::ErfOp::create(b, l, v);
    case Un::Floor:
      return math::FloorOp::create(b, l, v);
    case Un::Ceil:
      return math::CeilOp::create(b, l, v);
    case Un::Round:
      return math::RoundEvenOp::create(b, l, v);
    case Un::Sin:
      return math::SinOp::create(b, l, v);
    case Un::Cos:
      return math::CosOp::create(b, l, v);
    case Un::Softplus: {
      // max(x, 0) + log1p(exp(-|x|)): no overflow for large |x|.
      Value m = arith::MaximumFOp::create(b, l, v, cf(0));
      Value e = math::ExpOp::create(
          b, l, arith::NegFOp::create(b, l, math::AbsFOp::create(b, l, v)));
      return arith::AddFOp::create(b, l, m, math::Log1pOp::create(b, l, e));
    }
    case Un::Softsign:
      return arith::DivFOp::create(
          b, l, v,
          arith::AddFOp::create(b, l, cf(1), math::AbsFOp::create(b, l, v)));
    case Un::Sign: {
      if (fl) {
        Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, v,
                                          cf(0));
        Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, v,
                                          cf(0));
        Value r = arith::SelectOp::create(b, l, neg, cf(-1), cf(0));
        r = arith::SelectOp::create(b, l, pos, cf(1), r);
        // NaN stays NaN.
        Value nan = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, v, v);
        return arith::SelectOp::create(b, l, nan, v, r);
      }
      Value pos = arith::CmpIOp::create(
          b, l, isUnsigned(t) ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt,
          v, ci(0));
      Value neg =
          arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, v, ci(0));
      Value r = isUnsigned(t) ? ci(0) : Value(arith::SelectOp::create(b, l, neg, ci(-1), ci(0)));
      return arith::SelectOp::create(b, l, pos, ci(1), r);
    }
    case Un::Not: {
      Value one = arith::ConstantOp::create(b, l, b.getBoolAttr(true));
      return arith::XOrIOp::create(b, l, v, one);
    }
    case Un::IsNaN:
      return arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, v, v);
    case Un::LeakyRelu: {
      Value neg =
          arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, v, cf(0));
      return arith::SelectOp::create(
          b, l, neg, arith::MulFOp::create(b, l, v, cf(alpha)), v);
    }
    case Un::Elu:
    case Un::Selu: {
      // x < 0: alpha * (exp(x) - 1), else x; Selu scales both by gamma.
      Value neg =
          arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, v, cf(0));
      Value e = arith::MulFOp::create(
          b, l, cf(alpha), math::ExpM1Op::create(b, l, v));
      Value r = arith::SelectOp::create(b, l, neg, e, v);
      if (k == Un::Selu)
        r = arith::MulFOp::create(b, l, r, cf(gamma));
      return r;
    }
    case Un::HardSigmoid: {
      Value y = arith::AddFOp::create(
          b, l, arith::MulFOp::create(b, l, v, cf(alpha)), cf(beta));
      y = arith::MaximumFOp::create(b, l, y, cf(0));
      return arith::MinimumFOp::create(b, l, y, cf(1));
    }
    case Un::HardSwish: {
      Value y = arith::AddFOp::create(
          b, l, arith::MulFOp::create(b, l, v, cf(1.0 / 6.0)), cf(0.5));
      y = arith::MaximumFOp::create(b, l, y, cf(0));
      y = arith::MinimumFOp::create(b, l, y, cf(1));
      return arith::MulFOp::create(b, l, v, y);
    }
    case Un::Tan:
      return math::TanOp::create(b, l, v);
    case Un::Asin:
      return math::AsinOp::create(b, l, v);
    case Un::Acos:
      return math::AcosOp::create(b, l, v);
    case Un::Atan:
      return math::AtanOp::create(b, l, v);
    case Un::Sinh:
      return math::SinhOp::create(b, l, v);
    case Un::Cosh:
      return math::CoshOp::create(b, l, v);
    case Un::Asinh:
      return math::AsinhOp::create(b, l, v);
    case Un::Acosh:
      return math::AcoshOp::create(b, l, v);
    case Un::Atanh:
      return math::AtanhOp::create(b, l, v);
    case Un::ThresholdedRelu: {
      Value gt =
          arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, v, cf(alpha));
      return arith::SelectOp::create(b, l, gt, v, cf(0));
    }
    case Un::Celu: {
      // max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
      Value e = math::ExpM1Op::create(
          b, l, arith::DivFOp::create(b, l, v, cf(alpha)));
      Value neg = arith::MinimumFOp::create(
          b, l, cf(0), arith::MulFOp::create(b, l, cf(alpha), e));
      return arith::AddFOp::create(
          b, l, arith::MaximumFOp::create(b, l, cf(0), v), neg);
    }
    case Un::Shrink: {
      Value lo = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, v,
                                       cf(-alpha));
      Value hi = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, v,
                                       cf(alpha));
      Value r = arith::SelectOp::create(
          b, l, hi, arith::SubFOp::create(b, l, v, cf(beta)), cf(0));
      return arith::SelectOp::create(
          b, l, lo, arith::AddFOp::create(b, l, v, cf(beta)), r);
    }
    case Un::IsInf: {
      Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, v,
                                        cf(INFINITY));
      Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, v,
                                        cf(-INFINITY));
      Value f = arith::ConstantOp::create(b, l, b.getBoolAttr(false));
      Value r = alpha != 0 ? neg : f;
      return beta != 0 ? Value(arith::OrIOp::create(b, l, r, pos)) : r;
    }
    }
    return v;
  });
  ctx.setOutput(0, r, rt);
  return success();
}

template <Un K> LogicalResult unary(NodeContext &ctx) {
  return importUnary(ctx, K);
}

//===----------------------------------------------------------------------===//
// Clip, Where, Cast
//===----------------------------------------------------------------------===//

LogicalResult importClip(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  DType t = in->dtype;
  if (t == DType::Bool) {
    ctx.error() << "bool input is not supported";
    return failure();
  }
  Emitter em = ctx.emitter();
  Value x = ctx.materialize(*in);
  Type et = toMlirType(t, ctx.context());
  SmallVector<Value> bounds; // min, max as 0-d tensors or null
  Value lo, hi;
  if (ctx.opset() < 11) {
    ctx.ignoreAttr("consumed_inputs");
    double mn = ctx.attrFloat("min", -std::numeric_limits<double>::infinity());
    double mx = ctx.attrFloat("max", std::numeric_limits<double>::infinity());
    if (ctx.failed())
      return failure();
    if (std::isfinite(mn))
      lo = em.constant(HostTensor::ofFloats(t, {}, {mn}).castTo(t));
    if (std::isfinite(mx))
      hi = em.constant(HostTensor::ofFloats(t, {}, {mx}).castTo(t));
  } else {
    for (unsigned i = 1; i <= 2; ++i) {
      if (!ctx.hasInput(i))
        continue;
      TensorValue *bv = ctx.input(i);
      if (!bv)
        return failure();
      if (bv->dtype != t || bv->rank() > 1 ||
          (bv->rank() == 1 && bv->shape[0] != 1)) {
        ctx.error() << "input " << i << " must be a scalar of type "
                    << dtypeName(t) << ", got " << dtypeName(bv->dtype) << " "
                    << shapeString(bv->shape);
        return failure();
      }
      Value v = ctx.materialize(*bv);
      if (bv->rank() == 1)
        v = em.reshape(v, {});
      (i == 1 ? lo : hi) = v;
    }
  }
  SmallVector<Value> ops{x};
  if (lo)
    ops.push_back(lo);
  if (hi)
    ops.push_back(hi);
  bool fl = isFloat(t), u = isUnsigned(t);
  Value r = em.elementwise(ops, in->shape, et,
                           [&](OpBuilder &b, Location l, ValueRange s) {
                             Value v = s[0];
                             unsigned next = 1;
                             if (lo) {
                               Value m = s[next++];
                               v = fl ? Value(arith::MaximumFOp::create(b, l, v, m))
                                   : u ? Value(arith::MaxUIOp::create(b, l, v, m))
                                       : Value(arith::MaxSIOp::create(b, l, v, m));
                             }
                             if (hi) {
                               Value m = s[next++];
                               v = fl ? Value(arith::MinimumFOp::create(b, l, v, m))
                                   : u ? Value(arith::MinUIOp::create(b, l, v, m))
                                       : Value(arith::MinSIOp::create(b, l, v, m));
                             }
                             return v;
                           });
  ctx.setOutput(0, r, t);
  return success();
}

LogicalResult importWhere(NodeContext &ctx) {
  TensorValue *c = ctx.input(0), *x = ctx.input(1), *y = ctx.input(2);
  if (!c || !x || !y)
    return failure();
  if (c->dtype != DType::Bool || x->dtype != y->dtype) {
    ctx.error() << "expects a bool condition and two inputs of one type, got "
                << dtypeName(c->dtype) << ", " << dtypeName(x->dtype) << ", "
                << dtypeName(y->dtype);
    return failure();
  }
  auto out = broadcastShapes({c->shape, x->shape, y->shape});
  if (!out) {
    ctx.error() << "shapes " << shapeString(c->shape) << ", "
                << shapeString(x->shape) << ", " << shapeString(y->shape)
                << " do not broadcast";
    return failure();
  }
  std::optional<int64_t> n = checkedNumElements(*out, 8);
  if (!n) {
    ctx.error() << "the result shape " << shapeString(*out)
                << " exceeds the tensor size limit";
    return failure();
  }
  if (c->host && x->host && y->host && *n <= kMaxHostElements) {
    HostTensor r;
    r.dtype = x->dtype;
    r.shape.assign(out->begin(), out->end());
    bool fl = isFloat(x->dtype);
    (fl ? (void)r.floats.resize(*n) : (void)r.ints.resize(*n));
    const HostTensor *ins[] = {c->host.get(), x->host.get(), y->host.get()};
    forEachBroadcast(ins, *out, [&](size_t o, ArrayRef<size_t> i) {
      bool cond = c->host->ints[i[0]] != 0;
      if (fl)
        r.floats[o] = cond ? x->host->floats[i[1]] : y->host->floats[i[2]];
      else
        r.ints[o] = cond ? x->host->ints[i[1]] : y->host->ints[i[2]];
    });
    ctx.setOutput(0, std::move(r));
    return success();
  }
  Emitter em = ctx.emitter();
  Value r = em.elementwise(
      ValueRange{ctx.materialize(*c), ctx.materialize(*x),
                 ctx.materialize(*y)},
      *out, toMlirType(x->dtype, ctx.context()),
      [](OpBuilder &b, Location l, ValueRange s) -> Value {
        return arith::SelectOp::create(b, l, s[0], s[1], s[2]);
      });
  ctx.setOutput(0, r, x->dtype);
  return success();
}

LogicalResult castTo(NodeContext &ctx, TensorValue *in, DType to) {
  if (!isSupported(to)) {
    ctx.error() << "casting to " << dtypeName(to) << " is not supported";
    return failure();
  }
  if (in->host) {
    ctx.setOutput(0, in->host->castTo(to));
    return success();
  }
  Emitter em = ctx.emitter();
  ctx.setOutput(0, em.cast(ctx.materialize(*in), in->dtype, to), to);
  return success();
}

LogicalResult importCast(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  std::optional<int64_t> to = ctx.attrIntOpt("to");
  ctx.ignoreAttr("saturate");
  if (ctx.failed())
    return failure();
  if (!to) {
    ctx.error() << "attribute 'to' is required";
    return failure();
  }
  DType t = dtypeFromCode(*to);
  if (!isSupported(t))
    return ctx.unsupportedAttr("to", std::to_string(*to),
                               "target type " + dtypeName(t));
  return castTo(ctx, in, t);
}

LogicalResult importCastLike(NodeContext &ctx) {
  TensorValue *in = ctx.input(0), *like = ctx.input(1);
  if (!in || !like)
    return failure();
  ctx.ignoreAttr("saturate");
  return castTo(ctx, in, like->dtype);
}

} // namespace

void q4onnx::registerElementwiseOps(OpRegistry &r) {
  r.add("Add", binary<Bin::Add>, 6);
  r.add("Sub", binary<Bin::Sub>, 6);
  r.add("Mul", binary<Bin::Mul>, 6);
  r.add("Div", binary<Bin::Div>, 6);
  r.add("Pow", binary<Bin::Pow>, 1);
  r.add("Mod", binary<Bin::Mod>, 10);
  r.add("Equal", binary<Bin::Equal>, 7);
  r.add("Less", binary<Bin::Less>, 7);
  r.add("Greater", binary<Bin::Greater>, 7);
  r.add("LessOrEqual", binary<Bin::LessOrEqual>, 12);
  r.add("GreaterOrEqual", binary<Bin::GreaterOrEqual>, 12);
  r.add("And", binary<Bin::And>, 7);
  r.add("Or", binary<Bin::Or>, 7);
  r.add("Xor", binary<Bin::Xor>, 7);
  r.add("PRelu", binary<Bin::PRelu>, 6);
  r.add("Max", variadic<Variadic::Max>, 6);
  r.add("Min", variadic<Variadic::Min>, 6);
  r.add("Sum", variadic<Variadic::Sum>, 6);
  r.add("Mean", variadic<Variadic::Mean>, 6);

  r.add("Relu", unary<Un::Relu>, 6);
  r.add("Neg", unary<Un::Neg>, 6);
  r.add("Abs", unary<Un::Abs>, 6);
  r.add("Exp", unary<Un::Exp>, 6);
  r.add("Log", unary<Un::Log>, 6);
  r.add("Sqrt", unary<Un::Sqrt>, 6);
  r.add("Reciprocal", unary<Un::Reciprocal>, 6);
  r.add("Sigmoid", unary<Un::Sigmoid>, 6);
  r.add("Tanh", unary<Un::Tanh>, 6);
  r.add("Erf", unary<Un::Erf>, 9);
  r.add("Floor", unary<Un::Floor>, 6);
  r.add("Ceil", unary<Un::Ceil>, 6);
  r.add("Round", unary<Un::Round>, 11);
  r.add("Sin", unary<Un::Sin>, 7);
  r.add("Cos", unary<Un::Cos>, 7);
  r.add("Softplus", unary<Un::Softplus>, 1);
  r.add("Softsign", unary<Un::Softsign>, 1);
  r.add("Sign", unary<Un::Sign>, 9);
  r.add("Not", unary<Un::Not>, 1);
  r.add("IsNaN", unary<Un::IsNaN>, 9);
  r.add("LeakyRelu", unary<Un::LeakyRelu>, 6);
  r.add("Elu", unary<Un::Elu>, 6);
  r.add("Selu", unary<Un::Selu>, 6);
  r.add("HardSigmoid", unary<Un::HardSigmoid>, 6);
  r.add("HardSwish", unary<Un::HardSwish>, 14);
  r.add("Tan", unary<Un::Tan>, 7);
  r.add("Asin", unary<Un::Asin>, 7);
  r.add("Acos", unary<Un::Acos>, 7);
  r.add("Atan", unary<Un::Atan>, 7);
  r.add("Sinh", unary<Un::Sinh>, 9);
  r.add("Cosh", unary<Un::Cosh>, 9);
  r.add("Asinh", unary<Un::Asinh>, 9);
  r.add("Acosh", unary<Un::Acosh>, 9);
  r.add("Atanh", unary<Un::Atanh>, 9);
  r.add("ThresholdedRelu", unary<Un::ThresholdedRelu>, 10);
  r.add("Celu", unary<Un::Celu>, 12);
  r.add("Shrink", unary<Un::Shrink>, 9);
  r.add("IsInf", unary<Un::IsInf>, 10);

  r.add("Clip", importClip, 6);
  r.add("Where", importWhere, 9);
  r.add("Cast", importCast, 6);
  r.add("CastLike", importCastLike, 15);
}
