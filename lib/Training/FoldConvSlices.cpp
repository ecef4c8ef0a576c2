//===- FoldConvSlices.cpp - quant4-fold-conv-slices -----------------------===//
//
// See the description of quant4-fold-conv-slices in Passes.td.
//
//===----------------------------------------------------------------------===//
#include "quant4/Training/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4FOLDCONVSLICES
#include "quant4/Training/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;

namespace {

/// The static offsets and sizes of a rank-preserving slice with unit
/// strides, or failure.
LogicalResult staticWindow(tensor::ExtractSliceOp slice,
                           SmallVectorImpl<int64_t> &offsets,
                           SmallVectorImpl<int64_t> &sizes) {
  if (!slice.hasUnitStride() || !slice.getOffsets().empty() ||
      !slice.getSizes().empty() ||
      slice.getSourceType().getRank() != slice.getType().getRank())
    return failure();
  llvm::append_range(offsets, slice.getStaticOffsets());
  llvm::append_range(sizes, slice.getStaticSizes());
  return success();
}

/// A new fill of `shape` with the value (and element type) of `fill`.
Value refill(PatternRewriter &rw, Location loc, linalg::FillOp fill,
             ArrayRef<int64_t> shape) {
  Type element = cast<ShapedType>(fill.getResultTypes()[0]).getElementType();
  Value empty = tensor::EmptyOp::create(rw, loc, shape, element);
  return linalg::FillOp::create(rw, loc, ValueRange{fill.getInputs()[0]},
                                ValueRange{empty})
      .getResult(0);
}

/// slice(conv(P, W, init)) -> conv(window of P, W, slice(init)) for a
/// stride-1 NHWC/HWCF convolution whose slice keeps all of N and F.
struct SliceOfConv : OpRewritePattern<tensor::ExtractSliceOp> {
  using Allow = function_ref<bool(linalg::Conv2DNhwcHwcfOp)>;
  SliceOfConv(MLIRContext *ctx, Allow allow)
      : OpRewritePattern(ctx), allow(allow) {}
  Allow allow;

  LogicalResult matchAndRewrite(tensor::ExtractSliceOp slice,
                                PatternRewriter &rw) const override {
    auto conv = slice.getSource().getDefiningOp<linalg::Conv2DNhwcHwcfOp>();
    if (!conv || !conv.hasPureTensorSemantics() || !conv->hasOneUse())
      return rw.notifyMatchFailure(slice, "not the only use of a conv");
    if (allow && !allow(conv))
      return rw.notifyMatchFailure(slice, "the caller keeps this conv");
    SmallVector<int64_t> offsets, sizes;
    if (failed(staticWindow(slice, offsets, sizes)))
      return rw.notifyMatchFailure(slice, "not a static unit-stride slice");
    auto out = cast<RankedTensorType>(conv.getResultTypes()[0]);
    auto in = dyn_cast<RankedTensorType>(conv.getInputs()[0].getType());
    auto filter = dyn_cast<RankedTensorType>(conv.getInputs()[1].getType());
    if (!in || !filter || !in.hasStaticShape() || !filter.hasStaticShape() ||
        !out.hasStaticShape())
      return rw.notifyMatchFailure(slice, "dynamic shapes");
    if (offsets[0] != 0 || sizes[0] != out.getDimSize(0) || offsets[3] != 0 ||
        sizes[3] != out.getDimSize(3))
      return rw.notifyMatchFailure(slice, "the slice cuts N or F");
    if (llvm::any_of(conv.getStrides().getValues<int64_t>(),
                     [](int64_t s) { return s != 1; }))
      return rw.notifyMatchFailure(slice, "strided convolution");
    if (llvm::equal(sizes, out.getShape()))
      return rw.notifyMatchFailure(slice, "the slice keeps everything");
    SmallVector<int64_t> d(conv.getDilations().getValues<int64_t>());
    Location loc = conv.getLoc();
    // Output (oh, ow) reads input rows oh .. oh + (kh-1)·dh.
    SmallVector<int64_t> inOffsets = {0, offsets[1], offsets[2], 0};
    SmallVector<int64_t> inSizes = {
        in.getDimSize(0), sizes[1] + (filter.getDimSize(0) - 1) * d[0],
        sizes[2] + (filter.getDimSize(1) - 1) * d[1], in.getDimSize(3)};
    SmallVector<int64_t> ones(4, 1);
    Value window = tensor::ExtractSliceOp::create(
        rw, loc, conv.getInputs()[0], ArrayRef<OpFoldResult>(
                                          getAsIndexOpFoldResult(
                                              rw.getContext(), inOffsets)),
        getAsIndexOpFoldResult(rw.getContext(), inSizes),
        getAsIndexOpFoldResult(rw.getContext(), ones));
    Value init = conv.getOutputs()[0];
    if (auto fill = init.getDefiningOp<linalg::FillOp>();
        fill && fill.hasPureTensorSemantics())
      init = refill(rw, loc, fill, sizes);
    else
      init = tensor::ExtractSliceOp::create(
          rw, loc, init, slice.getMixedOffsets(), slice.getMixedSizes(),
          slice.getMixedStrides());
    auto smaller = linalg::Conv2DNhwcHwcfOp::create(
        rw, loc, TypeRange{slice.getType()},
        ValueRange{window, conv.getInputs()[1]}, ValueRange{init},
        conv.getStrides(), conv.getDilations());
    // quant4.role, quant4.layer and the like.
    for (NamedAttribute a : conv->getDiscardableAttrs())
      smaller->setAttr(a.getName(), a.getValue());
    rw.replaceOp(slice, smaller.getResult(0));
    return success();
  }
};

/// slice(insert_slice(G into fill)) -> insert_slice(G into a smaller fill)
/// when every inserted element lies inside the slice.
struct SliceOfInsertIntoFill : OpRewritePattern<tensor::ExtractSliceOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::ExtractSliceOp slice,
                                PatternRewriter &rw) const override {
    auto insert = slice.getSource().getDefiningOp<tensor::InsertSliceOp>();
    if (!insert || !insert.getOffsets().empty() || !insert.getSizes().empty() ||
        !insert.getStrides().empty() ||
        insert.getSourceType().getRank() != insert.getDestType().getRank())
      return rw.notifyMatchFailure(slice, "not a static insert_slice");
    auto fill = insert.getDest().getDefiningOp<linalg::FillOp>();
    if (!fill || !fill.hasPureTensorSemantics())
      return rw.notifyMatchFailure(slice, "not inserted into a fill");
    SmallVector<int64_t> offsets, sizes;
    if (failed(staticWindow(slice, offsets, sizes)))
      return rw.notifyMatchFailure(slice, "not a static unit-stride slice");
    ArrayRef<int64_t> at = insert.getStaticOffsets(),
                      count = insert.getStaticSizes(),
                      step = insert.getStaticStrides();
    SmallVector<int64_t> newOffsets;
    for (size_t i = 0; i < offsets.size(); ++i) {
      int64_t last = at[i] + (count[i] - 1) * step[i];
      if (count[i] < 1 || at[i] < offsets[i] ||
          last >= offsets[i] + sizes[i])
        return rw.notifyMatchFailure(slice, "the slice cuts the insertion");
      newOffsets.push_back(at[i] - offsets[i]);
    }
    Location loc = insert.getLoc();
    Value dest = refill(rw, loc, fill, sizes);
    rw.replaceOpWithNewOp<tensor::InsertSliceOp>(
        slice, insert.getSource(), dest,
        getAsIndexOpFoldResult(rw.getContext(), newOffsets),
        insert.getMixedSizes(), insert.getMixedStrides());
    return success();
  }
};

struct FoldConvSlicesPass
    : mlir::quant4::impl::Quant4FoldConvSlicesBase<FoldConvSlicesPass> {
  void runOnOperation() override {
    if (failed(mlir::quant4::foldConvSlices(getOperation())))
      return signalPassFailure();
  }
};

} // namespace

LogicalResult mlir::quant4::foldConvSlices(
    func::FuncOp f, function_ref<bool(linalg::Conv2DNhwcHwcfOp)> allow) {
  MLIRContext *ctx = f.getContext();
  RewritePatternSet patterns(ctx);
  patterns.add<SliceOfConv>(ctx, allow);
  patterns.add<SliceOfInsertIntoFill>(ctx);
  // These rewrites only: no folding, constant merging or region
  // simplification of the rest of the step.
  GreedyRewriteConfig config;
  config.enableFolding(false)
      .enableConstantCSE(false)
      .setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
  return applyPatternsGreedily(f, std::move(patterns), config);
}
