//===- AssignRecipes.cpp - a recipe for every GEMM ------------------------===//
//
// quant4-assign-recipes, the first stage of quant4-apply-recipe: role
// analysis (written as annotations) and quant4.recipe on every GEMM, from
// the options recipe, keep-first/keep-last + edge-recipe, and overrides.
//
//===----------------------------------------------------------------------===//
#include "RecipeStages.h"
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "quant4/Dialect/Quant4/Transforms/Passes.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4ASSIGNRECIPES
#include "quant4/Dialect/Quant4/Transforms/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;
using namespace mlir::quant4;

SmallVector<func::FuncOp> mlir::quant4::getRecipeFunctions(ModuleOp module) {
  SmallVector<func::FuncOp> funcs;
  for (auto f : module.getOps<func::FuncOp>())
    if (!f.isExternal() && !getInitStateOf(f) && !getCalibrateStateOf(f))
      funcs.push_back(f);
  return funcs;
}

LogicalResult mlir::quant4::runRecipeStage(
    ModuleOp module,
    function_ref<LogicalResult(func::FuncOp, const RoleAnalysis &)> stage) {
  for (func::FuncOp f : getRecipeFunctions(module)) {
    RoleAnalysis analysis(f);
    if (failed(analysis.run()))
      return failure();
    if (!analysis.getGemms().empty() && failed(stage(f, analysis)))
      return failure();
  }
  return success();
}

LogicalResult mlir::quant4::assignRecipes(func::FuncOp func,
                                          const RoleAnalysis &analysis,
                                          const RecipeOptions &o) {
  analysis.annotate();
  ArrayRef<LayerInfo> layers = analysis.getLayers();
  int64_t numLayers = layers.size();

  // Recipe of each layer: base, then keep-first/last, then overrides.
  SmallVector<Recipe> layerRecipe(numLayers, o.recipe);
  if (o.keepFirst)
    layerRecipe[0] = o.edgeRecipe;
  if (o.keepLast)
    layerRecipe[numLayers - 1] = o.edgeRecipe;
  for (auto &[layer, r] : o.overrides) {
    int64_t idx = -1;
    if (StringRef(layer).getAsInteger(10, idx)) {
      idx = -1;
      for (const LayerInfo &l : layers)
        if (l.name == layer)
          idx = l.index;
    }
    if (idx < 0 || idx >= numLayers) {
      InFlightDiagnostic d =
          mlir::emitError(func.getLoc(), "option 'overrides': function @")
          << func.getSymName() << " has no layer '" << layer << "' (layers:";
      for (const LayerInfo &l : layers)
        d << " " << l.index << "=" << l.name;
      d << ")";
      return failure();
    }
    layerRecipe[idx] = r;
  }
  for (const GemmInfo &g : analysis.getGemms())
    setRecipe(g.op, layerRecipe[g.layer]);
  return success();
}

namespace {

struct AssignRecipesPass
    : mlir::quant4::impl::Quant4AssignRecipesBase<AssignRecipesPass> {
  using Base::Base;

  template <typename To, typename From>
  friend To mlir::quant4::getStageOptions(const From &);

  void runOnOperation() override {
    if (failed(runRecipeStage(
            getOperation(), getStageOptions<Quant4AssignRecipesOptions>(*this),
            assignRecipes)))
      signalPassFailure();
  }
};

} // namespace
