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

namespace mlir::quant4 {

/// The functions the recipe passes process: definitions that are not state
/// initializers (quant4.init_state_of).
SmallVector<func::FuncOp> getRecipeFunctions(ModuleOp module);

/// A stage pass on its own: runs `stage` on every recipe function with GEMMs,
/// each with its own role analysis (of the annotated step, for stages 2-3).
LogicalResult runRecipeStage(
    ModuleOp module,
    function_ref<LogicalResult(func::FuncOp, const RoleAnalysis &)> stage);

// The options of each stage, from a recipe pass or its options struct: the
// stage passes and quant4-apply-recipe have them under the same names (the
// passes make these templates friends: their options are protected). Each
// option is routed here once, for the passes and for
// buildApplyRecipePipeline.
template <typename From>
Quant4AssignRecipesOptions getAssignOptions(const From &p) {
  Quant4AssignRecipesOptions o;
  o.recipe = p.recipe;
  o.overrides.assign(p.overrides.begin(), p.overrides.end());
  o.keepFirst = p.keepFirst;
  o.keepLast = p.keepLast;
  o.edgeRecipe = p.edgeRecipe;
  return o;
}

template <typename From>
Quant4ThreadRecipeStateOptions getThreadOptions(const From &p) {
  Quant4ThreadRecipeStateOptions o;
  o.tpr = p.tpr;
  o.gradScale = p.gradScale;
  o.gradScaleInit = p.gradScaleInit;
  o.pactAlphaInit = p.pactAlphaInit;
  o.fp8History = p.fp8History;
  o.seed = p.seed;
  return o;
}

template <typename From>
Quant4QuantizeByRecipeOptions getQuantizeOptions(const From &p) {
  Quant4QuantizeByRecipeOptions o;
  o.accumulation = p.accumulation;
  o.tpr = p.tpr;
  o.dgradPhase = p.dgradPhase;
  o.gradScale = p.gradScale;
  o.pactUpdate = p.pactUpdate;
  o.pactLr = p.pactLr;
  o.fp8History = p.fp8History;
  o.fp8Margin = p.fp8Margin;
  o.seed = p.seed;
  return o;
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
