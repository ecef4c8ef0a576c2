//===- QuantizeGemms.cpp - linalg.matmul -> quant4.matmul -----------------===//
#include "quant4/Dialect/Quant4/Transforms/Passes.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4QUANTIZEGEMMS
#include "quant4/Dialect/Quant4/Transforms/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;
using namespace mlir::quant4;

namespace {
struct QuantizeGemmsPass
    : mlir::quant4::impl::Quant4QuantizeGemmsBase<QuantizeGemmsPass> {
  using Base::Base;

  Type lhsType, rhsType;
  RoundingKind roundingKind = RoundingKind::nearest;
  AccumulationAttr acc;

  /// Parses and checks the options; a bad option is a diagnostic on the
  /// function being transformed and a pass failure.
  LogicalResult parseOptions(func::FuncOp func) {
    MLIRContext *ctx = func.getContext();
    // At the function's location, not on the op (which would be printed).
    Location loc = func.getLoc();
    auto parseFormatOpt = [&](StringRef name, StringRef text,
                              Type &out) -> LogicalResult {
      size_t read = 0;
      out = mlir::parseType(text, ctx, &read, /*isKnownNullTerminated=*/false);
      if (!out || read != text.size() || !isQuantizedFormat(out))
        return mlir::emitError(loc, "option '")
               << name << "': '" << text
               << "' is not a quantized format (expected e.g. !quant4.int<4>, "
                  "!quant4.log<4, 3, 0> or f4E2M1FN)";
      return success();
    };
    if (failed(parseFormatOpt("lhs-format", lhsFormat, lhsType)) ||
        failed(parseFormatOpt("rhs-format", rhsFormat, rhsType)))
      return failure();
    auto r = symbolizeRoundingKind(rounding);
    if (!r)
      return mlir::emitError(loc, "option 'rounding': unknown rounding '")
             << rounding
             << "' (expected nearest, nearest_log, nearest_even, stochastic "
                "or stochastic_underflow)";
    roundingKind = *r;
    StringRef accText = accumulation;
    auto [kindText, chunkText] = accText.split(':');
    auto kind = symbolizeAccumulationKind(kindText);
    unsigned chunk = 0;
    if (!kind || (!chunkText.empty() && chunkText.getAsInteger(10, chunk)))
      return mlir::emitError(loc,
                             "option 'accumulation': unknown accumulation '")
             << accText << "' (expected f32, f16, f16_chunked:<N> or exact)";
    acc = AccumulationAttr::getChecked(
        [&] { return mlir::emitError(loc, "option 'accumulation': "); }, ctx,
        *kind, chunk);
    if (!acc)
      return failure();
    bool logOnly = roundingKind == RoundingKind::nearest_log ||
                   roundingKind == RoundingKind::stochastic_underflow;
    if (logOnly && (!isa<LogType>(lhsType) || !isa<LogType>(rhsType)))
      return mlir::emitError(loc, "option 'rounding': '")
             << rounding << "' requires !quant4.log formats";
    if (kind == AccumulationKind::exact) {
      std::string why = num::exactAccumulationSupported(*getFormat(lhsType),
                                                        *getFormat(rhsType));
      if (!why.empty())
        return mlir::emitError(loc,
                               "option 'accumulation': exact accumulation is "
                               "not possible for ")
               << lhsType << " x " << rhsType << ": " << why;
    }
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (failed(parseOptions(func)))
      return signalPassFailure();
    SmallVector<linalg::MatmulOp> matmuls;
    func.walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
    for (linalg::MatmulOp op : matmuls)
      rewrite(op);
  }

  static bool isZeroFill(Value v) {
    auto fill = v.getDefiningOp<linalg::FillOp>();
    return fill && matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  }

  void rewrite(linalg::MatmulOp op) {
    if (!op.hasPureTensorSemantics() || op.getInputs().size() != 2 ||
        op.getResults().size() != 1)
      return;
    // Only the default (A·B) indexing maps; transposed forms are left alone.
    if (!llvm::equal(op.getIndexingMapsArray(),
                     linalg::MatmulOp::getDefaultIndexingMaps(op.getContext())))
      return;
    Value a = op.getInputs()[0], b = op.getInputs()[1];
    Value init = op.getOutputs()[0];
    auto at = dyn_cast<RankedTensorType>(a.getType());
    auto bt = dyn_cast<RankedTensorType>(b.getType());
    auto ct = dyn_cast<RankedTensorType>(init.getType());
    if (!at || !bt || !ct || !at.getElementType().isF32() ||
        !bt.getElementType().isF32() || !ct.getElementType().isF32())
      return;
    OpBuilder builder(op);
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto scalarF32 = RankedTensorType::get({}, builder.getF32Type());
    auto policy = AmaxAttr::get(ctx, pow2);
    Value seedValue;
    bool stochastic = roundingKind == RoundingKind::stochastic ||
                      roundingKind == RoundingKind::stochastic_underflow;
    if (stochastic)
      seedValue = arith::ConstantIntOp::create(builder, loc, seed, 64);
    auto roundingAttr = RoundingKindAttr::get(ctx, roundingKind);
    int64_t stream = streamCounter;
    auto quantizeOperand = [&](Value x, RankedTensorType xt, Type format,
                               Value &scale) {
      scale = ScaleOp::create(builder, loc, scalarF32, TypeRange{}, policy, x,
                              ValueRange{}, TypeAttr::get(format),
                              GranularityAttr())
                  .getScale();
      auto qt = RankedTensorType::get(xt.getShape(), format);
      return QuantizeOp::create(builder, loc, qt, x, scale, Value(), seedValue,
                                roundingAttr, GranularityAttr(),
                                builder.getI64IntegerAttr(stream++))
          .getResult();
    };
    Value sa, sb;
    Value qa = quantizeOperand(a, at, lhsType, sa);
    Value qb = quantizeOperand(b, bt, rhsType, sb);
    streamCounter = stream;
    Value result = MatmulOp::create(builder, loc, ct, qa, qb, sa, sb,
                                    ValueRange{}, acc, GranularityAttr(),
                                    GranularityAttr(), false, false)
                       .getResult();
    if (!isZeroFill(init))
      result = linalg::AddOp::create(builder, loc, ValueRange{result, init},
                                     ValueRange{init})
                   .getResult(0);
    op.getResult(0).replaceAllUsesWith(result);
    op.erase();
  }

  int64_t streamCounter = 0;
};
} // namespace
