//===- Shape.cpp - shape, data-movement and constant operators ------------===//
//
// Shape, Size, Constant, ConstantOfShape and Range produce values known at
// import; Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat, Split,
// Slice, Gather, Expand, Tile, Identity and Dropout (inference) fold on the
// host when their data input is known there, so chains like
// Shape -> Gather -> Unsqueeze -> Concat -> Reshape end in a static shape.
// Otherwise they become tensor.collapse_shape/expand_shape, linalg.transpose,
// tensor.extract_slice/insert_slice, linalg.generic (broadcast, gather with
// run-time indices, reversal) and tensor.pad.
//
//===----------------------------------------------------------------------===//
#include "../Importer.h"

#include "quant4/Dialect/Quant4/IR/Quant4.h"
#include "quant4/Support/Sizes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace ::quant4::onnx_import;
namespace q4onnx = ::quant4::onnx_import;

namespace {

int64_t numElementsOf(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// Checks a shape computed from values in the model (non-negative, under
/// the size limit); errors name `what`.
bool checkShape(NodeContext &ctx, ArrayRef<int64_t> shape, DType t,
                StringRef what) {
  if (!checkedNumElements(shape, std::max(1u, elementBytes(t)))) {
    ctx.error() << what << " " << shapeString(shape)
                << " is invalid or exceeds the tensor size limit of 2^40 "
                   "bytes";
    return false;
  }
  return true;
}

/// Output 0 = `in` with shape `shape` (same number of elements).
void setReshaped(NodeContext &ctx, TensorValue &in, ArrayRef<int64_t> shape) {
  if (in.host) {
    HostTensor h = *in.host;
    h.shape.assign(shape.begin(), shape.end());
    ctx.setOutput(0, std::move(h));
    return;
  }
  Emitter em = ctx.emitter();
  ctx.setOutput(0, em.reshape(ctx.materialize(in), shape), in.dtype);
}

/// Axes from attribute `axes` (opset < `inputFrom`) or input 1.
std::optional<SmallVector<int64_t>> readAxes(NodeContext &ctx,
                                             int64_t inputFrom,
                                             unsigned inputIndex,
                                             bool &given) {
  given = false;
  if (ctx.opset() < inputFrom) {
    if (auto a = ctx.attrIntsOpt("axes")) {
      given = true;
      return *a;
    }
    if (ctx.failed())
      return std::nullopt;
    return SmallVector<int64_t>{};
  }
  if (!ctx.hasInput(inputIndex))
    return SmallVector<int64_t>{};
  auto v = ctx.hostInts(inputIndex, "axes");
  if (!v)
    return std::nullopt;
  given = true;
  return SmallVector<int64_t>(v->begin(), v->end());
}

/// Normalized, sorted, unique axes for rank `rank`.
std::optional<SmallVector<int64_t>> normalizeAxes(NodeContext &ctx,
                                                  ArrayRef<int64_t> axes,
                                                  int64_t rank) {
  SmallVector<int64_t> r;
  for (int64_t a : axes) {
    auto n = ctx.normalizeAxis(a, rank, "axis");
    if (!n)
      return std::nullopt;
    if (llvm::is_contained(r, *n)) {
      ctx.error() << "axis " << a << " is repeated";
      return std::nullopt;
    }
    r.push_back(*n);
  }
  llvm::sort(r);
  return r;
}

//===----------------------------------------------------------------------===//
// Shape, Size, Constant, ConstantOfShape, Range
//===----------------------------------------------------------------------===//

LogicalResult importShape(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  int64_t rank = in->rank();
  int64_t start = 0, end = rank;
  if (ctx.opset() >= 15) {
    start = ctx.attrInt("start", 0);
    end = ctx.attrInt("end", rank);
    if (ctx.failed())
      return failure();
  }
  auto clampAxis = [&](int64_t a) {
    if (a < 0)
      a = a < -rank ? 0 : a + rank;
    return std::min(a, rank);
  };
  start = clampAxis(start);
  end = clampAxis(end);
  std::vector<int64_t> dims;
  for (int64_t d = start; d < end; ++d)
    dims.push_back(in->shape[d]);
  int64_t n = int64_t(dims.size());
  ctx.setOutput(0, HostTensor::ofInts(DType::Int64, {n}, std::move(dims)));
  return success();
}

LogicalResult importSize(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  ctx.setOutput(0,
                HostTensor::ofInts(DType::Int64, {}, {numElementsOf(in->shape)}));
  return success();
}

/// A constant: kept on the host when small, else a blob to materialize.
TensorValue constantValue(RawTensor raw) {
  TensorValue v;
  v.dtype = raw.dtype;
  v.shape = raw.shape;
  if (raw.numElements() <= kMaxHostElements)
    v.host = std::make_shared<HostTensor>(raw.toHost());
  v.raw = std::make_shared<RawTensor>(std::move(raw));
  return v;
}

LogicalResult importConstant(NodeContext &ctx) {
  static const char *const kinds[] = {
      "value",        "value_float",  "value_floats",  "value_int",
      "value_ints",   "value_string", "value_strings", "sparse_value"};
  std::string given;
  for (const char *k : kinds)
    if (ctx.hasAttr(k)) {
      if (!given.empty()) {
        ctx.error() << "has both '" << given << "' and '" << k << "'";
        return failure();
      }
      given = k;
    }
  if (given.empty()) {
    ctx.error() << "has no value attribute";
    return failure();
  }
  if (given == "value") {
    std::optional<RawTensor> t = ctx.attrTensor("value");
    if (!t)
      return failure();
    if (t->name.empty() && ctx.hasOutput(0))
      t->name = ctx.name().empty() ? "constant" : ctx.name().str();
    ctx.setOutput(0, constantValue(std::move(*t)));
    return success();
  }
  if (given == "value_float") {
    double v = ctx.attrFloat("value_float", 0);
    ctx.setOutput(0, HostTensor::ofFloats(DType::Float, {}, {double(float(v))}));
    return success();
  }
  if (given == "value_floats") {
    auto v = ctx.attrFloatsOpt("value_floats");
    if (!v)
      return failure();
    int64_t n = int64_t(v->size());
    ctx.setOutput(0, HostTensor::ofFloats(DType::Float, {n}, *v));
    return success();
  }
  if (given == "value_int") {
    int64_t v = ctx.attrInt("value_int", 0);
    ctx.setOutput(0, HostTensor::ofInts(DType::Int64, {}, {v}));
    return success();
  }
  if (given == "value_ints") {
    auto v = ctx.attrIntsOpt("value_ints");
    if (!v)
      return failure();
    int64_t n = int64_t(v->size());
    ctx.setOutput(0, HostTensor::ofInts(DType::Int64, {n},
                                        std::vector<int64_t>(v->begin(),
                                                             v->end())));
    return success();
  }
  ctx.ignoreAttr(given);
  return ctx.unsupportedAttr(given, "<...>",
                             "string and sparse constants are not imported");
}

LogicalResult importConstantOfShape(NodeContext &ctx) {
  auto shape = ctx.hostInts(0, "shape");
  if (!shape)
    return failure();
  HostTensor value = HostTensor::ofFloats(DType::Float, {}, {0.0});
  if (ctx.hasAttr("value")) {
    std::optional<RawTensor> t = ctx.attrTensor("value");
    if (!t)
      return failure();
    if (t->numElements() != 1) {
      ctx.error() << "attribute 'value' must hold one element, it has "
                  << t->numElements();
      return failure();
    }
    value = t->toHost();
  }
  SmallVector<int64_t> s(shape->begin(), shape->end());
  if (!checkShape(ctx, s, value.dtype, "the shape"))
    return failure();
  int64_t n = numElementsOf(s);
  if (n <= kMaxHostElements) {
    HostTensor h = value;
    h.shape = SmallVector<int64_t>(s);
    if (isFloat(h.dtype))
      h.floats.assign(size_t(n), value.floats[0]);
    else
      h.ints.assign(size_t(n), value.ints[0]);
    ctx.setOutput(0, std::move(h));
    return success();
  }
  // A splat constant, however large.
  auto one = cast<DenseElementsAttr>(value.toAttr(ctx.context()));
  auto type = RankedTensorType::get(s, one.getElementType());
  Value c = arith::ConstantOp::create(ctx.builder(), ctx.loc(),
                                      one.resizeSplat(type));
  ctx.setOutput(0, c, value.dtype);
  return success();
}

LogicalResult importRange(NodeContext &ctx) {
  const HostTensor *s = ctx.host(0, "start");
  const HostTensor *l = s ? ctx.host(1, "limit") : nullptr;
  const HostTensor *d = l ? ctx.host(2, "delta") : nullptr;
  if (!d)
    return failure();
  if (!s->isScalarLike() || !l->isScalarLike() || !d->isScalarLike() ||
      s->dtype != l->dtype || s->dtype != d->dtype ||
      s->dtype == DType::Bool) {
    ctx.error() << "start, limit and delta must be scalars of one numeric "
                   "type";
    return failure();
  }
  DType t = s->dtype;
  int64_t n;
  if (isFloat(t)) {
    double a = s->floatAt(0), b = l->floatAt(0), c = d->floatAt(0);
    double count = std::ceil((b - a) / c);
    if (c == 0 || !std::isfinite(count) || count > 1e12) {
      ctx.error() << "the range (" << a << ", " << b << ", " << c
                  << ") does not have a size quant4 can import";
      return failure();
    }
    n = std::max<int64_t>(0, int64_t(count));
  } else {
    int64_t a = s->ints[0], b = l->ints[0], c = d->ints[0];
    if (c == 0) {
      ctx.error() << "delta is zero";
      return failure();
    }
    // ceil((b - a) / c) without overflow (in 128 bits).
    __int128 diff = __int128(b) - a;
    __int128 q = diff / c;
    if (q * c != diff && ((diff > 0) == (c > 0)))
      ++q;
    n = q < 0 ? 0 : (q > (__int128(1) << 40) ? int64_t(1) << 41 : int64_t(q));
  }
  SmallVector<int64_t> shape{n};
  if (!checkShape(ctx, shape, t, "the range's shape"))
    return failure();
  if (n <= kMaxHostElements) {
    HostTensor r;
    r.dtype = t;
    r.shape = {n};
    for (int64_t i = 0; i < n; ++i) {
      if (isFloat(t))
        r.floats.push_back(HostTensor::castFloat(
            s->floatAt(0) + double(i) * d->floatAt(0), t));
      else
        r.ints.push_back(HostTensor::castInt(
            int64_t(uint64_t(s->ints[0]) + uint64_t(i) * uint64_t(d->ints[0])),
            t));
    }
    ctx.setOutput(0, std::move(r));
    return success();
  }
  // start + i * delta, by a linalg.generic over the index.
  Emitter em = ctx.emitter();
  Type et = toMlirType(t, ctx.context());
  Value start = em.scalar(et, 0), delta = em.scalar(et, 0);
  if (isFloat(t)) {
    start = em.scalar(et, s->floatAt(0));
    delta = em.scalar(et, d->floatAt(0));
  } else {
    start = em.intScalar(et, s->ints[0]);
    delta = em.intScalar(et, d->ints[0]);
  }
  auto op = linalg::GenericOp::create(
      em.b, em.loc, TypeRange{RankedTensorType::get({n}, et)}, ValueRange{},
      ValueRange{em.empty({n}, et)},
      ArrayRef<AffineMap>{em.b.getMultiDimIdentityMap(1)},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
      [&](OpBuilder &b, Location loc, ValueRange) {
        Value i = linalg::IndexOp::create(b, loc, 0);
        Value iv = arith::IndexCastOp::create(b, loc, b.getI64Type(), i);
        Value r;
        if (isFloat(t)) {
          Value f = arith::SIToFPOp::create(b, loc, et, iv);
          r = arith::AddFOp::create(b, loc, start,
                                    arith::MulFOp::create(b, loc, f, delta));
        } else {
          Value c = Emitter::convertScalar(b, loc, iv, DType::Int64, t);
          r = arith::AddIOp::create(b, loc, start,
                                    arith::MulIOp::create(b, loc, c, delta));
        }
        linalg::YieldOp::create(b, loc, r);
      });
  ctx.setOutput(0, op.getResult(0), t);
  return success();
}

//===----------------------------------------------------------------------===//
// Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout
//===----------------------------------------------------------------------===//

LogicalResult importReshape(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  int64_t allowZero = ctx.opset() >= 14 ? ctx.attrInt("allowzero", 0) : 0;
  auto shape = ctx.hostInts(1, "shape");
  if (!shape || ctx.failed())
    return failure();
  int64_t total = numElementsOf(in->shape);
  SmallVector<int64_t> out;
  int inferAt = -1;
  uint64_t known = 1;
  bool hasZero = false;
  for (size_t i = 0; i < shape->size(); ++i) {
    int64_t v = (*shape)[i];
    if (v == 0 && !allowZero) {
      if (int64_t(i) >= in->rank()) {
        ctx.error() << "shape " << shapeString(*shape) << " copies dimension "
                    << i << " (0) of an input of rank " << in->rank();
        return failure();
      }
      v = in->shape[i];
    }
    if (v == -1) {
      if (inferAt >= 0) {
        ctx.error() << "shape " << shapeString(*shape) << " has two -1";
        return failure();
      }
      inferAt = int(i);
      out.push_back(1);
      continue;
    }
    if (v < 0) {
      ctx.error() << "shape " << shapeString(*shape)
                  << " has a negative dimension " << v;
      return failure();
    }
    hasZero |= v == 0;
    std::optional<uint64_t> k = ::quant4::checkedMul(known, uint64_t(v ? v : 1));
    if (!k || *k > (uint64_t(1) << 40)) {
      ctx.error() << "shape " << shapeString(*shape)
                  << " exceeds the tensor size limit";
      return failure();
    }
    known = *k;
    out.push_back(v);
  }
  if (inferAt >= 0) {
    if (hasZero || total % int64_t(known) != 0) {
      ctx.error() << "cannot reshape " << shapeString(in->shape) << " to "
                  << shapeString(*shape);
      return failure();
    }
    out[inferAt] = total / int64_t(known);
  } else if (numElementsOf(out) != total) {
    ctx.error() << "cannot reshape " << shapeString(in->shape) << " ("
                << total << " elements) to " << shapeString(out);
    return failure();
  }
  setReshaped(ctx, *in, out);
  return success();
}

LogicalResult importFlatten(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  int64_t axis = ctx.attrInt("axis", 1);
  if (ctx.failed())
    return failure();
  int64_t rank = in->rank();
  if (axis < -rank || axis > rank) {
    ctx.error() << "axis " << axis << " is out of range for rank " << rank;
    return failure();
  }
  if (axis < 0)
    axis += rank;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? outer : inner) *= in->shape[d];
  setReshaped(ctx, *in, {outer, inner});
  return success();
}

LogicalResult importSqueeze(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  bool given;
  auto axes = readAxes(ctx, 13, 1, given);
  if (!axes)
    return failure();
  auto norm = normalizeAxes(ctx, *axes, in->rank());
  if (!norm)
    return failure();
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < in->rank(); ++d) {
    bool squeeze = given ? llvm::is_contained(*norm, d) : in->shape[d] == 1;
    if (squeeze && in->shape[d] != 1) {
      ctx.error() << "cannot squeeze dimension " << d << " of size "
                  << in->shape[d];
      return failure();
    }
    if (!squeeze)
      out.push_back(in->shape[d]);
  }
  setReshaped(ctx, *in, out);
  return success();
}

LogicalResult importUnsqueeze(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  bool given;
  auto axes = readAxes(ctx, 13, 1, given);
  if (!axes)
    return failure();
  if (!given) {
    ctx.error() << "axes are required";
    return failure();
  }
  int64_t outRank = in->rank() + int64_t(axes->size());
  auto norm = normalizeAxes(ctx, *axes, outRank);
  if (!norm)
    return failure();
  SmallVector<int64_t> out;
  size_t next = 0;
  for (int64_t d = 0; d < outRank; ++d)
    out.push_back(llvm::is_contained(*norm, d) ? 1 : in->shape[next++]);
  setReshaped(ctx, *in, out);
  return success();
}

LogicalResult importIdentity(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  ctx.setOutput(0, *in);
  return success();
}

LogicalResult importDropout(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  // Inference: the identity. (Opsets < 12 have no training switch; their
  // `is_test` and `ratio` do not change the inference result.)
  ctx.ignoreAttr("is_test");
  ctx.ignoreAttr("ratio");
  ctx.ignoreAttr("consumed_inputs"); // opset 1-5
  // The node's own seed would make every step drop the same elements;
  // the step's seed (and the node's stream) key the draw instead.
  ctx.ignoreAttr("seed");
  double ratio = 0;
  if (ctx.opset() >= 12 && ctx.hasInput(2)) {
    const HostTensor *training = ctx.host(2, "training_mode");
    if (!training)
      return failure();
    if (training->numElements() != 1) {
      ctx.error() << "training_mode must be a scalar";
      return failure();
    }
    if (training->intAt(0) != 0) {
      // PyTorch exports the layers of a model in training mode so; with
      // p = 0 the node is the identity. The ratio defaults to 0.5.
      ratio = 0.5;
      if (ctx.hasInput(1)) {
        TensorValue *r = ctx.input(1);
        if (!r)
          return failure();
        if (!r->host || r->host->numElements() != 1) {
          ctx.error() << "training_mode = true is not supported with a "
                         "ratio known only at run time";
          return failure();
        }
        ratio = r->host->floatAt(0);
      }
      if (!(ratio >= 0 && ratio < 1)) {
        ctx.error() << "ratio must be in [0, 1), got " << ratio;
        return failure();
      }
    }
  }
  if (ratio != 0 && ctx.options().dropout == DropoutMode::Reject) {
    ctx.error() << "training_mode = true is not supported with a ratio "
                   "other than 0 in a run (random dropout is imported for "
                   "training: quant4-run train draws it from --seed; "
                   "quant4-translate --import-onnx gives the function a seed "
                   "argument)";
    return failure();
  }
  if (ratio == 0 || ctx.options().dropout == DropoutMode::Inference) {
    ctx.setOutput(0, *in);
  } else {
    if (in->dtype != DType::Float) {
      ctx.error() << "random dropout (training mode, ratio " << ratio
                  << ") is supported on float32 tensors only";
      return failure();
    }
    OpBuilder &b = ctx.builder();
    Value x = ctx.materialize(*in), seed = ctx.dropoutSeed();
    auto ratioAttr = b.getF64FloatAttr(ratio);
    auto stream = b.getI64IntegerAttr(ctx.nextDropoutStream());
    Value y = mlir::quant4::DropoutOp::create(b, ctx.loc(), x.getType(), x,
                                              seed, ratioAttr, stream);
    ctx.setOutput(0, y, DType::Float);
    if (ctx.hasOutput(1)) {
      // The mask: where dropout of ones (same seed and stream) is not 0.
      Emitter e = ctx.emitter();
      Value ones = e.filled(in->shape, b.getF32Type(), 1.0);
      Value kept = mlir::quant4::DropoutOp::create(
          b, ctx.loc(), ones.getType(), ones, seed, ratioAttr, stream);
      Value mask = e.map(kept, b.getI1Type(),
                         [](OpBuilder &ob, Location loc, ValueRange v) {
                           Value zero = arith::ConstantFloatOp::create(
                               ob, loc, ob.getF32Type(), APFloat(0.0f));
                           return arith::CmpFOp::create(
                                      ob, loc, arith::CmpFPredicate::ONE,
                                      v[0], zero)
                               .getResult();
                         });
      ctx.setOutput(1, mask, DType::Bool);
    }
    return success();
  }
  if (ctx.hasOutput(1)) {
    auto type = RankedTensorType::get(in->shape, ctx.builder().getI1Type());
    Value mask = arith::ConstantOp::create(
        ctx.builder(), ctx.loc(), DenseElementsAttr::get(type, true));
    ctx.setOutput(1, mask, DType::Bool);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Transpose, Concat, Split, Slice
//===----------------------------------------------------------------------===//

LogicalResult importTranspose(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  int64_t rank = in->rank();
  SmallVector<int64_t> dflt;
  for (int64_t d = rank - 1; d >= 0; --d)
    dflt.push_back(d);
  SmallVector<int64_t> perm = ctx.attrInts("perm", dflt);
  if (ctx.failed())
    return failure();
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  bool valid = int64_t(perm.size()) == rank;
  for (int64_t d = 0; valid && d < rank; ++d)
    valid = sorted[d] == d;
  if (!valid) {
    std::string list;
    for (size_t i = 0; i < perm.size(); ++i)
      list += (i ? ", " : "") + std::to_string(perm[i]);
    return ctx.unsupportedAttr("perm", "[" + list + "]",
                               "not a permutation of rank " +
                                   std::to_string(rank));
  }
  SmallVector<int64_t> out;
  for (int64_t p : perm)
    out.push_back(in->shape[p]);
  if (in->host) {
    auto strides = stridesOf(in->shape);
    ctx.setOutput(0, remapHost(*in->host, out, [&](ArrayRef<int64_t> idx) {
                    int64_t l = 0;
                    for (int64_t d = 0; d < rank; ++d)
                      l += idx[d] * strides[perm[d]];
                    return l;
                  }));
    return success();
  }
  Emitter em = ctx.emitter();
  ctx.setOutput(0, em.transpose(ctx.materialize(*in), perm), in->dtype);
  return success();
}

LogicalResult importConcat(NodeContext &ctx) {
  std::optional<int64_t> axisAttr = ctx.attrIntOpt("axis");
  if (ctx.failed())
    return failure();
  if (!axisAttr) {
    ctx.error() << "attribute 'axis' is required";
    return failure();
  }
  SmallVector<TensorValue *> ins;
  for (unsigned i = 0; i < ctx.numInputs(); ++i) {
    TensorValue *v = ctx.input(i);
    if (!v)
      return failure();
    ins.push_back(v);
  }
  if (ins.empty()) {
    ctx.error() << "needs at least one input";
    return failure();
  }
  TensorValue &first = *ins.front();
  auto axis = ctx.normalizeAxis(*axisAttr, first.rank(), "axis");
  if (!axis)
    return failure();
  SmallVector<int64_t> out(first.shape);
  out[*axis] = 0;
  bool allHost = true;
  for (TensorValue *v : ins) {
    bool ok = v->dtype == first.dtype && v->rank() == first.rank();
    for (int64_t d = 0; ok && d < first.rank(); ++d)
      ok = d == *axis || v->shape[d] == first.shape[d];
    if (!ok) {
      ctx.error() << "input of type " << dtypeName(v->dtype) << " and shape "
                  << shapeString(v->shape) << " does not concatenate with "
                  << dtypeName(first.dtype) << " " << shapeString(first.shape)
                  << " along axis " << *axis;
      return failure();
    }
    out[*axis] += v->shape[*axis];
    allHost &= bool(v->host);
  }
  if (!checkShape(ctx, out, first.dtype, "the result shape"))
    return failure();
  if (allHost && numElementsOf(out) <= kMaxHostElements) {
    HostTensor r;
    r.dtype = first.dtype;
    r.shape = SmallVector<int64_t>(out);
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < first.rank(); ++d)
      if (d < *axis)
        outer *= out[d];
      else if (d > *axis)
        inner *= out[d];
    for (int64_t o = 0; o < outer; ++o)
      for (TensorValue *v : ins) {
        int64_t chunk = v->shape[*axis] * inner;
        size_t from = size_t(o * chunk);
        if (isFloat(r.dtype))
          r.floats.insert(r.floats.end(), v->host->floats.begin() + from,
                          v->host->floats.begin() + from + chunk);
        else
          r.ints.insert(r.ints.end(), v->host->ints.begin() + from,
                        v->host->ints.begin() + from + chunk);
      }
    ctx.setOutput(0, std::move(r));
    return success();
  }
  Emitter em = ctx.emitter();
  SmallVector<Value> parts;
  for (TensorValue *v : ins)
    parts.push_back(ctx.materialize(*v));
  ctx.setOutput(0, em.concat(parts, *axis), first.dtype);
  return success();
}

/// Output i = the slice [offsets, offsets + sizes) with unit strides.
void setSlice(NodeContext &ctx, unsigned i, TensorValue &in,
              ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes) {
  if (in.host) {
    auto strides = stridesOf(in.shape);
    ctx.setOutput(i, remapHost(*in.host, sizes, [&](ArrayRef<int64_t> idx) {
                    int64_t l = 0;
                    for (size_t d = 0; d < idx.size(); ++d)
                      l += (offsets[d] + idx[d]) * strides[d];
                    return l;
                  }));
    return;
  }
  Emitter em = ctx.emitter();
  Value v = ctx.materialize(in);
  Value r = numElementsOf(sizes) == 0
                ? em.empty(sizes, Emitter::elementTypeOf(v))
                : em.extractSlice(v, offsets, sizes,
                                  SmallVector<int64_t>(sizes.size(), 1));
  ctx.setOutput(i, r, in.dtype);
}

LogicalResult importSplit(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  int64_t axisAttr = ctx.attrInt("axis", 0);
  std::optional<int64_t> numOutputs;
  if (ctx.opset() >= 18)
    numOutputs = ctx.attrIntOpt("num_outputs");
  std::optional<SmallVector<int64_t>> split;
  if (ctx.opset() < 13) {
    split = ctx.attrIntsOpt("split");
  } else if (ctx.hasInput(1)) {
    auto v = ctx.hostInts(1, "split");
    if (!v)
      return failure();
    split = SmallVector<int64_t>(v->begin(), v->end());
  }
  if (ctx.failed())
    return failure();
  auto axis = ctx.normalizeAxis(axisAttr, in->rank(), "axis");
  if (!axis)
    return failure();
  int64_t dim = in->shape[*axis];
  unsigned n = ctx.numOutputs();
  SmallVector<int64_t> sizes;
  if (split && !split->empty()) {
    int64_t sum = 0;
    for (int64_t s : *split) {
      if (s < 0 || s > dim) {
        ctx.error() << "split size " << s << " is invalid for dimension "
                    << dim;
        return failure();
      }
      sum += s;
    }
    if (sum != dim || split->size() != n) {
      ctx.error() << "split sizes sum to " << sum << " in " << split->size()
                  << " parts; the dimension is " << dim << " and the node has "
                  << n << " outputs";
      return failure();
    }
    sizes.assign(split->begin(), split->end());
  } else {
    int64_t parts = numOutputs ? *numOutputs : n;
    if (parts <= 0 || unsigned(parts) != n) {
      ctx.error() << "cannot split into " << parts << " parts with " << n
                  << " outputs";
      return failure();
    }
    if (ctx.opset() < 18 && dim % parts != 0) {
      ctx.error() << "dimension " << dim << " does not split evenly into "
                  << parts << " parts";
      return failure();
    }
    int64_t chunk = (dim + parts - 1) / parts;
    for (int64_t p = 0, left = dim; p < parts; ++p) {
      sizes.push_back(std::min(chunk, left));
      left -= sizes.back();
    }
  }
  SmallVector<int64_t> offsets(in->rank(), 0);
  for (unsigned i = 0; i < n; ++i) {
    SmallVector<int64_t> s(in->shape);
    s[*axis] = sizes[i];
    setSlice(ctx, i, *in, offsets, s);
    offsets[*axis] += sizes[i];
  }
  return success();
}

/// Reverses `v` along `dims`.
Value reverseDims(Emitter &em, Value v, ArrayRef<int64_t> dims) {
  ArrayRef<int64_t> s = Emitter::shapeOf(v);
  int64_t rank = s.size();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d) {
    AffineExpr e = em.b.getAffineDimExpr(d);
    exprs.push_back(llvm::is_contained(dims, d) ? s[d] - 1 - e : e);
  }
  auto op = linalg::GenericOp::create(
      em.b, em.loc, TypeRange{v.getType()}, ValueRange{v},
      ValueRange{em.empty(s, Emitter::elementTypeOf(v))},
      ArrayRef<AffineMap>{AffineMap::get(rank, 0, exprs, em.ctx()),
                          em.b.getMultiDimIdentityMap(rank)},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [](OpBuilder &b, Location l, ValueRange a) {
        linalg::YieldOp::create(b, l, a[0]);
      });
  return op.getResult(0);
}

LogicalResult importSlice(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  int64_t rank = in->rank();
  std::vector<int64_t> starts, ends, axes, steps;
  if (ctx.opset() < 10) {
    auto s = ctx.attrIntsOpt("starts"), e = ctx.attrIntsOpt("ends"),
         a = ctx.attrIntsOpt("axes");
    if (ctx.failed())
      return failure();
    if (!s || !e) {
      ctx.error() << "attributes 'starts' and 'ends' are required";
      return failure();
    }
    starts.assign(s->begin(), s->end());
    ends.assign(e->begin(), e->end());
    if (a)
      axes.assign(a->begin(), a->end());
  } else {
    auto s = ctx.hostInts(1, "starts");
    auto e = s ? ctx.hostInts(2, "ends") : std::nullopt;
    if (!e)
      return failure();
    starts = *s;
    ends = *e;
    if (ctx.hasInput(3)) {
      auto a = ctx.hostInts(3, "axes");
      if (!a)
        return failure();
      axes = *a;
    }
    if (ctx.hasInput(4)) {
      auto st = ctx.hostInts(4, "steps");
      if (!st)
        return failure();
      steps = *st;
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(int64_t(i));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || starts.size() != axes.size() ||
      starts.size() != steps.size()) {
    ctx.error() << "starts, ends, axes and steps have different lengths ("
                << starts.size() << ", " << ends.size() << ", " << axes.size()
                << ", " << steps.size() << ")";
    return failure();
  }
  SmallVector<int64_t> offsets(rank, 0), sizes(in->shape), strides(rank, 1);
  SmallVector<int64_t> reversed;
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < axes.size(); ++i) {
    auto ax = ctx.normalizeAxis(axes[i], rank, "axis");
    if (!ax)
      return failure();
    if (seen[*ax]) {
      ctx.error() << "axis " << axes[i] << " is repeated";
      return failure();
    }
    seen[*ax] = true;
    int64_t dim = in->shape[*ax], step = steps[i];
    if (step == 0) {
      ctx.error() << "step 0 on axis " << *ax;
      return failure();
    }
    if (step == std::numeric_limits<int64_t>::min())
      step = -std::numeric_limits<int64_t>::max();
    int64_t s = starts[i], e = ends[i];
    if (s < 0)
      s = s < -dim ? -1 : s + dim;
    if (e < 0)
      e = e < -dim ? -1 : e + dim;
    int64_t size;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      size = e > s ? (e - s - 1) / step + 1 : 0;
      offsets[*ax] = s;
      strides[*ax] = step;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      size = s > e ? (s - e - 1) / (-step) + 1 : 0;
      // Forward slice from the last element taken, then reversed.
      offsets[*ax] = size ? s + (size - 1) * step : 0;
      strides[*ax] = -step;
      if (size)
        reversed.push_back(*ax);
    }
    sizes[*ax] = size;
  }
  if (in->host) {
    auto inStrides = stridesOf(in->shape);
    SmallVector<bool> rev(rank, false);
    for (int64_t d : reversed)
      rev[d] = true;
    ctx.setOutput(0, remapHost(*in->host, sizes, [&](ArrayRef<int64_t> idx) {
                    int64_t l = 0;
                    for (int64_t d = 0; d < rank; ++d) {
                      int64_t k = rev[d] ? sizes[d] - 1 - idx[d] : idx[d];
                      l += (offsets[d] + k * strides[d]) * inStrides[d];
                    }
                    return l;
                  }));
    return success();
  }
  Emitter em = ctx.emitter();
  Value v = ctx.materialize(*in);
  Value r;
  if (numElementsOf(sizes) == 0) {
    r = em.empty(sizes, Emitter::elementTypeOf(v));
  } else {
    r = em.extractSlice(v, offsets, sizes, strides);
    if (!reversed.empty())
      r = reverseDims(em, r, reversed);
  }
  ctx.setOutput(0, r, in->dtype);
  return success();
}

//===----------------------------------------------------------------------===//
// Gather, Expand, Tile, Pad
//===----------------------------------------------------------------------===//

/// An index value (i64 or i32 element) normalized against `dim` (negative
/// counts from the end) and clamped into [0, dim) (out of range is
/// undefined in ONNX: no wild read).
Value clampedIndex(OpBuilder &b, Location l, Value raw, int64_t dim) {
  Value i = arith::IndexCastOp::create(b, l, b.getIndexType(), raw);
  Value zero = arith::ConstantIndexOp::create(b, l, 0);
  Value dimV = arith::ConstantIndexOp::create(b, l, dim);
  Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
  i = arith::SelectOp::create(b, l, neg, arith::AddIOp::create(b, l, i, dimV),
                              i);
  i = arith::MaxSIOp::create(b, l, i, zero);
  return arith::MinSIOp::create(
      b, l, i, arith::ConstantIndexOp::create(b, l, std::max<int64_t>(dim - 1, 0)));
}

/// The inputs of Gather and GatherElements: data, indices (int32 or int64)
/// and attribute `axis`, normalized against the rank of the data.
struct GatherInputs {
  TensorValue *data, *ind;
  int64_t axis;
};

std::optional<GatherInputs> readGatherInputs(NodeContext &ctx) {
  TensorValue *data = ctx.input(0), *ind = ctx.input(1);
  if (!data || !ind)
    return std::nullopt;
  int64_t axisAttr = ctx.attrInt("axis", 0);
  if (ctx.failed())
    return std::nullopt;
  if (ind->dtype != DType::Int64 && ind->dtype != DType::Int32) {
    ctx.error() << "indices of type " << dtypeName(ind->dtype)
                << " are not supported (int32, int64)";
    return std::nullopt;
  }
  auto axis = ctx.normalizeAxis(axisAttr, data->rank(), "axis");
  if (!axis)
    return std::nullopt;
  return GatherInputs{data, ind, *axis};
}

/// The size of the gathered axis: an error if it is 0 and there are indices.
std::optional<int64_t> gatherAxisSize(NodeContext &ctx, const GatherInputs &g) {
  int64_t dim = g.data->shape[g.axis];
  if (dim == 0 && numElementsOf(g.ind->shape) != 0) {
    ctx.error() << "cannot gather from axis " << g.axis << " of size 0";
    return std::nullopt;
  }
  return dim;
}

/// Indices known at import, checked against the axis of size `dim` and
/// normalized (negative ones count from the end); empty if not known.
FailureOr<std::vector<int64_t>>
hostGatherIndices(NodeContext &ctx, const GatherInputs &g, int64_t dim) {
  std::vector<int64_t> idx;
  if (!g.ind->host)
    return idx;
  idx = g.ind->host->toInts();
  for (int64_t &i : idx) {
    if (i < -dim || i >= dim) {
      ctx.error() << "index " << i << " is out of range for axis " << g.axis
                  << " of size " << dim;
      return failure();
    }
    if (i < 0)
      i += dim;
  }
  return idx;
}

LogicalResult importGather(NodeContext &ctx) {
  auto g = readGatherInputs(ctx);
  if (!g)
    return failure();
  TensorValue *data = g->data, *ind = g->ind;
  int64_t axis = g->axis;
  auto gDim = gatherAxisSize(ctx, *g);
  if (!gDim)
    return failure();
  int64_t dim = *gDim;
  SmallVector<int64_t> out(data->shape.begin(), data->shape.begin() + axis);
  out.append(ind->shape.begin(), ind->shape.end());
  out.append(data->shape.begin() + axis + 1, data->shape.end());
  if (!checkShape(ctx, out, data->dtype, "the result shape"))
    return failure();
  // Indices known at import are checked here.
  FailureOr<std::vector<int64_t>> hostIdx = hostGatherIndices(ctx, *g, dim);
  if (failed(hostIdx))
    return failure();
  const std::vector<int64_t> &idx = *hostIdx;
  int64_t indRank = ind->rank();
  if (data->host && ind->host && numElementsOf(out) <= kMaxHostElements) {
    auto ds = stridesOf(data->shape);
    auto is = stridesOf(ind->shape);
    ctx.setOutput(0, remapHost(*data->host, out, [&](ArrayRef<int64_t> o) {
                    int64_t l = 0, k = 0;
                    for (int64_t d = 0; d < axis; ++d)
                      l += o[d] * ds[d];
                    for (int64_t d = 0; d < indRank; ++d)
                      k += o[axis + d] * is[d];
                    l += idx[size_t(k)] * ds[axis];
                    for (int64_t d = axis + 1; d < data->rank(); ++d)
                      l += o[d - 1 + indRank] * ds[d];
                    return l;
                  }));
    return success();
  }
  Emitter em = ctx.emitter();
  Value dv = ctx.materialize(*data);
  if (ind->host && indRank == 0) {
    // One index: a slice (differentiable as one).
    SmallVector<int64_t> offsets(data->rank(), 0), sizes(data->shape);
    offsets[axis] = idx[0];
    sizes[axis] = 1;
    Value s = em.extractSlice(dv, offsets, sizes,
                              SmallVector<int64_t>(data->rank(), 1));
    ctx.setOutput(0, em.reshape(s, out), data->dtype);
    return success();
  }
  Value iv = ind->host ? em.constant(HostTensor::ofInts(DType::Int64,
                                                        ind->shape, idx))
                       : ctx.materialize(*ind);
  int64_t rank = out.size();
  SmallVector<AffineExpr> indExprs;
  for (int64_t d = 0; d < indRank; ++d)
    indExprs.push_back(em.b.getAffineDimExpr(axis + d));
  Type et = Emitter::elementTypeOf(dv);
  int64_t dataRank = data->rank();
  auto op = linalg::GenericOp::create(
      em.b, em.loc, TypeRange{RankedTensorType::get(out, et)}, ValueRange{iv},
      ValueRange{em.empty(out, et)},
      ArrayRef<AffineMap>{AffineMap::get(rank, 0, indExprs, em.ctx()),
                          em.b.getMultiDimIdentityMap(rank)},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value i = clampedIndex(b, l, a[0], dim);
        SmallVector<Value> coords;
        for (int64_t d = 0; d < dataRank; ++d) {
          if (d < axis)
            coords.push_back(linalg::IndexOp::create(b, l, d));
          else if (d == axis)
            coords.push_back(i);
          else
            coords.push_back(linalg::IndexOp::create(b, l, d - 1 + indRank));
        }
        Value x = tensor::ExtractOp::create(b, l, dv, coords);
        linalg::YieldOp::create(b, l, x);
      });
  ctx.setOutput(0, op.getResult(0), data->dtype);
  return success();
}

LogicalResult importGatherElements(NodeContext &ctx) {
  auto g = readGatherInputs(ctx);
  if (!g)
    return failure();
  TensorValue *data = g->data, *ind = g->ind;
  int64_t axis = g->axis;
  bool ok = ind->rank() == data->rank();
  for (int64_t d = 0; ok && d < data->rank(); ++d)
    ok = d == axis || ind->shape[d] <= data->shape[d];
  if (!ok) {
    ctx.error() << "indices of shape " << shapeString(ind->shape)
                << " do not fit data of shape " << shapeString(data->shape);
    return failure();
  }
  auto gDim = gatherAxisSize(ctx, *g);
  if (!gDim || failed(hostGatherIndices(ctx, *g, *gDim)))
    return failure();
  int64_t dim = *gDim;
  Emitter em = ctx.emitter();
  Value dv = ctx.materialize(*data), iv = ctx.materialize(*ind);
  int64_t rank = data->rank();
  Type et = Emitter::elementTypeOf(dv);
  auto op = linalg::GenericOp::create(
      em.b, em.loc, TypeRange{RankedTensorType::get(ind->shape, et)},
      ValueRange{iv}, ValueRange{em.empty(ind->shape, et)},
      ArrayRef<AffineMap>{em.b.getMultiDimIdentityMap(rank),
                          em.b.getMultiDimIdentityMap(rank)},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange a) {
        SmallVector<Value> coords;
        for (int64_t d = 0; d < rank; ++d)
          coords.push_back(d == axis ? clampedIndex(b, l, a[0], dim)
                                     : Value(linalg::IndexOp::create(b, l, d)));
        linalg::YieldOp::create(
            b, l, Value(tensor::ExtractOp::create(b, l, dv, coords)));
      });
  ctx.setOutput(0, op.getResult(0), data->dtype);
  return success();
}

LogicalResult importTrilu(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  int64_t upper = ctx.attrInt("upper", 1);
  int64_t k = 0;
  if (ctx.hasInput(1)) {
    auto kv = ctx.hostInts(1, "k");
    if (!kv)
      return failure();
    if (kv->size() != 1) {
      ctx.error() << "k must be a scalar";
      return failure();
    }
    k = (*kv)[0];
  }
  if (ctx.failed())
    return failure();
  if (in->rank() < 2) {
    ctx.error() << "input of shape " << shapeString(in->shape)
                << " is not a (batch of) matrices";
    return failure();
  }
  int64_t rank = in->rank();
  // Clamp k so that j - i >= k cannot overflow.
  k = std::clamp<int64_t>(k, -(int64_t(1) << 41), int64_t(1) << 41);
  auto keep = [&](int64_t i, int64_t j) {
    return upper ? j - i >= k : j - i <= k;
  };
  if (in->host) {
    HostTensor r = *in->host;
    int64_t rows = in->shape[rank - 2], cols = in->shape[rank - 1];
    for (size_t e = 0; e < size_t(r.numElements()); ++e) {
      int64_t j = int64_t(e) % cols, i = (int64_t(e) / cols) % rows;
      if (!keep(i, j)) {
        if (isFloat(r.dtype))
          r.floats[e] = 0;
        else
          r.ints[e] = 0;
      }
    }
    ctx.setOutput(0, std::move(r));
    return success();
  }
  Emitter em = ctx.emitter();
  Type et = toMlirType(in->dtype, ctx.context());
  Value x = ctx.materialize(*in);
  auto op = linalg::GenericOp::create(
      em.b, em.loc, TypeRange{x.getType()}, ValueRange{x},
      ValueRange{em.empty(in->shape, et)},
      ArrayRef<AffineMap>{em.b.getMultiDimIdentityMap(rank),
                          em.b.getMultiDimIdentityMap(rank)},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value i = arith::IndexCastOp::create(
            b, l, b.getI64Type(), linalg::IndexOp::create(b, l, rank - 2));
        Value j = arith::IndexCastOp::create(
            b, l, b.getI64Type(), linalg::IndexOp::create(b, l, rank - 1));
        Value diff = arith::SubIOp::create(b, l, j, i);
        Value kc = arith::ConstantOp::create(b, l, b.getI64IntegerAttr(k));
        Value keepV = arith::CmpIOp::create(
            b, l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
            diff, kc);
        Value zero = Emitter(b, l).scalar(et, 0.0);
        linalg::YieldOp::create(
            b, l, Value(arith::SelectOp::create(b, l, keepV, a[0], zero)));
      });
  ctx.setOutput(0, op.getResult(0), in->dtype);
  return success();
}

LogicalResult importExpand(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  auto shape = ctx.hostInts(1, "shape");
  if (!shape)
    return failure();
  for (int64_t d : *shape)
    if (d < 0) {
      ctx.error() << "shape " << shapeString(*shape)
                  << " has a negative dimension";
      return failure();
    }
  SmallVector<int64_t> target(shape->begin(), shape->end());
  auto out = broadcastShapes({in->shape, target});
  if (!out) {
    ctx.error() << "cannot expand " << shapeString(in->shape) << " to "
                << shapeString(*shape);
    return failure();
  }
  if (!checkShape(ctx, *out, in->dtype, "the result shape"))
    return failure();
  if (in->host && numElementsOf(*out) <= kMaxHostElements) {
    auto strides = stridesOf(in->shape);
    int64_t off = int64_t(out->size()) - in->rank();
    ctx.setOutput(0, remapHost(*in->host, *out, [&](ArrayRef<int64_t> idx) {
                    int64_t l = 0;
                    for (int64_t d = 0; d < in->rank(); ++d)
                      if (in->shape[d] != 1)
                        l += idx[off + d] * strides[d];
                    return l;
                  }));
    return success();
  }
  Emitter em = ctx.emitter();
  ctx.setOutput(0, em.broadcastTo(ctx.materialize(*in), *out), in->dtype);
  return success();
}

LogicalResult importTile(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  auto reps = ctx.hostInts(1, "repeats");
  if (!reps)
    return failure();
  if (int64_t(reps->size()) != in->rank()) {
    ctx.error() << "repeats has " << reps->size()
                << " values for an input of rank " << in->rank();
    return failure();
  }
  SmallVector<int64_t> out, wide, interleaved;
  for (int64_t d = 0; d < in->rank(); ++d) {
    int64_t r = (*reps)[d];
    if (r < 0 || r > (int64_t(1) << 40)) {
      ctx.error() << "repeat count " << r << " is invalid";
      return failure();
    }
    if (in->shape[d] &&
        r > std::numeric_limits<int64_t>::max() / in->shape[d]) {
      ctx.error() << "the result is too large";
      return failure();
    }
    out.push_back(in->shape[d] * r);
    wide.append({r, in->shape[d]});
    interleaved.append({1, in->shape[d]});
  }
  if (!checkShape(ctx, out, in->dtype, "the result shape"))
    return failure();
  if (in->host && numElementsOf(out) <= kMaxHostElements) {
    auto strides = stridesOf(in->shape);
    ctx.setOutput(0, remapHost(*in->host, out, [&](ArrayRef<int64_t> idx) {
                    int64_t l = 0;
                    for (int64_t d = 0; d < in->rank(); ++d)
                      l += (idx[d] % in->shape[d]) * strides[d];
                    return l;
                  }));
    return success();
  }
  Emitter em = ctx.emitter();
  Value v = em.reshape(ctx.materialize(*in), interleaved);
  v = em.broadcastTo(v, wide);
  ctx.setOutput(0, em.reshape(v, out), in->dtype);
  return success();
}

LogicalResult importPad(NodeContext &ctx) {
  TensorValue *in = ctx.input(0);
  if (!in)
    return failure();
  std::string mode = ctx.attrString("mode", "constant");
  std::vector<int64_t> pads;
  Value padScalar;
  Emitter em = ctx.emitter();
  Type et = toMlirType(in->dtype, ctx.context());
  if (ctx.opset() < 11) {
    auto p = ctx.attrIntsOpt("pads");
    if (!p && !ctx.failed())
      ctx.error() << "attribute 'pads' is required";
    double value = ctx.attrFloat("value", 0.0);
    if (ctx.failed())
      return failure();
    pads.assign(p->begin(), p->end());
    padScalar = em.scalar(et, value);
  } else {
    auto p = ctx.hostInts(1, "pads");
    if (!p)
      return failure();
    pads = *p;
    if (ctx.hasInput(2)) {
      TensorValue *cv = ctx.input(2);
      if (!cv)
        return failure();
      if (cv->dtype != in->dtype || cv->shape.size() > 1 ||
          numElementsOf(cv->shape) != 1) {
        ctx.error() << "constant_value must be a scalar of the input's type";
        return failure();
      }
      if (cv->host) {
        padScalar = isFloat(cv->dtype) ? em.scalar(et, cv->host->floats[0])
                                       : em.intScalar(et, cv->host->ints[0]);
      } else {
        Value t = ctx.materialize(*cv);
        SmallVector<Value> zeros(cv->shape.size(),
                                 arith::ConstantIndexOp::create(em.b, em.loc, 0));
        padScalar = tensor::ExtractOp::create(em.b, em.loc, t, zeros);
      }
    } else {
      padScalar = em.scalar(et, 0.0);
    }
    if (ctx.hasInput(3)) {
      auto axes = ctx.hostInts(3, "axes");
      if (!axes)
        return failure();
      auto norm = normalizeAxes(ctx, *axes, in->rank());
      if (!norm)
        return failure();
      if (pads.size() != 2 * norm->size()) {
        ctx.error() << "pads has " << pads.size() << " values for "
                    << norm->size() << " axes";
        return failure();
      }
      // Axes in the order given (normalized).
      std::vector<int64_t> full(2 * in->rank(), 0);
      for (size_t i = 0; i < axes->size(); ++i) {
        int64_t a = (*axes)[i] < 0 ? (*axes)[i] + in->rank() : (*axes)[i];
        full[a] = pads[i];
        full[a + in->rank()] = pads[i + axes->size()];
      }
      pads = full;
    }
  }
  if (mode != "constant")
    return ctx.unsupportedAttr("mode", "\"" + mode + "\"",
                               "only constant padding is imported");
  int64_t rank = in->rank();
  if (int64_t(pads.size()) != 2 * rank) {
    ctx.error() << "pads has " << pads.size() << " values for rank " << rank;
    return failure();
  }
  SmallVector<int64_t> low(rank), high(rank), cropOff(rank, 0),
      cropSize(in->shape), out(rank);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t b = pads[d], e = pads[d + rank];
    if (b > (int64_t(1) << 40) || e > (int64_t(1) << 40) ||
        b < -in->shape[d] || e < -in->shape[d] ||
        in->shape[d] + std::min<int64_t>(b, 0) + std::min<int64_t>(e, 0) < 0) {
      ctx.error() << "pads " << b << ", " << e << " are invalid for dimension "
                  << d << " of size " << in->shape[d];
      return failure();
    }
    cropOff[d] = b < 0 ? -b : 0;
    cropSize[d] = in->shape[d] + std::min<int64_t>(b, 0) + std::min<int64_t>(e, 0);
    low[d] = std::max<int64_t>(b, 0);
    high[d] = std::max<int64_t>(e, 0);
    out[d] = cropSize[d] + low[d] + high[d];
  }
  if (!checkShape(ctx, out, in->dtype, "the result shape"))
    return failure();
  Value v = ctx.materialize(*in);
  v = em.extractSlice(v, cropOff, cropSize, SmallVector<int64_t>(rank, 1));
  ctx.setOutput(0, em.pad(v, low, high, padScalar), in->dtype);
  return success();
}

} // namespace

void q4onnx::registerShapeOps(OpRegistry &r) {
  r.add("Shape", importShape, 1);
  r.add("Size", importSize, 1);
  r.add("Constant", importConstant, 1);
  r.add("ConstantOfShape", importConstantOfShape, 9);
  r.add("Range", importRange, 11);
  r.add("Reshape", importReshape, 5);
  r.add("Flatten", importFlatten, 1);
  r.add("Squeeze", importSqueeze, 1);
  r.add("Unsqueeze", importUnsqueeze, 1);
  r.add("Identity", importIdentity, 1);
  r.add("Dropout", importDropout, 1);
  r.add("Transpose", importTranspose, 1);
  r.add("Concat", importConcat, 4);
  r.add("Split", importSplit, 2);
  r.add("Slice", importSlice, 1);
  r.add("Gather", importGather, 1);
  r.add("GatherElements", importGatherElements, 11);
  r.add("Trilu", importTrilu, 14);
  r.add("Expand", importExpand, 8);
  r.add("Tile", importTile, 6);
  r.add("Pad", importPad, 2);
}
