//===- ApplyRecipe.cpp - quantize a training step with a recipe -----------===//
//
// quant4-apply-recipe checks all its options (in one order, so that a bad
// combination reports the same first error whatever the stage), then applies
// its three stages to every function:
//
//   quant4-assign-recipes       roles + quant4.recipe on every GEMM
//   quant4-thread-recipe-state  state and seed through the signature,
//                               @<name>_init_state
//   quant4-quantize-by-recipe   GEMMs -> quant4 ops, straight-through
//                               estimators
//
// It runs the stages' functions (RecipeStages.h) with one role analysis per
// function rather than the pass pipeline buildApplyRecipePipeline() builds:
// the IR is the same (test/Dialect/Quant4/apply-recipe-stages.test), but the
// pipeline verifies the module after every stage and repeats the analysis,
// which cost a quarter more instructions at 256 layers (docs/Recipes.md,
// "The passes"). The recipes are the table of Recipes.cpp; docs/Recipes.md
// specifies it all.
//
//===----------------------------------------------------------------------===//
#include "RecipeStages.h"
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "quant4/Dialect/Quant4/Transforms/Passes.h"
#include "quant4/Training/Passes.h"

#include "mlir/Pass/PassManager.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4APPLYRECIPE
#include "quant4/Dialect/Quant4/Transforms/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;
using namespace mlir::quant4;

LogicalResult mlir::quant4::parseOptions(Operation *anchor,
                                         const Quant4AssignRecipesOptions &raw,
                                         RecipeOptions &o) {
  copyPlainOptions(raw, o);
  return success(
      succeeded(parseRecipeOption(anchor, "recipe", raw.recipe, o.recipe)) &&
      succeeded(parseRecipeOption(anchor, "edge-recipe", raw.edgeRecipe,
                                  o.edgeRecipe)) &&
      succeeded(parseOverridesOption(anchor, raw.overrides, o.overrides)));
}

LogicalResult
mlir::quant4::parseOptions(Operation *anchor,
                           const Quant4QuantizeByRecipeOptions &raw,
                           RecipeOptions &o) {
  copyPlainOptions(raw, o);
  return success(
      succeeded(
          parseAccumulationOption(anchor, raw.accumulation, o.accumulation)) &&
      succeeded(checkDgradPhaseOption(anchor, raw.dgradPhase)) &&
      succeeded(
          parseGradRoundingOption(anchor, raw.gradRounding, o.gradRounding)) &&
      succeeded(checkGradRadixOption(anchor, raw.gradRadix, raw.tpr)) &&
      succeeded(parseWgradGradOption(anchor, raw.wgradGrad, o.wgradGrad)) &&
      succeeded(parseSignedActOption(anchor, raw.signedAct, o.signedAct)) &&
      succeeded(parsePactUpdateOption(anchor, raw.pactUpdate, o.pactGrad)) &&
      succeeded(checkFp8HistoryOption(anchor, raw.fp8History)) &&
      succeeded(parseSeedOption(anchor, raw.seed, o.seedIsArg, o.seedConst)));
}

LogicalResult
mlir::quant4::parseOptions(Operation *anchor,
                           const Quant4ThreadRecipeStateOptions &raw,
                           RecipeOptions &o) {
  copyPlainOptions(raw, o);
  return success(
      succeeded(checkFp8HistoryOption(anchor, raw.fp8History)) &&
      succeeded(parseSeedOption(anchor, raw.seed, o.seedIsArg, o.seedConst)) &&
      succeeded(
          parseGradRoundingOption(anchor, raw.gradRounding, o.gradRounding)) &&
      succeeded(checkGradRadixOption(anchor, raw.gradRadix, raw.tpr)) &&
      succeeded(parseWgradGradOption(anchor, raw.wgradGrad, o.wgradGrad)) &&
      succeeded(parseSignedActOption(anchor, raw.signedAct, o.signedAct)) &&
      succeeded(
          checkStateInitOptions(anchor, raw.gradScaleInit, raw.pactAlphaInit)));
}

/// Whether computing only a slice of convolution `conv`'s output (its
/// input cut to the window the slice reads) gives the kept outputs' bits:
/// when its quantized operands are rounded deterministically. Stochastic
/// rounding draws a tensor's random numbers by element position, which a
/// smaller input changes.
static bool keepsBitsWhenSliced(linalg::Conv2DNhwcHwcfOp conv,
                         const RecipeOptions &options) {
  std::optional<Recipe> recipe = getRecipe(conv);
  std::optional<GemmRole> role = getGemmRole(conv);
  if (!recipe || !role)
    return false;
  MLIRContext *ctx = conv.getContext();
  // The sliced operand: the dgrad's gradient, a forward's activation (its
  // rule for unsigned activations included), a wgrad's activation.
  for (OperandKind kind : {OperandKind::Gradient, OperandKind::Activation})
    for (bool unsignedOperand : {false, true})
      if (isStochastic(getOperandSpec(ctx, *recipe, kind, *role,
                                      unsignedOperand, options)
                           .rounding))
        return false;
  return true;
}

FailureOr<bool> mlir::quant4::foldSlicedConvs(func::FuncOp func,
                                               const RecipeOptions &options) {
  bool folded = false;
  if (failed(foldConvSlices(func, [&](linalg::Conv2DNhwcHwcfOp conv) {
        bool keeps = keepsBitsWhenSliced(conv, options);
        folded |= keeps;
        return keeps;
      })))
    return failure();
  return folded;
}

void mlir::quant4::buildApplyRecipePipeline(
    OpPassManager &pm, const Quant4ApplyRecipeOptions &options) {
  pm.addPass(createQuant4AssignRecipes(
      getStageOptions<Quant4AssignRecipesOptions>(options)));
  pm.addPass(createQuant4ThreadRecipeState(
      getStageOptions<Quant4ThreadRecipeStateOptions>(options)));
  pm.addPass(createQuant4QuantizeByRecipe(
      getStageOptions<Quant4QuantizeByRecipeOptions>(options)));
}

namespace {

struct ApplyRecipePass
    : mlir::quant4::impl::Quant4ApplyRecipeBase<ApplyRecipePass> {
  using Base::Base;

  template <typename To, typename From>
  friend To mlir::quant4::getStageOptions(const From &);

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Every option before any change to the IR, in this order (the checks
    // of quant4-thread-recipe-state that quant4-quantize-by-recipe shares
    // pass again).
    RecipeOptions options;
    if (failed(parseOptions(module,
                            getStageOptions<Quant4AssignRecipesOptions>(*this),
                            options)) ||
        failed(parseOptions(
            module, getStageOptions<Quant4QuantizeByRecipeOptions>(*this),
            options)) ||
        failed(parseOptions(
            module, getStageOptions<Quant4ThreadRecipeStateOptions>(*this),
            options)))
      return signalPassFailure();
    // The analysis of each function with GEMMs, shared by the stages: the
    // first two change attributes and the signature only.
    SmallVector<std::pair<func::FuncOp, std::unique_ptr<RoleAnalysis>>> work;
    for (func::FuncOp f : getRecipeFunctions(module)) {
      auto analysis = std::make_unique<RoleAnalysis>(f);
      if (failed(analysis->run()))
        return signalPassFailure();
      if (analysis->getGemms().empty())
        continue;
      if (failed(assignRecipes(f, *analysis, options)))
        return signalPassFailure();
      work.push_back({f, std::move(analysis)});
    }
    for (auto &[f, analysis] : work)
      if (failed(threadRecipeState(f, *analysis, options)))
        return signalPassFailure();
    for (auto &[f, analysis] : work) {
      FailureOr<bool> folded = foldSlicedConvs(f, options);
      if (failed(folded))
        return signalPassFailure();
      if (*folded) { // GEMMs were replaced: analyse again
        analysis = std::make_unique<RoleAnalysis>(f);
        if (failed(analysis->run()))
          return signalPassFailure();
      }
      if (failed(quantizeByRecipe(f, *analysis, options)))
        return signalPassFailure();
    }
  }
};

} // namespace
