//===- Quant4ToCPU.cpp - quant4 ops to CPU runtime calls ------------------===//
//
// convert-quant4-to-cpu: tensor-level lowering of the quant4 dialect to
// `func.call`s of the quant4 runtime (lib/Runtime) on memrefs obtained with
// bufferization.to_buffer / memref.alloc + bufferization.to_tensor, and the
// i8 code storage of quantized tensors (two 4-bit codes per byte for
// statically shaped tensors of formats of at most 4 bits,
// include/quant4/Conversion/Quant4ToCPU/Storage.h). Also the
// quant4-cpu-blas-matmul pass (f32 linalg.matmul to OpenBLAS through the
// runtime). See docs/Lowering.md.
//
//===----------------------------------------------------------------------===//
#include "RuntimeDecl.h"
#include "quant4/Conversion/Passes.h"
#include "quant4/Conversion/Quant4ToCPU/Storage.h"

#include "mlir/Dialect/Arith/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/DialectConversion.h"
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"
#include "quant4/Runtime/Runtime.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_CONVERTQUANT4TOCPU
#define GEN_PASS_DEF_QUANT4CPUEXPORTSIGNATURES
#define GEN_PASS_DEF_QUANT4CPUBLASMATMUL
#define GEN_PASS_DEF_QUANT4CPUBLASCONV
#include "quant4/Conversion/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;
using namespace mlir::quant4;
namespace rt = ::quant4::rt;

namespace {

//===----------------------------------------------------------------------===//
// Types: packed 4-bit or one i8 code per element (Storage.h)
//===----------------------------------------------------------------------===//

class CodeTypeConverter : public TypeConverter {
public:
  explicit CodeTypeConverter(MLIRContext *) {
    addConversion([](Type t) { return t; });
    addConversion([](RankedTensorType t) -> Type { return codeStorageType(t); });
    addConversion(
        [](UnrankedTensorType t) -> Type { return codeStorageType(t); });
    auto cast = [](OpBuilder &b, Type type, ValueRange inputs,
                   Location loc) -> Value {
      return UnrealizedConversionCastOp::create(b, loc, type, inputs)
          .getResult(0);
    };
    addSourceMaterialization(cast);
    addTargetMaterialization(cast);
  }
};

//===----------------------------------------------------------------------===//
// Building runtime calls
//===----------------------------------------------------------------------===//

/// Helper for one op's lowering: operands to unranked memrefs, result
/// buffers, constants, runtime declarations.
class RuntimeCall {
public:
  RuntimeCall(OpBuilder &builder, Operation *op)
      : b(builder), loc(locationOf(op)),
        module(op->getParentOfType<ModuleOp>()) {}

  /// The op's location, named after its layer and role when it has them
  /// ("conv1.weight dgrad": what the profile lists the call as).
  static Location locationOf(Operation *op) {
    StringAttr layer = getLayerName(op);
    std::optional<GemmRole> role = getGemmRole(op);
    if (!layer || !role)
      return op->getLoc();
    return NameLoc::get(
        StringAttr::get(op->getContext(),
                        layer.getValue() + " " + stringifyGemmRole(*role)),
        op->getLoc());
  }

  /// A read-only view of a (converted) tensor as an unranked memref.
  Value buffer(Value tensor) {
    auto t = cast<RankedTensorType>(tensor.getType());
    SmallVector<int64_t> strides(t.getRank(), ShapedType::kDynamic);
    auto layout = StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic,
                                         strides);
    auto mt = MemRefType::get(t.getShape(), t.getElementType(), layout);
    Value m = bufferization::ToBufferOp::create(b, loc, mt, tensor,
                                                /*read_only=*/true);
    return unranked(m);
  }

  Value unranked(Value memref) { return unrankedMemRef(b, loc, memref); }

  /// A fresh buffer for a result of (converted) type `t`; dynamic sizes come
  /// from `dynSizes` in order.
  Value alloc(RankedTensorType t, ValueRange dynSizes = {}) {
    auto mt = MemRefType::get(t.getShape(), t.getElementType());
    return memref::AllocOp::create(b, loc, mt, dynSizes);
  }

  /// The tensor owning a buffer filled by a runtime call.
  Value tensorOf(Value memref, RankedTensorType t) {
    return bufferization::ToTensorOp::create(b, loc, t, memref,
                                             b.getUnitAttr(), b.getUnitAttr());
  }

  /// Dynamic sizes of `like` (a ranked tensor) for the dynamic dims of
  /// `type`, which has the same shape.
  SmallVector<Value> dynSizesLike(Value like, RankedTensorType type) {
    SmallVector<Value> sizes;
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (type.isDynamicDim(i))
        sizes.push_back(tensor::DimOp::create(b, loc, like, i));
    return sizes;
  }

  Value i64(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
  }
  Value i32(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
  }
  Value f32(float v) {
    return arith::ConstantFloatOp::create(b, loc, b.getF32Type(),
                                          APFloat(v));
  }
  Value f64(double v) {
    return arith::ConstantFloatOp::create(b, loc, b.getF64Type(),
                                          APFloat(v));
  }
  Value format(Type t) { return i64(rt::packFormat(*getFormat(t))); }

  /// The granularity array [kind, axis, block...] as an unranked i64 memref
  /// backed by a constant global.
  Value granularity(GranularityAttr g, int64_t rank) {
    SmallVector<int64_t> words = {rt::GranTensor, 0};
    std::string name = "__quant4_gran_tensor";
    if (g && g.getKind() == GranularityKind::axis) {
      words = {rt::GranAxis, g.getAxis()};
      name = "__quant4_gran_axis_" + std::to_string(g.getAxis());
    } else if (g && g.getKind() == GranularityKind::block) {
      words = {rt::GranBlock, 0};
      name = "__quant4_gran_block";
      for (int64_t s : g.getBlock()) {
        words.push_back(s);
        name += "_" + std::to_string(s);
      }
    }
    (void)rank;
    return constantWords(name, words);
  }

  /// A scale operand as an unranked f32 memref: f32 scales are viewed
  /// directly; FP8 scale codes are decoded into a fresh f32 buffer.
  Value scale(Value converted, Type originalType) {
    auto orig = cast<RankedTensorType>(originalType);
    if (orig.getElementType().isF32())
      return buffer(converted);
    auto ft = orig.clone(b.getF32Type());
    Value out = alloc(ft, dynSizesLike(converted, ft));
    (void)call("quant4_rt_decode_scale",
         {buffer(converted), format(orig.getElementType()), unranked(out)});
    return unranked(out);
  }

  /// (value, present) of an optional rank-0 tensor<f32> operand.
  std::pair<Value, Value> optionalScalar(Value tensor) {
    if (!tensor)
      return {f32(1.0f), i32(0)};
    return {tensor::ExtractOp::create(b, loc, tensor, ValueRange{}), i32(1)};
  }

  /// Emits `func.call @name(args)`, declaring `name` on first use.
  LogicalResult call(StringRef name, ValueRange args) {
    auto type = FunctionType::get(b.getContext(), args.getTypes(), {});
    func::FuncOp decl = declareRuntimeFunction(module, name, type);
    if (!decl)
      return emitError(loc)
             << "runtime function '" << name
             << "' is already declared with type "
             << module.lookupSymbol<func::FuncOp>(name).getFunctionType()
             << ", expected " << type;
    func::CallOp::create(b, loc, decl, args);
    return success();
  }

  /// A constant i64 memref global `name` holding `words`, as an unranked
  /// memref.
  Value constantWords(const std::string &name, ArrayRef<int64_t> words) {
    auto mt = MemRefType::get({(int64_t)words.size()}, b.getI64Type());
    if (!module.lookupSymbol(name)) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(module.getBody());
      auto tt = RankedTensorType::get({(int64_t)words.size()}, b.getI64Type());
      memref::GlobalOp::create(b, loc, name, b.getStringAttr("private"), mt,
                               DenseElementsAttr::get(tt, words),
                               /*constant=*/true, /*alignment=*/IntegerAttr());
    }
    return unranked(memref::GetGlobalOp::create(b, loc, mt, name));
  }

  /// The format word of a code tensor of (original) type `t`, with the
  /// packed-storage bit when it is stored packed.
  Value codeFormat(Type t) {
    int64_t w = rt::packFormat(*getFormat(getElementTypeOrSelf(t)));
    if (isPackedCodeTensor(t))
      w |= rt::kPackedStorage;
    return i64(w);
  }

  /// The logical shape of a packed code operand of (original) type `t` as an
  /// i64 memref; empty ("the buffer's own shape") for byte storage.
  Value logicalShape(Type t) {
    if (!isPackedCodeTensor(t))
      return constantWords("__quant4_shape_none", {});
    auto tt = cast<RankedTensorType>(t);
    std::string name = "__quant4_shape";
    for (int64_t d : tt.getShape())
      name += "_" + std::to_string(d);
    if (tt.getRank() == 0)
      name += "_scalar";
    return constantWords(name, tt.getShape());
  }

  /// Dimension d of a tensor whose original type is `orig` and converted
  /// value `converted`: a constant when static (always, for packed tensors),
  /// else tensor.dim of the (byte-storage, same-shape) converted value.
  Value logicalDim(Value converted, RankedTensorType orig, int64_t d) {
    if (!orig.isDynamicDim(d))
      return arith::ConstantIndexOp::create(b, loc, orig.getDimSize(d));
    return tensor::DimOp::create(b, loc, converted, d);
  }

  /// Byte storage (one code per i8, logical shape) of a packed tensor.
  Value unpack(Value packed, RankedTensorType orig) {
    auto bt = orig.clone(b.getI8Type());
    Value out = alloc(bt);
    (void)call("quant4_rt_unpack4", {buffer(packed), unranked(out)});
    return tensorOf(out, bt);
  }
  /// Packed storage of a byte-storage tensor whose original type is `orig`.
  Value pack(Value bytes, RankedTensorType orig) {
    auto pt = cast<RankedTensorType>(codeStorageType(orig));
    Value out = alloc(pt);
    (void)call("quant4_rt_pack4", {buffer(bytes), unranked(out)});
    return tensorOf(out, pt);
  }

  OpBuilder &b;
  Location loc;
  ModuleOp module;
};

/// "f32", "f16" or "bf16": suffix of the element-wise runtime functions.
std::string realSuffix(Type t) {
  if (t.isF16())
    return "f16";
  if (t.isBF16())
    return "bf16";
  return "f32";
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(
        getTypeConverter()->convertType(op.getType()));
    auto codes = op.getCodes().bitcast(rewriter.getI8Type());
    if (!isPackedCodeTensor(op.getType())) {
      rewriter.replaceOpWithNewOp<arith::ConstantOp>(
          op, type, cast<TypedAttr>(codes.reshape(type)));
      return success();
    }
    // Two codes per byte, element i in byte i/2, low nibble first.
    SmallVector<int8_t> bytes(type.getNumElements(), 0);
    int64_t i = 0;
    for (APInt c : codes.getValues<APInt>()) {
      uint8_t v = uint8_t(c.getZExtValue() & 0xF);
      bytes[i / 2] = int8_t(uint8_t(bytes[i / 2]) | (i & 1 ? v << 4 : v));
      ++i;
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, type,
        DenseElementsAttr::get(type, ArrayRef<int8_t>(bytes)));
    return success();
  }
};

/// With `quant4.counter` on `op`: adds what it did to its numerics counter
/// (docs/Recipes.md, "Numerics counters"). `args` are the element-wise
/// runtime call's (in, scale, gran, tensorScale, hasTensorScale, format,
/// rounding, seed, stream, out); the count call takes all but the rounding
/// and key, then the counter index.
static LogicalResult countElementwise(RuntimeCall &rc, Operation *op,
                                      StringRef kind, Type realElement,
                                      ArrayRef<Value> args) {
  std::optional<int64_t> counter = getCounterIndex(op);
  if (!counter)
    return success();
  SmallVector<Value> countArgs(args.take_front(6));
  countArgs.push_back(args[9]);
  countArgs.push_back(rc.i64(*counter));
  return rc.call(("quant4_rt_count_" + kind + "_" + realSuffix(realElement))
                     .str(),
                 countArgs);
}

/// With `quant4.counter` on a GEMM or convolution: counts its result's
/// elements and non-finite ones.
static LogicalResult countOutput(RuntimeCall &rc, Operation *op, Value out) {
  std::optional<int64_t> counter = getCounterIndex(op);
  if (!counter)
    return success();
  return rc.call("quant4_rt_count_output",
                 {rc.unranked(out), rc.i64(*counter)});
}

struct QuantizeLowering : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RuntimeCall rc(rewriter, op);
    auto inType = op.getInput().getType();
    auto outType = cast<RankedTensorType>(
        getTypeConverter()->convertType(op.getType()));
    Value out = rc.alloc(outType, isPackedCodeTensor(op.getType())
                                      ? SmallVector<Value>()
                                      : rc.dynSizesLike(adaptor.getInput(),
                                                        outType));
    auto [ts, hasTs] = rc.optionalScalar(adaptor.getTensorScale());
    Value seed = adaptor.getSeed() ? adaptor.getSeed() : rc.i64(0);
    SmallVector<Value> args = {
        rc.buffer(adaptor.getInput()),
        rc.scale(adaptor.getScale(), op.getScale().getType()),
        rc.granularity(op.getGranularityAttr(), inType.getRank()),
        ts,
        hasTs,
        rc.codeFormat(op.getType()),
        rc.i32((int)toNumerics(op.getRounding())),
        seed,
        rc.i64(op.getStream()),
        rc.unranked(out)};
    if (failed(rc.call("quant4_rt_quantize_" +
                           realSuffix(inType.getElementType()),
                       args)) ||
        failed(countElementwise(rc, op, "quantize", inType.getElementType(),
                                args)))
      return failure();
    rewriter.replaceOp(op, rc.tensorOf(out, outType));
    return success();
  }
};

struct DropoutLowering : OpConversionPattern<DropoutOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DropoutOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RuntimeCall rc(rewriter, op);
    auto type = op.getType();
    Value out = rc.alloc(type, rc.dynSizesLike(adaptor.getInput(), type));
    if (failed(rc.call("quant4_rt_dropout_f32",
                       {rc.buffer(adaptor.getInput()), adaptor.getSeed(),
                        rc.i64(op.getStream()),
                        rc.f64(op.getRatio().convertToDouble()),
                        rc.unranked(out)})))
      return failure();
    rewriter.replaceOp(op, rc.tensorOf(out, type));
    return success();
  }
};

struct PactCalibrateLowering : OpConversionPattern<PactCalibrateOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PactCalibrateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RuntimeCall rc(rewriter, op);
    auto type = cast<RankedTensorType>(op.getType());
    Value out = rc.alloc(type);
    if (failed(
            rc.call("quant4_rt_pact_calibrate_f32",
                    {rc.buffer(adaptor.getInput()), rc.format(op.getFormat()),
                     rc.buffer(adaptor.getFallback()), rc.unranked(out)})))
      return failure();
    rewriter.replaceOp(op, rc.tensorOf(out, type));
    return success();
  }
};

struct DequantizeLowering : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RuntimeCall rc(rewriter, op);
    auto outType = op.getType();
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    SmallVector<Value> dyn;
    for (int64_t d = 0; d < outType.getRank(); ++d)
      if (outType.isDynamicDim(d))
        dyn.push_back(rc.logicalDim(adaptor.getInput(), inType, d));
    Value out = rc.alloc(outType, dyn);
    auto [ts, hasTs] = rc.optionalScalar(adaptor.getTensorScale());
    SmallVector<Value> args = {
        rc.buffer(adaptor.getInput()),
        rc.scale(adaptor.getScale(), op.getScale().getType()),
        rc.granularity(op.getGranularityAttr(), outType.getRank()),
        ts,
        hasTs,
        rc.codeFormat(inType),
        rc.unranked(out)};
    if (failed(rc.call("quant4_rt_dequantize_" +
                           realSuffix(outType.getElementType()),
                       args)))
      return failure();
    rewriter.replaceOp(op, rc.tensorOf(out, outType));
    return success();
  }
};

struct FakeQuantLowering : OpConversionPattern<FakeQuantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(FakeQuantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RuntimeCall rc(rewriter, op);
    auto type = op.getType();
    Value out = rc.alloc(type, rc.dynSizesLike(adaptor.getInput(), type));
    auto [ts, hasTs] = rc.optionalScalar(adaptor.getTensorScale());
    Value seed = adaptor.getSeed() ? adaptor.getSeed() : rc.i64(0);
    SmallVector<Value> args = {
        rc.buffer(adaptor.getInput()),
        rc.scale(adaptor.getScale(), op.getScale().getType()),
        rc.granularity(op.getGranularityAttr(), type.getRank()),
        ts,
        hasTs,
        rc.format(op.getFormat()),
        rc.i32((int)toNumerics(op.getRounding())),
        seed,
        rc.i64(op.getStream()),
        rc.unranked(out)};
    if (failed(rc.call("quant4_rt_fake_quant_" +
                           realSuffix(type.getElementType()),
                       args)) ||
        failed(countElementwise(rc, op, "fake_quant", type.getElementType(),
                                args)))
      return failure();
    rewriter.replaceOp(op, rc.tensorOf(out, type));
    return success();
  }
};

struct ScaleLowering : OpConversionPattern<ScaleOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ScaleOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    for (Type t : op->getResultTypes())
      if (!cast<RankedTensorType>(t).hasStaticShape())
        return op.emitOpError("convert-quant4-to-cpu needs static result "
                              "shapes, got ")
               << t;
    RuntimeCall rc(rewriter, op);
    auto inType = op.getInput().getType();
    std::string sfx = realSuffix(inType.getElementType());
    Value in = rc.buffer(adaptor.getInput());
    Value fmt = rc.format(op.getFormat());
    Attribute policy = op.getPolicy();
    GranularityAttr g = op.getGranularityAttr();
    SmallVector<RankedTensorType> outTypes;
    SmallVector<Value> outs;
    for (Type t : op->getResultTypes()) {
      outTypes.push_back(
          cast<RankedTensorType>(getTypeConverter()->convertType(t)));
      outs.push_back(rc.alloc(outTypes.back()));
    }
    SmallVector<Value> args;
    std::string name;
    if (auto amax = dyn_cast<AmaxAttr>(policy)) {
      name = "quant4_rt_scale_amax_" + sfx;
      args = {in, rc.granularity(g, inType.getRank()), fmt,
              rc.i32(amax.getPow2()), rc.unranked(outs[0])};
    } else if (isa<GradScaleAttr>(policy)) {
      name = "quant4_rt_scale_gradscale_" + sfx;
      args = {in, rc.granularity(g, inType.getRank()), fmt,
              rc.buffer(adaptor.getState()[0]), rc.unranked(outs[0])};
    } else if (auto delayed = dyn_cast<DelayedAttr>(policy)) {
      name = "quant4_rt_scale_delayed_" + sfx;
      args = {in,
              fmt,
              rc.i32(delayed.getMargin()),
              rc.buffer(adaptor.getState()[0]),
              rc.buffer(adaptor.getState()[1]),
              rc.unranked(outs[0]),
              rc.unranked(outs[1])};
    } else if (isa<SawbAttr>(policy)) {
      name = "quant4_rt_scale_sawb_" + sfx;
      args = {in, rc.granularity(g, inType.getRank()), fmt,
              rc.unranked(outs[0])};
    } else if (isa<PactAttr>(policy)) {
      name = "quant4_rt_scale_pact_" + sfx;
      args = {in, fmt, rc.buffer(adaptor.getState()[0]),
              rc.unranked(outs[0])};
    } else if (auto block = dyn_cast<BlockAttr>(policy)) {
      Type sf = block.getScale();
      if (block.getTensorScale() && isa<Float8E4M3FNType>(sf) &&
          !isa<Float4E2M1FNType>(op.getFormat()))
        return op.emitOpError("two-level E4M3 block scaling is lowered for "
                              "f4E2M1FN (NVFP4) only, got ")
               << op.getFormat();
      bool codes = !sf.isF32();
      name = std::string("quant4_rt_scale_block_") +
             (codes ? "codes_" : "f32_") + sfx;
      Value tOut = outs.size() > 1
                       ? outs[1]
                       : rc.alloc(RankedTensorType::get({}, rewriter.getF32Type()));
      args = {in,
              rc.granularity(g, inType.getRank()),
              fmt,
              rc.format(sf),
              rc.i32(block.getTensorScale()),
              rc.unranked(outs[0]),
              rc.unranked(tOut)};
    } else {
      return op.emitOpError("no CPU lowering for scale policy ") << policy;
    }
    if (failed(rc.call(name, args)))
      return failure();
    SmallVector<Value> results;
    for (auto [m, t] : llvm::zip(outs, outTypes))
      results.push_back(rc.tensorOf(m, t));
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// (tA, tB) of a matmul: the two tensor scales, or 1.
static std::pair<Value, Value> tensorScales(RuntimeCall &rc,
                                            ValueRange scales) {
  if (scales.size() != 2)
    return {rc.f32(1.0f), rc.f32(1.0f)};
  return {rc.optionalScalar(scales[0]).first,
          rc.optionalScalar(scales[1]).first};
}

struct MatmulLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RuntimeCall rc(rewriter, op);
    auto type = op.getType();
    auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
    auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
    SmallVector<Value> dyn;
    if (type.isDynamicDim(0))
      dyn.push_back(rc.logicalDim(adaptor.getLhs(), lhsType,
                                  op.getTransposeLhs() ? 1 : 0));
    if (type.isDynamicDim(1))
      dyn.push_back(rc.logicalDim(adaptor.getRhs(), rhsType,
                                  op.getTransposeRhs() ? 0 : 1));
    Value out = rc.alloc(type, dyn);
    auto [tA, tB] = tensorScales(rc, adaptor.getTensorScales());
    num::Accumulation acc = toNumerics(op.getAccumulation());
    SmallVector<Value> args = {
        rc.buffer(adaptor.getLhs()),
        rc.logicalShape(lhsType),
        rc.buffer(adaptor.getRhs()),
        rc.logicalShape(rhsType),
        rc.scale(adaptor.getLhsScale(), op.getLhsScale().getType()),
        rc.scale(adaptor.getRhsScale(), op.getRhsScale().getType()),
        rc.granularity(op.getLhsGranularityAttr(), 2),
        rc.granularity(op.getRhsGranularityAttr(), 2),
        rc.codeFormat(lhsType),
        rc.codeFormat(rhsType),
        tA,
        tB,
        rc.i32(op.getTransposeLhs()),
        rc.i32(op.getTransposeRhs()),
        rc.i32((int)acc.kind),
        rc.i32(acc.chunk),
        rc.unranked(out)};
    if (failed(rc.call("quant4_rt_matmul", args)) ||
        failed(countOutput(rc, op, out)))
      return failure();
    rewriter.replaceOp(op, rc.tensorOf(out, type));
    return success();
  }
};

struct Conv2DLowering : OpConversionPattern<Conv2DOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Conv2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = op.getType();
    if (!type.hasStaticShape())
      return op.emitOpError("convert-quant4-to-cpu needs a static result "
                            "shape, got ")
             << type;
    RuntimeCall rc(rewriter, op);
    Value out = rc.alloc(type);
    num::Accumulation acc = toNumerics(op.getAccumulation());
    SmallVector<Value> args = {
        rc.buffer(adaptor.getInput()),
        rc.logicalShape(op.getInput().getType()),
        rc.buffer(adaptor.getFilter()),
        rc.logicalShape(op.getFilter().getType()),
        rc.scale(adaptor.getInputScale(), op.getInputScale().getType()),
        rc.scale(adaptor.getFilterScale(), op.getFilterScale().getType()),
        rc.granularity(op.getFilterGranularityAttr(), 4),
        rc.codeFormat(op.getInput().getType()),
        rc.codeFormat(op.getFilter().getType()),
        rc.i32((int)acc.kind),
        rc.i32(acc.chunk),
        rc.i64(op.getStrides()[0]),
        rc.i64(op.getStrides()[1]),
        rc.i64(op.getDilations()[0]),
        rc.i64(op.getDilations()[1]),
        rc.unranked(out)};
    if (failed(rc.call("quant4_rt_conv2d", args)) ||
        failed(countOutput(rc, op, out)))
      return failure();
    rewriter.replaceOp(op, rc.tensorOf(out, type));
    return success();
  }
};

/// Region-less tensor-dialect ops (extract_slice, insert_slice, empty, cast,
/// expand/collapse_shape, concat, ...) on quantized tensors: the same op on
/// the code tensors. With packed operands or results: reshapes and casts
/// between packed types of the same element count keep the bytes as they
/// are; `tensor.empty` and `tensor.dim` need no data; anything else runs on
/// byte storage, between quant4_rt_unpack4 of its packed operands and
/// quant4_rt_pack4 of its packed results.
struct TensorOpTypeLowering : ConversionPattern {
  TensorOpTypeLowering(const TypeConverter &tc, MLIRContext *ctx)
      : ConversionPattern(tc, MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isa<tensor::TensorDialect>(op->getDialect()) || op->getNumRegions())
      return failure();
    SmallVector<Type> types;
    if (failed(getTypeConverter()->convertTypes(op->getResultTypes(), types)))
      return failure();
    bool anyPacked = llvm::any_of(op->getOperandTypes(), isPackedCodeTensor) ||
                     llvm::any_of(op->getResultTypes(), isPackedCodeTensor);
    if (!anyPacked) {
      Operation *clone = rewriter.clone(*op);
      rewriter.modifyOpInPlace(clone, [&] {
        clone->setOperands(operands);
        for (auto [r, t] : llvm::zip(clone->getResults(), types))
          r.setType(t);
      });
      rewriter.replaceOp(op, clone->getResults());
      return success();
    }
    // Same bytes: a reshape or cast from one packed type to another.
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::CastOp,
            tensor::ReshapeOp>(op) &&
        isPackedCodeTensor(op->getOperand(0).getType()) &&
        isPackedCodeTensor(op->getResult(0).getType()) &&
        operands[0].getType() == types[0]) {
      rewriter.replaceOp(op, operands[0]);
      return success();
    }
    if (isa<tensor::EmptyOp>(op)) {
      rewriter.replaceOpWithNewOp<tensor::EmptyOp>(
          op, cast<RankedTensorType>(types[0]).getShape(), rewriter.getI8Type());
      return success();
    }
    if (auto dim = dyn_cast<tensor::DimOp>(op)) {
      auto src = cast<RankedTensorType>(dim.getSource().getType());
      if (std::optional<int64_t> d = dim.getConstantIndex()) {
        if (*d >= 0 && *d < src.getRank()) {
          rewriter.replaceOpWithNewOp<arith::ConstantIndexOp>(
              op, src.getDimSize(*d));
          return success();
        }
      }
    }
    RuntimeCall rc(rewriter, op);
    SmallVector<Value> byteOperands;
    for (auto [orig, conv] : llvm::zip(op->getOperands(), operands))
      byteOperands.push_back(
          isPackedCodeTensor(orig.getType())
              ? rc.unpack(conv, cast<RankedTensorType>(orig.getType()))
              : conv);
    Operation *clone = rewriter.clone(*op);
    rewriter.modifyOpInPlace(clone, [&] {
      clone->setOperands(byteOperands);
      for (auto [r, t, orig] :
           llvm::zip(clone->getResults(), types, op->getResultTypes()))
        r.setType(isPackedCodeTensor(orig)
                      ? cast<RankedTensorType>(orig).clone(rewriter.getI8Type())
                      : t);
    });
    SmallVector<Value> results;
    for (auto [r, orig] : llvm::zip(clone->getResults(), op->getResultTypes()))
      results.push_back(isPackedCodeTensor(orig)
                            ? rc.pack(r, cast<RankedTensorType>(orig))
                            : Value(r));
    rewriter.replaceOp(op, results);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Passes
//===----------------------------------------------------------------------===//

struct ConvertQuant4ToCPUPass
    : mlir::quant4::impl::ConvertQuant4ToCPUBase<ConvertQuant4ToCPUPass> {
  /// Besides the dialects it creates, the lowered IR must go through
  /// One-Shot Bufferize and the ownership-based deallocation: register the
  /// upstream bufferization / deallocation models of the dialects a training
  /// graph uses, so the CPU pipeline works in any tool (quant4-opt,
  /// quant4-run, the plugin) whatever it registered.
  void getDependentDialects(DialectRegistry &registry) const override {
    ConvertQuant4ToCPUBase::getDependentDialects(registry);
    arith::registerBufferizableOpInterfaceExternalModels(registry);
    arith::registerBufferDeallocationOpInterfaceExternalModels(registry);
    bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
        registry);
    cf::registerBufferizableOpInterfaceExternalModels(registry);
    cf::registerBufferDeallocationOpInterfaceExternalModels(registry);
    linalg::registerBufferizableOpInterfaceExternalModels(registry);
    memref::registerAllocationOpInterfaceExternalModels(registry);
    scf::registerBufferizableOpInterfaceExternalModels(registry);
    scf::registerBufferDeallocationOpInterfaceExternalModels(registry);
    tensor::registerBufferizableOpInterfaceExternalModels(registry);
  }

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ModuleOp module = getOperation();
    CodeTypeConverter converter(ctx);

    ConversionTarget target(*ctx);
    target.addIllegalDialect<Quant4Dialect>();
    target.addLegalOp<UnrealizedConversionCastOp>();
    target.markUnknownOpDynamicallyLegal([&](Operation *op) -> bool {
      if (auto func = dyn_cast<FunctionOpInterface>(op))
        return converter.isSignatureLegal(
                   cast<FunctionType>(func.getFunctionType())) &&
               converter.isLegal(&func.getFunctionBody());
      return converter.isLegal(op);
    });

    RewritePatternSet patterns(ctx);
    patterns.add<ConstantLowering, QuantizeLowering, DequantizeLowering,
                 FakeQuantLowering, DropoutLowering, PactCalibrateLowering,
                 ScaleLowering, MatmulLowering, Conv2DLowering,
                 TensorOpTypeLowering>(converter, ctx);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    scf::populateSCFStructuralTypeConversions(converter, patterns);

    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

//===----------------------------------------------------------------------===//
// quant4-cpu-blas-matmul
//===----------------------------------------------------------------------===//

/// Whether `map` (of a matmul, dims (m, n, k)) reads dims (i, j) in order.
static bool readsDims(AffineMap map, unsigned i, unsigned j) {
  return map.getNumDims() == 3 && map.getNumSymbols() == 0 &&
         map.getNumResults() == 2 &&
         map.getResult(0) == getAffineDimExpr(i, map.getContext()) &&
         map.getResult(1) == getAffineDimExpr(j, map.getContext());
}

/// Whether `v` is a linalg.fill of +0.0 on tensors.
static bool isZeroFill(Value v) {
  auto fill = v.getDefiningOp<linalg::FillOp>();
  if (!fill || !fill.hasPureTensorSemantics())
    return false;
  auto c = fill.getInputs()[0].getDefiningOp<arith::ConstantFloatOp>();
  return c && c.value().isZero() && !c.value().isNegative();
}

/// Replaces the one tensor result of `op` (a linalg op on f32 tensors) by a
/// fresh buffer that the runtime's BLAS-backed entry point `name` fills.
/// Its arguments: `inputs` (read-only views), the init (the output buffer
/// stands in for a zero-filled one, which is not read), the op's `scalars`,
/// the accumulate flag, the output.
static bool
replaceByBlasCall(Operation *op, StringRef name, ValueRange inputs, Value init,
                  function_ref<SmallVector<Value>(RuntimeCall &)> scalars) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  OpBuilder builder(op);
  RuntimeCall rc(builder, op);
  Value out = rc.alloc(type, rc.dynSizesLike(init, type));
  bool accumulate = !isZeroFill(init);
  SmallVector<Value> args;
  for (Value v : inputs)
    args.push_back(rc.buffer(v));
  args.push_back(accumulate ? rc.buffer(init) : rc.unranked(out));
  llvm::append_range(args, scalars(rc));
  args.push_back(rc.i32(accumulate));
  args.push_back(rc.unranked(out));
  if (failed(rc.call(name, args)))
    return false;
  op->getResult(0).replaceAllUsesWith(rc.tensorOf(out, type));
  op->erase();
  return true;
}

/// Rewrites one f32 linalg.matmul into quant4_rt_matmul_f32; false if the
/// op is not one of the handled forms.
static bool rewriteMatmulToBlas(linalg::MatmulOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op->getNumResults() != 1)
    return false;
  Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1];
  Value init = op.getDpsInits()[0];
  for (Value v : {a, b, init}) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || t.getRank() != 2 || !t.getElementType().isF32())
      return false;
  }
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps.size() != 3 || !readsDims(maps[2], 0, 1))
    return false;
  bool ta, tb;
  if (readsDims(maps[0], 0, 2))
    ta = false;
  else if (readsDims(maps[0], 2, 0))
    ta = true;
  else
    return false;
  if (readsDims(maps[1], 2, 1))
    tb = false;
  else if (readsDims(maps[1], 1, 2))
    tb = true;
  else
    return false;
  if (Value src = transposeSource(a)) {
    a = src;
    ta = !ta;
  }
  if (Value src = transposeSource(b)) {
    b = src;
    tb = !tb;
  }
  return replaceByBlasCall(op, "quant4_rt_matmul_f32", {a, b}, init,
                           [&](RuntimeCall &rc) {
                             return SmallVector<Value>{rc.i32(ta),
                                                       rc.i32(tb)};
                           });
}

struct Quant4CPUBlasMatmulPass
    : mlir::quant4::impl::Quant4CPUBlasMatmulBase<Quant4CPUBlasMatmulPass> {
  void runOnOperation() override {
    SmallVector<linalg::MatmulOp> ops;
    getOperation().walk([&](linalg::MatmulOp op) { ops.push_back(op); });
    for (linalg::MatmulOp op : ops)
      (void)rewriteMatmulToBlas(op);
  }
};

/// Rewrites one static f32 linalg.conv_2d_nhwc_hwcf into
/// quant4_rt_conv2d_f32; false if the op is not of that form.
static bool rewriteConvToBlas(linalg::Conv2DNhwcHwcfOp op) {
  if (!op.hasPureTensorSemantics() || op->getNumResults() != 1)
    return false;
  Value input = op.getDpsInputs()[0], filter = op.getDpsInputs()[1];
  Value init = op.getDpsInits()[0];
  for (Value v : {input, filter, init}) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || t.getRank() != 4 || !t.hasStaticShape() ||
        !t.getElementType().isF32())
      return false;
  }
  SmallVector<int64_t> strides(op.getStrides().getValues<int64_t>());
  SmallVector<int64_t> dilations(op.getDilations().getValues<int64_t>());
  if (strides.size() != 2 || dilations.size() != 2)
    return false;
  return replaceByBlasCall(
      op, "quant4_rt_conv2d_f32", {input, filter}, init, [&](RuntimeCall &rc) {
        return SmallVector<Value>{rc.i64(strides[0]), rc.i64(strides[1]),
                                  rc.i64(dilations[0]), rc.i64(dilations[1])};
      });
}

struct Quant4CPUBlasConvPass
    : mlir::quant4::impl::Quant4CPUBlasConvBase<Quant4CPUBlasConvPass> {
  void runOnOperation() override {
    SmallVector<linalg::Conv2DNhwcHwcfOp> ops;
    getOperation().walk(
        [&](linalg::Conv2DNhwcHwcfOp op) { ops.push_back(op); });
    for (linalg::Conv2DNhwcHwcfOp op : ops)
      (void)rewriteConvToBlas(op);
  }
};

struct Quant4CPUExportSignaturesPass
    : mlir::quant4::impl::Quant4CPUExportSignaturesBase<
          Quant4CPUExportSignaturesPass> {
  void runOnOperation() override {
    Builder b(&getContext());
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal() || !func.isPublic())
        continue;
      func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
      if (!getTensorSignature(func))
        setTensorSignature(func, func.getFunctionType());
    }
  }
};

} // namespace
