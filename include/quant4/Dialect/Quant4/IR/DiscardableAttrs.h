//===- DiscardableAttrs.h - the quant4.* attribute contract -----*- C++ -*-===//
//
// The discardable `quant4.*` attributes that passes and drivers exchange on
// training steps: roles and layers on GEMMs, the recipe applied, the forward
// function and the state initializer of a step, and what each argument and
// result of a step is. They are declared once, in Quant4Dialect.td
// (`discardableAttrs`: the names and storage types below come from there),
// their enumerated values are ODS enums (Quant4Enums.td: GemmRole, Recipe,
// ScaleSite, StateKind, HyperParam), and the dialect's attribute verifiers
// reject malformed ones (rules A1-A7 of docs/Recipes.md, "The attribute
// contract"). Read and write them through these functions rather than by
// name.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_DIALECT_QUANT4_IR_DISCARDABLEATTRS_H
#define QUANT4_DIALECT_QUANT4_IR_DISCARDABLEATTRS_H

#include "mlir/Interfaces/FunctionInterfaces.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"

namespace mlir::quant4 {

/// The attribute names, from their ODS declaration.
namespace attrs {
// On GEMMs and convolutions.
constexpr llvm::StringLiteral kRole =
    Quant4Dialect::RoleAttrHelper::getNameStr();
constexpr llvm::StringLiteral kLayer =
    Quant4Dialect::LayerAttrHelper::getNameStr();
constexpr llvm::StringLiteral kLayerName =
    Quant4Dialect::LayerNameAttrHelper::getNameStr();
constexpr llvm::StringLiteral kRecipe =
    Quant4Dialect::RecipeAttrHelper::getNameStr();
constexpr llvm::StringLiteral kCounter =
    Quant4Dialect::CounterAttrHelper::getNameStr();
// On the module.
constexpr llvm::StringLiteral kCounters =
    Quant4Dialect::CountersAttrHelper::getNameStr();
constexpr llvm::StringLiteral kProfileRegions =
    Quant4Dialect::ProfileRegionsAttrHelper::getNameStr();
// On functions.
constexpr llvm::StringLiteral kNumLayers =
    Quant4Dialect::NumLayersAttrHelper::getNameStr();
constexpr llvm::StringLiteral kForward =
    Quant4Dialect::ForwardAttrHelper::getNameStr();
constexpr llvm::StringLiteral kInitStateOf =
    Quant4Dialect::InitStateOfAttrHelper::getNameStr();
constexpr llvm::StringLiteral kCalibrateStateOf =
    Quant4Dialect::CalibrateStateOfAttrHelper::getNameStr();
constexpr llvm::StringLiteral kParamsOf =
    Quant4Dialect::ParamsOfAttrHelper::getNameStr();
constexpr llvm::StringLiteral kSignature =
    Quant4Dialect::SignatureAttrHelper::getNameStr();
// On function arguments and results.
constexpr llvm::StringLiteral kParam =
    Quant4Dialect::ParamAttrHelper::getNameStr();
constexpr llvm::StringLiteral kMomentum =
    Quant4Dialect::MomentumAttrHelper::getNameStr();
constexpr llvm::StringLiteral kSecondMoment =
    Quant4Dialect::SecondMomentAttrHelper::getNameStr();
constexpr llvm::StringLiteral kBuffer =
    Quant4Dialect::BufferAttrHelper::getNameStr();
constexpr llvm::StringLiteral kState =
    Quant4Dialect::StateAttrHelper::getNameStr();
constexpr llvm::StringLiteral kStateGrad =
    Quant4Dialect::StateGradAttrHelper::getNameStr();
constexpr llvm::StringLiteral kGrad =
    Quant4Dialect::GradAttrHelper::getNameStr();
constexpr llvm::StringLiteral kHyper =
    Quant4Dialect::HyperAttrHelper::getNameStr();
constexpr llvm::StringLiteral kSeed =
    Quant4Dialect::SeedAttrHelper::getNameStr();
constexpr llvm::StringLiteral kBatch =
    Quant4Dialect::BatchAttrHelper::getNameStr();
constexpr llvm::StringLiteral kNonNegative =
    Quant4Dialect::NonNegativeAttrHelper::getNameStr();
constexpr llvm::StringLiteral kLabels =
    Quant4Dialect::LabelsAttrHelper::getNameStr();
constexpr llvm::StringLiteral kLoss =
    Quant4Dialect::LossAttrHelper::getNameStr();
constexpr llvm::StringLiteral kCorrect =
    Quant4Dialect::CorrectAttrHelper::getNameStr();
} // namespace attrs

//===----------------------------------------------------------------------===//
// GEMMs and convolutions
//===----------------------------------------------------------------------===//

/// `quant4.role`; nullopt when absent or not a role.
std::optional<GemmRole> getGemmRole(Operation *op);
void setGemmRole(Operation *op, GemmRole role);
/// `quant4.counter` (the index of the op's numerics counter); nullopt when
/// absent.
std::optional<int64_t> getCounterIndex(Operation *op);
void setCounterIndex(Operation *op, int64_t index);
/// `quant4.counters` of a module: the name of each counter; empty when
/// absent.
SmallVector<std::string> getCounterNames(Operation *module);
void setCounterNames(Operation *module, ArrayRef<std::string> names);
/// `quant4.profile_regions` of a module: what each op timed by
/// quant4-cpu-profile-regions is, by its region index; empty when absent.
SmallVector<std::string> getProfileRegions(Operation *module);
void setProfileRegions(Operation *module, ArrayRef<std::string> regions);

/// `quant4.layer` (the layer index); nullopt when absent.
std::optional<int64_t> getLayerIndex(Operation *op);
void setLayerIndex(Operation *op, int64_t layer);
/// `quant4.layer_name`; null when absent.
StringAttr getLayerName(Operation *op);
void setLayerName(Operation *op, StringRef name);
/// The most telling part of a location, for profiles and the Q4A source
/// map: a name (an ONNX node's), else a file's base name and line; empty
/// when there is neither.
std::string describeLocation(Location loc);
/// `quant4.recipe`; nullopt when absent or not a recipe.
std::optional<Recipe> getRecipe(Operation *op);
void setRecipe(Operation *op, Recipe recipe);

//===----------------------------------------------------------------------===//
// Functions
//===----------------------------------------------------------------------===//

/// `quant4.num_layers`.
void setNumLayers(Operation *func, int64_t numLayers);
/// `quant4.forward` on a training step: the forward function it was built
/// from; null when absent.
FlatSymbolRefAttr getForwardFunction(Operation *step);
void setForwardFunction(Operation *step, StringAttr forward);
/// `quant4.init_state_of` on a state initializer: the step whose state it
/// initializes; null when absent.
FlatSymbolRefAttr getInitStateOf(Operation *init);
void setInitStateOf(Operation *init, StringAttr step);
/// `quant4.calibrate_state_of` on a state calibrator (`pact-calibrate`):
/// the step whose state it calibrates; null when absent.
FlatSymbolRefAttr getCalibrateStateOf(Operation *calibrate);
void setCalibrateStateOf(Operation *calibrate, StringAttr step);
/// The function of `step`'s symbol table whose `quant4.init_state_of` names
/// `step` (not found by its name), or null.
FunctionOpInterface lookupInitStateFunction(FunctionOpInterface step);
/// The same for `quant4.calibrate_state_of`: `step`'s state calibrator.
FunctionOpInterface lookupCalibrateStateFunction(FunctionOpInterface step);
/// A training step: it names its forward function (`quant4.forward`) or
/// takes labels (an argument tagged `quant4.labels`).
bool isTrainingStep(FunctionOpInterface func);
/// `quant4.params_of` on a parameters function (the ONNX importer's
/// `@<f>_params`, docs/ONNX.md): the function whose `quant4.param` arguments
/// its results initialize, by name; null when absent.
FlatSymbolRefAttr getParamsOf(Operation *params);
void setParamsOf(Operation *params, StringAttr function);
/// `quant4.signature`: the tensor-level type of a function that survives its
/// lowering to the LLVM dialect; null when absent.
FunctionType getTensorSignature(Operation *func);
void setTensorSignature(Operation *func, FunctionType type);

//===----------------------------------------------------------------------===//
// Arguments and results of a training step
//===----------------------------------------------------------------------===//

/// What an argument or result of a training step is, by its quant4
/// attribute (at most one per argument/result, rule A5).
enum class SlotKind {
  None,      ///< no quant4 attribute
  Param,     ///< quant4.param = "<name>": a parameter (argument and result)
  Momentum,  ///< quant4.momentum = "<param name>": its momentum buffer
             ///< (SGD) or first moment (AdamW)
  SecondMoment, ///< quant4.second_moment = "<param name>" (AdamW)
  Buffer,    ///< quant4.buffer = "<name>": a model buffer that the forward
             ///< pass updates, not trained (BatchNorm running statistics)
  Batch,     ///< quant4.batch: the batch (argument)
  Labels,    ///< quant4.labels: the labels (argument)
  Hyper,     ///< quant4.hyper = a HyperParam ("lr", "momentum", ...) (argument)
  State,     ///< quant4.state = "<layer>.<site>.<kind>": recipe state
  Seed,      ///< quant4.seed: the seed of stochastic rounding (argument)
  StateGrad, ///< quant4.state_grad = "<layer>.<site>.<kind>" (result)
  Grad,      ///< quant4.grad = "<param name>": the parameter's gradient
             ///< (result of a split step's gradient function, argument of
             ///< its update function)
  Loss,      ///< quant4.loss (result)
  Correct,   ///< quant4.correct: number of correct predictions (result)
};

struct Slot {
  SlotKind kind = SlotKind::None;
  /// The name (Param, Momentum, SecondMoment, Buffer, State, StateGrad,
  /// Grad) or
  /// the hyper-parameter's
  /// name (Hyper); empty otherwise.
  StringRef name;
  /// Hyper only.
  std::optional<HyperParam> hyper;
};

/// The slot of argument/result `index` of a function.
Slot getArgumentSlot(FunctionOpInterface func, unsigned index);
Slot getResultSlot(FunctionOpInterface func, unsigned index);
/// `quant4.non_negative`: every element of argument `index` is >= 0 (a
/// promise of whoever calls the function, e.g. the driver for its images).
bool isNonNegativeArgument(FunctionOpInterface func, unsigned index);
void setNonNegativeArgument(FunctionOpInterface func, unsigned index);
/// Whether the last argument is the i64 seed (quant4.seed): random dropout's
/// and stochastic rounding's, which follows every other argument.
bool hasSeedArgument(FunctionOpInterface func);
/// The attribute that marks a slot (`name` for the kinds that carry one).
NamedAttribute getSlotAttr(MLIRContext *ctx, SlotKind kind,
                           StringRef name = {});
/// The name of a state tensor, "<layer>.<site>.<kind>" (quant4.state).
std::string getStateName(StringRef layer, ScaleSite site, StateKind kind);

} // namespace mlir::quant4

#endif // QUANT4_DIALECT_QUANT4_IR_DISCARDABLEATTRS_H
