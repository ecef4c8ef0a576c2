//===- PactCalibration.cpp - the PACT clips calibrated on a batch ---------===//
//
// With `pact-calibrate`, quant4-quantize-by-recipe ends by deriving from a
// quantized step @<name> its state calibrator @<name>_calibrate_state: the
// same arguments, the step's state as results. Each PACT alpha is replaced,
// where its scale is computed, by quant4.pact_calibrate of the activation it
// clips, so the layers after it see that layer quantized with its calibrated
// alpha; every other state tensor passes through unchanged. What does not
// lead to a result (the backward pass, the updates) is erased.
//
// PACT's gradient of alpha sums the output gradient over the elements at or
// above alpha. An alpha above every activation (the default 10 for a ReLU6
// or a BatchNorm-ed ReLU) gets none and stays where it started, with a
// quantization step of 10/15 (docs/Recipes.md, "PACT calibration").
//
//===----------------------------------------------------------------------===//
#include "RecipeStages.h"
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace mlir::quant4;

/// The state argument whose alpha `scale` reads, or null when `scale` is
/// not PACT or its alpha is not a state argument of `func`.
static BlockArgument pactStateArgument(func::FuncOp func, ScaleOp scale) {
  if (!isa<PactAttr>(scale.getPolicy()) || scale.getState().empty())
    return {};
  auto arg = dyn_cast<BlockArgument>(scale.getState()[0]);
  if (!arg || arg.getOwner() != &func.getBody().front() ||
      getArgumentSlot(func, arg.getArgNumber()).kind != SlotKind::State)
    return {};
  return arg;
}

LogicalResult mlir::quant4::emitPactCalibration(func::FuncOp func) {
  bool hasPact = false;
  func.walk(
      [&](ScaleOp scale) { hasPact |= bool(pactStateArgument(func, scale)); });
  if (!hasPact)
    return success();
  std::string name = (func.getSymName() + "_calibrate_state").str();
  auto module = func->getParentOfType<ModuleOp>();
  if (SymbolTable::lookupSymbolIn(module, name))
    return func.emitError("cannot emit the PACT calibration: symbol @")
           << name << " already exists";

  func::FuncOp calib = func.clone();
  module.insert(std::next(Block::iterator(func)), calib);
  calib.setName(name);
  for (StringRef a : {attrs::kForward, attrs::kNumLayers, attrs::kSignature})
    calib->removeAttr(a);
  setCalibrateStateOf(calib, func.getSymNameAttr());

  // Each PACT alpha calibrated where its scale is computed, in program order.
  llvm::StringMap<Value> calibrated;
  calib.walk([&](ScaleOp scale) {
    BlockArgument arg = pactStateArgument(calib, scale);
    if (!arg)
      return;
    OpBuilder b(scale);
    Value alpha =
        PactCalibrateOp::create(b, scale.getLoc(), arg.getType(),
                                scale.getInput(), arg, scale.getFormatAttr());
    scale->setOperand(scale.getStateMutable()[0].getOperandNumber(), alpha);
    calibrated[getArgumentSlot(calib, arg.getArgNumber()).name] = alpha;
  });

  // The step's state results, in order: calibrated, or the argument as is.
  llvm::StringMap<Value> stateArgs;
  for (unsigned i = 0, e = calib.getNumArguments(); i < e; ++i)
    if (Slot s = getArgumentSlot(calib, i); s.kind == SlotKind::State)
      stateArgs[s.name] = calib.getArgument(i);
  SmallVector<Value> results;
  SmallVector<DictionaryAttr> resultAttrs;
  for (unsigned i = 0, e = func.getNumResults(); i < e; ++i) {
    Slot s = getResultSlot(func, i);
    if (s.kind != SlotKind::State)
      continue;
    Value v = calibrated.lookup(s.name);
    if (!v)
      v = stateArgs.lookup(s.name);
    if (!v)
      return func.emitError("state result '")
             << s.name << "' has no state argument of the same name";
    results.push_back(v);
    resultAttrs.push_back(func.getResultAttrDict(i));
  }
  auto ret = cast<func::ReturnOp>(calib.getBody().front().getTerminator());
  OpBuilder b(ret);
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  calib.setFunctionType(b.getFunctionType(calib.getArgumentTypes(),
                                          ValueRange(results).getTypes()));
  calib.setAllResultAttrs(resultAttrs);

  // Drop what no result needs (the backward pass, the updates): users come
  // after their producers, so one walk from the end is enough.
  Block &body = calib.getBody().front();
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (isOpTriviallyDead(&op))
      op.erase();
  return success();
}
