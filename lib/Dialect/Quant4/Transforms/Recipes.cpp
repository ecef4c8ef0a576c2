//===- Recipes.cpp - training recipes as data -----------------------------===//
//
// The recipe table (docs/Recipes.md, §2), the options shared by the passes
// that apply it, the resolution of an operand's spec, the state plan of a
// function, and the generated documentation table.
//
//===----------------------------------------------------------------------===//
#include "quant4/Dialect/Quant4/Transforms/Recipes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "quant4/Dialect/Quant4/Analysis/Sign.h"
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::quant4;

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

static OperandRule rule(FormatDesc format, PolicyKind policy,
                        RoundingKind rounding) {
  OperandRule r;
  r.format = format;
  r.policy = policy;
  r.rounding = rounding;
  return r;
}

static OperandRule blocks(RoundingKind rounding, BlockScaleFormat scale,
                          bool tensorScale, int64_t blockK, bool block2D) {
  OperandRule r = rule({FormatDesc::F4E2M1FN}, PolicyKind::Block, rounding);
  r.blockScale = scale;
  r.tensorScale = tensorScale;
  r.blockK = blockK;
  r.block2D = block2D;
  return r;
}

static std::vector<RecipeDesc> makeRecipes() {
  using F = FormatDesc;
  using P = PolicyKind;
  using R = RoundingKind;
  const F int4{F::Int, 4}, uint4{F::UInt, 4};
  std::vector<RecipeDesc> t;

  RecipeDesc ultralow4;
  ultralow4.recipe = Recipe::ultralow4;
  ultralow4.activation = rule(uint4, P::Pact, R::nearest);
  ultralow4.inputActivation = rule(int4, P::Sawb, R::nearest);
  ultralow4.weight = rule(int4, P::Sawb, R::nearest);
  ultralow4.gradient = rule({F::Log, 4, 3, 0}, P::GradScale, R::nearest);
  ultralow4.twoPhaseGradient = true;
  ultralow4.accumulation = AccumulationKind::f16_chunked;
  ultralow4.sawbMask = true;
  ultralow4.pactBackward = true;
  t.push_back(ultralow4);

  RecipeDesc luq;
  luq.recipe = Recipe::luq;
  luq.activation = rule(uint4, P::Amax, R::nearest);
  luq.inputActivation = rule(int4, P::Amax, R::nearest);
  luq.weight = rule(int4, P::Sawb, R::nearest);
  luq.gradient = rule({F::Log, 2, 3, 0}, P::Amax, R::stochastic_underflow);
  luq.sawbMask = true;
  t.push_back(luq);

  RecipeDesc mxfp4;
  mxfp4.recipe = Recipe::mxfp4;
  mxfp4.activation = mxfp4.inputActivation = mxfp4.weight = mxfp4.gradient =
      blocks(R::nearest, BlockScaleFormat::E8M0, false, 32, false);
  t.push_back(mxfp4);

  RecipeDesc nvfp4;
  nvfp4.recipe = Recipe::nvfp4;
  nvfp4.activation = nvfp4.inputActivation =
      blocks(R::nearest_even, BlockScaleFormat::E4M3, true, 16, false);
  nvfp4.weight =
      blocks(R::nearest_even, BlockScaleFormat::E4M3, true, 16, true);
  nvfp4.gradient =
      blocks(R::stochastic, BlockScaleFormat::E4M3, true, 16, false);
  t.push_back(nvfp4);

  RecipeDesc fp8;
  fp8.recipe = Recipe::fp8;
  fp8.activation = fp8.inputActivation = fp8.weight =
      rule({F::F8E4M3FN}, P::Delayed, R::nearest_even);
  fp8.gradient = rule({F::F8E5M2}, P::Delayed, R::nearest_even);
  t.push_back(fp8);

  RecipeDesc fp32;
  fp32.recipe = Recipe::fp32;
  fp32.quantizes = false;
  t.push_back(fp32);
  return t;
}

const RecipeDesc &mlir::quant4::getRecipeDesc(Recipe recipe) {
  static const std::vector<RecipeDesc> table = makeRecipes();
  for (const RecipeDesc &d : table)
    if (d.recipe == recipe)
      return d;
  llvm_unreachable("recipe without a description");
}

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

/// "ultralow4, luq, mxfp4, nvfp4, fp8, fp32".
static std::string recipeList() {
  std::string s;
  for (unsigned i = 0; i <= getMaxEnumValForRecipe(); ++i)
    s += (i ? ", " : "") + stringifyRecipe(static_cast<Recipe>(i)).str();
  return s;
}

LogicalResult mlir::quant4::parseRecipeOption(Operation *anchor,
                                              StringRef option, StringRef value,
                                              Recipe &out) {
  std::optional<Recipe> r = symbolizeRecipe(value);
  if (!r)
    return mlir::emitError(anchor->getLoc(), "option '")
           << option << "': unknown recipe '" << value << "' (expected one of "
           << recipeList() << ")";
  out = *r;
  return success();
}

LogicalResult mlir::quant4::parseOverridesOption(
    Operation *anchor, ArrayRef<std::string> entries,
    SmallVectorImpl<std::pair<std::string, Recipe>> &out) {
  for (const std::string &entry : entries) {
    auto [layer, name] = StringRef(entry).rsplit(':');
    std::optional<Recipe> r = symbolizeRecipe(name);
    if (layer.empty() || name.empty() || !r)
      return mlir::emitError(anchor->getLoc(),
                             "option 'overrides': bad entry '")
             << entry
             << "' (expected LAYER:RECIPE, LAYER a layer index or "
                "name, RECIPE one of "
             << recipeList() << ")";
    out.push_back({layer.str(), *r});
  }
  return success();
}

LogicalResult mlir::quant4::parseAccumulationOption(
    Operation *anchor, StringRef value,
    std::optional<AccumulationChoice> &out) {
  out.reset();
  if (value.empty())
    return success();
  auto [kindText, chunkText] = value.split(':');
  auto kind = symbolizeAccumulationKind(kindText);
  unsigned chunk = 0;
  bool hasChunk = value.contains(':');
  if (!kind || (hasChunk && chunkText.getAsInteger(10, chunk)))
    return mlir::emitError(anchor->getLoc(),
                           "option 'accumulation': unknown accumulation '")
           << value
           << "' (expected f32, f16, f16_chunked, f16_chunked:<N> or exact)";
  if (hasChunk && *kind != AccumulationKind::f16_chunked)
    return mlir::emitError(anchor->getLoc(), "option 'accumulation': only "
                                             "f16_chunked takes a chunk "
                                             "length, got '")
           << value << "'";
  if (hasChunk && chunk == 0)
    return mlir::emitError(anchor->getLoc(),
                           "option 'accumulation': the chunk length of "
                           "f16_chunked:<N> must be positive (f16_chunked "
                           "alone picks the overflow-free chunk)");
  out = AccumulationChoice{*kind, chunk};
  return success();
}

LogicalResult
mlir::quant4::parseGradRoundingOption(Operation *anchor, StringRef value,
                                      std::optional<RoundingKind> &out) {
  out.reset();
  if (value.empty())
    return success();
  out = symbolizeRoundingKind(value);
  if (!out)
    return mlir::emitError(anchor->getLoc(),
                           "option 'grad-rounding': unknown rounding '")
           << value
           << "' (expected nearest, nearest_log, nearest_even, stochastic or "
              "stochastic_underflow)";
  return success();
}

LogicalResult mlir::quant4::parseSignedActOption(Operation *anchor,
                                                 StringRef value,
                                                 SignedActivations &out) {
  std::optional<SignedActivations> v =
      llvm::StringSwitch<std::optional<SignedActivations>>(value)
          .Case("auto", SignedActivations::Auto)
          .Case("true", SignedActivations::All)
          .Case("false", SignedActivations::None)
          .Default(std::nullopt);
  if (!v)
    return mlir::emitError(anchor->getLoc(),
                           "option 'signed-act': expected auto, true or "
                           "false, got '")
           << value << "'";
  out = *v;
  return success();
}

LogicalResult mlir::quant4::checkGradRadixOption(Operation *anchor,
                                                 unsigned radix, bool tpr) {
  if (radix != 0 && radix != 2 && radix != 4)
    return mlir::emitError(anchor->getLoc(),
                           "option 'grad-radix': must be 2 or 4 (0: the "
                           "recipe's), got ")
           << radix;
  if (radix == 2 && tpr)
    return mlir::emitError(anchor->getLoc(),
                           "option 'grad-radix': radix 2 has no second grid "
                           "for Two-Phase Rounding (the two phases of radix "
                           "4 together are the radix-2 grid); add tpr=false");
  return success();
}

LogicalResult
mlir::quant4::parseWgradGradOption(Operation *anchor, StringRef value,
                                   std::optional<Recipe> &out) {
  out.reset();
  if (value.empty())
    return success();
  // A block-scaled gradient would need the wgrad's activation blocked the
  // same way along K; FP32 would leave a GEMM half quantized.
  std::optional<Recipe> r = symbolizeRecipe(value);
  const RecipeDesc *d = r ? &getRecipeDesc(*r) : nullptr;
  if (!d || !d->quantizes || d->gradient.policy == PolicyKind::Block)
    return mlir::emitError(anchor->getLoc(),
                           "option 'wgrad-grad': expected a recipe with "
                           "per-tensor gradient scales (ultralow4, luq or "
                           "fp8), got '")
           << value << "'";
  out = r;
  return success();
}

LogicalResult mlir::quant4::checkDgradPhaseOption(Operation *anchor,
                                                  unsigned phase) {
  if (phase > 1)
    return mlir::emitError(anchor->getLoc(),
                           "option 'dgrad-phase': must be 0 or 1, got ")
           << phase;
  return success();
}

LogicalResult mlir::quant4::parsePactUpdateOption(Operation *anchor,
                                                  StringRef value, bool &grad) {
  if (value != "sgd" && value != "grad")
    return mlir::emitError(anchor->getLoc(),
                           "option 'pact-update': expected 'sgd' or "
                           "'grad', got '")
           << value << "'";
  grad = value == "grad";
  return success();
}

LogicalResult mlir::quant4::checkFp8HistoryOption(Operation *anchor,
                                                  unsigned history) {
  if (history == 0)
    return mlir::emitError(anchor->getLoc(),
                           "option 'fp8-history': must be at least 1");
  return success();
}

LogicalResult mlir::quant4::parseSeedOption(Operation *anchor, StringRef value,
                                            bool &isArg, int64_t &constant) {
  if (value == "arg") {
    isArg = true;
    return success();
  }
  if (value.getAsInteger(10, constant))
    return mlir::emitError(anchor->getLoc(),
                           "option 'seed': expected 'arg' or an integer, "
                           "got '")
           << value << "'";
  isArg = false;
  return success();
}

LogicalResult mlir::quant4::checkStateInitOptions(Operation *anchor,
                                                  double gradScaleInit,
                                                  double pactAlphaInit) {
  if (!(gradScaleInit > 0) || !(pactAlphaInit > 0))
    return mlir::emitError(anchor->getLoc(),
                           "options 'gradscale-init' and "
                           "'pact-alpha-init' must be positive");
  return success();
}

//===----------------------------------------------------------------------===//
// Specs
//===----------------------------------------------------------------------===//

Type mlir::quant4::getFormatType(MLIRContext *ctx, const FormatDesc &f) {
  Builder b(ctx);
  switch (f.kind) {
  case FormatDesc::None:
    return {};
  case FormatDesc::Int:
    return IntType::get(ctx, f.bits);
  case FormatDesc::UInt:
    return UIntType::get(ctx, f.bits);
  case FormatDesc::Log:
    return LogType::get(ctx, f.bits, f.ebits, f.phase);
  case FormatDesc::F4E2M1FN:
    return b.getType<Float4E2M1FNType>();
  case FormatDesc::F8E4M3FN:
    return b.getType<Float8E4M3FNType>();
  case FormatDesc::F8E5M2:
    return b.getType<Float8E5M2Type>();
  }
  return {};
}

static Type blockScaleType(MLIRContext *ctx, BlockScaleFormat f) {
  Builder b(ctx);
  switch (f) {
  case BlockScaleFormat::None:
    return {};
  case BlockScaleFormat::E8M0:
    return b.getType<Float8E8M0FNUType>();
  case BlockScaleFormat::E4M3:
    return b.getType<Float8E4M3FNType>();
  }
  return {};
}

static ScaleSite siteOf(OperandKind kind) {
  switch (kind) {
  case OperandKind::Activation:
    return ScaleSite::Act;
  case OperandKind::Weight:
    return ScaleSite::Weight;
  case OperandKind::Gradient:
    return ScaleSite::Grad;
  case OperandKind::LhsActivation:
    return ScaleSite::Act;
  case OperandKind::RhsActivation:
    return ScaleSite::Weight; // the layer has no weight
  }
  return ScaleSite::Act;
}

Recipe mlir::quant4::getGradientRecipe(Recipe recipe, GemmRole role,
                                       const RecipeOptions &options) {
  return role == GemmRole::WGrad && options.wgradGrad ? *options.wgradGrad
                                                      : recipe;
}

OperandSpec mlir::quant4::getOperandSpec(MLIRContext *ctx, Recipe recipe,
                                         OperandKind kind, GemmRole role,
                                         bool unsignedOperand,
                                         const RecipeOptions &options) {
  OperandSpec s;
  s.site = siteOf(kind);
  if (!getRecipeDesc(recipe).quantizes)
    return s;
  // `wgrad-grad`: the wgrad's gradient is a copy of its own, under another
  // recipe's gradient rule.
  Recipe gradientRecipe = getGradientRecipe(recipe, role, options);
  bool otherGradient =
      kind == OperandKind::Gradient && gradientRecipe != recipe;
  const RecipeDesc &d = getRecipeDesc(otherGradient ? gradientRecipe : recipe);
  if (otherGradient)
    s.site = ScaleSite::WGrad;
  bool actAct =
      kind == OperandKind::LhsActivation || kind == OperandKind::RhsActivation;
  const OperandRule &r = kind == OperandKind::Weight     ? d.weight
                         : kind == OperandKind::Gradient ? d.gradient
                         : unsignedOperand               ? d.activation
                                                         : d.inputActivation;
  FormatDesc format = r.format;
  if (kind == OperandKind::Gradient && format.kind == FormatDesc::Log &&
      options.gradRadix)
    format.bits = options.gradRadix;
  if (kind == OperandKind::Gradient && d.twoPhaseGradient && options.tpr) {
    bool dgrad = role == GemmRole::DGrad;
    format.phase = dgrad ? options.dgradPhase : 1 - options.dgradPhase;
    s.site = dgrad ? ScaleSite::DGrad : ScaleSite::WGrad;
  }
  s.format = getFormatType(ctx, format);
  s.policy = r.policy;
  if (s.policy == PolicyKind::GradScale && !options.gradScale)
    s.policy = PolicyKind::Amax;
  // An operand of an activation × activation GEMM (attention's softmax
  // output) has no learned clip of its own: amax.
  if (s.policy == PolicyKind::Pact && actAct)
    s.policy = PolicyKind::Amax;
  s.rounding = kind == OperandKind::Gradient && options.gradRounding
                   ? *options.gradRounding
                   : r.rounding;
  s.blockScale = blockScaleType(ctx, r.blockScale);
  s.tensorScale = r.tensorScale;
  s.blockK = r.blockK;
  s.block2D = r.block2D;
  return s;
}

bool mlir::quant4::isStochastic(RoundingKind r) {
  return r == RoundingKind::stochastic ||
         r == RoundingKind::stochastic_underflow;
}

Attribute mlir::quant4::getPolicyAttr(MLIRContext *ctx, PolicyKind policy,
                                      Type blockScale, bool tensorScale,
                                      const RecipeOptions &o) {
  switch (policy) {
  case PolicyKind::Amax:
    return AmaxAttr::get(ctx, false);
  case PolicyKind::GradScale:
    return GradScaleAttr::get(ctx);
  case PolicyKind::Delayed:
    return DelayedAttr::get(ctx, o.fp8History, o.fp8Margin);
  case PolicyKind::Sawb:
    return SawbAttr::get(ctx);
  case PolicyKind::Pact:
    return PactAttr::get(ctx);
  case PolicyKind::Block:
    return BlockAttr::get(ctx, blockScale, tensorScale);
  }
  return {};
}

//===----------------------------------------------------------------------===//
// The state plan
//===----------------------------------------------------------------------===//

/// The state tensors of a policy, in signature order.
static SmallVector<StateSlotDesc, 2>
policyState(MLIRContext *ctx, PolicyKind policy, const RecipeOptions &o) {
  auto f32 = Float32Type::get(ctx);
  auto scalar = RankedTensorType::get({}, f32);
  switch (policy) {
  case PolicyKind::GradScale:
    return {{"", StateKind::GradScale, scalar, (float)o.gradScaleInit}};
  case PolicyKind::Delayed:
    return {{"", StateKind::AmaxHistory,
             RankedTensorType::get({(int64_t)o.fp8History}, f32), 0.0f},
            {"", StateKind::Scale, scalar, 1.0f}};
  case PolicyKind::Pact:
    return {{"", StateKind::PactAlpha, scalar, (float)o.pactAlphaInit}};
  default:
    return {};
  }
}

const RecipeSite *RecipePlan::lookupSite(int64_t layer, ScaleSite site) const {
  auto it = siteIndex.find({layer, site});
  return it == siteIndex.end() ? nullptr : &sites[it->second];
}

OperandSpec RecipePlan::operandSpec(MLIRContext *ctx, Recipe r,
                                    const GemmInfo &g, unsigned i,
                                    const RecipeOptions &options) const {
  OperandKind kind = g.operands[i];
  OperandSpec spec = getOperandSpec(ctx, r, kind, g.role,
                                    isUnsigned(g.layer, kind), options);
  // PACT's clip is one learned number per tensor: a data input (whose
  // range is the dataset's) and a per-channel scale take amax instead; so
  // does a per-channel gradient for GradScale's one-number state.
  bool grouped = groupScaledLayers.count(g.layer);
  if (spec.policy == PolicyKind::Pact &&
      (grouped || dataInputs.count({g.layer, kind})))
    spec.policy = PolicyKind::Amax;
  if (grouped && spec.policy == PolicyKind::GradScale)
    spec.policy = PolicyKind::Amax;
  return spec;
}

FailureOr<RecipePlan> mlir::quant4::planRecipes(const RoleAnalysis &analysis,
                                                const RecipeOptions &options) {
  RecipePlan plan;
  ArrayRef<LayerInfo> layers = analysis.getLayers();
  for (const GemmInfo &g : analysis.getGemms()) {
    std::optional<Recipe> r = getRecipe(g.op);
    if (!r)
      return g.op->emitOpError("has no valid '")
             << attrs::kRecipe
             << "' annotation (quant4-assign-recipes writes it)";
    plan.gemms.push_back({&g, *r});
  }
  llvm::sort(plan.gemms,
             [](const RecipePlan::Gemm &a, const RecipePlan::Gemm &b) {
               return a.info->position < b.info->position;
             });

  // Which activation operands are unsigned, by the forward GEMM's operands
  // (`signed-act`): with `auto`, those proven non-negative (in the first
  // layer, only a data argument its caller marks non-negative); with
  // `false`, every activation after the first layer. An unsigned operand
  // that is a function argument (through views) is a data input.
  NonNegativeAnalysis signs;
  for (const LayerInfo &layer : layers) {
    const GemmInfo *fwd = layer.fwd ? analysis.lookup(layer.fwd) : nullptr;
    if (!fwd || options.signedAct == SignedActivations::All ||
        (layer.index < 1 && options.signedAct == SignedActivations::None))
      continue;
    auto op = cast<linalg::LinalgOp>(fwd->op);
    for (unsigned i = 0; i < 2; ++i) {
      OperandKind kind = fwd->operands[i];
      Value operand = op.getDpsInputOperand(i)->get();
      bool unsignedOperand =
          options.signedAct == SignedActivations::None
              ? kind == OperandKind::Activation
              : kind != OperandKind::Weight && signs.isNonNegative(operand);
      if (!unsignedOperand)
        continue;
      plan.unsignedOperands.insert({layer.index, kind});
      if (isa<BlockArgument>(RoleAnalysis::stripViews(operand)))
        plan.dataInputs.insert({layer.index, kind});
    }
  }

  // Grouped and depthwise convolutions with per-group / per-channel scales.
  if (options.groupScales)
    for (const LayerInfo &layer : layers) {
      const GemmInfo *fwd = layer.fwd ? analysis.lookup(layer.fwd) : nullptr;
      if (fwd && (fwd->kind == GemmKind::DepthwiseConvNhwcHwc ||
                  fwd->kind == GemmKind::GroupedConvNhwgcGfhwc))
        plan.groupScaledLayers.insert(layer.index);
    }

  // Sites in order of first use, with their state slots.
  for (const RecipePlan::Gemm &gemm : plan.gemms) {
    if (!getRecipeDesc(gemm.recipe).quantizes)
      continue;
    const GemmInfo &g = *gemm.info;
    MLIRContext *ctx = g.op->getContext();
    for (unsigned i = 0; i < 2; ++i) {
      OperandSpec spec = plan.operandSpec(ctx, gemm.recipe, g, i, options);
      plan.needsSeed |= isStochastic(spec.rounding);
      auto key = std::make_pair(g.layer, spec.site);
      if (plan.siteIndex.count(key))
        continue;
      RecipeSite site;
      site.layer = g.layer;
      site.site = spec.site;
      site.spec = spec;
      for (StateSlotDesc slot : policyState(ctx, spec.policy, options)) {
        slot.name = getStateName(layers[g.layer].name, spec.site, slot.kind);
        plan.slots.push_back(slot);
        site.slots.push_back(plan.slots.size() - 1);
      }
      plan.sites.push_back(std::move(site));
      plan.siteIndex[key] = plan.sites.size() - 1;
    }
  }

  // Signature order: by layer, then site, then state component.
  SmallVector<unsigned> order(plan.sites.size());
  for (unsigned i = 0; i < order.size(); ++i)
    order[i] = i;
  llvm::sort(order, [&](unsigned a, unsigned b) {
    const RecipeSite &x = plan.sites[a], &y = plan.sites[b];
    return std::make_tuple(x.layer, (unsigned)x.site, a) <
           std::make_tuple(y.layer, (unsigned)y.site, b);
  });
  for (unsigned s : order)
    for (unsigned slot : plan.sites[s].slots)
      plan.slotOrder.push_back(slot);
  return plan;
}

//===----------------------------------------------------------------------===//
// Documentation
//===----------------------------------------------------------------------===//

static std::string code(StringRef s) { return ("`" + s + "`").str(); }

template <typename T> static std::string printed(T value) {
  std::string s;
  llvm::raw_string_ostream os(s);
  value.print(os);
  return code(s);
}

/// One cell: format, policy (with its state), block shape, rounding.
static std::string describe(MLIRContext *ctx, const OperandRule &r,
                            const RecipeOptions &o) {
  std::string s = printed(getFormatType(ctx, r.format)) + ", ";
  s += printed(getPolicyAttr(ctx, r.policy, blockScaleType(ctx, r.blockScale),
                             r.tensorScale, o));
  SmallVector<std::string> state;
  for (const StateSlotDesc &slot : policyState(ctx, r.policy, o))
    state.push_back(code(stringifyStateKind(slot.kind)));
  if (!state.empty())
    s += " (state " + llvm::join(state, ", ") + ")";
  if (r.policy == PolicyKind::Block)
    s += r.block2D ? ", " + std::to_string(r.blockK) + "×" +
                         std::to_string(r.blockK) + " blocks"
                   : ", blocks of " + std::to_string(r.blockK) + " along K";
  s += ", " + code(stringifyRoundingKind(r.rounding));
  return isStochastic(r.rounding) ? s + " (seed)" : s;
}

static bool sameRule(const OperandRule &a, const OperandRule &b) {
  const FormatDesc &f = a.format, &g = b.format;
  return f.kind == g.kind && f.bits == g.bits && f.ebits == g.ebits &&
         f.phase == g.phase && a.policy == b.policy &&
         a.rounding == b.rounding && a.blockScale == b.blockScale &&
         a.tensorScale == b.tensorScale && a.blockK == b.blockK &&
         a.block2D == b.block2D;
}

void mlir::quant4::printRecipeTable(MLIRContext *ctx, llvm::raw_ostream &os) {
  ctx->getOrLoadDialect<Quant4Dialect>();
  RecipeOptions o;
  os << "| recipe | activation | weight | gradient | accumulation | "
        "straight-through estimators |\n"
     << "|---|---|---|---|---|---|\n";
  for (unsigned i = 0; i <= getMaxEnumValForRecipe(); ++i) {
    const RecipeDesc &d = getRecipeDesc(static_cast<Recipe>(i));
    os << "| " << code(stringifyRecipe(d.recipe)) << " | ";
    if (!d.quantizes) {
      os << "— | — | — | GEMMs untouched | — |\n";
      continue;
    }
    std::string act = describe(ctx, d.activation, o);
    if (!sameRule(d.inputActivation, d.activation))
      act = "inputs proven non-negative, after layer 0 (`signed-act`): " +
            act + "; others: " + describe(ctx, d.inputActivation, o);
    auto orSame = [&](const OperandRule &r) {
      return sameRule(r, d.activation) ? std::string("same as activation")
                                       : describe(ctx, r, o);
    };
    std::string grad = orSame(d.gradient);
    if (d.twoPhaseGradient)
      grad += "; Two-Phase Rounding (`tpr`): the dgrad copy on phase "
              "`dgrad-phase`, the wgrad copy on the other";
    SmallVector<std::string> ste;
    if (d.sawbMask)
      ste.push_back("SAWB mask of dW");
    if (d.pactBackward)
      ste.push_back("PACT mask of dX and dL/dα (PACT layers)");
    os << act << " | " << orSame(d.weight) << " | " << grad << " | "
       << (d.accumulation == AccumulationKind::f16_chunked
               ? "`f16_chunked`, the overflow-free chunk of the operand "
                 "formats (C48)"
               : code(stringifyAccumulationKind(d.accumulation)))
       << " | "
       << (ste.empty() ? std::string("—") : llvm::join(ste, "; ")) << " |\n";
  }
}

void mlir::quant4::registerRecipeTableTranslation() {
  static TranslateRegistration table(
      "quant4-recipe-table",
      "print the recipe table of docs/Recipes.md and ignore the input",
      [](const std::shared_ptr<llvm::SourceMgr> &, llvm::raw_ostream &os,
         MLIRContext *ctx) {
        printRecipeTable(ctx, os);
        return success();
      });
}
