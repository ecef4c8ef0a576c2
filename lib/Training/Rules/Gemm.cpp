//===- Gemm.cpp - derivative rules of GEMMs and convolutions --------------===//
//
// linalg.matmul (plain and with transposed operand maps), batch_matmul, and
// the NHWC convolutions the ONNX importer and hand-written models use:
// conv_2d_nhwc_hwcf, depthwise_conv_2d_nhwc_hwc, conv_2d_nhwgc_gfhwc
// (grouped). The adjoint of an operand is another GEMM or convolution of
// the same kind where one exists, tagged dgrad or wgrad with the forward
// op's layer, so that the recipes quantize it like the forward one.
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

// ---- matmul -----------------------------------------------------------------

/// The roles of the GEMMs computing the adjoints of a GEMM's two operands:
/// wgrad for a parameter, dgrad for an activation; when both are
/// activations (attention), the right-hand operand's is the wgrad, so that
/// the layer has one of each (docs/Recipes.md, R5).
std::pair<GemmRole, GemmRole> gradRoles(AdjointContext &ad, Value a, Value b) {
  GemmRole ra = ad.gradRole(a), rb = ad.gradRole(b);
  if (ra == GemmRole::DGrad && rb == GemmRole::DGrad)
    rb = GemmRole::WGrad;
  return {ra, rb};
}

/// A gradient GEMM of the forward GEMM `forward`: `x · y` into zeros of
/// `shape`, tagged with `role` and the forward's layer.
template <typename GemmOp>
Value gradientGemm(AdjointContext &ad, Operation *forward, Value x, Value y,
                   ArrayRef<int64_t> shape, GemmRole role) {
  Value z = ad.filled(shape, ad.constantFloat(0.0));
  auto r = GemmOp::create(ad.builder(), ad.getLoc(), TypeRange{z.getType()},
                          ValueRange{x, y}, ValueRange{z});
  ad.tagGemm(r, forward, role);
  return r.getResult(0);
}

struct MatmulAdjoint
    : AdjointOpInterface::ExternalModel<MatmulAdjoint, linalg::MatmulOp> {
  LogicalResult buildAdjoint(Operation *o, AdjointContext &ad) const {
    auto op = cast<linalg::MatmulOp>(o);
    if (!op.hasPureTensorSemantics() || op.getInputs().size() != 2)
      return ad.unsupported(op, "expected two tensor operands");
    AffineExpr m, n, k;
    bindDims(ad.getContext(), m, n, k);
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    bool aT, bT;
    if (maps[0] == ad.map(3, {m, k}))
      aT = false;
    else if (maps[0] == ad.map(3, {k, m}))
      aT = true;
    else
      return ad.unsupported(op, "unsupported indexing map of the left operand");
    if (maps[1] == ad.map(3, {k, n}))
      bT = false;
    else if (maps[1] == ad.map(3, {n, k}))
      bT = true;
    else
      return ad.unsupported(op,
                            "unsupported indexing map of the right operand");
    if (maps[2] != ad.map(3, {m, n}))
      return ad.unsupported(op, "unsupported indexing map of the result");
    Value g = ad.adjointOf(op.getResult(0));
    Value a = op.getInputs()[0], bm = op.getInputs()[1],
          init = op.getOutputs()[0];
    auto mm = [&](Value x, Value y, GemmRole role) {
      return gradientGemm<linalg::MatmulOp>(
          ad, op, x, y, {ad.shapeOf(x)[0], ad.shapeOf(y)[1]}, role);
    };
    auto [roleA, roleB] = gradRoles(ad, a, bm);
    if (ad.isVaried(a)) {
      // dA (M x K) = dY · Bᵀ; a transposed A gets (dY · Bᵀ)ᵀ.
      Value bt = bT ? bm : ad.transpose(bm, {1, 0});
      Value da = mm(g, bt, roleA);
      ad.accumulate(a, aT ? ad.transpose(da, {1, 0}) : da);
    }
    if (ad.isVaried(bm)) {
      // dB (K x N) = Aᵀ · dY; a transposed B gets (Aᵀ · dY)ᵀ.
      Value at = aT ? a : ad.transpose(a, {1, 0});
      Value db = mm(at, g, roleB);
      ad.accumulate(bm, bT ? ad.transpose(db, {1, 0}) : db);
    }
    if (ad.isVaried(init))
      ad.accumulate(init, g);
    return success();
  }
};

struct BatchMatmulAdjoint
    : AdjointOpInterface::ExternalModel<BatchMatmulAdjoint,
                                        linalg::BatchMatmulOp> {
  LogicalResult buildAdjoint(Operation *o, AdjointContext &ad) const {
    auto op = cast<linalg::BatchMatmulOp>(o);
    if (!op.hasPureTensorSemantics() || op.getInputs().size() != 2)
      return ad.unsupported(op, "expected two tensor operands");
    if (!llvm::equal(op.getIndexingMapsArray(),
                     linalg::BatchMatmulOp::getDefaultIndexingMaps(
                         ad.getContext())))
      return ad.unsupported(op, "only the default indexing maps are supported");
    Value g = ad.adjointOf(op.getResult(0));
    Value a = op.getInputs()[0], bm = op.getInputs()[1],
          init = op.getOutputs()[0];
    auto bmm = [&](Value x, Value y, GemmRole role) {
      return gradientGemm<linalg::BatchMatmulOp>(
          ad, op, x, y,
          {ad.shapeOf(x)[0], ad.shapeOf(x)[1], ad.shapeOf(y)[2]}, role);
    };
    auto [roleA, roleB] = gradRoles(ad, a, bm);
    if (ad.isVaried(a))
      ad.accumulate(a, bmm(g, ad.transpose(bm, {0, 2, 1}), roleA));
    if (ad.isVaried(bm))
      ad.accumulate(bm, bmm(ad.transpose(a, {0, 2, 1}), g, roleB));
    if (ad.isVaried(init))
      ad.accumulate(init, g);
    return success();
  }
};

// ---- convolutions -------------------------------------------------------------

/// The input of a convolution's data gradient: dY (N, OH, OW, ...) spread out
/// by the strides and padded by (K-1)·dilation in front, to the input's
/// spatial size plus that padding:
///   P[n, (KH-1)·dh + oh·sh, (KW-1)·dw + ow·sw, ...] = dY[n, oh, ow, ...]
/// A stride-1 convolution of P with the spatially flipped filter (dilation
/// d) is then dX: dX[n,h,w,..] = Σ dY[n,oh,ow,..]·W[kh,kw,..] over
/// h = oh·sh + kh·dh.
Value spreadAndPad(AdjointContext &ad, Value g, int64_t h, int64_t w,
                   int64_t kh, int64_t kw, ArrayRef<int64_t> s,
                   ArrayRef<int64_t> d) {
  ArrayRef<int64_t> gs = ad.shapeOf(g);
  int64_t padH = (kh - 1) * d[0], padW = (kw - 1) * d[1];
  SmallVector<int64_t> shape(gs);
  shape[1] = h + padH;
  shape[2] = w + padW;
  SmallVector<int64_t> offsets(gs.size(), 0), strides(gs.size(), 1);
  offsets[1] = padH;
  offsets[2] = padW;
  strides[1] = s[0];
  strides[2] = s[1];
  Value p = ad.filled(shape, ad.constantFloat(0.0));
  return tensor::InsertSliceOp::create(ad.builder(), ad.getLoc(), g, p,
                                       ad.indexAttrs(offsets),
                                       ad.indexAttrs(gs),
                                       ad.indexAttrs(strides));
}

/// A copy of `w` laid out as `outShape` by `readMap` (the map from the copy's
/// indices to w's: a flip and/or a permutation).
Value relayout(AdjointContext &ad, Value w, ArrayRef<int64_t> outShape,
               AffineMap readMap) {
  unsigned rank = outShape.size();
  return linalg::GenericOp::create(
             ad.builder(), ad.getLoc(),
             TypeRange{RankedTensorType::get(outShape, ad.f32Type())},
             ValueRange{w}, ValueRange{ad.empty(outShape, ad.f32Type())},
             ArrayRef<AffineMap>{readMap, AffineMap::getMultiDimIdentityMap(
                                              rank, ad.getContext())},
             SmallVector<IteratorType>(rank, IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               linalg::YieldOp::create(nb, l, a[0]);
             })
      .getResult(0);
}

/// The filter gradient of a convolution as one linalg.generic:
/// dW[wIdx] = Σ X[xIdx] · dY[gIdx] over the loops dW does not index. The
/// maps are over the loops (filter loops first, then the reduced ones).
Value filterGradient(AdjointContext &ad, Value x, Value g, Value w,
                     unsigned numLoops, AffineMap xMap, AffineMap gMap,
                     AffineMap wMap) {
  SmallVector<IteratorType> iters(numLoops, IteratorType::reduction);
  for (unsigned i = 0; i < wMap.getNumResults(); ++i)
    iters[i] = IteratorType::parallel;
  return linalg::GenericOp::create(
             ad.builder(), ad.getLoc(), TypeRange{w.getType()},
             ValueRange{x, g}, ValueRange{ad.zerosLike(w)},
             ArrayRef<AffineMap>{xMap, gMap, wMap}, iters,
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value p = arith::MulFOp::create(nb, l, a[0], a[1]);
               linalg::YieldOp::create(nb, l,
                                       Value(arith::AddFOp::create(nb, l, a[2], p)));
             })
      .getResult(0);
}

struct ConvAdjoint
    : AdjointOpInterface::ExternalModel<ConvAdjoint,
                                        linalg::Conv2DNhwcHwcfOp> {
  LogicalResult buildAdjoint(Operation *o, AdjointContext &ad) const {
    auto op = cast<linalg::Conv2DNhwcHwcfOp>(o);
    if (!op.hasPureTensorSemantics())
      return ad.unsupported(op, "expected tensor operands");
    Value g = ad.adjointOf(op.getResult(0));
    Value x = op.getInputs()[0], w = op.getInputs()[1],
          init = op.getOutputs()[0];
    SmallVector<int64_t> s = intValues(op.getStrides()),
                         d = intValues(op.getDilations());
    ArrayRef<int64_t> xs = ad.shapeOf(x), ws = ad.shapeOf(w),
                      ys = ad.shapeOf(g);
    int64_t n = xs[0], h = xs[1], wd = xs[2], c = xs[3];
    int64_t kh = ws[0], kw = ws[1], f = ws[3], oh = ys[1], ow = ys[2];
    auto conv = [&](Value in, Value filter, ArrayRef<int64_t> outShape,
                    ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                    GemmRole role) {
      OpBuilder &b = ad.builder();
      Value z = ad.filled(outShape, ad.constantFloat(0.0));
      auto r = linalg::Conv2DNhwcHwcfOp::create(
          b, ad.getLoc(), TypeRange{z.getType()}, ValueRange{in, filter},
          ValueRange{z}, b.getI64TensorAttr(strides),
          b.getI64TensorAttr(dilations));
      ad.tagGemm(r, op, role);
      return r.getResult(0);
    };
    if (ad.isVaried(x)) {
      // dX = conv(P, flip(W)ᵀ), flip(W)ᵀ[j, l, f, c] = W[KH-1-j, KW-1-l, c, f].
      AffineExpr j, l, fe, ce;
      bindDims(ad.getContext(), j, l, fe, ce);
      Value wFlip = relayout(ad, w, {kh, kw, f, c},
                             ad.map(4, {-j + (kh - 1), -l + (kw - 1), ce, fe}));
      Value p = spreadAndPad(ad, g, h, wd, kh, kw, s, d);
      ad.accumulate(x,
                    conv(p, wFlip, {n, h, wd, c}, {1, 1}, d, ad.gradRole(x)));
    }
    if (ad.isVaried(w)) {
      // dW[i,j,c,f] = Σ_{n,oh,ow} X[n, oh·sh + i·dh, ow·sw + j·dw, c]·dY[n,oh,ow,f]
      // = conv(Xᵀ (C,H,W,N), dYᵀ (OH,OW,N,F)) with stride d and dilation s,
      // giving (C, KH', KW', F) with KH' >= KH; the first KH x KW are dW.
      Value xt = ad.transpose(x, {3, 1, 2, 0});
      Value gt = ad.transpose(g, {1, 2, 0, 3});
      int64_t khx = (h - (oh - 1) * s[0] - 1) / d[0] + 1;
      int64_t kwx = (wd - (ow - 1) * s[1] - 1) / d[1] + 1;
      Value r = conv(xt, gt, {c, khx, kwx, f}, d, s, ad.gradRole(w));
      if (khx != kh || kwx != kw)
        r = tensor::ExtractSliceOp::create(
            ad.builder(), ad.getLoc(), r, ad.indexAttrs({0, 0, 0, 0}),
            ad.indexAttrs({c, kh, kw, f}), ad.indexAttrs({1, 1, 1, 1}));
      ad.accumulate(w, ad.transpose(r, {1, 2, 0, 3}));
    }
    if (ad.isVaried(init))
      ad.accumulate(init, g);
    return success();
  }
};

/// The depthwise and grouped rules: dX is a convolution of the same kind of
/// the spread and padded dY with the flipped filter (stride 1, dilation d);
/// dW is one linalg.generic (filterGradient). `Layout` says where the
/// filter's spatial dimensions are and how the loops of dW index X and dY.
template <typename ConvOp, typename Layout>
struct SameKindConvAdjoint
    : AdjointOpInterface::ExternalModel<SameKindConvAdjoint<ConvOp, Layout>,
                                        ConvOp> {
  LogicalResult buildAdjoint(Operation *o, AdjointContext &ad) const {
    auto op = cast<ConvOp>(o);
    if (!op.hasPureTensorSemantics())
      return ad.unsupported(op, "expected tensor operands");
    Value g = ad.adjointOf(op.getResult(0));
    Value x = op.getInputs()[0], w = op.getInputs()[1],
          init = op.getOutputs()[0];
    SmallVector<int64_t> s = intValues(op.getStrides()),
                         d = intValues(op.getDilations());
    ArrayRef<int64_t> xs = ad.shapeOf(x), ws = ad.shapeOf(w);
    int64_t kh = ws[Layout::kFilterH], kw = ws[Layout::kFilterH + 1];
    if (ad.isVaried(x)) {
      SmallVector<int64_t> flippedShape;
      AffineMap readMap = Layout::flippedFilter(ad, ws, flippedShape);
      Value wFlip = relayout(ad, w, flippedShape, readMap);
      Value p = spreadAndPad(ad, g, xs[1], xs[2], kh, kw, s, d);
      OpBuilder &b = ad.builder();
      Value z = ad.filled(xs, ad.constantFloat(0.0));
      auto r = ConvOp::create(b, ad.getLoc(), TypeRange{z.getType()},
                              ValueRange{p, wFlip}, ValueRange{z},
                              b.getI64TensorAttr({1, 1}),
                              b.getI64TensorAttr(d));
      ad.tagGemm(r, op, ad.gradRole(x));
      ad.accumulate(x, r.getResult(0));
    }
    if (ad.isVaried(w)) {
      AffineMap xMap, gMap, wMap;
      unsigned loops = Layout::filterGradientMaps(ad, s, d, xMap, gMap, wMap);
      ad.accumulate(w, filterGradient(ad, x, g, w, loops, xMap, gMap, wMap));
    }
    if (ad.isVaried(init))
      ad.accumulate(init, g);
    return success();
  }
};

/// Depthwise: Y[n,oh,ow,c] = Σ_{kh,kw} X[n, oh·sh+kh·dh, ow·sw+kw·dw, c]·W[kh,kw,c].
struct DepthwiseLayout {
  static constexpr unsigned kFilterH = 0;
  /// flip(W)[j, l, c] = W[KH-1-j, KW-1-l, c].
  static AffineMap flippedFilter(AdjointContext &ad, ArrayRef<int64_t> ws,
                                 SmallVector<int64_t> &shape) {
    shape.assign(ws.begin(), ws.end());
    AffineExpr j, l, c;
    bindDims(ad.getContext(), j, l, c);
    return ad.map(3, {-j + (ws[0] - 1), -l + (ws[1] - 1), c});
  }
  /// Loops (kh, kw, c, n, oh, ow).
  static unsigned filterGradientMaps(AdjointContext &ad, ArrayRef<int64_t> s,
                                     ArrayRef<int64_t> d, AffineMap &xMap,
                                     AffineMap &gMap, AffineMap &wMap) {
    AffineExpr kh, kw, c, n, oh, ow;
    bindDims(ad.getContext(), kh, kw, c, n, oh, ow);
    xMap = ad.map(6, {n, oh * s[0] + kh * d[0], ow * s[1] + kw * d[1], c});
    gMap = ad.map(6, {n, oh, ow, c});
    wMap = ad.map(6, {kh, kw, c});
    return 6;
  }
};

/// Grouped: Y[n,oh,ow,g,f] = Σ_{kh,kw,c} X[n, oh·sh+kh·dh, ow·sw+kw·dw, g, c]
///                                       · W[g, f, kh, kw, c].
struct GroupedLayout {
  static constexpr unsigned kFilterH = 2;
  /// W'[g, c, j, l, f] = W[g, f, KH-1-j, KW-1-l, c].
  static AffineMap flippedFilter(AdjointContext &ad, ArrayRef<int64_t> ws,
                                 SmallVector<int64_t> &shape) {
    shape = {ws[0], ws[4], ws[2], ws[3], ws[1]};
    AffineExpr g, c, j, l, f;
    bindDims(ad.getContext(), g, c, j, l, f);
    return ad.map(5, {g, f, -j + (ws[2] - 1), -l + (ws[3] - 1), c});
  }
  /// Loops (g, f, kh, kw, c, n, oh, ow).
  static unsigned filterGradientMaps(AdjointContext &ad, ArrayRef<int64_t> s,
                                     ArrayRef<int64_t> d, AffineMap &xMap,
                                     AffineMap &gMap, AffineMap &wMap) {
    AffineExpr g, f, kh, kw, c, n, oh, ow;
    bindDims(ad.getContext(), g, f, kh, kw, c, n, oh, ow);
    xMap = ad.map(8, {n, oh * s[0] + kh * d[0], ow * s[1] + kw * d[1], g, c});
    gMap = ad.map(8, {n, oh, ow, g, f});
    wMap = ad.map(8, {g, f, kh, kw, c});
    return 8;
  }
};

} // namespace

void mlir::quant4::rules::registerGemmAdjoints(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, linalg::LinalgDialect *) {
    linalg::MatmulOp::attachInterface<MatmulAdjoint>(*ctx);
    linalg::BatchMatmulOp::attachInterface<BatchMatmulAdjoint>(*ctx);
    linalg::Conv2DNhwcHwcfOp::attachInterface<ConvAdjoint>(*ctx);
    linalg::DepthwiseConv2DNhwcHwcOp::attachInterface<
        SameKindConvAdjoint<linalg::DepthwiseConv2DNhwcHwcOp, DepthwiseLayout>>(
        *ctx);
    linalg::Conv2DNhwgcGfhwcOp::attachInterface<
        SameKindConvAdjoint<linalg::Conv2DNhwgcGfhwcOp, GroupedLayout>>(*ctx);
  });
}
