//===- ApplyRecipe.cpp - quantize a training step with a recipe -----------===//
//
// Rewrites the classified GEMMs of a training step (RoleAnalysis) into quant4
// ops under a per-layer recipe, threads the recipe state through the
// function's arguments and results, and emits @<name>_init_state.
// The recipes, the state order and the straight-through estimators are
// specified in docs/Recipes.md.
//
//===----------------------------------------------------------------------===//
#include "quant4/Dialect/Quant4/Analysis/Roles.h"
#include "quant4/Dialect/Quant4/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4APPLYRECIPE
#include "quant4/Dialect/Quant4/Transforms/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;
using namespace mlir::quant4;

namespace {

enum class Recipe { fp32, ultralow4, luq, mxfp4, nvfp4, fp8 };

std::optional<Recipe> parseRecipe(StringRef s) {
  return llvm::StringSwitch<std::optional<Recipe>>(s)
      .Case("fp32", Recipe::fp32)
      .Case("ultralow4", Recipe::ultralow4)
      .Case("luq", Recipe::luq)
      .Case("mxfp4", Recipe::mxfp4)
      .Case("nvfp4", Recipe::nvfp4)
      .Case("fp8", Recipe::fp8)
      .Default(std::nullopt);
}

constexpr StringLiteral kRecipeList = "ultralow4, luq, mxfp4, nvfp4, fp8, fp32";
constexpr StringLiteral kStateAttr = "quant4.state";
constexpr StringLiteral kStateGradAttr = "quant4.state_grad";
constexpr StringLiteral kSeedAttr = "quant4.seed";
constexpr StringLiteral kRecipeAttr = "quant4.recipe";

enum class PolicyKind { Amax, GradScale, Delayed, Sawb, Pact, Block };

/// How one GEMM operand is quantized.
struct QSpec {
  Type format;
  PolicyKind policy = PolicyKind::Amax;
  RoundingKind rounding = RoundingKind::nearest;
  /// Block policies: scale element type, two-level (NVFP4), block size along
  /// the reduction dimension, and 2-D (square) blocks for weights.
  Type blockScale;
  bool tensorScale = false;
  int64_t blockK = 0;
  bool block2D = false;
  /// The tensor this operand is a view of, for sharing scales and state:
  /// "act", "weight", "grad" (one copy), "dgrad"/"wgrad" (TPR copies).
  std::string site;
};

bool isStochastic(RoundingKind r) {
  return r == RoundingKind::stochastic ||
         r == RoundingKind::stochastic_underflow;
}

unsigned siteOrder(StringRef site) {
  return llvm::StringSwitch<unsigned>(site)
      .Case("act", 0)
      .Case("weight", 1)
      .Case("grad", 2)
      .Case("dgrad", 3)
      .Case("wgrad", 4)
      .Default(5);
}

/// One state tensor threaded through the step.
struct StateSlot {
  std::string name;
  RankedTensorType type;
  float init = 0.0f;
  BlockArgument arg;
  Value next;
};

/// A quantized tensor of a layer (shared scale and state).
struct Site {
  int64_t layer = 0;
  std::string name;
  QSpec spec;
  SmallVector<unsigned> slots;
  Value scale;
};

struct ApplyRecipePass
    : mlir::quant4::impl::Quant4ApplyRecipeBase<ApplyRecipePass> {
  using Base::Base;

  // Parsed options.
  Recipe baseRecipe = Recipe::ultralow4;
  Recipe edge = Recipe::fp32;
  std::optional<AccumulationAttr> accOverride;
  bool seedIsArg = true;
  int64_t seedConst = 0;
  bool pactGradMode = false;
  SmallVector<std::pair<std::string, Recipe>> overrideList;

  LogicalResult parseOptions(ModuleOp module) {
    auto r = parseRecipe(recipe);
    if (!r)
      return module.emitError("option 'recipe': unknown recipe '")
             << recipe << "' (expected one of " << kRecipeList << ")";
    baseRecipe = *r;
    auto e = parseRecipe(edgeRecipe);
    if (!e)
      return module.emitError("option 'edge-recipe': unknown recipe '")
             << edgeRecipe << "' (expected one of " << kRecipeList << ")";
    edge = *e;
    for (const std::string &entry : overrides) {
      auto [layer, name] = StringRef(entry).rsplit(':');
      auto rr = parseRecipe(name);
      if (layer.empty() || name.empty() || !rr)
        return module.emitError("option 'overrides': bad entry '")
               << entry << "' (expected LAYER:RECIPE, LAYER a layer index or "
                           "name, RECIPE one of "
               << kRecipeList << ")";
      overrideList.push_back({layer.str(), *rr});
    }
    if (!accumulation.empty()) {
      auto [kindText, chunkText] = StringRef(accumulation).split(':');
      auto kind = symbolizeAccumulationKind(kindText);
      unsigned chunk = 0;
      if (!kind || (!chunkText.empty() && chunkText.getAsInteger(10, chunk)))
        return module.emitError("option 'accumulation': unknown accumulation '")
               << accumulation
               << "' (expected f32, f16, f16_chunked:<N> or exact)";
      auto acc = AccumulationAttr::getChecked(
          [&] { return module.emitError("option 'accumulation': "); },
          module.getContext(), *kind, chunk);
      if (!acc)
        return failure();
      accOverride = acc;
    }
    if (dgradPhase > 1)
      return module.emitError("option 'dgrad-phase': must be 0 or 1, got ")
             << (unsigned)dgradPhase;
    if (pactUpdate != "sgd" && pactUpdate != "grad")
      return module.emitError("option 'pact-update': expected 'sgd' or "
                              "'grad', got '")
             << pactUpdate << "'";
    pactGradMode = pactUpdate == "grad";
    if (fp8History == 0)
      return module.emitError("option 'fp8-history': must be at least 1");
    if (seed == "arg") {
      seedIsArg = true;
    } else if (StringRef(seed).getAsInteger(10, seedConst)) {
      return module.emitError("option 'seed': expected 'arg' or an integer, "
                              "got '")
             << seed << "'";
    } else {
      seedIsArg = false;
    }
    if (!(gradScaleInit > 0) || !(pactAlphaInit > 0))
      return module.emitError("options 'gradscale-init' and "
                              "'pact-alpha-init' must be positive");
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(parseOptions(module)))
      return signalPassFailure();
    SmallVector<func::FuncOp> funcs;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f.isExternal() && !f->hasAttr("quant4.init_state_of"))
        funcs.push_back(f);
    for (func::FuncOp f : funcs)
      if (failed(processFunction(f)))
        return signalPassFailure();
  }

  //===------------------------------------------------------------------===//
  // Per-function state
  //===------------------------------------------------------------------===//

  MLIRContext *ctx = nullptr;
  SmallVector<Recipe> layerRecipe;
  std::vector<Site> sites;
  std::map<std::pair<int64_t, std::string>, unsigned> siteIndex;
  std::vector<StateSlot> slots;
  /// PACT alpha gradients returned in 'grad' mode: (name, value).
  SmallVector<std::pair<std::string, Value>> alphaGrads;
  Value seedValue;
  bool needSeed = false;

  Type logType(unsigned radix, unsigned phase) {
    return LogType::get(ctx, radix, 3, phase);
  }

  /// The quantization of one operand of a GEMM under a recipe.
  QSpec specFor(Recipe r, OperandKind kind, GemmRole role, int64_t layer) {
    QSpec s;
    s.site = stringifyOperandKind(kind).str();
    auto i4 = IntType::get(ctx, 4);
    auto u4 = UIntType::get(ctx, 4);
    Builder b(ctx);
    switch (r) {
    case Recipe::ultralow4:
    case Recipe::luq:
      if (kind == OperandKind::Weight) {
        s.format = i4;
        s.policy = PolicyKind::Sawb;
      } else if (kind == OperandKind::Activation) {
        // The first layer's input is data (signed): INT4 with amax scaling.
        bool pact = r == Recipe::ultralow4 && layer > 0;
        s.format = layer > 0 ? Type(u4) : Type(i4);
        s.policy = pact ? PolicyKind::Pact : PolicyKind::Amax;
      } else if (r == Recipe::ultralow4) {
        unsigned phase = 0;
        if (tpr) {
          phase = role == GemmRole::DGrad ? dgradPhase : 1 - dgradPhase;
          s.site = role == GemmRole::DGrad ? "dgrad" : "wgrad";
        }
        s.format = logType(4, phase);
        s.policy = gradScale ? PolicyKind::GradScale : PolicyKind::Amax;
      } else {
        s.format = logType(2, 0);
        s.policy = PolicyKind::Amax;
        s.rounding = RoundingKind::stochastic_underflow;
      }
      break;
    case Recipe::mxfp4:
      s.format = b.getType<Float4E2M1FNType>();
      s.policy = PolicyKind::Block;
      s.blockScale = b.getType<Float8E8M0FNUType>();
      s.blockK = 32;
      break;
    case Recipe::nvfp4:
      s.format = b.getType<Float4E2M1FNType>();
      s.policy = PolicyKind::Block;
      s.blockScale = b.getType<Float8E4M3FNType>();
      s.tensorScale = true;
      s.blockK = 16;
      s.block2D = kind == OperandKind::Weight;
      s.rounding = kind == OperandKind::Gradient ? RoundingKind::stochastic
                                                 : RoundingKind::nearest_even;
      break;
    case Recipe::fp8:
      s.format = kind == OperandKind::Gradient
                     ? Type(b.getType<Float8E5M2Type>())
                     : Type(b.getType<Float8E4M3FNType>());
      s.policy = PolicyKind::Delayed;
      s.rounding = RoundingKind::nearest_even;
      break;
    case Recipe::fp32:
      break;
    }
    return s;
  }

  AccumulationAttr accFor(Recipe r) {
    if (accOverride)
      return *accOverride;
    return AccumulationAttr::get(ctx,
                                 r == Recipe::ultralow4 ? AccumulationKind::f16
                                                        : AccumulationKind::f32,
                                 0);
  }

  /// Registers the site of an operand (and its state slots) on first use.
  Site &getSite(int64_t layer, StringRef layerName, const QSpec &spec) {
    auto key = std::make_pair(layer, spec.site);
    auto it = siteIndex.find(key);
    if (it != siteIndex.end())
      return sites[it->second];
    Site site;
    site.layer = layer;
    site.name = spec.site;
    site.spec = spec;
    auto scalar = RankedTensorType::get({}, Float32Type::get(ctx));
    std::string prefix = (layerName + "." + spec.site + ".").str();
    auto addSlot = [&](StringRef what, RankedTensorType type, float init) {
      slots.push_back(StateSlot{prefix + what.str(), type, init, {}, {}});
      site.slots.push_back(slots.size() - 1);
    };
    switch (spec.policy) {
    case PolicyKind::GradScale:
      addSlot("gradscale", scalar, (float)gradScaleInit);
      break;
    case PolicyKind::Delayed:
      addSlot("amax_history",
              RankedTensorType::get({(int64_t)fp8History},
                                    Float32Type::get(ctx)),
              0.0f);
      addSlot("scale", scalar, 1.0f);
      break;
    case PolicyKind::Pact:
      addSlot("pact_alpha", scalar, (float)pactAlphaInit);
      break;
    default:
      break;
    }
    sites.push_back(std::move(site));
    siteIndex[key] = sites.size() - 1;
    return sites.back();
  }

  //===------------------------------------------------------------------===//
  // Function processing
  //===------------------------------------------------------------------===//

  LogicalResult processFunction(func::FuncOp func) {
    ctx = func.getContext();
    sites.clear();
    siteIndex.clear();
    slots.clear();
    alphaGrads.clear();
    fwdActivation.clear();
    seedValue = Value();
    needSeed = false;

    RoleAnalysis analysis(func);
    if (failed(analysis.run()))
      return failure();
    if (analysis.getGemms().empty())
      return success();
    analysis.annotate();
    ArrayRef<LayerInfo> layers = analysis.getLayers();
    int64_t numLayers = layers.size();

    // Recipe of each layer: base, then keep-first/last, then overrides.
    layerRecipe.assign(numLayers, baseRecipe);
    if (keepFirst)
      layerRecipe[0] = edge;
    if (keepLast)
      layerRecipe[numLayers - 1] = edge;
    for (auto &[layer, r] : overrideList) {
      int64_t idx = -1;
      if (StringRef(layer).getAsInteger(10, idx)) {
        idx = -1;
        for (const LayerInfo &l : layers)
          if (l.name == layer)
            idx = l.index;
      }
      if (idx < 0 || idx >= numLayers) {
        InFlightDiagnostic d = func.emitError("option 'overrides': function @")
                               << func.getSymName() << " has no layer '"
                               << layer << "' (layers:";
        for (const LayerInfo &l : layers)
          d << " " << l.index << "=" << l.name;
        d << ")";
        return failure();
      }
      layerRecipe[idx] = r;
    }

    // Operand specs of every GEMM; register sites in program order.
    SmallVector<const GemmInfo *> work;
    for (const GemmInfo &g : analysis.getGemms())
      work.push_back(&g);
    llvm::sort(work, [](const GemmInfo *a, const GemmInfo *b) {
      return a->position < b->position;
    });
    for (const GemmInfo *g : work) {
      Recipe r = layerRecipe[g->layer];
      if (r == Recipe::fp32)
        continue;
      for (unsigned i = 0; i < 2; ++i) {
        QSpec s = specFor(r, g->operands[i], g->role, g->layer);
        needSeed |= isStochastic(s.rounding);
        getSite(g->layer, layers[g->layer].name, s);
      }
    }

    // State arguments, in (layer, tensor, state) order, then the seed.
    SmallVector<unsigned> order(sites.size());
    for (unsigned i = 0; i < order.size(); ++i)
      order[i] = i;
    llvm::sort(order, [&](unsigned a, unsigned b) {
      return std::make_tuple(sites[a].layer, siteOrder(sites[a].name), a) <
             std::make_tuple(sites[b].layer, siteOrder(sites[b].name), b);
    });
    SmallVector<unsigned> slotOrder;
    for (unsigned s : order)
      for (unsigned slot : sites[s].slots)
        slotOrder.push_back(slot);
    // All new arguments (and below, results) in one signature update: one
    // insertion per slot would rebuild the O(#slots) signature each time.
    Builder b(ctx);
    Location loc = func.getLoc();
    unsigned firstNewArg = func.getNumArguments();
    SmallVector<Type> argTypes;
    SmallVector<DictionaryAttr> argAttrs;
    for (unsigned slot : slotOrder) {
      argTypes.push_back(slots[slot].type);
      argAttrs.push_back(b.getDictionaryAttr(
          b.getNamedAttr(kStateAttr, b.getStringAttr(slots[slot].name))));
    }
    if (needSeed && seedIsArg) {
      argTypes.push_back(b.getI64Type());
      argAttrs.push_back(
          b.getDictionaryAttr(b.getNamedAttr(kSeedAttr, b.getUnitAttr())));
    }
    if (!argTypes.empty()) {
      SmallVector<unsigned> argIndices(argTypes.size(), firstNewArg);
      SmallVector<Location> argLocs(argTypes.size(), loc);
      if (failed(func.insertArguments(argIndices, argTypes, argAttrs,
                                      argLocs)))
        return failure();
    }
    for (auto [i, slot] : llvm::enumerate(slotOrder)) {
      slots[slot].arg = func.getArgument(firstNewArg + i);
      slots[slot].next = slots[slot].arg;
    }
    if (needSeed) {
      if (seedIsArg) {
        seedValue = func.getArgument(firstNewArg + slotOrder.size());
      } else {
        OpBuilder ob(ctx);
        ob.setInsertionPointToStart(&func.getBody().front());
        seedValue = arith::ConstantIntOp::create(ob, loc, seedConst, 64);
      }
    }

    // Rewrite the GEMMs in program order.
    for (const GemmInfo *g : work) {
      Recipe r = layerRecipe[g->layer];
      g->op->setAttr(kRecipeAttr, b.getStringAttr(stringifyRecipe(r)));
      if (r == Recipe::fp32)
        continue;
      if (failed(rewriteGemm(*g, layers[g->layer])))
        return failure();
    }

    // Results: new state in the same order, then PACT alpha gradients.
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    SmallVector<Value> newOperands(ret.getOperands());
    SmallVector<Type> resultTypes;
    SmallVector<DictionaryAttr> resultAttrs;
    for (unsigned slot : slotOrder) {
      resultTypes.push_back(slots[slot].type);
      resultAttrs.push_back(b.getDictionaryAttr(
          b.getNamedAttr(kStateAttr, b.getStringAttr(slots[slot].name))));
      newOperands.push_back(slots[slot].next);
    }
    for (auto &[name, value] : alphaGrads) {
      resultTypes.push_back(value.getType());
      resultAttrs.push_back(b.getDictionaryAttr(
          b.getNamedAttr(kStateGradAttr, b.getStringAttr(name))));
      newOperands.push_back(value);
    }
    if (!resultTypes.empty()) {
      SmallVector<unsigned> resultIndices(resultTypes.size(),
                                          func.getNumResults());
      if (failed(func.insertResults(resultIndices, resultTypes, resultAttrs)))
        return failure();
    }
    ret->setOperands(newOperands);

    return emitInitFunction(func, slotOrder);
  }

  static StringRef stringifyRecipe(Recipe r) {
    switch (r) {
    case Recipe::fp32:
      return "fp32";
    case Recipe::ultralow4:
      return "ultralow4";
    case Recipe::luq:
      return "luq";
    case Recipe::mxfp4:
      return "mxfp4";
    case Recipe::nvfp4:
      return "nvfp4";
    case Recipe::fp8:
      return "fp8";
    }
    return "";
  }

  LogicalResult emitInitFunction(func::FuncOp func,
                                 ArrayRef<unsigned> slotOrder) {
    std::string name = (func.getSymName() + "_init_state").str();
    auto module = func->getParentOfType<ModuleOp>();
    if (SymbolTable::lookupSymbolIn(module, name))
      return func.emitError("cannot emit the state initializer: symbol @")
             << name << " already exists";
    OpBuilder ob(ctx);
    ob.setInsertionPointAfter(func);
    SmallVector<Type> types;
    for (unsigned slot : slotOrder)
      types.push_back(slots[slot].type);
    auto init = func::FuncOp::create(ob, func.getLoc(), name,
                                     ob.getFunctionType({}, types));
    init->setAttr("quant4.init_state_of",
                  FlatSymbolRefAttr::get(ctx, func.getSymName()));
    SmallVector<DictionaryAttr> resultAttrs;
    for (unsigned slot : slotOrder)
      resultAttrs.push_back(ob.getDictionaryAttr(
          ob.getNamedAttr(kStateAttr, ob.getStringAttr(slots[slot].name))));
    init.setAllResultAttrs(resultAttrs);
    Block *block = init.addEntryBlock();
    ob.setInsertionPointToStart(block);
    SmallVector<Value> values;
    for (unsigned slot : slotOrder) {
      auto attr = DenseElementsAttr::get(slots[slot].type,
                                         ob.getF32FloatAttr(slots[slot].init));
      values.push_back(
          arith::ConstantOp::create(ob, func.getLoc(), slots[slot].type,
                                    cast<TypedAttr>(attr)));
    }
    func::ReturnOp::create(ob, func.getLoc(), values);
    return success();
  }

  //===------------------------------------------------------------------===//
  // Quantizing operands
  //===------------------------------------------------------------------===//

  /// Granularity of a block policy for a value whose reduction dimension is
  /// `kDim` (and, for 2-D weight blocks, whose other GEMM dimension is
  /// `otherDim`).
  GranularityAttr blockGranularity(const QSpec &spec, RankedTensorType t,
                                   int64_t kDim, int64_t otherDim) {
    SmallVector<int64_t> block(t.getRank(), 1);
    block[kDim] = spec.blockK;
    if (spec.block2D && otherDim >= 0)
      block[otherDim] = spec.blockK;
    return GranularityAttr::get(ctx, GranularityKind::block, 0, block);
  }

  struct QResult {
    Value value; // quantized tensor, or the fake-quantized real tensor
    Value scale, tensorScale;
    GranularityAttr granularity;
  };

  /// Scale (and state update) of an operand.
  LogicalResult emitScale(OpBuilder &ob, Location loc, Value x,
                          const QSpec &spec, Site &site, GranularityAttr gran,
                          Value &scale, Value &tensorScale) {
    if (spec.policy != PolicyKind::Block && site.scale) {
      scale = site.scale;
      return success();
    }
    auto xt = cast<RankedTensorType>(x.getType());
    auto scalar = RankedTensorType::get({}, ob.getF32Type());
    Attribute policy;
    Type scaleType = scalar;
    SmallVector<Type> extraTypes;
    SmallVector<Value> state;
    for (unsigned slot : site.slots)
      state.push_back(slots[slot].arg);
    switch (spec.policy) {
    case PolicyKind::Amax:
      policy = AmaxAttr::get(ctx, false);
      break;
    case PolicyKind::GradScale:
      policy = GradScaleAttr::get(ctx);
      break;
    case PolicyKind::Delayed:
      policy = DelayedAttr::get(ctx, fp8History, fp8Margin);
      extraTypes.push_back(slots[site.slots[0]].type);
      break;
    case PolicyKind::Sawb:
      policy = SawbAttr::get(ctx);
      break;
    case PolicyKind::Pact:
      policy = PactAttr::get(ctx);
      break;
    case PolicyKind::Block: {
      policy = BlockAttr::get(ctx, spec.blockScale, spec.tensorScale);
      SmallVector<int64_t> shape;
      for (auto [d, bsz] : llvm::zip(xt.getShape(), gran.getBlock()))
        shape.push_back(llvm::divideCeil(d, bsz));
      scaleType = RankedTensorType::get(shape, spec.blockScale);
      if (spec.tensorScale)
        extraTypes.push_back(scalar);
      break;
    }
    }
    auto op = ScaleOp::create(ob, loc, scaleType, extraTypes, policy, x, state,
                              TypeAttr::get(spec.format), gran);
    scale = op.getScale();
    switch (spec.policy) {
    case PolicyKind::GradScale:
      slots[site.slots[0]].next = scale;
      break;
    case PolicyKind::Delayed:
      slots[site.slots[0]].next = op.getExtra()[0];
      slots[site.slots[1]].next = scale;
      break;
    case PolicyKind::Block:
      if (spec.tensorScale)
        tensorScale = op.getExtra()[0];
      break;
    default:
      break;
    }
    if (spec.policy != PolicyKind::Block)
      site.scale = scale;
    return success();
  }

  QResult quantizeOperand(OpBuilder &ob, Location loc, Value x,
                          const QSpec &spec, Site &site, GranularityAttr gran,
                          int64_t stream, bool fake) {
    QResult q;
    q.granularity = gran;
    (void)emitScale(ob, loc, x, spec, site, gran, q.scale, q.tensorScale);
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
    q.value = QuantizeOp::create(ob, loc, qt, x, q.scale, q.tensorScale,
                                 seedOperand, spec.rounding, gran,
                                 (uint64_t)stream)
                  .getResult();
    return q;
  }

  static bool isZero(Value v) {
    while (isa_and_nonnull<tensor::CollapseShapeOp, tensor::ExpandShapeOp,
                           tensor::CastOp>(v.getDefiningOp()))
      v = v.getDefiningOp()->getOperand(0);
    if (auto fill = v.getDefiningOp<linalg::FillOp>())
      return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
    return matchPattern(v, m_AnyZeroFloat());
  }

  //===------------------------------------------------------------------===//
  // Rewriting one GEMM
  //===------------------------------------------------------------------===//

  LogicalResult rewriteGemm(const GemmInfo &g, const LayerInfo &layer) {
    Operation *op = g.op;
    auto linalgOp = cast<linalg::LinalgOp>(op);
    Recipe r = layerRecipe[g.layer];
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
    QSpec spec[2];
    Site *site[2];
    for (unsigned i = 0; i < 2; ++i) {
      spec[i] = specFor(r, g.operands[i], g.role, g.layer);
      site[i] = &sites[siteIndex[{g.layer, spec[i].site}]];
    }
    int64_t roleIdx = g.role == GemmRole::Forward ? 0
                      : g.role == GemmRole::DGrad ? 1
                                                  : 2;
    auto stream = [&](unsigned i) { return g.layer * 8 + roleIdx * 2 + i; };
    AccumulationAttr acc = accFor(r);
    bool block = spec[0].policy == PolicyKind::Block;
    OpBuilder ob(op);
    Location loc = op->getLoc();
    MLIRContext *c = ctx;
    SmallVector<NamedAttribute> roleAttrs;
    for (StringRef name :
         {StringRef(roles::kRoleAttr), StringRef(roles::kLayerAttr),
          StringRef(roles::kLayerNameAttr), StringRef(kRecipeAttr)})
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
          quantizeOperand(ob, loc, a, spec[0], *site[0], ga, stream(0), false);
      QResult qb =
          quantizeOperand(ob, loc, bv, spec[1], *site[1], gb, stream(1), false);
      SmallVector<Value> ts;
      if (qa.tensorScale && qb.tensorScale)
        ts = {qa.tensorScale, qb.tensorScale};
      auto mm = MatmulOp::create(ob, loc, c0.getType(), qa.value, qb.value,
                                 qa.scale, qb.scale, ts, acc, ga, gb, ta, tb);
      mm->setDiscardableAttrs(roleAttrs);
      Value res = mm.getResult();
      if (!isZero(c0))
        res = linalg::AddOp::create(ob, loc, ValueRange{res, c0},
                                    ValueRange{c0})
                  .getResult(0);
      return res;
    };
    auto fakeQuantInPlace = [&](SmallVector<GranularityAttr, 2> grans) {
      for (unsigned i = 0; i < 2; ++i) {
        QResult q = quantizeOperand(ob, loc, in[i], spec[i], *site[i],
                                    grans[i], stream(i), true);
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
      bool defaultMaps = llvm::equal(bm.getIndexingMapsArray(),
                                     linalg::BatchMatmulOp::getDefaultIndexingMaps(c));
      if (defaultMaps && at.getDimSize(0) == 1) {
        SmallVector<ReassociationIndices> re = {{0, 1}, {2}};
        auto collapse = [&](Value v) {
          return tensor::CollapseShapeOp::create(ob, loc, v, re).getResult();
        };
        Value res2 = emitMatmul(collapse(in[0]), collapse(in[1]),
                                collapse(init), false, false);
        result = tensor::ExpandShapeOp::create(ob, loc, init.getType(), res2,
                                               re)
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
      return applyMasks(g, layer, op->getResult(0));
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
        return applyMasks(g, layer, op->getResult(0));
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
      auto strides = llvm::to_vector(
          op->getAttrOfType<DenseIntElementsAttr>("strides")
              .getValues<int64_t>());
      auto dilations = llvm::to_vector(
          op->getAttrOfType<DenseIntElementsAttr>("dilations")
              .getValues<int64_t>());
      QResult qi = quantizeOperand(ob, loc, in[0], spec[0], *site[0], {},
                                   stream(0), false);
      QResult qf = quantizeOperand(ob, loc, filter, spec[1], *site[1], {},
                                   stream(1), false);
      auto conv = Conv2DOp::create(ob, loc, init.getType(), qi.value, qf.value,
                                   qi.scale, qf.scale, ValueRange{}, acc,
                                   GranularityAttr(), GranularityAttr(),
                                   ArrayRef<int64_t>(strides),
                                   ArrayRef<int64_t>(dilations));
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
    return applyMasks(g, layer, result);
  }

  //===------------------------------------------------------------------===//
  // Straight-through estimators
  //===------------------------------------------------------------------===//

  /// linalg.generic over `shape` with identity maps for `tensors`, a
  /// broadcast rank-0 map for `scalars`, and `body`.
  Value elementwise(OpBuilder &ob, Location loc, RankedTensorType type,
                    ValueRange tensors, ValueRange scalars,
                    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
    int64_t rank = type.getRank();
    auto id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    auto scalarMap = AffineMap::get(rank, 0, {}, ctx);
    SmallVector<AffineMap> maps(tensors.size(), id);
    maps.append(scalars.size(), scalarMap);
    maps.push_back(id);
    SmallVector<Value> inputs(tensors);
    inputs.append(scalars.begin(), scalars.end());
    Value empty = tensor::EmptyOp::create(ob, loc, type.getShape(),
                                          type.getElementType());
    SmallVector<utils::IteratorType> iters(rank,
                                           utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               ob, loc, TypeRange{type}, inputs, ValueRange{empty}, maps, iters,
               [&](OpBuilder &b, Location l, ValueRange args) {
                 linalg::YieldOp::create(b, l, body(b, l, args));
               })
        .getResult(0);
  }

  /// Replaces the uses of `old` by `repl`, except in `keep`.
  static void replaceExcept(Value old, Value repl,
                            ArrayRef<Operation *> keep) {
    old.replaceUsesWithIf(repl, [&](OpOperand &use) {
      return !llvm::is_contained(keep, use.getOwner());
    });
  }

  LogicalResult applyMasks(const GemmInfo &g, const LayerInfo &layer,
                           Value result) {
    Recipe r = layerRecipe[g.layer];
    bool fourBit = r == Recipe::ultralow4 || r == Recipe::luq;
    if (!fourBit)
      return success();
    if (g.role == GemmRole::WGrad)
      return maskWeightGradient(g, layer, result);
    if (g.role == GemmRole::DGrad && r == Recipe::ultralow4 && g.layer > 0)
      return pactBackward(g, layer, result);
    return success();
  }

  /// SAWB straight-through estimator: dW = 0 where |W| > clip.
  LogicalResult maskWeightGradient(const GemmInfo &g, const LayerInfo &layer,
                                   Value dw) {
    auto it = siteIndex.find({g.layer, std::string("weight")});
    if (!layer.param || it == siteIndex.end() || !sites[it->second].scale)
      return success();
    Value scale = sites[it->second].scale;
    Type wType = layer.param.getType();
    // Follow single-use data movement (e.g. the transpose of a convolution's
    // wgrad) to the value with the parameter's type.
    while (dw.getType() != wType && dw.hasOneUse()) {
      Operation *user = *dw.getUsers().begin();
      if (user->getNumResults() != 1 ||
          RoleAnalysis::stripViews(user->getResult(0)) !=
              RoleAnalysis::stripViews(dw))
        break;
      dw = user->getResult(0);
    }
    if (dw.getType() != wType)
      return g.op->getParentOp()->emitError("cannot apply the SAWB "
                                            "straight-through mask of layer '")
             << layer.name << "': its wgrad result does not reach a value "
             << "of the parameter's type " << wType;
    OpBuilder ob(ctx);
    ob.setInsertionPointAfterValue(dw);
    Location loc = dw.getLoc();
    float qmax = 7.0f; // !quant4.int<4>: levels -7..7
    Value masked = elementwise(
        ob, loc, cast<RankedTensorType>(wType), {dw, layer.param}, {scale},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value qm = arith::ConstantOp::create(b, l, b.getF32FloatAttr(qmax));
          Value clip = arith::MulFOp::create(b, l, a[2], qm);
          Value neg = arith::NegFOp::create(b, l, clip);
          Value le = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLE,
                                           a[1], clip);
          Value ge = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE,
                                           a[1], neg);
          Value in = arith::AndIOp::create(b, l, le, ge);
          Value zero = arith::ConstantOp::create(b, l, b.getF32FloatAttr(0));
          return arith::SelectOp::create(b, l, in, a[0], zero);
        });
    replaceExcept(dw, masked, {masked.getDefiningOp()});
    return success();
  }

  /// PACT backward: dX = dY·1[0 <= x < alpha], dalpha = sum(dY·1[x >= alpha]),
  /// alpha updated by SGD or returned as a gradient.
  LogicalResult pactBackward(const GemmInfo &g, const LayerInfo &layer,
                             Value dx) {
    auto it = siteIndex.find({g.layer, std::string("act")});
    if (it == siteIndex.end() || sites[it->second].spec.policy != PolicyKind::Pact)
      return success();
    Site &site = sites[it->second];
    StateSlot &alphaSlot = slots[site.slots[0]];
    // The forward GEMM's activation operand (its root if padded etc.).
    Value x = fwdActivation.lookup(g.layer);
    if (x && x.getType() != dx.getType())
      x = RoleAnalysis::stripViews(x);
    if (!x || x.getType() != dx.getType())
      return g.op->getParentOp()->emitError("cannot apply the PACT "
                                            "straight-through estimator of "
                                            "layer '")
             << layer.name << "': the dgrad result type " << dx.getType()
             << " differs from the forward activation's type";
    OpBuilder ob(ctx);
    ob.setInsertionPointAfterValue(dx);
    Location loc = dx.getLoc();
    auto type = cast<RankedTensorType>(dx.getType());
    Value alpha = alphaSlot.arg;
    Value masked = elementwise(
        ob, loc, type, {dx, x}, {alpha},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value zero = arith::ConstantOp::create(b, l, b.getF32FloatAttr(0));
          Value lt = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT,
                                           a[1], a[2]);
          Value ge0 = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE,
                                            a[1], zero);
          Value in = arith::AndIOp::create(b, l, lt, ge0);
          return arith::SelectOp::create(b, l, in, a[0], zero);
        });
    // dalpha: a full reduction into a rank-0 tensor.
    int64_t rank = type.getRank();
    auto scalarType = RankedTensorType::get({}, ob.getF32Type());
    Value zero = arith::ConstantOp::create(ob, loc, ob.getF32FloatAttr(0));
    Value empty0 = tensor::EmptyOp::create(ob, loc, ArrayRef<int64_t>{},
                                           ob.getF32Type());
    Value acc0 =
        linalg::FillOp::create(ob, loc, ValueRange{zero}, ValueRange{empty0})
            .getResult(0);
    auto id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    auto scalarMap = AffineMap::get(rank, 0, {}, ctx);
    SmallVector<utils::IteratorType> red(rank, utils::IteratorType::reduction);
    Value dalpha =
        linalg::GenericOp::create(
            ob, loc, TypeRange{scalarType}, ValueRange{dx, x, alpha},
            ValueRange{acc0},
            ArrayRef<AffineMap>{id, id, scalarMap, scalarMap}, red,
            [&](OpBuilder &b, Location l, ValueRange a) {
              Value z = arith::ConstantOp::create(b, l, b.getF32FloatAttr(0));
              Value ge = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE,
                                               a[1], a[2]);
              Value sel = arith::SelectOp::create(b, l, ge, a[0], z);
              Value sum = arith::AddFOp::create(b, l, a[3], sel);
              linalg::YieldOp::create(b, l, sum);
            })
            .getResult(0);
    replaceExcept(dx, masked,
                  {masked.getDefiningOp(), dalpha.getDefiningOp()});
    std::string name = alphaSlot.name;
    if (pactGradMode) {
      alphaGrads.push_back({name, dalpha});
      return success();
    }
    Value lr = arith::ConstantOp::create(ob, loc,
                                         ob.getF32FloatAttr((float)pactLr));
    alphaSlot.next = elementwise(
        ob, loc, scalarType, {alpha, dalpha}, {},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value step = arith::MulFOp::create(b, l, lr, a[1]);
          return arith::SubFOp::create(b, l, a[0], step);
        });
    return success();
  }

  /// The forward activation operand (before quantization) of each layer.
  DenseMap<int64_t, Value> fwdActivation;
};

} // namespace
