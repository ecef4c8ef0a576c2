//===- QuantizeByRecipe.cpp - GEMMs into quant4 ops by recipe and role ----===//
//
// quant4-quantize-by-recipe, the third stage of quant4-apply-recipe: rewrites
// every GEMM whose quant4.recipe quantizes into quant4 ops, operand by
// operand as the recipe table says for its kind (activation, weight,
// gradient) and role, sharing scales and state per site, and inserts the
// straight-through estimators (StraightThrough.cpp). The state arguments
// and results are the ones quant4-thread-recipe-state added; they are found
// by their quant4.state names.
//
//===----------------------------------------------------------------------===//
#include "RecipeStages.h"
#include "StraightThrough.h"
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "quant4/Dialect/Quant4/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4QUANTIZEBYRECIPE
#include "quant4/Dialect/Quant4/Transforms/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;
using namespace mlir::quant4;

namespace {

/// Rewrites the GEMMs of one function.
class GemmRewriter {
public:
  GemmRewriter(func::FuncOp func, const RoleAnalysis &analysis,
               const RecipePlan &plan, const RecipeOptions &options)
      : func(func), ctx(func.getContext()), analysis(analysis), plan(plan),
        options(options), siteScale(plan.sites.size()),
        slotArg(plan.slots.size()), slotResult(plan.slots.size(), -1),
        slotNext(plan.slots.size()) {}

  LogicalResult run();

private:
  func::FuncOp func;
  MLIRContext *ctx;
  const RoleAnalysis &analysis;
  const RecipePlan &plan;
  const RecipeOptions &options;
  /// Per site: its shared scale once computed (not for block policies).
  SmallVector<Value> siteScale;
  /// Per state slot: its argument, result index, and current value.
  SmallVector<Value> slotArg;
  SmallVector<int> slotResult;
  SmallVector<Value> slotNext;
  Value seedValue;
  /// PACT alpha gradients returned with pact-update=grad: (name, value).
  SmallVector<std::pair<std::string, Value>> alphaGrads;
  /// The forward activation operand (before quantization) of each layer.
  DenseMap<int64_t, Value> fwdActivation;

  LogicalResult findState();

  struct QResult {
    Value value; // quantized tensor, or the fake-quantized real tensor
    Value scale, tensorScale;
    GranularityAttr granularity;
  };
  GranularityAttr blockGranularity(const OperandSpec &spec, RankedTensorType t,
                                   int64_t kDim, int64_t otherDim);
  void emitScale(OpBuilder &ob, Location loc, Value x, const OperandSpec &spec,
                 unsigned site, GranularityAttr gran, Value &scale,
                 Value &tensorScale);
  QResult quantizeOperand(OpBuilder &ob, Location loc, Value x,
                          const OperandSpec &spec, unsigned site,
                          GranularityAttr gran, int64_t stream, bool fake);
  /// The accumulation of GEMM `g` of recipe `r` on operands `spec`; null
  /// (after an error on the GEMM) when an automatic f16_chunked has no safe
  /// chunk.
  AccumulationAttr accFor(const GemmInfo &g, Recipe r,
                          const OperandSpec (&spec)[2]);
  LogicalResult rewriteGemm(const GemmInfo &g, Recipe r,
                            const LayerInfo &layer);
  LogicalResult applyMasks(const GemmInfo &g, Recipe r, const LayerInfo &layer,
                           Value result);
};

LogicalResult GemmRewriter::findState() {
  // The last argument / result with each state name (a step that went
  // through the recipe passes before has older state first).
  llvm::StringMap<unsigned> argOf, resultOf;
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (Slot s = getArgumentSlot(func, i); s.kind == SlotKind::State)
      argOf[s.name] = i;
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    if (Slot s = getResultSlot(func, i); s.kind == SlotKind::State)
      resultOf[s.name] = i;
  for (auto [i, slot] : llvm::enumerate(plan.slots)) {
    auto arg = argOf.find(slot.name);
    auto res = resultOf.find(slot.name);
    if (arg == argOf.end() || res == resultOf.end())
      return func.emitError("function @")
             << func.getSymName() << " has no state "
             << (arg == argOf.end() ? "argument" : "result") << " "
             << attrs::kState << " = \"" << slot.name
             << "\" (run quant4-thread-recipe-state with the same options "
                "first)";
    slotArg[i] = func.getArgument(arg->second);
    slotResult[i] = res->second;
    slotNext[i] = slotArg[i];
  }
  if (!plan.needsSeed)
    return success();
  if (!options.seedIsArg) {
    OpBuilder ob(ctx);
    ob.setInsertionPointToStart(&func.getBody().front());
    seedValue =
        arith::ConstantIntOp::create(ob, func.getLoc(), options.seedConst, 64);
    return success();
  }
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (getArgumentSlot(func, i).kind == SlotKind::Seed)
      seedValue = func.getArgument(i);
  if (!seedValue)
    return func.emitError("function @")
           << func.getSymName() << " has no argument tagged " << attrs::kSeed
           << " for stochastic rounding (run quant4-thread-recipe-state with "
              "the same options first)";
  return success();
}

LogicalResult GemmRewriter::run() {
  if (failed(findState()))
    return failure();
  ArrayRef<LayerInfo> layers = analysis.getLayers();
  for (const RecipePlan::Gemm &g : plan.gemms)
    if (getRecipeDesc(g.recipe).quantizes)
      if (failed(rewriteGemm(*g.info, g.recipe, layers[g.info->layer])))
        return failure();

  // The updated state, then the PACT alpha gradients.
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (auto [i, next] : llvm::enumerate(slotNext))
    ret->setOperand(slotResult[i], next);
  if (alphaGrads.empty())
    return success();
  SmallVector<Value> newOperands(ret.getOperands());
  SmallVector<Type> resultTypes;
  SmallVector<DictionaryAttr> resultAttrs;
  for (auto &[name, value] : alphaGrads) {
    resultTypes.push_back(value.getType());
    resultAttrs.push_back(DictionaryAttr::get(
        ctx, {getSlotAttr(ctx, SlotKind::StateGrad, name)}));
    newOperands.push_back(value);
  }
  SmallVector<unsigned> resultIndices(resultTypes.size(), func.getNumResults());
  if (failed(func.insertResults(resultIndices, resultTypes, resultAttrs)))
    return failure();
  ret->setOperands(newOperands);
  return success();
}

//===----------------------------------------------------------------------===//
// Quantizing operands
//===----------------------------------------------------------------------===//

/// Granularity of a block policy for a value whose reduction dimension is
/// `kDim` (and, for 2-D weight blocks, whose other GEMM dimension is
/// `otherDim`).
GranularityAttr GemmRewriter::blockGranularity(const OperandSpec &spec,
                                               RankedTensorType t, int64_t kDim,
                                               int64_t otherDim) {
  SmallVector<int64_t> block(t.getRank(), 1);
  block[kDim] = spec.blockK;
  if (spec.block2D && otherDim >= 0)
    block[otherDim] = spec.blockK;
  return GranularityAttr::get(ctx, GranularityKind::block, 0, block);
}

/// Scale (and state update) of an operand; per-tensor scales are computed
/// once per site and shared.
void GemmRewriter::emitScale(OpBuilder &ob, Location loc, Value x,
                             const OperandSpec &spec, unsigned siteIdx,
                             GranularityAttr gran, Value &scale,
                             Value &tensorScale) {
  const RecipeSite &site = plan.sites[siteIdx];
  if (spec.policy != PolicyKind::Block && siteScale[siteIdx]) {
    scale = siteScale[siteIdx];
    return;
  }
  auto xt = cast<RankedTensorType>(x.getType());
  auto scalar = RankedTensorType::get({}, ob.getF32Type());
  Attribute policy = getPolicyAttr(ctx, spec.policy, spec.blockScale,
                                   spec.tensorScale, options);
  Type scaleType = scalar;
  SmallVector<Type> extraTypes;
  SmallVector<Value> state;
  for (unsigned slot : site.slots)
    state.push_back(slotArg[slot]);
  if (spec.policy == PolicyKind::Delayed) {
    // The new amax history.
    extraTypes.push_back(plan.slots[site.slots[0]].type);
  } else if (spec.policy == PolicyKind::Block) {
    SmallVector<int64_t> shape;
    for (auto [d, bsz] : llvm::zip(xt.getShape(), gran.getBlock()))
      shape.push_back(llvm::divideCeil(d, bsz));
    scaleType = RankedTensorType::get(shape, spec.blockScale);
    if (spec.tensorScale)
      extraTypes.push_back(scalar);
  } else if (gran && gran.getKind() == GranularityKind::axis) {
    scaleType = RankedTensorType::get({xt.getDimSize(gran.getAxis())},
                                      ob.getF32Type());
  }
  auto op = ScaleOp::create(ob, loc, scaleType, extraTypes, policy, x, state,
                            TypeAttr::get(spec.format), gran);
  scale = op.getScale();
  switch (spec.policy) {
  case PolicyKind::GradScale:
    slotNext[site.slots[0]] = scale;
    break;
  case PolicyKind::Delayed:
    slotNext[site.slots[0]] = op.getExtra()[0];
    slotNext[site.slots[1]] = scale;
    break;
  case PolicyKind::Block:
    if (spec.tensorScale)
      tensorScale = op.getExtra()[0];
    break;
  default:
    break;
  }
  if (spec.policy != PolicyKind::Block)
    siteScale[siteIdx] = scale;
}

GemmRewriter::QResult
GemmRewriter::quantizeOperand(OpBuilder &ob, Location loc, Value x,
                              const OperandSpec &spec, unsigned site,
                              GranularityAttr gran, int64_t stream, bool fake) {
  QResult q;
  q.granularity = gran;
  emitScale(ob, loc, x, spec, site, gran, q.scale, q.tensorScale);
  Value seedOperand = isStochastic(spec.rounding) ? seedValue : Value();
  if (fake) {
    q.value = FakeQuantOp::create(ob, loc, x.getType(), x, q.scale,
                                  q.tensorScale, seedOperand, spec.format,
                                  spec.rounding, gran, (uint64_t)stream)
                  .getResult();
    return q;
  }
  auto xt = cast<RankedTensorType>(x.getType());
  auto qt = RankedTensorType::get(xt.getShape(), spec.format);
  q.value =
      QuantizeOp::create(ob, loc, qt, x, q.scale, q.tensorScale, seedOperand,
                         spec.rounding, gran, (uint64_t)stream)
          .getResult();
  return q;
}

AccumulationAttr GemmRewriter::accFor(const GemmInfo &g, Recipe r,
                                      const OperandSpec (&spec)[2]) {
  Operation *op = g.op;
  // A wgrad whose gradient follows `wgrad-grad` accumulates as that
  // recipe does.
  AccumulationChoice acc = options.accumulation.value_or(AccumulationChoice{
      getRecipeDesc(getGradientRecipe(r, g.role, options)).accumulation, 0});
  if (acc.kind != AccumulationKind::f16_chunked || acc.chunk != 0)
    return AccumulationAttr::get(ctx, acc.kind, acc.chunk);
  // f16_chunked without a length: the overflow-free chunk of the operand
  // formats (docs/Recipes.md, "Accumulation").
  std::optional<num::Format> fa = getFormat(spec[0].format),
                             fb = getFormat(spec[1].format);
  int chunk = fa && fb ? num::f16OverflowFreeChunk(*fa, *fb) : 0;
  if (chunk < 1) {
    op->emitOpError("f16_chunked accumulation: no FP16 chunk is free of "
                    "overflow for ")
        << spec[0].format << " x " << spec[1].format
        << " (one product can exceed 65504); use f32 or an explicit "
           "f16_chunked:<N>";
    return {};
  }
  return AccumulationAttr::get(ctx, acc.kind, unsigned(chunk));
}

static bool isZero(Value v) {
  while (isa_and_nonnull<tensor::CollapseShapeOp, tensor::ExpandShapeOp,
                         tensor::CastOp>(v.getDefiningOp()))
    v = v.getDefiningOp()->getOperand(0);
  if (auto fill = v.getDefiningOp<linalg::FillOp>())
    return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  return matchPattern(v, m_AnyZeroFloat());
}

//===----------------------------------------------------------------------===//
// Rewriting one GEMM
//===----------------------------------------------------------------------===//

LogicalResult GemmRewriter::rewriteGemm(const GemmInfo &g, Recipe r,
                                        const LayerInfo &layer) {
  Operation *op = g.op;
  auto linalgOp = cast<linalg::LinalgOp>(op);
  Value in[2] = {linalgOp.getDpsInputOperand(0)->get(),
                 linalgOp.getDpsInputOperand(1)->get()};
  Value init = linalgOp.getDpsInitOperand(0)->get();
  for (Value v : {in[0], in[1], init}) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || !t.getElementType().isF32() || !t.hasStaticShape())
      return op->emitOpError("cannot be quantized by recipe '")
             << stringifyRecipe(r)
             << "': operands must be statically shaped f32 tensors";
  }
  if (g.role == GemmRole::Forward)
    fwdActivation[g.layer] =
        in[g.operands[0] == OperandKind::Activation ? 0 : 1];
  OperandSpec spec[2];
  unsigned site[2];
  for (unsigned i = 0; i < 2; ++i) {
    spec[i] = plan.operandSpec(ctx, r, g, i, options);
    site[i] = plan.siteIndex.at({g.layer, spec[i].site});
  }
  // stream = 8·layer + 2·role + operand (docs/Recipes.md, "Randomness").
  int64_t roleIdx = static_cast<int64_t>(g.role);
  auto stream = [&](unsigned i) { return g.layer * 8 + roleIdx * 2 + i; };
  AccumulationAttr acc = accFor(g, r, spec);
  if (!acc)
    return failure();
  bool block = spec[0].policy == PolicyKind::Block;
  OpBuilder ob(op);
  Location loc = op->getLoc();
  MLIRContext *c = ctx;
  SmallVector<NamedAttribute> roleAttrs;
  for (StringRef name :
       {StringRef(attrs::kRole), StringRef(attrs::kLayer),
        StringRef(attrs::kLayerName), StringRef(attrs::kRecipe)})
    if (Attribute a = op->getAttr(name))
      roleAttrs.push_back(NamedAttribute(StringAttr::get(c, name), a));

  Value result;
  // 2-D GEMM (linalg.matmul, or linalg.batch_matmul of batch 1) ->
  // quant4.matmul.
  auto emitMatmul = [&](Value a, Value bv, Value c0, bool ta,
                        bool tb) -> Value {
    auto at = cast<RankedTensorType>(a.getType());
    auto bt = cast<RankedTensorType>(bv.getType());
    GranularityAttr ga, gb;
    if (block) {
      ga = blockGranularity(spec[0], at, ta ? 0 : 1, ta ? 1 : 0);
      gb = blockGranularity(spec[1], bt, tb ? 1 : 0, tb ? 0 : 1);
    }
    QResult qa =
        quantizeOperand(ob, loc, a, spec[0], site[0], ga, stream(0), false);
    QResult qb =
        quantizeOperand(ob, loc, bv, spec[1], site[1], gb, stream(1), false);
    SmallVector<Value> ts;
    if (qa.tensorScale && qb.tensorScale)
      ts = {qa.tensorScale, qb.tensorScale};
    auto mm = MatmulOp::create(ob, loc, c0.getType(), qa.value, qb.value,
                               qa.scale, qb.scale, ts, acc, ga, gb, ta, tb);
    mm->setDiscardableAttrs(roleAttrs);
    Value res = mm.getResult();
    if (!isZero(c0))
      res = linalg::AddOp::create(ob, loc, ValueRange{res, c0}, ValueRange{c0})
                .getResult(0);
    return res;
  };
  auto fakeQuantInPlace = [&](SmallVector<GranularityAttr, 2> grans) {
    for (unsigned i = 0; i < 2; ++i) {
      QResult q = quantizeOperand(ob, loc, in[i], spec[i], site[i], grans[i],
                                  stream(i), true);
      linalgOp.getDpsInputOperand(i)->set(q.value);
    }
    if (acc.getKind() != AccumulationKind::f32)
      op->emitWarning("accumulation '")
          << stringifyAccumulationKind(acc.getKind())
          << "' cannot be expressed for this GEMM form; it keeps float32 "
             "accumulation on fake-quantized operands";
  };

  switch (g.kind) {
  case GemmKind::Matmul: {
    auto mm = cast<linalg::MatmulOp>(op);
    SmallVector<AffineMap> maps = mm.getIndexingMapsArray();
    AffineExpr m, n, k;
    bindDims(c, m, n, k);
    auto map = [&](ArrayRef<AffineExpr> e) {
      return AffineMap::get(3, 0, e, c);
    };
    bool ta = false, tb = false, known = true;
    if (maps.size() != 3 || maps[2] != map({m, n}))
      known = false;
    else if (maps[0] == map({k, m}))
      ta = true;
    else if (maps[0] != map({m, k}))
      known = false;
    if (known) {
      if (maps[1] == map({n, k}))
        tb = true;
      else if (maps[1] != map({k, n}))
        known = false;
    }
    if (!known)
      return op->emitOpError("has indexing maps that quant4.matmul cannot "
                             "express (only plain and transposed operands)");
    result = emitMatmul(in[0], in[1], init, ta, tb);
    break;
  }
  case GemmKind::BatchMatmul: {
    auto bm = cast<linalg::BatchMatmulOp>(op);
    auto at = cast<RankedTensorType>(in[0].getType());
    bool defaultMaps =
        llvm::equal(bm.getIndexingMapsArray(),
                    linalg::BatchMatmulOp::getDefaultIndexingMaps(c));
    if (defaultMaps && at.getDimSize(0) == 1) {
      SmallVector<ReassociationIndices> re = {{0, 1}, {2}};
      auto collapse = [&](Value v) {
        return tensor::CollapseShapeOp::create(ob, loc, v, re).getResult();
      };
      Value res2 = emitMatmul(collapse(in[0]), collapse(in[1]), collapse(init),
                              false, false);
      result = tensor::ExpandShapeOp::create(ob, loc, init.getType(), res2, re)
                   .getResult();
      break;
    }
    if (!defaultMaps)
      return op->emitOpError("has indexing maps that the recipe cannot "
                             "quantize");
    SmallVector<GranularityAttr, 2> grans(2);
    if (block) {
      grans[0] = blockGranularity(spec[0], at, 2, 1);
      grans[1] = blockGranularity(
          spec[1], cast<RankedTensorType>(in[1].getType()), 1, 2);
    }
    fakeQuantInPlace(grans);
    return applyMasks(g, r, layer, op->getResult(0));
  }
  case GemmKind::DepthwiseConvNhwcHwc:
  case GemmKind::GroupedConvNhwgcGfhwc: {
    // quant4.conv2d has no depthwise or grouped form: the operands are
    // quantized and dequantized in place (exact 4-bit values; f32
    // accumulation). Blocks run along the channels: depthwise input NHWC
    // and filter HWC (each channel is its own reduction, so a block spans
    // channels of one position), grouped input NHWGC and filter GFHWC
    // (the group's input channels, the reduction). In a group-scaled layer
    // (`group-scales`), the weight (SAWB or amax) has one scale per group
    // -- the filter's channel axis (depthwise HWC) or group axis (GFHWC;
    // also axis 0 of the dgrad's flipped GCHWF filter) -- and the
    // activation (amax) one per channel or group (input axis 3).
    bool depthwise = g.kind == GemmKind::DepthwiseConvNhwcHwc;
    SmallVector<GranularityAttr, 2> grans(2);
    if (!block && plan.groupScaledLayers.count(g.layer)) {
      auto perAxis = [&](int64_t axis) {
        return GranularityAttr::get(ctx, GranularityKind::axis, axis, {});
      };
      auto tensorPolicy = [](PolicyKind p) {
        return p == PolicyKind::Sawb || p == PolicyKind::Amax;
      };
      if ((g.operands[0] == OperandKind::Activation ||
           g.operands[0] == OperandKind::Gradient) &&
          tensorPolicy(spec[0].policy))
        grans[0] = perAxis(3);
      if (g.operands[1] == OperandKind::Weight && tensorPolicy(spec[1].policy))
        grans[1] = perAxis(depthwise ? 2 : 0);
    }
    if (block) {
      grans[0] = blockGranularity(
          spec[0], cast<RankedTensorType>(in[0].getType()), depthwise ? 3 : 4,
          -1);
      grans[1] = blockGranularity(
          spec[1], cast<RankedTensorType>(in[1].getType()), depthwise ? 2 : 4,
          -1);
    }
    fakeQuantInPlace(grans);
    return applyMasks(g, r, layer, op->getResult(0));
  }
  case GemmKind::ConvNhwcHwcf:
  case GemmKind::ConvNhwcFhwc: {
    bool fhwc = g.kind == GemmKind::ConvNhwcFhwc;
    auto it = cast<RankedTensorType>(in[0].getType());
    auto ft = cast<RankedTensorType>(in[1].getType());
    if (block) {
      // Blocks along the input channels (the reduction's fastest dim).
      SmallVector<GranularityAttr, 2> grans(2);
      grans[0] = blockGranularity(spec[0], it, 3, -1);
      grans[1] = blockGranularity(spec[1], ft, fhwc ? 3 : 2, fhwc ? 0 : 3);
      fakeQuantInPlace(grans);
      return applyMasks(g, r, layer, op->getResult(0));
    }
    Value filter = in[1];
    if (fhwc) {
      auto s = ft.getShape();
      auto empty = tensor::EmptyOp::create(
          ob, loc, ArrayRef<int64_t>{s[1], s[2], s[3], s[0]},
          ft.getElementType());
      filter = linalg::TransposeOp::create(ob, loc, filter, empty,
                                           ArrayRef<int64_t>{1, 2, 3, 0})
                   ->getResult(0);
    }
    auto strides =
        llvm::to_vector(op->getAttrOfType<DenseIntElementsAttr>("strides")
                            .getValues<int64_t>());
    auto dilations =
        llvm::to_vector(op->getAttrOfType<DenseIntElementsAttr>("dilations")
                            .getValues<int64_t>());
    QResult qi =
        quantizeOperand(ob, loc, in[0], spec[0], site[0], {}, stream(0), false);
    QResult qf = quantizeOperand(ob, loc, filter, spec[1], site[1], {},
                                 stream(1), false);
    auto conv = Conv2DOp::create(
        ob, loc, init.getType(), qi.value, qf.value, qi.scale, qf.scale,
        ValueRange{}, acc, GranularityAttr(), GranularityAttr(),
        ArrayRef<int64_t>(strides), ArrayRef<int64_t>(dilations));
    conv->setDiscardableAttrs(roleAttrs);
    result = conv.getResult();
    if (!isZero(init))
      result = linalg::AddOp::create(ob, loc, ValueRange{result, init},
                                     ValueRange{init})
                   .getResult(0);
    break;
  }
  }
  op->getResult(0).replaceAllUsesWith(result);
  op->erase();
  return applyMasks(g, r, layer, result);
}

/// The straight-through estimators after a rewritten GEMM.
LogicalResult GemmRewriter::applyMasks(const GemmInfo &g, Recipe r,
                                       const LayerInfo &layer, Value result) {
  const RecipeDesc &d = getRecipeDesc(r);
  if (g.role == GemmRole::WGrad && d.sawbMask) {
    // The weight's SAWB scale, computed by its forward GEMM.
    auto it = plan.siteIndex.find({g.layer, ScaleSite::Weight});
    if (!layer.param || it == plan.siteIndex.end() || !siteScale[it->second])
      return success();
    return insertSawbMask(layer, result, siteScale[it->second]);
  }
  if (g.role == GemmRole::DGrad && d.pactBackward && g.layer > 0) {
    auto it = plan.siteIndex.find({g.layer, ScaleSite::Act});
    if (it == plan.siteIndex.end() ||
        plan.sites[it->second].spec.policy != PolicyKind::Pact)
      return success();
    unsigned alphaSlot = plan.sites[it->second].slots[0];
    Value alpha = slotArg[alphaSlot];
    FailureOr<Value> dalpha =
        insertPactBackward(layer, result, fwdActivation.lookup(g.layer), alpha);
    if (failed(dalpha))
      return failure();
    if (options.pactGrad)
      alphaGrads.push_back({plan.slots[alphaSlot].name, *dalpha});
    else
      slotNext[alphaSlot] =
          insertPactUpdate(alpha, *dalpha, (float)options.pactLr);
  }
  return success();
}

} // namespace

LogicalResult mlir::quant4::quantizeByRecipe(func::FuncOp func,
                                             const RoleAnalysis &analysis,
                                             const RecipeOptions &options) {
  FailureOr<RecipePlan> plan = planRecipes(analysis, options);
  if (failed(plan))
    return failure();
  if (failed(GemmRewriter(func, analysis, *plan, options).run()))
    return failure();
  return options.pactCalibrate ? emitPactCalibration(func) : success();
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {

struct QuantizeByRecipePass
    : mlir::quant4::impl::Quant4QuantizeByRecipeBase<QuantizeByRecipePass> {
  using Base::Base;

  template <typename To, typename From>
  friend To mlir::quant4::getStageOptions(const From &);

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto raw = getStageOptions<Quant4QuantizeByRecipeOptions>(*this);
    RecipeOptions options;
    if (failed(parseOptions(module, raw, options)))
      return signalPassFailure();
    for (func::FuncOp f : getRecipeFunctions(module))
      if (failed(foldSlicedConvs(f, options)))
        return signalPassFailure();
    if (failed(runRecipeStage(module, raw, quantizeByRecipe)))
      signalPassFailure();
  }
};

} // namespace
