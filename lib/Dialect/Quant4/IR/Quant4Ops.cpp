//===- Quant4Ops.cpp - quant4 operations: verifiers and folders -----------===//
#include "quant4/Dialect/Quant4/IR/Quant4.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::quant4;

//===----------------------------------------------------------------------===//
// Shared verification helpers
//===----------------------------------------------------------------------===//

static bool isBlockScaleElement(Type t) {
  return isa<Float8E8M0FNUType, Float8E4M3FNType>(t);
}

static bool isBlock(GranularityAttr g) {
  return g && g.getKind() == GranularityKind::block;
}

LogicalResult
mlir::quant4::verifyScaleShape(function_ref<InFlightDiagnostic()> emitError,
                               StringRef what, RankedTensorType valueType,
                               Type scaleTy, GranularityAttr granularity) {
  auto scaleType = dyn_cast<RankedTensorType>(scaleTy);
  if (!scaleType)
    return emitError() << what << " must be a ranked tensor, got " << scaleTy;
  Type elem = scaleType.getElementType();
  if (isBlockScaleElement(elem) && !isBlock(granularity))
    return emitError() << what << " element type " << elem
                       << " requires block granularity";
  int64_t rank = valueType.getRank();
  ArrayRef<int64_t> shape = valueType.getShape();
  ArrayRef<int64_t> sshape = scaleType.getShape();
  GranularityKind kind =
      granularity ? granularity.getKind() : GranularityKind::tensor;
  switch (kind) {
  case GranularityKind::tensor:
    if (scaleType.getRank() != 0)
      return emitError() << what
                         << " must be a rank-0 tensor for per-tensor "
                            "granularity, got "
                         << scaleType;
    return success();
  case GranularityKind::axis: {
    int64_t axis = granularity.getAxis();
    if (axis >= rank)
      return emitError() << "granularity axis " << axis
                         << " is out of range for a rank-" << rank
                         << " tensor";
    if (scaleType.getRank() != 1)
      return emitError() << what
                         << " must be a 1-D tensor for per-axis granularity, "
                            "got "
                         << scaleType;
    if (!ShapedType::isDynamic(shape[axis]) &&
        !ShapedType::isDynamic(sshape[0]) && shape[axis] != sshape[0])
      return emitError() << what << " has " << sshape[0]
                         << " elements but dimension " << axis << " has "
                         << shape[axis];
    return success();
  }
  case GranularityKind::block: {
    ArrayRef<int64_t> block = granularity.getBlock();
    if ((int64_t)block.size() != rank)
      return emitError() << "block granularity has " << block.size()
                         << " block sizes but the tensor has rank " << rank;
    if (scaleType.getRank() != rank)
      return emitError() << what << " must have rank " << rank
                         << " for block granularity, got " << scaleType;
    for (int64_t i = 0; i < rank; ++i) {
      if (ShapedType::isDynamic(shape[i]) || ShapedType::isDynamic(sshape[i]))
        continue;
      int64_t expected = llvm::divideCeil(shape[i], block[i]);
      if (sshape[i] != expected)
        return emitError() << what << " dimension " << i << " must be "
                           << expected << " (ceildiv(" << shape[i] << ", "
                           << block[i] << ")), got " << sshape[i];
    }
    return success();
  }
  }
  return success();
}

/// Rules shared by quantize / dequantize / fake_quant.
static LogicalResult verifyQuantLike(Operation *op, RankedTensorType realType,
                                     Type formatType, Type scaleType,
                                     Value tensorScale, Value seed,
                                     std::optional<RoundingKind> rounding,
                                     GranularityAttr granularity) {
  auto emitError = [&] { return op->emitOpError(); };
  if (failed(verifyScaleShape(emitError, "scale", realType, scaleType,
                              granularity)))
    return failure();
  if (tensorScale) {
    if (!isBlock(granularity))
      return op->emitOpError("'tensor_scale' requires block granularity");
    if (cast<RankedTensorType>(tensorScale.getType()).getRank() != 0)
      return op->emitOpError("'tensor_scale' must be a rank-0 tensor<f32>");
  }
  if (!rounding)
    return success();
  bool stochastic = *rounding == RoundingKind::stochastic ||
                    *rounding == RoundingKind::stochastic_underflow;
  if (stochastic && !seed)
    return op->emitOpError("rounding '")
           << stringifyRoundingKind(*rounding) << "' needs a 'seed' operand";
  if (!stochastic && seed)
    return op->emitOpError("a 'seed' is only allowed with stochastic rounding");
  bool logOnly = *rounding == RoundingKind::nearest_log ||
                 *rounding == RoundingKind::stochastic_underflow;
  if (logOnly && !isa<LogType>(formatType))
    return op->emitOpError("rounding '")
           << stringifyRoundingKind(*rounding)
           << "' requires a !quant4.log format, got " << formatType;
  return success();
}

//===----------------------------------------------------------------------===//
// Constant-folding helpers (all arithmetic goes through quant4::num)
//===----------------------------------------------------------------------===//

namespace {
/// Per-element scales of a constant scale tensor, decoded to float.
struct ConstScale {
  SmallVector<float> values;
  SmallVector<int64_t> shape;
};
} // namespace

static std::optional<ConstScale> getConstScale(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseFPElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  auto fmt = getFormat(dense.getType().getElementType());
  if (!fmt)
    return std::nullopt;
  ConstScale s;
  s.shape.assign(dense.getType().getShape().begin(),
                 dense.getType().getShape().end());
  for (const APFloat &v : dense.getValues<APFloat>()) {
    if (fmt->kind == num::FormatKind::FP32) {
      s.values.push_back(v.convertToFloat());
    } else {
      // Decode the stored bits through the Numerics library.
      s.values.push_back(
          num::decode(*fmt, (uint32_t)v.bitcastToAPInt().getZExtValue()));
    }
  }
  return s;
}

/// Index into the scale tensor of the element with row-major index `linear`.
static int64_t scaleIndexOf(ArrayRef<int64_t> shape, GranularityAttr g,
                            ArrayRef<int64_t> scaleShape, int64_t linear) {
  GranularityKind kind = g ? g.getKind() : GranularityKind::tensor;
  if (kind == GranularityKind::tensor)
    return 0;
  SmallVector<int64_t> idx(shape.size());
  for (int64_t i = (int64_t)shape.size() - 1; i >= 0; --i) {
    idx[i] = linear % shape[i];
    linear /= shape[i];
  }
  if (kind == GranularityKind::axis)
    return idx[g.getAxis()];
  int64_t s = 0;
  for (size_t i = 0; i < shape.size(); ++i)
    s = s * scaleShape[i] + idx[i] / g.getBlock()[i];
  return s;
}

/// Largest tensor the folders will evaluate.
static constexpr int64_t kMaxFoldElements = 1 << 22;

static bool foldable(ShapedType t) {
  return t.hasStaticShape() && t.getNumElements() <= kMaxFoldElements;
}

static std::optional<num::RngKey> getKey(Value seed, Attribute seedAttr,
                                         int64_t stream) {
  num::RngKey key;
  key.stream = (uint64_t)stream;
  if (!seed)
    return key;
  auto i = dyn_cast_or_null<IntegerAttr>(seedAttr);
  if (!i)
    return std::nullopt;
  key.seed = i.getValue().getZExtValue();
  return key;
}

/// Quantizes a constant real tensor; nullopt if an operand is not constant.
static std::optional<SmallVector<uint32_t>>
foldQuantize(Attribute input, Attribute scaleAttr, Value seed,
             Attribute seedAttr, int64_t stream, Type formatType,
             RoundingKind rounding, GranularityAttr granularity) {
  auto in = dyn_cast_or_null<DenseFPElementsAttr>(input);
  if (!in || !in.getType().getElementType().isF32() || !foldable(in.getType()))
    return std::nullopt;
  auto scale = getConstScale(scaleAttr);
  auto fmt = getFormat(formatType);
  auto key = getKey(seed, seedAttr, stream);
  if (!scale || !fmt || !key)
    return std::nullopt;
  ArrayRef<int64_t> shape = in.getType().getShape();
  SmallVector<uint32_t> codes;
  codes.reserve(in.getNumElements());
  int64_t i = 0;
  for (const APFloat &v : in.getValues<APFloat>()) {
    float s = scale->values[scaleIndexOf(shape, granularity, scale->shape, i)];
    codes.push_back(num::quantize(*fmt, v.convertToFloat(), s,
                                  toNumerics(rounding), *key, (uint64_t)i));
    ++i;
  }
  return codes;
}

static DenseIntElementsAttr makeCodes(MLIRContext *ctx, ArrayRef<int64_t> shape,
                                      ArrayRef<uint32_t> codes) {
  SmallVector<uint8_t> bytes(codes.begin(), codes.end());
  auto type = RankedTensorType::get(
      shape, IntegerType::get(ctx, 8, IntegerType::Unsigned));
  return cast<DenseIntElementsAttr>(
      DenseElementsAttr::get(type, ArrayRef<uint8_t>(bytes)));
}

static DenseFPElementsAttr makeF32(RankedTensorType type,
                                   ArrayRef<float> values) {
  return cast<DenseFPElementsAttr>(DenseElementsAttr::get(type, values));
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  auto type = getResult().getType();
  auto codesType = getCodes().getType();
  if (codesType.getShape() != type.getShape())
    return emitOpError("codes shape ")
           << codesType << " does not match result shape " << type;
  unsigned width = getFormatWidth(type.getElementType());
  int64_t i = 0;
  for (const APInt &c : getCodes().getValues<APInt>()) {
    if (c.getZExtValue() >= (1ull << width))
      return emitOpError("code ")
             << c.getZExtValue() << " at index " << i << " does not fit the "
             << width << "-bit format " << type.getElementType();
    ++i;
  }
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getCodes(); }

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  auto inType = getInput().getType();
  auto outType = getResult().getType();
  if (inType.getShape() != outType.getShape())
    return emitOpError("result shape ")
           << outType << " does not match input shape " << inType;
  return verifyQuantLike(*this, inType, outType.getElementType(),
                         getScale().getType(), getTensorScale(), getSeed(),
                         getRounding(), getGranularityAttr());
}

OpFoldResult QuantizeOp::fold(FoldAdaptor adaptor) {
  if (getTensorScale())
    return {};
  auto codes = foldQuantize(adaptor.getInput(), adaptor.getScale(), getSeed(),
                            adaptor.getSeed(), getStream(),
                            getType().getElementType(), getRounding(),
                            getGranularityAttr());
  if (!codes)
    return {};
  return makeCodes(getContext(), getType().getShape(), *codes);
}

namespace {
/// quantize(dequantize(q, s), s) -> q for deterministic rounding, when the
/// Numerics library confirms that every code of the format survives the
/// round trip under every (constant) scale value.
struct QuantizeOfDequantize : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto deq = op.getInput().getDefiningOp<DequantizeOp>();
    if (!deq || deq.getScale() != op.getScale() || op.getTensorScale() ||
        deq.getTensorScale() || op.getSeed() ||
        deq.getInput().getType() != op.getType() ||
        deq.getGranularityAttr() != op.getGranularityAttr() ||
        !deq.getType().getElementType().isF32())
      return failure();
    Attribute scaleAttr;
    if (!matchPattern(op.getScale(), m_Constant(&scaleAttr)))
      return failure();
    auto scale = getConstScale(scaleAttr);
    auto fmt = getFormat(op.getType().getElementType());
    if (!scale || !fmt)
      return failure();
    SmallVector<float> distinct(scale->values);
    llvm::sort(distinct);
    distinct.erase(std::unique(distinct.begin(), distinct.end()),
                   distinct.end());
    if (distinct.size() > 64)
      return failure();
    num::Rounding r = toNumerics(op.getRounding());
    for (float s : distinct)
      for (uint32_t c = 0; c < fmt->numCodes(); ++c) {
        float v = num::decode(*fmt, c);
        if (!std::isfinite(v))
          continue; // NaN/Inf codes never come out of a finite dequantize
        uint32_t back = num::quantize(*fmt, num::dequantize(*fmt, c, s), s, r);
        if (num::decode(*fmt, back) != v ||
            std::signbit(num::decode(*fmt, back)) != std::signbit(v))
          return failure();
      }
    rewriter.replaceOp(op, deq.getInput());
    return success();
  }
};
} // namespace

void QuantizeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                             MLIRContext *context) {
  results.add<QuantizeOfDequantize>(context);
}

namespace {
/// quant4.matmul of quantize(linalg.transpose(x) [1, 0], s) with a per-tensor
/// scale and a nearest rounding rule: quantization is then element-wise and
/// independent of the element index, so it commutes with the transpose —
/// the GEMM reads quantize(x, s) through `transpose_lhs`/`transpose_rhs`
/// instead. An existing quantize of x with the same scale, rounding and
/// result type (e.g. the forward pass's weight codes, reused by the dgrad) is
/// taken when it comes before the GEMM; else one is created.
struct FoldTransposeIntoMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  static bool deterministic(RoundingKind r) {
    return r == RoundingKind::nearest || r == RoundingKind::nearest_log ||
           r == RoundingKind::nearest_even;
  }

  /// The untransposed codes for operand `v`, or null.
  static Value untransposed(PatternRewriter &rewriter, MatmulOp mm, Value v) {
    auto q = v.getDefiningOp<QuantizeOp>();
    if (!q || q.getTensorScale() || q.getGranularityAttr() ||
        !deterministic(q.getRounding()) ||
        cast<ShapedType>(q.getScale().getType()).getRank() != 0)
      return {};
    Value x = transposeSource(q.getInput());
    if (!x)
      return {};
    auto xType = cast<RankedTensorType>(x.getType());
    auto qType = cast<RankedTensorType>(q.getType());
    auto codesType = RankedTensorType::get(xType.getShape(),
                                           qType.getElementType());
    for (Operation *user : x.getUsers()) {
      auto other = dyn_cast<QuantizeOp>(user);
      if (other && other != q && other.getInput() == x &&
          other.getScale() == q.getScale() && !other.getTensorScale() &&
          !other.getGranularityAttr() &&
          other.getRounding() == q.getRounding() &&
          other.getType() == codesType &&
          other->getBlock() == mm->getBlock() && other->isBeforeInBlock(mm))
        return other.getResult();
    }
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(q);
    auto fresh = QuantizeOp::create(
        rewriter, q.getLoc(), codesType, x, q.getScale(), Value(), q.getSeed(),
        q.getRoundingAttr(), GranularityAttr(), q.getStreamAttr());
    return fresh.getResult();
  }

  LogicalResult matchAndRewrite(MatmulOp mm,
                                PatternRewriter &rewriter) const override {
    if (mm.getLhsGranularityAttr() || mm.getRhsGranularityAttr() ||
        !mm.getTensorScales().empty())
      return failure();
    Value lhs = untransposed(rewriter, mm, mm.getLhs());
    Value rhs = untransposed(rewriter, mm, mm.getRhs());
    if (!lhs && !rhs)
      return failure();
    rewriter.modifyOpInPlace(mm, [&] {
      if (lhs) {
        mm.getLhsMutable().assign(lhs);
        mm.setTransposeLhs(!mm.getTransposeLhs());
      }
      if (rhs) {
        mm.getRhsMutable().assign(rhs);
        mm.setTransposeRhs(!mm.getTransposeRhs());
      }
    });
    return success();
  }
};
} // namespace

void MatmulOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<FoldTransposeIntoMatmul>(context);
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult DequantizeOp::verify() {
  auto inType = getInput().getType();
  auto outType = getResult().getType();
  if (inType.getShape() != outType.getShape())
    return emitOpError("result shape ")
           << outType << " does not match input shape " << inType;
  return verifyQuantLike(*this, outType, inType.getElementType(),
                         getScale().getType(), getTensorScale(), Value(),
                         std::nullopt, getGranularityAttr());
}

OpFoldResult DequantizeOp::fold(FoldAdaptor adaptor) {
  auto codes = dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getInput());
  if (!codes || getTensorScale() || !getType().getElementType().isF32() ||
      !foldable(getType()))
    return {};
  auto scale = getConstScale(adaptor.getScale());
  auto fmt = getFormat(getInput().getType().getElementType());
  if (!scale || !fmt)
    return {};
  ArrayRef<int64_t> shape = getType().getShape();
  SmallVector<float> values;
  int64_t i = 0;
  for (const APInt &c : codes.getValues<APInt>()) {
    float s = scale->values[scaleIndexOf(shape, getGranularityAttr(),
                                         scale->shape, i++)];
    values.push_back(num::dequantize(*fmt, (uint32_t)c.getZExtValue(), s));
  }
  return makeF32(getType(), values);
}

//===----------------------------------------------------------------------===//
// FakeQuantOp
//===----------------------------------------------------------------------===//

LogicalResult DropoutOp::verify() {
  double r = getRatio().convertToDouble();
  if (!(r >= 0.0 && r < 1.0))
    return emitOpError("'ratio' must be in [0, 1), got ") << r;
  return success();
}

OpFoldResult DropoutOp::fold(FoldAdaptor) {
  return getRatio().isZero() ? getInput() : OpFoldResult();
}

LogicalResult FakeQuantOp::verify() {
  if (!isQuantizedFormat(getFormat()))
    return emitOpError("'format' must be a quantized format (!quant4.log, "
                       "!quant4.int, !quant4.uint, f4E2M1FN, f8E4M3FN or "
                       "f8E5M2), got ")
           << getFormat();
  return verifyQuantLike(*this, getInput().getType(), getFormat(),
                         getScale().getType(), getTensorScale(), getSeed(),
                         getRounding(), getGranularityAttr());
}

OpFoldResult FakeQuantOp::fold(FoldAdaptor adaptor) {
  if (getTensorScale())
    return {};
  auto codes = foldQuantize(adaptor.getInput(), adaptor.getScale(), getSeed(),
                            adaptor.getSeed(), getStream(), getFormat(),
                            getRounding(), getGranularityAttr());
  if (!codes)
    return {};
  auto scale = getConstScale(adaptor.getScale());
  auto fmt = mlir::quant4::getFormat(getFormat());
  ArrayRef<int64_t> shape = getType().getShape();
  SmallVector<float> values;
  for (int64_t i = 0, e = codes->size(); i < e; ++i) {
    float s = scale->values[scaleIndexOf(shape, getGranularityAttr(),
                                         scale->shape, i)];
    values.push_back(num::dequantize(*fmt, (*codes)[i], s));
  }
  return makeF32(getType(), values);
}

//===----------------------------------------------------------------------===//
// PactCalibrateOp
//===----------------------------------------------------------------------===//

LogicalResult PactCalibrateOp::verify() {
  if (!isa<UIntType>(getFormat()))
    return emitOpError("PACT calibrates for a !quant4.uint format, got ")
           << getFormat();
  return success();
}

//===----------------------------------------------------------------------===//
// ScaleOp
//===----------------------------------------------------------------------===//

static RankedTensorType tensorTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

LogicalResult ScaleOp::verify() {
  ScalePolicyAttrInterface policy = getPolicy();
  StringRef name = policy.getPolicyName();
  Type format = getFormat();
  if (!isQuantizedFormat(format))
    return emitOpError("'format' must be a quantized format, got ") << format;
  if (getState().size() != policy.getNumStateOperands())
    return emitOpError("policy '")
           << name << "' takes " << policy.getNumStateOperands()
           << " state operand(s), got " << getState().size();
  if (getExtra().size() != policy.getNumExtraResults())
    return emitOpError("policy '")
           << name << "' yields " << policy.getNumExtraResults()
           << " result(s) after the scale, got " << getExtra().size();
  GranularityAttr gran = getGranularityAttr();
  auto emitError = [&] { return emitOpError(); };
  if (failed(verifyScaleShape(emitError, "scale", getInput().getType(),
                              getScale().getType(), gran)))
    return failure();
  Type scaleElem = getScale().getType().getElementType();
  auto block = dyn_cast<BlockAttr>(policy);
  if (!block && !scaleElem.isF32())
    return emitOpError("policy '") << name << "' produces f32 scales, got "
                                   << scaleElem;
  bool perTensor = !gran || gran.getKind() == GranularityKind::tensor;
  if (block) {
    if (!isBlock(gran))
      return emitOpError("policy 'block' requires block granularity");
    if (scaleElem != block.getScale())
      return emitOpError("scale element type ")
             << scaleElem << " does not match the block policy's scale format "
             << block.getScale();
    if (block.getTensorScale() && tensorTypeOf(getExtra()[0]).getRank() != 0)
      return emitOpError("the tensor scale result must be a rank-0 tensor<f32>");
  } else if (isa<SawbAttr>(policy)) {
    if (!isa<IntType>(format))
      return emitOpError("policy 'sawb' requires a !quant4.int format, got ")
             << format;
  } else if (isa<PactAttr>(policy)) {
    if (!isa<UIntType>(format))
      return emitOpError("policy 'pact' requires a !quant4.uint format, got ")
             << format;
    if (!perTensor)
      return emitOpError("policy 'pact' supports only per-tensor granularity");
    if (tensorTypeOf(getState()[0]).getRank() != 0)
      return emitOpError("PACT alpha must be a rank-0 tensor<f32>, got ")
             << tensorTypeOf(getState()[0]);
  } else if (isa<GradScaleAttr>(policy)) {
    if (tensorTypeOf(getState()[0]) != getScale().getType())
      return emitOpError("gradscale state type ")
             << tensorTypeOf(getState()[0]) << " must match the scale type "
             << getScale().getType();
  } else if (auto delayed = dyn_cast<DelayedAttr>(policy)) {
    if (!perTensor)
      return emitOpError("policy 'delayed' supports only per-tensor "
                         "granularity");
    auto hist = tensorTypeOf(getState()[0]);
    if (hist.getRank() != 1 || hist.getDimSize(0) != (int64_t)delayed.getHistory())
      return emitOpError("amax history must be tensor<")
             << delayed.getHistory() << "xf32>, got " << hist;
    if (tensorTypeOf(getState()[1]) != getScale().getType())
      return emitOpError("previous-scale state type ")
             << tensorTypeOf(getState()[1]) << " must match the scale type "
             << getScale().getType();
    if (tensorTypeOf(getExtra()[0]) != hist)
      return emitOpError("new amax history type ")
             << tensorTypeOf(getExtra()[0]) << " must match the history type "
             << hist;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp and Conv2DOp
//===----------------------------------------------------------------------===//

static LogicalResult verifyAccumulation(Operation *op, AccumulationAttr acc,
                                        Type a, Type b) {
  if (acc.getKind() != AccumulationKind::exact)
    return success();
  std::string why = num::exactAccumulationSupported(*getFormat(a),
                                                    *getFormat(b));
  if (!why.empty())
    return op->emitOpError("accumulation 'exact' is not possible for ")
           << a << " x " << b << ": " << why;
  return success();
}

static LogicalResult verifyTensorScales(Operation *op, ValueRange scales,
                                        GranularityAttr g0, GranularityAttr g1) {
  if (scales.empty())
    return success();
  if (scales.size() != 2)
    return op->emitOpError("'tensor_scales' takes one scale per operand (2), "
                           "got ")
           << scales.size();
  if (!isBlock(g0) && !isBlock(g1))
    return op->emitOpError("'tensor_scales' require block granularity on an "
                           "operand");
  for (Value v : scales)
    if (cast<RankedTensorType>(v.getType()).getRank() != 0)
      return op->emitOpError("each tensor scale must be a rank-0 tensor<f32>");
  return success();
}

LogicalResult MatmulOp::verify() {
  auto lhsType = getLhs().getType();
  auto rhsType = getRhs().getType();
  if (lhsType.getRank() != 2 || rhsType.getRank() != 2)
    return emitOpError("operands must be 2-D, got ")
           << lhsType << " and " << rhsType;
  int64_t lk = getTransposeLhs() ? 0 : 1, rk = getTransposeRhs() ? 1 : 0;
  int64_t M = lhsType.getDimSize(1 - lk), K = lhsType.getDimSize(lk);
  int64_t K2 = rhsType.getDimSize(rk), N = rhsType.getDimSize(1 - rk);
  if (!ShapedType::isDynamic(K) && !ShapedType::isDynamic(K2) && K != K2)
    return emitOpError("reduction dimensions differ: lhs has K = ")
           << K << ", rhs has K = " << K2;
  auto resType = getResult().getType();
  if (resType.getRank() != 2)
    return emitOpError("result must be 2-D, got ") << resType;
  int64_t expectedDims[2] = {M, N};
  for (auto [i, expected] : llvm::enumerate(expectedDims)) {
    int64_t got = resType.getDimSize(i);
    if (!ShapedType::isDynamic(expected) && !ShapedType::isDynamic(got) &&
        got != expected)
      return emitOpError("result dimension ")
             << i << " must be " << expected << ", got " << got;
  }
  auto emitError = [&] { return emitOpError(); };
  GranularityAttr lg = getLhsGranularityAttr(), rg = getRhsGranularityAttr();
  if (failed(verifyScaleShape(emitError, "lhs scale", lhsType,
                              getLhsScale().getType(), lg)) ||
      failed(verifyScaleShape(emitError, "rhs scale", rhsType,
                              getRhsScale().getType(), rg)))
    return failure();
  // A scale must be constant along the reduction dimension, or vary by block
  // (then both operands' blocks must align along K).
  if (lg && lg.getKind() == GranularityKind::axis && lg.getAxis() == lk)
    return emitOpError("lhs per-axis scale must be along the non-reduction "
                       "dimension ")
           << 1 - lk;
  if (rg && rg.getKind() == GranularityKind::axis && rg.getAxis() == rk)
    return emitOpError("rhs per-axis scale must be along the non-reduction "
                       "dimension ")
           << 1 - rk;
  if (isBlock(lg) && isBlock(rg) && lg.getBlock()[lk] != rg.getBlock()[rk])
    return emitOpError("lhs and rhs block sizes along the reduction dimension "
                       "differ (")
           << lg.getBlock()[lk] << " vs " << rg.getBlock()[rk] << ")";
  if (failed(verifyTensorScales(*this, getTensorScales(), lg, rg)))
    return failure();
  return verifyAccumulation(*this, getAccumulation(),
                            lhsType.getElementType(),
                            rhsType.getElementType());
}

LogicalResult Conv2DOp::verify() {
  auto inType = getInput().getType();
  auto fType = getFilter().getType();
  if (inType.getRank() != 4 || fType.getRank() != 4)
    return emitOpError("input (NHWC) and filter (HWCF) must be 4-D, got ")
           << inType << " and " << fType;
  if (getStrides().size() != 2 || getDilations().size() != 2)
    return emitOpError("'strides' and 'dilations' need 2 entries each");
  for (int64_t v : llvm::concat<const int64_t>(getStrides(), getDilations()))
    if (v < 1)
      return emitOpError("strides and dilations must be positive, got ") << v;
  auto in = inType.getShape(), f = fType.getShape();
  if (!ShapedType::isDynamic(in[3]) && !ShapedType::isDynamic(f[2]) &&
      in[3] != f[2])
    return emitOpError("input has ")
           << in[3] << " channels but the filter expects " << f[2];
  SmallVector<int64_t> expected = {in[0], ShapedType::kDynamic,
                                   ShapedType::kDynamic, f[3]};
  for (int i = 0; i < 2; ++i) {
    int64_t size = in[1 + i], k = f[i];
    if (ShapedType::isDynamic(size) || ShapedType::isDynamic(k))
      continue;
    int64_t span = (k - 1) * getDilations()[i] + 1;
    if (span > size)
      return emitOpError("filter window (")
             << span << ") is larger than the input (" << size << ")";
    expected[1 + i] = (size - span) / getStrides()[i] + 1;
  }
  auto out = getResult().getType();
  if (out.getRank() != 4)
    return emitOpError("result must be 4-D (NHWF), got ") << out;
  for (int i = 0; i < 4; ++i)
    if (!ShapedType::isDynamic(expected[i]) &&
        !ShapedType::isDynamic(out.getDimSize(i)) &&
        out.getDimSize(i) != expected[i])
      return emitOpError("result dimension ")
             << i << " must be " << expected[i] << ", got "
             << out.getDimSize(i);
  GranularityAttr ig = getInputGranularityAttr(), fg = getFilterGranularityAttr();
  if (ig && ig.getKind() != GranularityKind::tensor)
    return emitOpError("the input scale must be per tensor");
  if (fg && !(fg.getKind() == GranularityKind::tensor ||
              (fg.getKind() == GranularityKind::axis && fg.getAxis() == 3)))
    return emitOpError("the filter scale must be per tensor or per output "
                       "channel (axis 3)");
  auto emitError = [&] { return emitOpError(); };
  if (failed(verifyScaleShape(emitError, "input scale", inType,
                              getInputScale().getType(), ig)) ||
      failed(verifyScaleShape(emitError, "filter scale", fType,
                              getFilterScale().getType(), fg)))
    return failure();
  if (!getTensorScales().empty())
    return emitOpError("'tensor_scales' are not supported on convolutions");
  return verifyAccumulation(*this, getAccumulation(), inType.getElementType(),
                            fType.getElementType());
}

#define GET_OP_CLASSES
#include "quant4/Dialect/Quant4/IR/Quant4Ops.cpp.inc"

Value mlir::quant4::transposeSource(Value v) {
  auto t = v.getDefiningOp<linalg::TransposeOp>();
  if (!t || !t.hasPureTensorSemantics() ||
      t.getPermutation() != ArrayRef<int64_t>{1, 0})
    return nullptr;
  return t.getInput();
}
