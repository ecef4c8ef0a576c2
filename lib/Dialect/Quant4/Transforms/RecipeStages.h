//===- RecipeStages.h - the three rewrites of quant4-apply-recipe -*- C++
//-*-===//
//
// One function per stage, applied to one function of the module. Each stage
// pass (quant4-assign-recipes, quant4-thread-recipe-state,
// quant4-quantize-by-recipe) runs the role analysis and its stage;
// quant4-apply-recipe runs the three stages on every function with one
// analysis per function. Private to lib/Dialect/Quant4/Transforms.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_LIB_DIALECT_QUANT4_TRANSFORMS_RECIPESTAGES_H
#define QUANT4_LIB_DIALECT_QUANT4_TRANSFORMS_RECIPESTAGES_H

#include "quant4/Dialect/Quant4/Transforms/Passes.h"
#include "quant4/Dialect/Quant4/Transforms/Recipes.h"

#include <type_traits>

namespace mlir::quant4 {

/// The functions the recipe passes process: definitions that are not state
/// initializers (quant4.init_state_of).
SmallVector<func::FuncOp> getRecipeFunctions(ModuleOp module);

/// A stage pass on its own: runs `stage` on every recipe function with GEMMs,
/// each with its own role analysis (of the annotated step, for stages 2-3).
LogicalResult runRecipeStage(
    ModuleOp module,
    function_ref<LogicalResult(func::FuncOp, const RoleAnalysis &)> stage);

// Whether `To` has member `name`: a stage's options are a subset of
// quant4-apply-recipe's, under the same names (Passes.td).
#define QUANT4_IF_HAS_OPTION(To, name)                                         \
  auto has_##name = [](auto &t) -> decltype((void)t.name) {};                  \
  if constexpr (std::is_invocable_v<decltype(has_##name), To &>)

/// The options of a stage (`To`: Quant4AssignRecipesOptions,
/// Quant4ThreadRecipeStateOptions or Quant4QuantizeByRecipeOptions), from a
/// recipe pass or its options struct: each option `To` has, copied from `p`
/// (the passes make this template a friend: their options are protected).
/// Each option is routed here once, for the passes and for
/// buildApplyRecipePipeline.
template <typename To, typename From> To getStageOptions(const From &p) {
  To o;
#define QUANT4_COPY_OPTION(name)                                               \
  do {                                                                         \
    QUANT4_IF_HAS_OPTION(To, name) o.name = p.name;                            \
  } while (false)
  QUANT4_COPY_OPTION(recipe);
  {
    QUANT4_IF_HAS_OPTION(To, overrides)
    o.overrides.assign(p.overrides.begin(), p.overrides.end());
  }
  QUANT4_COPY_OPTION(accumulation);
  QUANT4_COPY_OPTION(keepFirst);
  QUANT4_COPY_OPTION(keepLast);
  QUANT4_COPY_OPTION(edgeRecipe);
  QUANT4_COPY_OPTION(tpr);
  QUANT4_COPY_OPTION(dgradPhase);
  QUANT4_COPY_OPTION(gradRounding);
  QUANT4_COPY_OPTION(gradRadix);
  QUANT4_COPY_OPTION(wgradGrad);
  QUANT4_COPY_OPTION(signedAct);
  QUANT4_COPY_OPTION(groupScales);
  QUANT4_COPY_OPTION(gradScale);
  QUANT4_COPY_OPTION(gradScaleInit);
  QUANT4_COPY_OPTION(pactAlphaInit);
  QUANT4_COPY_OPTION(pactCalibrate);
  QUANT4_COPY_OPTION(pactUpdate);
  QUANT4_COPY_OPTION(pactLr);
  QUANT4_COPY_OPTION(fp8History);
  QUANT4_COPY_OPTION(fp8Margin);
  QUANT4_COPY_OPTION(seed);
#undef QUANT4_COPY_OPTION
  return o;
}

/// The options a stage's `raw` options have that RecipeOptions takes as
/// they are (the others are parsed by parseOptions).
template <typename OptionsT>
void copyPlainOptions(const OptionsT &raw, RecipeOptions &o) {
#define QUANT4_COPY_OPTION(name)                                               \
  do {                                                                         \
    QUANT4_IF_HAS_OPTION(OptionsT, name) o.name = raw.name;                    \
  } while (false)
  QUANT4_COPY_OPTION(keepFirst);
  QUANT4_COPY_OPTION(keepLast);
  QUANT4_COPY_OPTION(tpr);
  QUANT4_COPY_OPTION(dgradPhase);
  QUANT4_COPY_OPTION(gradRadix);
  QUANT4_COPY_OPTION(groupScales);
  QUANT4_COPY_OPTION(gradScale);
  QUANT4_COPY_OPTION(gradScaleInit);
  QUANT4_COPY_OPTION(pactAlphaInit);
  QUANT4_COPY_OPTION(pactCalibrate);
  QUANT4_COPY_OPTION(pactLr);
  QUANT4_COPY_OPTION(fp8History);
  QUANT4_COPY_OPTION(fp8Margin);
#undef QUANT4_COPY_OPTION
}

/// Checks a stage's options with quant4-apply-recipe's messages (at
/// `anchor`) and adds them to `o`. quant4-apply-recipe checks assign,
/// quantize, thread in this order: its historical order of checks.
LogicalResult parseOptions(Operation *anchor,
                           const Quant4AssignRecipesOptions &raw,
                           RecipeOptions &o);
LogicalResult parseOptions(Operation *anchor,
                           const Quant4ThreadRecipeStateOptions &raw,
                           RecipeOptions &o);
LogicalResult parseOptions(Operation *anchor,
                           const Quant4QuantizeByRecipeOptions &raw,
                           RecipeOptions &o);

/// Stage 1: writes the analysis (run, with GEMMs) as annotations and
/// quant4.recipe on every GEMM.
LogicalResult assignRecipes(func::FuncOp func, const RoleAnalysis &analysis,
                            const RecipeOptions &options);

/// Stage 2: state and seed arguments/results, @<name>_init_state.
LogicalResult threadRecipeState(func::FuncOp func, const RoleAnalysis &analysis,
                                const RecipeOptions &options);

/// Before stage 3: quant4-fold-conv-slices on the convolutions whose
/// sliced operand is rounded deterministically (then the kept outputs have
/// the same bits; stochastic rounding draws by element position). True when
/// GEMMs of `func` were replaced: its analysis must run again.
FailureOr<bool> foldSlicedConvs(func::FuncOp func,
                                const RecipeOptions &options);

/// After stage 3 (`pact-calibrate`): @<name>_calibrate_state for the PACT
/// layers of `func`, if it has any.
LogicalResult emitPactCalibration(func::FuncOp func);

/// Stage 3: the GEMM rewrites and straight-through estimators.
LogicalResult quantizeByRecipe(func::FuncOp func, const RoleAnalysis &analysis,
                               const RecipeOptions &options);

/// The body of a stage pass: checks its options `raw`, then runs `stage`
/// (one of the three above) on every recipe function.
template <typename OptionsT>
LogicalResult runRecipeStage(ModuleOp module, const OptionsT &raw,
                             LogicalResult (*stage)(func::FuncOp,
                                                    const RoleAnalysis &,
                                                    const RecipeOptions &)) {
  RecipeOptions o;
  if (failed(parseOptions(module, raw, o)))
    return failure();
  return runRecipeStage(module, [&](func::FuncOp f, const RoleAnalysis &a) {
    return stage(f, a, o);
  });
}

} // namespace mlir::quant4

#endif // QUANT4_LIB_DIALECT_QUANT4_TRANSFORMS_RECIPESTAGES_H
