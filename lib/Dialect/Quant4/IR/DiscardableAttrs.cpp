//===- DiscardableAttrs.cpp - the quant4.* attribute contract -------------===//
//
// Typed accessors of the discardable quant4 attributes and the dialect's
// attribute verifiers. One table (kRules) says where each attribute may
// appear and what its value must be; docs/Recipes.md ("The attribute
// contract", rules A1-A6) describes it and test/Dialect/Quant4/
// invalid-attrs.mlir checks every rule.
//
//===----------------------------------------------------------------------===//
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::quant4;

//===----------------------------------------------------------------------===//
// GEMMs, functions
//===----------------------------------------------------------------------===//

std::optional<GemmRole> mlir::quant4::getGemmRole(Operation *op) {
  if (auto s = op->getAttrOfType<StringAttr>(attrs::kRole))
    return symbolizeGemmRole(s.getValue());
  return std::nullopt;
}

void mlir::quant4::setGemmRole(Operation *op, GemmRole role) {
  op->setAttr(attrs::kRole,
              StringAttr::get(op->getContext(), stringifyGemmRole(role)));
}

std::optional<int64_t> mlir::quant4::getLayerIndex(Operation *op) {
  if (auto i = op->getAttrOfType<IntegerAttr>(attrs::kLayer))
    return i.getInt();
  return std::nullopt;
}

void mlir::quant4::setLayerIndex(Operation *op, int64_t layer) {
  op->setAttr(attrs::kLayer,
              Builder(op->getContext()).getI64IntegerAttr(layer));
}

std::optional<int64_t> mlir::quant4::getCounterIndex(Operation *op) {
  if (auto i = op->getAttrOfType<IntegerAttr>(attrs::kCounter))
    return i.getInt();
  return std::nullopt;
}

void mlir::quant4::setCounterIndex(Operation *op, int64_t index) {
  op->setAttr(attrs::kCounter,
              Builder(op->getContext()).getI64IntegerAttr(index));
}

/// The strings of the array attribute `name` of `op` (empty when absent).
static SmallVector<std::string> getStrings(Operation *op, StringRef name) {
  SmallVector<std::string> strings;
  if (auto a = op->getAttrOfType<ArrayAttr>(name))
    for (Attribute e : a)
      if (auto str = dyn_cast<StringAttr>(e))
        strings.push_back(str.str());
  return strings;
}

static void setStrings(Operation *op, StringRef name,
                       ArrayRef<std::string> strings) {
  Builder b(op->getContext());
  SmallVector<Attribute> elems;
  for (const std::string &s : strings)
    elems.push_back(b.getStringAttr(s));
  op->setAttr(name, b.getArrayAttr(elems));
}

SmallVector<std::string> mlir::quant4::getCounterNames(Operation *module) {
  return getStrings(module, attrs::kCounters);
}

void mlir::quant4::setCounterNames(Operation *module,
                                   ArrayRef<std::string> names) {
  setStrings(module, attrs::kCounters, names);
}

SmallVector<std::string> mlir::quant4::getProfileRegions(Operation *module) {
  return getStrings(module, attrs::kProfileRegions);
}

void mlir::quant4::setProfileRegions(Operation *module,
                                     ArrayRef<std::string> regions) {
  setStrings(module, attrs::kProfileRegions, regions);
}

StringAttr mlir::quant4::getLayerName(Operation *op) {
  return op->getAttrOfType<StringAttr>(attrs::kLayerName);
}

void mlir::quant4::setLayerName(Operation *op, StringRef name) {
  op->setAttr(attrs::kLayerName, StringAttr::get(op->getContext(), name));
}

std::string mlir::quant4::describeLocation(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    if (file.getFilename().empty())
      return "";
    return llvm::sys::path::filename(file.getFilename().getValue()).str() +
           ":" + std::to_string(file.getLine());
  }
  if (auto site = dyn_cast<CallSiteLoc>(loc))
    return describeLocation(site.getCallee());
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location part : fused.getLocations())
      if (std::string w = describeLocation(part); !w.empty())
        return w;
  return "";
}

std::optional<Recipe> mlir::quant4::getRecipe(Operation *op) {
  if (auto s = op->getAttrOfType<StringAttr>(attrs::kRecipe))
    return symbolizeRecipe(s.getValue());
  return std::nullopt;
}

void mlir::quant4::setRecipe(Operation *op, Recipe recipe) {
  op->setAttr(attrs::kRecipe,
              StringAttr::get(op->getContext(), stringifyRecipe(recipe)));
}

void mlir::quant4::setNumLayers(Operation *func, int64_t numLayers) {
  func->setAttr(attrs::kNumLayers,
                Builder(func->getContext()).getI64IntegerAttr(numLayers));
}

FlatSymbolRefAttr mlir::quant4::getForwardFunction(Operation *step) {
  return step->getAttrOfType<FlatSymbolRefAttr>(attrs::kForward);
}

void mlir::quant4::setForwardFunction(Operation *step, StringAttr forward) {
  step->setAttr(attrs::kForward, FlatSymbolRefAttr::get(forward));
}

FlatSymbolRefAttr mlir::quant4::getInitStateOf(Operation *init) {
  return init->getAttrOfType<FlatSymbolRefAttr>(attrs::kInitStateOf);
}

void mlir::quant4::setInitStateOf(Operation *init, StringAttr step) {
  init->setAttr(attrs::kInitStateOf, FlatSymbolRefAttr::get(step));
}

FlatSymbolRefAttr mlir::quant4::getCalibrateStateOf(Operation *calibrate) {
  return calibrate->getAttrOfType<FlatSymbolRefAttr>(attrs::kCalibrateStateOf);
}

void mlir::quant4::setCalibrateStateOf(Operation *calibrate, StringAttr step) {
  calibrate->setAttr(attrs::kCalibrateStateOf, FlatSymbolRefAttr::get(step));
}

FlatSymbolRefAttr mlir::quant4::getParamsOf(Operation *params) {
  return params->getAttrOfType<FlatSymbolRefAttr>(attrs::kParamsOf);
}

void mlir::quant4::setParamsOf(Operation *params, StringAttr function) {
  params->setAttr(attrs::kParamsOf, FlatSymbolRefAttr::get(function));
}

bool mlir::quant4::isTrainingStep(FunctionOpInterface func) {
  if (getForwardFunction(func))
    return true;
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
    if (getArgumentSlot(func, i).kind == SlotKind::Labels)
      return true;
  return false;
}

/// The function of `step`'s symbol table whose `attr` (a symbol reference)
/// names `step`, or null.
static FunctionOpInterface lookupFunctionNaming(FunctionOpInterface step,
                                                StringRef attr) {
  Operation *table = SymbolTable::getNearestSymbolTable(step->getParentOp());
  if (!table)
    return {};
  StringAttr name = SymbolTable::getSymbolName(step);
  for (Region &region : table->getRegions())
    for (Block &block : region)
      for (Operation &op : block)
        if (auto f = dyn_cast<FunctionOpInterface>(&op))
          if (auto of = f->getAttrOfType<FlatSymbolRefAttr>(attr))
            if (of.getAttr() == name)
              return f;
  return {};
}

FunctionOpInterface
mlir::quant4::lookupInitStateFunction(FunctionOpInterface step) {
  return lookupFunctionNaming(step, attrs::kInitStateOf);
}

FunctionOpInterface
mlir::quant4::lookupCalibrateStateFunction(FunctionOpInterface step) {
  return lookupFunctionNaming(step, attrs::kCalibrateStateOf);
}

FunctionType mlir::quant4::getTensorSignature(Operation *func) {
  if (auto t = func->getAttrOfType<TypeAttr>(attrs::kSignature))
    return dyn_cast<FunctionType>(t.getValue());
  return {};
}

void mlir::quant4::setTensorSignature(Operation *func, FunctionType type) {
  func->setAttr(attrs::kSignature, TypeAttr::get(type));
}

//===----------------------------------------------------------------------===//
// Slots (arguments and results)
//===----------------------------------------------------------------------===//

namespace {
struct SlotName {
  SlotKind kind;
  StringLiteral name;
};
} // namespace

/// The attributes that mark a slot.
static constexpr SlotName kSlotNames[] = {
    {SlotKind::Param, attrs::kParam}, {SlotKind::Momentum, attrs::kMomentum},
    {SlotKind::SecondMoment, attrs::kSecondMoment},
    {SlotKind::Buffer, attrs::kBuffer},
    {SlotKind::Batch, attrs::kBatch}, {SlotKind::Labels, attrs::kLabels},
    {SlotKind::Hyper, attrs::kHyper}, {SlotKind::State, attrs::kState},
    {SlotKind::Seed, attrs::kSeed},   {SlotKind::StateGrad, attrs::kStateGrad},
    {SlotKind::Grad, attrs::kGrad},
    {SlotKind::Loss, attrs::kLoss},   {SlotKind::Correct, attrs::kCorrect},
};

static Slot slotOf(DictionaryAttr dict) {
  Slot slot;
  if (!dict)
    return slot;
  for (const SlotName &s : kSlotNames) {
    Attribute a = dict.get(s.name);
    if (!a)
      continue;
    slot.kind = s.kind;
    if (auto str = dyn_cast<StringAttr>(a))
      slot.name = str.getValue();
    if (s.kind == SlotKind::Hyper)
      slot.hyper = symbolizeHyperParam(slot.name);
    return slot;
  }
  return slot;
}

Slot mlir::quant4::getArgumentSlot(FunctionOpInterface func, unsigned index) {
  return slotOf(func.getArgAttrDict(index));
}

Slot mlir::quant4::getResultSlot(FunctionOpInterface func, unsigned index) {
  return slotOf(func.getResultAttrDict(index));
}

bool mlir::quant4::isNonNegativeArgument(FunctionOpInterface func,
                                         unsigned index) {
  return bool(func.getArgAttr(index, attrs::kNonNegative));
}

void mlir::quant4::setNonNegativeArgument(FunctionOpInterface func,
                                          unsigned index) {
  func.setArgAttr(index, attrs::kNonNegative,
                  UnitAttr::get(func->getContext()));
}

bool mlir::quant4::hasSeedArgument(FunctionOpInterface func) {
  unsigned n = func.getNumArguments();
  return n > 0 && getArgumentSlot(func, n - 1).kind == SlotKind::Seed;
}

NamedAttribute mlir::quant4::getSlotAttr(MLIRContext *ctx, SlotKind kind,
                                         StringRef name) {
  for (const SlotName &s : kSlotNames) {
    if (s.kind != kind)
      continue;
    Attribute value;
    switch (kind) {
    case SlotKind::Param:
    case SlotKind::Momentum:
    case SlotKind::SecondMoment:
    case SlotKind::Buffer:
    case SlotKind::Hyper:
    case SlotKind::State:
    case SlotKind::StateGrad:
    case SlotKind::Grad:
      value = StringAttr::get(ctx, name);
      break;
    default:
      value = UnitAttr::get(ctx);
      break;
    }
    return NamedAttribute(StringAttr::get(ctx, s.name), value);
  }
  llvm_unreachable("SlotKind::None has no attribute");
}

std::string mlir::quant4::getStateName(StringRef layer, ScaleSite site,
                                       StateKind kind) {
  return (layer + "." + stringifyScaleSite(site) + "." +
          stringifyStateKind(kind))
      .str();
}

//===----------------------------------------------------------------------===//
// Verification
//===----------------------------------------------------------------------===//

namespace {
/// Where an attribute may appear.
enum Where : unsigned {
  OnOp = 1,       ///< any operation
  OnFunction = 2, ///< a function (FunctionOpInterface)
  OnArg = 4,      ///< a function argument
  OnResult = 8,   ///< a function result
};

/// What an attribute's value must be.
enum class ValueKind {
  Role,         ///< a string naming a GemmRole
  Recipe,       ///< a string naming a Recipe
  Hyper,        ///< a string naming a HyperParam
  Index,        ///< a non-negative integer
  Name,         ///< a non-empty string
  NameList,     ///< an array of non-empty strings
  CounterIndex, ///< a non-negative integer on a counted quant4 op (A7)
  StateName,    ///< "<layer>.<site>.<kind>"
  Unit,         ///< a unit attribute
  Symbol,       ///< a flat symbol reference
  FunctionType, ///< a type attribute holding a function type
};

struct Rule {
  StringLiteral name;
  unsigned where;
  ValueKind kind;
};
} // namespace

/// The contract: one entry per attribute declared in Quant4Dialect.td.
static constexpr Rule kRules[] = {
    {attrs::kRole, OnOp, ValueKind::Role},
    {attrs::kLayer, OnOp, ValueKind::Index},
    {attrs::kLayerName, OnOp, ValueKind::Name},
    {attrs::kRecipe, OnOp, ValueKind::Recipe},
    {attrs::kCounter, OnOp, ValueKind::CounterIndex},
    {attrs::kCounters, OnOp, ValueKind::NameList},
    {attrs::kProfileRegions, OnOp, ValueKind::NameList},
    {attrs::kNumLayers, OnFunction, ValueKind::Index},
    {attrs::kForward, OnFunction, ValueKind::Symbol},
    {attrs::kInitStateOf, OnFunction, ValueKind::Symbol},
    {attrs::kCalibrateStateOf, OnFunction, ValueKind::Symbol},
    {attrs::kParamsOf, OnFunction, ValueKind::Symbol},
    {attrs::kSignature, OnFunction, ValueKind::FunctionType},
    {attrs::kParam, OnArg | OnResult, ValueKind::Name},
    {attrs::kMomentum, OnArg | OnResult, ValueKind::Name},
    {attrs::kSecondMoment, OnArg | OnResult, ValueKind::Name},
    {attrs::kBuffer, OnArg | OnResult, ValueKind::Name},
    {attrs::kState, OnArg | OnResult, ValueKind::StateName},
    {attrs::kStateGrad, OnResult, ValueKind::StateName},
    {attrs::kGrad, OnArg | OnResult, ValueKind::Name},
    {attrs::kHyper, OnArg, ValueKind::Hyper},
    {attrs::kSeed, OnArg, ValueKind::Unit},
    {attrs::kBatch, OnArg, ValueKind::Unit},
    {attrs::kNonNegative, OnArg, ValueKind::Unit},
    {attrs::kLabels, OnArg, ValueKind::Unit},
    {attrs::kLoss, OnResult, ValueKind::Unit},
    {attrs::kCorrect, OnResult, ValueKind::Unit},
};

static const Rule *lookupRule(StringRef name) {
  for (const Rule &r : kRules)
    if (r.name == name)
      return &r;
  return nullptr;
}

/// "a", "b" or "c" for the values of an enum with cases 0..max.
template <typename E> static std::string quotedValues(unsigned max) {
  std::string s;
  for (unsigned i = 0; i <= max; ++i) {
    if (i)
      s += i == max ? " or " : ", ";
    s += "\"" + stringifyEnum(static_cast<E>(i)).str() + "\"";
  }
  return s;
}

template <typename E> static std::string plainValues(unsigned max) {
  std::string s;
  for (unsigned i = 0; i <= max; ++i)
    s += (i ? ", " : "") + stringifyEnum(static_cast<E>(i)).str();
  return s;
}

/// The names of the attributes allowed at `where`.
static std::string namesAt(unsigned where) {
  std::string s;
  for (const Rule &r : kRules)
    if (r.where & where)
      s += (s.empty() ? "" : ", ") + r.name.str();
  return s;
}

static StringRef placeName(unsigned where) {
  switch (where) {
  case OnOp:
    return "operations";
  case OnFunction:
    return "functions";
  case OnArg:
    return "function arguments";
  case OnResult:
    return "function results";
  case OnArg | OnResult:
    return "function arguments and results";
  }
  return "?";
}

/// Checks rule A3/A4/A6 for `attr`; `emit` starts a diagnostic at the
/// attribute's place (e.g. "argument 2: ").
static LogicalResult verifyValue(const Rule &rule, NamedAttribute attr,
                                 function_ref<InFlightDiagnostic()> emit) {
  Attribute v = attr.getValue();
  StringRef name = attr.getName().getValue();
  auto str = dyn_cast<StringAttr>(v);
  auto mustBe = [&](StringRef what) {
    return emit() << "attribute '" << name << "' must be " << what << ", got "
                  << v;
  };
  switch (rule.kind) {
  case ValueKind::Role:
    if (!str)
      return mustBe("a string: " +
                    quotedValues<GemmRole>(getMaxEnumValForGemmRole()));
    if (!symbolizeGemmRole(str.getValue()))
      return emit() << "attribute '" << name << "' = " << v
                    << " is not a GEMM role (expected "
                    << quotedValues<GemmRole>(getMaxEnumValForGemmRole())
                    << ")";
    return success();
  case ValueKind::Recipe:
    if (!str)
      return mustBe("a string naming a recipe");
    if (!symbolizeRecipe(str.getValue()))
      return emit() << "attribute '" << name << "' = " << v
                    << " is not a recipe (expected "
                    << quotedValues<Recipe>(getMaxEnumValForRecipe()) << ")";
    return success();
  case ValueKind::Hyper:
    if (!str)
      return mustBe("a string naming a hyper-parameter");
    if (!symbolizeHyperParam(str.getValue()))
      return emit() << "attribute '" << name << "' = " << v
                    << " is not a hyper-parameter (expected "
                    << quotedValues<HyperParam>(getMaxEnumValForHyperParam())
                    << ")";
    return success();
  case ValueKind::Index: {
    auto i = dyn_cast<IntegerAttr>(v);
    if (!i || !isa<IntegerType>(i.getType()) || i.getValue().isNegative())
      return mustBe("a non-negative integer");
    return success();
  }
  case ValueKind::Name:
    if (!str || str.getValue().empty())
      return mustBe("a non-empty string");
    return success();
  case ValueKind::NameList: {
    auto arr = dyn_cast<ArrayAttr>(v);
    if (!arr || llvm::any_of(arr, [](Attribute e) {
          auto s = dyn_cast<StringAttr>(e);
          return !s || s.getValue().empty();
        }))
      return mustBe("an array of non-empty strings");
    return success();
  }
  case ValueKind::CounterIndex: {
    auto i = dyn_cast<IntegerAttr>(v);
    if (!i || !isa<IntegerType>(i.getType()) || i.getValue().isNegative())
      return mustBe("a non-negative integer");
    return success();
  }
  case ValueKind::StateName: {
    if (!str)
      return mustBe("a string \"<layer>.<site>.<kind>\"");
    // (rfind of a char: the verifier runs after every pass, and a step has
    // a state argument and result per state tensor.)
    StringRef text = str.getValue();
    size_t kindDot = text.rfind('.');
    size_t siteDot =
        kindDot == StringRef::npos ? StringRef::npos : text.rfind('.', kindDot);
    if (siteDot == StringRef::npos || siteDot == 0 ||
        !symbolizeScaleSite(text.slice(siteDot + 1, kindDot)) ||
        !symbolizeStateKind(text.drop_front(kindDot + 1)))
      return emit() << "attribute '" << name << "' = " << v
                    << " is not a state name \"<layer>.<site>.<kind>\" (site "
                    << plainValues<ScaleSite>(getMaxEnumValForScaleSite())
                    << "; kind "
                    << plainValues<StateKind>(getMaxEnumValForStateKind())
                    << ")";
    return success();
  }
  case ValueKind::Unit:
    if (!isa<UnitAttr>(v))
      return mustBe("a unit attribute (no value)");
    return success();
  case ValueKind::Symbol:
    if (!isa<FlatSymbolRefAttr>(v))
      return mustBe("a symbol reference (@name)");
    return success();
  case ValueKind::FunctionType: {
    auto t = dyn_cast<TypeAttr>(v);
    if (!t || !isa<mlir::FunctionType>(t.getValue()))
      return mustBe("a function type");
    return success();
  }
  }
  return success();
}

/// Rules A1 (declared), A2 (placement) and the value rules for an attribute
/// at `where`.
static LogicalResult verifyAttr(Operation *op, NamedAttribute attr,
                                unsigned where,
                                function_ref<InFlightDiagnostic()> emit) {
  StringRef name = attr.getName().getValue();
  const Rule *rule = lookupRule(name);
  if (!rule) {
    unsigned allowed = where == OnOp ? (OnOp | OnFunction) : where;
    return emit() << "unknown attribute '" << name << "' (quant4 declares "
                  << namesAt(allowed) << " on " << placeName(where) << ")";
  }
  if (!(rule->where & where)) {
    bool onFunction = where == OnOp && (rule->where & OnFunction) &&
                      isa<FunctionOpInterface>(op);
    if (!onFunction)
      return emit() << "attribute '" << name << "' belongs on "
                    << placeName(rule->where) << ", not on "
                    << (where == OnOp ? "this operation"
                                      : placeName(where).drop_back());
  }
  return verifyValue(*rule, attr, emit);
}

/// Rule A5: at most one slot attribute per argument/result (reported at
/// the first of them in the dictionary).
static LogicalResult verifyOneSlot(DictionaryAttr dict, NamedAttribute attr,
                                   function_ref<InFlightDiagnostic()> emit) {
  if (!dict || dict.size() < 2)
    return success();
  SmallVector<StringRef, 2> present;
  for (NamedAttribute a : dict)
    if (llvm::any_of(kSlotNames, [&](const SlotName &s) {
          return s.name == a.getName().getValue();
        }))
      present.push_back(a.getName().getValue());
  if (present.size() < 2 || present.front() != attr.getName().getValue())
    return success();
  return emit() << "carries both '" << present[0] << "' and '" << present[1]
                << "'; an argument or result of a step has one role";
}

/// Rule A7: `quant4.counter` sits on a quant4.quantize, fake_quant, matmul
/// or conv2d and indexes the `quant4.counters` of its module;
/// `quant4.counters` (and `quant4.profile_regions`) sit on a module.
static LogicalResult
verifyCounterPlacement(Operation *op, NamedAttribute attr,
                       function_ref<InFlightDiagnostic()> emit) {
  StringRef name = attr.getName().getValue();
  if (name == attrs::kCounters || name == attrs::kProfileRegions) {
    if (!isa<ModuleOp>(op))
      return emit() << "attribute '" << name << "' belongs on a module";
    return success();
  }
  if (name != attrs::kCounter)
    return success();
  if (!isa<QuantizeOp, FakeQuantOp, MatmulOp, Conv2DOp>(op))
    return emit() << "attribute '" << name
                  << "' belongs on quant4.quantize, quant4.fake_quant, "
                     "quant4.matmul or quant4.conv2d";
  auto module = op->getParentOfType<ModuleOp>();
  auto names =
      module ? module->getAttrOfType<ArrayAttr>(attrs::kCounters) : nullptr;
  int64_t index = cast<IntegerAttr>(attr.getValue()).getInt();
  if (!names || index >= int64_t(names.size()))
    return emit() << "attribute '" << name << "' = " << index
                  << " names no counter: the module declares "
                  << (names ? names.size() : 0) << " in '"
                  << attrs::kCounters << "'";
  return success();
}

LogicalResult Quant4Dialect::verifyOperationAttribute(Operation *op,
                                                      NamedAttribute attr) {
  unsigned where = OnOp;
  if (const Rule *rule = lookupRule(attr.getName().getValue()))
    if ((rule->where & OnFunction) && isa<FunctionOpInterface>(op))
      where = OnFunction;
  auto emit = [&] { return op->emitOpError(); };
  if (failed(verifyAttr(op, attr, where, emit)))
    return failure();
  return verifyCounterPlacement(op, attr, emit);
}

/// An attribute of argument or result `index` of `op`'s region
/// `regionIndex`.
static LogicalResult verifyArgOrResultAttr(Operation *op, unsigned regionIndex,
                                           unsigned index, NamedAttribute attr,
                                           bool isArg) {
  auto emit = [&] {
    return op->emitOpError()
           << (isArg ? "argument " : "result ") << index << ": ";
  };
  if (failed(verifyAttr(op, attr, isArg ? OnArg : OnResult, emit)))
    return failure();
  auto func = dyn_cast<FunctionOpInterface>(op);
  if (!func || regionIndex != 0)
    return success();
  return verifyOneSlot(isArg ? func.getArgAttrDict(index)
                             : func.getResultAttrDict(index),
                       attr, emit);
}

LogicalResult Quant4Dialect::verifyRegionArgAttribute(Operation *op,
                                                      unsigned regionIndex,
                                                      unsigned argIndex,
                                                      NamedAttribute attr) {
  return verifyArgOrResultAttr(op, regionIndex, argIndex, attr, true);
}

LogicalResult Quant4Dialect::verifyRegionResultAttribute(Operation *op,
                                                         unsigned regionIndex,
                                                         unsigned resultIndex,
                                                         NamedAttribute attr) {
  return verifyArgOrResultAttr(op, regionIndex, resultIndex, attr, false);
}
