//===- ThreadRecipeState.cpp - recipe state through the signature ---------===//
//
// quant4-thread-recipe-state, the second stage of quant4-apply-recipe: the
// state tensors of the recipes' scale policies (and the seed of stochastic
// rounding) become arguments and results of the step, in the order of
// docs/Recipes.md §3, and @<name>_init_state returns their initial values.
//
//===----------------------------------------------------------------------===//
#include "RecipeStages.h"
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "quant4/Dialect/Quant4/Transforms/Passes.h"

namespace mlir::quant4 {
#define GEN_PASS_DEF_QUANT4THREADRECIPESTATE
#include "quant4/Dialect/Quant4/Transforms/Passes.h.inc"
} // namespace mlir::quant4

using namespace mlir;
using namespace mlir::quant4;

namespace {

/// Appends the state arguments (then the seed) and the state results, which
/// return their arguments until quant4-quantize-by-recipe updates them.
LogicalResult threadState(func::FuncOp func, const RecipePlan &plan,
                          const RecipeOptions &options) {
  MLIRContext *ctx = func.getContext();
  Location loc = func.getLoc();
  auto stateAttrs = [&](const StateSlotDesc &slot) {
    return DictionaryAttr::get(ctx,
                               {getSlotAttr(ctx, SlotKind::State, slot.name)});
  };
  // All new arguments (and below, results) in one signature update: one
  // insertion per slot would rebuild the O(#slots) signature each time.
  unsigned firstNewArg = func.getNumArguments();
  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  for (unsigned slot : plan.slotOrder) {
    argTypes.push_back(plan.slots[slot].type);
    argAttrs.push_back(stateAttrs(plan.slots[slot]));
  }
  // A step that already has a seed (random dropout in the forward) shares
  // it: the streams keep the draws apart (docs/Recipes.md, "Randomness").
  bool hasSeed = hasSeedArgument(func);
  if (plan.needsSeed && options.seedIsArg && !hasSeed) {
    argTypes.push_back(IntegerType::get(ctx, 64));
    argAttrs.push_back(
        DictionaryAttr::get(ctx, {getSlotAttr(ctx, SlotKind::Seed)}));
  }
  if (!argTypes.empty()) {
    SmallVector<unsigned> argIndices(argTypes.size(), firstNewArg);
    SmallVector<Location> argLocs(argTypes.size(), loc);
    if (failed(func.insertArguments(argIndices, argTypes, argAttrs, argLocs)))
      return failure();
  }
  if (plan.slotOrder.empty())
    return success();
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  SmallVector<Value> newOperands(ret.getOperands());
  SmallVector<Type> resultTypes;
  SmallVector<DictionaryAttr> resultAttrs;
  for (auto [i, slot] : llvm::enumerate(plan.slotOrder)) {
    resultTypes.push_back(plan.slots[slot].type);
    resultAttrs.push_back(stateAttrs(plan.slots[slot]));
    newOperands.push_back(func.getArgument(firstNewArg + i));
  }
  SmallVector<unsigned> resultIndices(resultTypes.size(), func.getNumResults());
  if (failed(func.insertResults(resultIndices, resultTypes, resultAttrs)))
    return failure();
  ret->setOperands(newOperands);
  return success();
}

/// func.func @<name>_init_state() -> (state...) {quant4.init_state_of}.
LogicalResult emitInitFunction(func::FuncOp func, const RecipePlan &plan) {
  MLIRContext *ctx = func.getContext();
  std::string name = (func.getSymName() + "_init_state").str();
  auto module = func->getParentOfType<ModuleOp>();
  if (SymbolTable::lookupSymbolIn(module, name))
    return func.emitError("cannot emit the state initializer: symbol @")
           << name << " already exists";
  OpBuilder ob(ctx);
  ob.setInsertionPointAfter(func);
  SmallVector<Type> types;
  SmallVector<DictionaryAttr> resultAttrs;
  for (unsigned slot : plan.slotOrder) {
    types.push_back(plan.slots[slot].type);
    resultAttrs.push_back(DictionaryAttr::get(
        ctx, {getSlotAttr(ctx, SlotKind::State, plan.slots[slot].name)}));
  }
  auto init = func::FuncOp::create(ob, func.getLoc(), name,
                                   ob.getFunctionType({}, types));
  setInitStateOf(init, func.getSymNameAttr());
  init.setAllResultAttrs(resultAttrs);
  Block *block = init.addEntryBlock();
  ob.setInsertionPointToStart(block);
  SmallVector<Value> values;
  for (unsigned slot : plan.slotOrder) {
    const StateSlotDesc &s = plan.slots[slot];
    auto attr = DenseElementsAttr::get(s.type, ob.getF32FloatAttr(s.init));
    values.push_back(arith::ConstantOp::create(ob, func.getLoc(), s.type,
                                               cast<TypedAttr>(attr)));
  }
  func::ReturnOp::create(ob, func.getLoc(), values);
  return success();
}

} // namespace

LogicalResult mlir::quant4::threadRecipeState(func::FuncOp func,
                                              const RoleAnalysis &analysis,
                                              const RecipeOptions &options) {
  FailureOr<RecipePlan> plan = planRecipes(analysis, options);
  if (failed(plan) || failed(threadState(func, *plan, options)))
    return failure();
  return emitInitFunction(func, *plan);
}

namespace {

struct ThreadRecipeStatePass
    : mlir::quant4::impl::Quant4ThreadRecipeStateBase<ThreadRecipeStatePass> {
  using Base::Base;

  template <typename To, typename From>
  friend To mlir::quant4::getStageOptions(const From &);

  void runOnOperation() override {
    if (failed(runRecipeStage(
            getOperation(),
            getStageOptions<Quant4ThreadRecipeStateOptions>(*this),
            threadRecipeState)))
      signalPassFailure();
  }
};

} // namespace
