//===- Train.cpp - the training loop of quant4-run train ------------------===//
//
// See Train.h for the steps. Every problem is an llvm::Error whose message
// quant4-run train prints as "quant4-run train: error: MESSAGE".
//
//===----------------------------------------------------------------------===//
#include "quant4/Runner/Train.h"

#include "Interrupt.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "quant4/Data/MNIST.h"
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "quant4/Dialect/Quant4/Transforms/Recipes.h"
#include "quant4/InitAll.h"
#include "quant4/Numerics/Rounding.h"
#include "quant4/Runner/Call.h"
#include "quant4/Runner/Compile.h"
#include "quant4/Runner/LoadModel.h"
#include "quant4/Runner/OutputFiles.h"
#include "quant4/Runtime/Runtime.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

using namespace mlir;

namespace quant4::runner {

namespace {

// The training-step contract (quant4.* attributes) and the recipe table.
namespace q4 = mlir::quant4;
using q4::SlotKind;

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string typeStr(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace((unsigned char)s.back()))
    s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace((unsigned char)s[i]))
    ++i;
  return s.substr(i);
}

//===----------------------------------------------------------------------===//
// Randomness (Philox4x32-10 of Numerics, keyed by the seed; one stream per use)
//===----------------------------------------------------------------------===//

enum Stream : uint64_t {
  kInitStream = 0x1000,    // + parameter index
  kShuffleStream = 0x2000, // + epoch
  kStepSeedStream = 0x3000,
  kTrainSubsetStream = 0x4000,
  kTestSubsetStream = 0x4001,
};

uint32_t bits32(uint64_t seed, uint64_t stream, uint64_t index) {
  return num::randomBits({seed, stream}, index);
}
uint64_t bits64(uint64_t seed, uint64_t stream, uint64_t index) {
  return (uint64_t(bits32(seed, stream, 2 * index)) << 32) |
         bits32(seed, stream, 2 * index + 1);
}

/// Fisher-Yates shuffle driven by the counter-based generator.
void shuffle(std::vector<uint32_t> &v, uint64_t seed, uint64_t stream) {
  for (size_t i = v.size(); i > 1; --i) {
    uint64_t j = bits64(seed, stream, i) % i;
    std::swap(v[i - 1], v[j]);
  }
}

//===----------------------------------------------------------------------===//
// The functions of the model and what the driver passes them
//===----------------------------------------------------------------------===//

/// A tensor argument/result (or the i64 seed scalar) of a compiled function.
struct Slot {
  bool scalarI64 = false;
  std::vector<int64_t> shape;
  unsigned elemSize = 4;
  bool isF32 = true;
};

struct CompiledFn {
  std::string name;
  FunctionType type;
  std::vector<Slot> args, results;
};

llvm::Expected<Slot> slotOf(Type t, const std::string &fn,
                            const std::string &what) {
  Slot s;
  if (t.isInteger(64)) {
    s.scalarI64 = true;
    s.elemSize = 8;
    s.isF32 = false;
    return s;
  }
  auto tt = dyn_cast<RankedTensorType>(t);
  if (!tt || !tt.hasStaticShape())
    return error("@" + fn + ": " + what + " has type " + typeStr(t) +
                 "; the driver passes statically shaped tensors (and the i64 "
                 "seed)");
  Type e = tt.getElementType();
  if (e.isF32()) {
    s.elemSize = 4;
  } else if (e.isInteger(32)) {
    s.elemSize = 4;
    s.isF32 = false;
  } else if (e.isInteger(64)) {
    s.elemSize = 8;
    s.isF32 = false;
  } else {
    return error("@" + fn + ": " + what + " has type " + typeStr(t) +
                 "; the driver supports f32, i32 and i64 tensors");
  }
  s.shape.assign(tt.getShape().begin(), tt.getShape().end());
  return s;
}

llvm::Expected<CompiledFn> describe(func::FuncOp f) {
  CompiledFn c;
  c.name = f.getName().str();
  c.type = f.getFunctionType();
  for (auto [i, t] : llvm::enumerate(f.getArgumentTypes())) {
    auto s = slotOf(t, c.name, "argument " + std::to_string(i));
    if (!s)
      return s.takeError();
    c.args.push_back(*s);
  }
  for (auto [i, t] : llvm::enumerate(f.getResultTypes())) {
    auto s = slotOf(t, c.name, "result " + std::to_string(i));
    if (!s)
      return s.takeError();
    if (s->scalarI64)
      return error("@" + c.name + ": result " + std::to_string(i) +
                   " is a scalar; the driver reads tensor results only");
    c.results.push_back(*s);
  }
  return c;
}

/// A zero-filled host array for a slot (f32, i32 or i64 elements).
npy::Array arrayFor(const Slot &s) {
  npy::Array a;
  a.dtype = s.isF32           ? npy::DType::F32
            : s.elemSize == 4 ? npy::DType::I32
                              : npy::DType::I64;
  a.shape = s.shape;
  a.data.assign(size_t(a.numel()) * s.elemSize, 0);
  return a;
}

npy::Array f32Scalar(float v) {
  npy::Array a;
  a.data.resize(4);
  std::memcpy(a.data.data(), &v, 4);
  return a;
}

/// Calls `fn` with one array per argument; `outs` receives the results.
llvm::Error invoke(ExecutionEngine &engine, const CompiledFn &fn,
                   llvm::ArrayRef<const npy::Array *> args,
                   std::vector<npy::Array> &outs) {
  return callFunction(engine, fn.name, fn.type, args, outs);
}

/// A training step: it names its forward function (quant4.forward) or takes
/// labels (quant4.labels).
bool isStepFunction(func::FuncOp f) {
  if (q4::getForwardFunction(f))
    return true;
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    if (q4::getArgumentSlot(f, i).kind == SlotKind::Labels)
      return true;
  return false;
}

/// A state initializer (quant4.init_state_of), whatever its name.
bool isInitState(func::FuncOp f) { return bool(q4::getInitStateOf(f)); }

/// The state initializer of `f` (the function whose quant4.init_state_of
/// names it), or null.
func::FuncOp lookupInitState(func::FuncOp f) {
  if (!f)
    return {};
  FunctionOpInterface init = q4::lookupInitStateFunction(f);
  return init ? dyn_cast<func::FuncOp>(init.getOperation()) : func::FuncOp();
}

llvm::Error runPasses(ModuleOp module, const std::string &pipeline,
                      const std::string &what) {
  PassManager pm(module->getContext(), ModuleOp::getOperationName());
  std::string err;
  llvm::raw_string_ostream es(err);
  if (failed(parsePassPipeline(pipeline, pm, es)))
    return error(what + ": " + trim(err));
  if (failed(pm.run(module)))
    return error(what + " failed");
  return llvm::Error::success();
}

/// Evaluation of one forward function over the test set.
struct EvalFn {
  CompiledFn fn;
  std::vector<int> paramArg; // argument index of parameter k (or -1)
  int batchArg = -1, seedArg = -1, logitsResult = 0;
  std::vector<std::pair<int, int>> stateArgs; // (arg, step state index)
};

struct EvalResult {
  double loss = 0, acc = 0;
};

//===----------------------------------------------------------------------===//
// The driver
//===----------------------------------------------------------------------===//

/// A recipe as TrainOptions::recipe names it: the recipe of the table and
/// the options of quant4-apply-recipe.
struct RecipeSpec {
  q4::Recipe recipe = q4::Recipe::ultralow4;
  std::string passOptions;
};

llvm::Expected<RecipeSpec> parseRecipeSpec(const std::string &spec);

/// What train() checks and loads before compiling anything.
struct Prepared {
  RecipeSpec recipe;
  data::Split split;
  std::vector<uint32_t> trainIdx, testIdx;
  int64_t pixels = 0;
  bool sigintIgnored = false;
};

/// Refuses, before any work, an output path that cannot be written.
llvm::Error checkWritable(const std::string &path, const char *what) {
  if (std::string e = probeWritable(path); !e.empty())
    return error(std::string("cannot write the ") + what + " file '" + path +
                 "': " + e);
  return llvm::Error::success();
}

llvm::Error prepare(const TrainOptions &o, Prepared &p) {
  p.sigintIgnored = o.handleSigint && sigintIsIgnored();
  if (o.schedule != "constant" && o.schedule != "cosine" &&
      o.schedule != "warmup-cosine")
    return error("--schedule must be 'constant', 'cosine' or 'warmup-cosine', "
                 "got '" +
                 o.schedule + "'");
  if (o.warmupSteps >= 0 && o.schedule != "warmup-cosine")
    return error("--warmup-steps needs --schedule warmup-cosine");
  if (!o.init.empty() && o.init != "he" && o.init != "model")
    return error("--init must be 'he' or 'model', got '" + o.init + "'");
  auto recipe = parseRecipeSpec(o.recipe);
  if (!recipe)
    return recipe.takeError();
  p.recipe = std::move(*recipe);
  if (!o.metricsPath.empty())
    if (llvm::Error e = checkWritable(o.metricsPath, "metrics"))
      return e;
  if (!o.plotPath.empty())
    if (llvm::Error e = checkWritable(o.plotPath, "plot"))
      return e;
  if (!o.metricsPath.empty() && o.metricsPath == o.plotPath)
    return error("--metrics and --plot name the same file '" + o.metricsPath +
                 "'");

  if (std::string e = data::loadDataset(o.dataset, p.split); !e.empty())
    return error("dataset '" + o.dataset + "': " + e);
  auto subset = [&](const data::Dataset &d, int64_t limit, uint64_t stream) {
    std::vector<uint32_t> idx(d.size());
    for (size_t i = 0; i < idx.size(); ++i)
      idx[i] = uint32_t(i);
    if (limit > 0 && size_t(limit) < idx.size()) {
      shuffle(idx, o.seed, stream);
      idx.resize(size_t(limit));
    }
    return idx;
  };
  p.trainIdx = subset(p.split.train, o.trainLimit, kTrainSubsetStream);
  p.testIdx = subset(p.split.test, o.testLimit, kTestSubsetStream);
  if (p.testIdx.empty())
    return error("dataset '" + o.dataset + "' has no test samples");
  p.pixels = p.split.train.pixelsPerImage();
  return llvm::Error::success();
}

/// The passes train() names in textual pipelines (the recipe's options are
/// text).
void registerPasses() {
  static std::once_flag once;
  std::call_once(once, [] { ::quant4::registerQuant4Passes(); });
}

/// The functions train() compiles.
struct ModelFunctions {
  std::string stepName;
  func::FuncOp step, initState;
  func::FuncOp forward, fp32Forward; // the recipe's and the FP32 evaluation
  /// The parameters function of the forward function (init "model"), or
  /// null.
  func::FuncOp params;
  /// The model has a parameters function (an imported model: PyTorch's
  /// layouts, heFanIn) -- also when init is "he" and `params` was dropped.
  bool imported = false;
};

/// A parameters function (quant4.params_of), whatever its name.
bool isParamsFunction(func::FuncOp f) { return bool(q4::getParamsOf(f)); }

/// Steps 2 and 3 of Train.h: finds the training step and/or the forward
/// function of `module`, builds the step if there is none, and applies the
/// recipe to the step and the forward function, keeping an FP32 copy of the
/// latter.
llvm::Expected<ModelFunctions> quantizeModel(ModuleOp module,
                                             const TrainOptions &o,
                                             const RecipeSpec &recipe) {
  std::vector<func::FuncOp> steps, forwards;
  for (auto f : module.getOps<func::FuncOp>()) {
    if (f.isExternal())
      continue;
    if (isStepFunction(f))
      steps.push_back(f);
    else if (!isInitState(f) && !isParamsFunction(f) &&
             (f.isPublic() || f.getName() == o.forward))
      forwards.push_back(f);
  }
  auto names = [](const std::vector<func::FuncOp> &fs) {
    std::string s;
    for (auto f : fs)
      s += (s.empty() ? "@" : ", @") + f.getName().str();
    return s;
  };
  func::FuncOp step, forward;
  if (steps.size() > 1)
    return error("model '" + o.model + "' has several training steps (" +
                 names(steps) + ")");
  if (!steps.empty()) {
    step = steps[0];
    for (unsigned i = 0; i < step.getNumArguments(); ++i)
      if (SlotKind k = q4::getArgumentSlot(step, i).kind;
          k == SlotKind::State || k == SlotKind::Seed)
        return error("@" + step.getName().str() +
                     " already has a recipe applied (quant4.state/quant4.seed "
                     "arguments); give the forward model or the unquantized "
                     "step");
    std::string fwdName = o.forward;
    if (FlatSymbolRefAttr ref = q4::getForwardFunction(step))
      if (fwdName.empty())
        fwdName = ref.getValue().str();
    if (!fwdName.empty()) {
      forward = module.lookupSymbol<func::FuncOp>(fwdName);
      if (forward && forward.isExternal())
        forward = {};
      if (!forward && !o.forward.empty())
        return error("no forward function @" + o.forward + " in '" + o.model +
                     "'");
    }
  } else {
    if (!o.forward.empty()) {
      forward = module.lookupSymbol<func::FuncOp>(o.forward);
      if (!forward || forward.isExternal())
        return error("no function @" + o.forward + " in '" + o.model +
                     "' (functions: " +
                     (forwards.empty() ? "none" : names(forwards)) + ")");
    } else if (forwards.size() == 1) {
      forward = forwards[0];
    } else if (forwards.empty()) {
      return error("model '" + o.model +
                   "' has no public function with a body");
    } else {
      return error("model '" + o.model + "' has several functions (" +
                   names(forwards) + "); choose one with --forward");
    }
  }
  std::string fwdName = forward ? forward.getName().str() : "";

  // The parameters function of the forward function: the initial values
  // (init "model", the default when there is one) and the model's kind.
  func::FuncOp paramsFn;
  if (!fwdName.empty())
    for (auto f : module.getOps<func::FuncOp>())
      if (FlatSymbolRefAttr of = q4::getParamsOf(f);
          of && of.getValue() == fwdName && !f.isExternal())
        paramsFn = f;
  std::string init = o.init.empty() ? (paramsFn ? "model" : "he") : o.init;
  if (init == "model" && !paramsFn)
    return error(
        "--init model needs the model's parameter values, but '" + o.model +
        "' has no parameters function for " +
        (fwdName.empty() ? std::string("its forward function")
                         : "@" + fwdName) +
        " (a function with " + q4::attrs::kParamsOf.str() + " = @" +
        (fwdName.empty() ? std::string("f") : fwdName) +
        ", as an imported ONNX model's @main_params); use --init he");

  // Keep only the step and the forward function; an FP32 copy of the forward
  // function and the parameters function are set aside (apply-recipe
  // quantizes every function).
  OwningOpRef<func::FuncOp> fp32Forward, paramsCopy;
  std::string paramsName;
  if (paramsFn && init == "model") {
    paramsCopy = paramsFn.clone();
    paramsName = paramsFn.getName().str();
  }
  const std::string fp32Name = fwdName + "__fp32";
  {
    std::vector<func::FuncOp> drop;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f.isExternal() && f != step && f != forward)
        drop.push_back(f);
    for (auto f : drop)
      f.erase();
    if (forward) {
      forward.setPublic();
      fp32Forward = forward.clone();
      fp32Forward->setName(fp32Name);
    }
  }
  if (!step) {
    if (llvm::Error e = runPasses(
            module, "quant4-build-training-step{forward=" + fwdName + "}",
            "building the training step of @" + fwdName))
      return std::move(e);
    for (auto f : module.getOps<func::FuncOp>())
      if (FlatSymbolRefAttr ref = q4::getForwardFunction(f))
        if (ref.getValue() == fwdName)
          step = f;
    if (!step)
      return error("quant4-build-training-step did not create a step for @" +
                   fwdName);
  }
  std::string stepName = step.getName().str();
  step.setPublic();
  if (llvm::Error e = runPasses(
          module, "quant4-apply-recipe{" + recipe.passOptions + "}",
          "applying recipe '" + o.recipe + "' to '" + o.model + "'"))
    return std::move(e);
  // The module now has the quantized step and forward (+ their state
  // initializers).
  step = module.lookupSymbol<func::FuncOp>(stepName);
  func::FuncOp initState = lookupInitState(step);
  forward = fwdName.empty() ? func::FuncOp()
                            : module.lookupSymbol<func::FuncOp>(fwdName);
  if (forward) {
    if (func::FuncOp fi = lookupInitState(forward))
      fi.erase(); // its values are those of the step's state of the same name
    // A recipe that quantizes changed the forward function: evaluate the
    // FP32 copy too.
    if (q4::getRecipeDesc(recipe.recipe).quantizes)
      module.push_back(fp32Forward.release());
  }
  if (paramsCopy)
    module.push_back(paramsCopy.release());
  for (auto f : module.getOps<func::FuncOp>())
    if (!f.isExternal())
      f.setPublic();

  ModelFunctions m;
  m.stepName = stepName;
  m.step = step;
  m.initState = initState;
  m.forward = forward;
  if (forward)
    m.fp32Forward = module.lookupSymbol<func::FuncOp>(fp32Name);
  if (!paramsName.empty())
    m.params = module.lookupSymbol<func::FuncOp>(paramsName);
  m.imported = bool(paramsFn);
  return m;
}

/// Where the training step takes and returns what (the convention of
/// quant4-build-training-step, plus quant4-apply-recipe's state and seed).
struct StepLayout {
  CompiledFn fn;
  int64_t batch = 0;
  std::vector<int> paramArgs, momArgs, stateArgs; // argument indices
  std::vector<int> paramRes, momRes, stateRes;    // result indices
  std::vector<std::string> paramNames, stateNames;
  int batchArg = -1, labelsArg = -1, lrArg = -1, momArg = -1, wdArg = -1,
      seedArg = -1, lossRes = -1, correctRes = -1;
  unsigned numParams() const { return unsigned(paramArgs.size()); }
};

/// Reads and checks the roles of the step's arguments and results, its
/// batch (images of the dataset's size) and labels.
llvm::Expected<StepLayout> describeStep(func::FuncOp step,
                                        const std::string &stepName,
                                        const TrainOptions &o,
                                        const Prepared &p) {
  const data::Split &split = p.split;
  const int64_t pixels = p.pixels;
  const std::vector<uint32_t> &trainIdx = p.trainIdx;
  StepLayout layout;
  auto stepFn = describe(step);
  if (!stepFn)
    return stepFn.takeError();
  layout.fn = std::move(*stepFn);
  for (unsigned i = 0; i < step.getNumArguments(); ++i) {
    q4::Slot slot = q4::getArgumentSlot(step, i);
    switch (slot.kind) {
    case SlotKind::Param:
      layout.paramArgs.push_back(int(i));
      layout.paramNames.push_back(slot.name.str());
      break;
    case SlotKind::Momentum:
      layout.momArgs.push_back(int(i));
      break;
    case SlotKind::Batch:
      layout.batchArg = int(i);
      break;
    case SlotKind::Labels:
      layout.labelsArg = int(i);
      break;
    case SlotKind::Hyper:
      if (slot.hyper) {
        switch (*slot.hyper) {
        case q4::HyperParam::LearningRate:
          layout.lrArg = int(i);
          break;
        case q4::HyperParam::Momentum:
          layout.momArg = int(i);
          break;
        case q4::HyperParam::WeightDecay:
          layout.wdArg = int(i);
          break;
        case q4::HyperParam::Beta1:
        case q4::HyperParam::Beta2:
        case q4::HyperParam::Epsilon:
        case q4::HyperParam::Step:
          return error("@" + stepName + ": argument " + std::to_string(i) +
                       " is AdamW's hyper-parameter '" + slot.name.str() +
                       "', which quant4-run train does not feed yet");
        }
      }
      break;
    case SlotKind::State:
      layout.stateArgs.push_back(int(i));
      layout.stateNames.push_back(slot.name.str());
      break;
    case SlotKind::Seed:
      layout.seedArg = int(i);
      break;
    case SlotKind::SecondMoment:
    case SlotKind::Buffer:
      return error("@" + stepName + ": argument " + std::to_string(i) +
                   " is " +
                   (slot.kind == SlotKind::Buffer
                        ? "a model buffer (quant4.buffer)"
                        : "an AdamW second moment (quant4.second_moment)") +
                   ", which quant4-run train does not feed yet");
    case SlotKind::None:
    case SlotKind::StateGrad:
    case SlotKind::Loss:
    case SlotKind::Correct: {
      std::string names;
      for (StringRef name :
           {q4::attrs::kParam, q4::attrs::kMomentum, q4::attrs::kBatch,
            q4::attrs::kLabels, q4::attrs::kHyper, q4::attrs::kState,
            q4::attrs::kSeed})
        names += (names.empty() ? "" : ", ") + name.str();
      return error("@" + stepName + ": argument " + std::to_string(i) +
                   " has no quant4 role attribute (" + names +
                   "); build the step with quant4-build-training-step");
    }
    }
  }
  const unsigned numParams = layout.numParams();
  if (!numParams || layout.momArgs.size() != numParams || layout.batchArg < 0 ||
      layout.labelsArg < 0 || layout.lrArg < 0 || layout.momArg < 0 ||
      layout.wdArg < 0)
    return error("@" + stepName +
                 " does not follow the training-step convention of "
                 "quant4-build-training-step (parameters, momentum buffers, "
                 "batch, labels, lr, momentum, weight_decay)");
  for (unsigned i = 0; i < step.getNumResults(); ++i) {
    switch (q4::getResultSlot(step, i).kind) {
    case SlotKind::Loss:
      layout.lossRes = int(i);
      break;
    case SlotKind::Correct:
      layout.correctRes = int(i);
      break;
    case SlotKind::Param:
      layout.paramRes.push_back(int(i));
      break;
    case SlotKind::Momentum:
      layout.momRes.push_back(int(i));
      break;
    case SlotKind::State:
      layout.stateRes.push_back(int(i));
      break;
    case SlotKind::StateGrad:
      return error("@" + stepName +
                   " returns state gradients (pact-update=grad); the driver "
                   "needs pact-update=sgd");
    default:
      break;
    }
  }
  if (layout.paramRes.size() != numParams ||
      layout.momRes.size() != numParams || layout.lossRes < 0 ||
      layout.correctRes < 0 ||
      layout.stateRes.size() != layout.stateArgs.size())
    return error("@" + stepName +
                 ": results do not follow the training-step convention (new "
                 "parameters, new momentum, loss, correct, state)");
  const Slot &bslot = layout.fn.args[size_t(layout.batchArg)];
  const int64_t B = layout.batch = bslot.shape.empty() ? 0 : bslot.shape[0];
  // One image per batch row, in one of the layouts that hold a single
  // channel's pixels in the dataset's row-major order: flat, HxW, 1xHxW
  // (NCHW, as PyTorch exports) or HxWx1 (NHWC).
  const int64_t R = split.train.rows, C = split.train.cols;
  std::vector<int64_t> perSample(bslot.shape.begin() + (B > 0 ? 1 : 0),
                                 bslot.shape.end());
  bool layoutOk = perSample == std::vector<int64_t>{pixels} ||
                  perSample == std::vector<int64_t>{R, C} ||
                  perSample == std::vector<int64_t>{1, R, C} ||
                  perSample == std::vector<int64_t>{R, C, 1};
  if (!bslot.isF32 || B <= 0 || !layoutOk) {
    std::string r = std::to_string(R), c = std::to_string(C);
    return error("@" + stepName + ": the batch argument " +
                 typeStr(step.getArgumentTypes()[size_t(layout.batchArg)]) +
                 " does not hold f32 images of " + std::to_string(pixels) +
                 " pixels (" + r + "x" + c +
                 "); the driver feeds Nx" + std::to_string(pixels) + ", Nx" +
                 r + "x" + c + ", Nx1x" + r + "x" + c + " (NCHW) or Nx" + r +
                 "x" + c + "x1 (NHWC)");
  }
  if (o.batchSize && o.batchSize != B)
    return error("--batch-size " + std::to_string(o.batchSize) +
                 " does not match the model's static batch " +
                 std::to_string(B) +
                 " (the driver does not re-specialize shapes; write the "
                 "model for that batch)");
  {
    const Slot &ls = layout.fn.args[size_t(layout.labelsArg)];
    if (ls.isF32 || ls.elemSize != 4 || ls.shape != std::vector<int64_t>{B})
      return error("@" + stepName + ": labels must be tensor<" +
                   std::to_string(B) + "xi32>");
  }
  if (int64_t(trainIdx.size()) < B)
    return error("the training set has " + std::to_string(trainIdx.size()) +
                 " samples, fewer than one batch of " + std::to_string(B));
  return layout;
}

/// Reads and checks a forward function `f` that evaluates the parameters of
/// the step `stepName` (laid out as `step`).
llvm::Expected<EvalFn> describeEval(func::FuncOp f, const std::string &stepName,
                                    const StepLayout &step) {
  EvalFn e;
  auto fn = describe(f);
  if (!fn)
    return fn.takeError();
  e.fn = std::move(*fn);
  e.paramArg.assign(step.numParams(), -1);
  std::map<std::string, int> stateIndex;
  for (size_t k = 0; k < step.stateNames.size(); ++k)
    stateIndex[step.stateNames[k]] = int(k);
  std::vector<int> plain;
  for (unsigned i = 0; i < f.getNumArguments(); ++i) {
    q4::Slot slot = q4::getArgumentSlot(f, i);
    if (slot.kind == SlotKind::State) {
      auto it = stateIndex.find(slot.name.str());
      if (it == stateIndex.end())
        return error("@" + f.getName().str() + ": state '" + slot.name.str() +
                     "' of the quantized forward function is not a state "
                     "of @" +
                     stepName);
      e.stateArgs.push_back({int(i), it->second});
    } else if (slot.kind == SlotKind::Seed) {
      e.seedArg = int(i);
    } else {
      plain.push_back(int(i));
    }
  }
  std::vector<int> plainResults;
  for (unsigned i = 0; i < f.getNumResults(); ++i)
    if (q4::getResultSlot(f, i).kind != SlotKind::State)
      plainResults.push_back(int(i));
  if (plain.size() != step.numParams() + 1 || plainResults.size() != 1)
    return error("@" + f.getName().str() + " does not take the " +
                 std::to_string(step.numParams()) + " parameters of @" +
                 stepName +
                 " and a batch, or does not return one logits tensor");
  for (unsigned k = 0; k < step.numParams(); ++k) {
    e.paramArg[k] = plain[k];
    if (e.fn.args[size_t(plain[k])].shape !=
        step.fn.args[size_t(step.paramArgs[k])].shape)
      return error("@" + f.getName().str() + ": parameter " +
                   std::to_string(k) + " has another shape than in @" +
                   stepName);
  }
  e.batchArg = plain.back();
  e.logitsResult = plainResults[0];
  const Slot &r = e.fn.results[size_t(e.logitsResult)];
  if (e.fn.args[size_t(e.batchArg)].shape !=
          step.fn.args[size_t(step.batchArg)].shape ||
      !r.isF32 || r.shape.size() != 2 || r.shape[0] != step.batch ||
      r.shape[1] < 10)
    return error("@" + f.getName().str() + " must map the batch " +
                 typeStr(step.fn.type.getInput(unsigned(step.batchArg))) +
                 " to logits tensor<" + std::to_string(step.batch) +
                 "xCxf32> with C >= 10");
  return e;
}

/// Steps 2-6 of Train.h on the parsed model. `t0` is when parsing started;
/// `held` holds SIGINT until training starts.
llvm::Expected<TrainResult> trainModule(ModuleOp module, const TrainOptions &o,
                                        Prepared &p, Clock::time_point t0,
                                        std::optional<SigintBlocked> &held) {
  const data::Split &split = p.split;
  const std::vector<uint32_t> &trainIdx = p.trainIdx, &testIdx = p.testIdx;
  const int64_t pixels = p.pixels;

  auto model = quantizeModel(module, o, p.recipe);
  if (!model)
    return model.takeError();
  const std::string &stepName = model->stepName;
  func::FuncOp initState = model->initState;
  auto layout = describeStep(model->step, stepName, o, p);
  if (!layout)
    return layout.takeError();
  const StepLayout &step = *layout;
  const CompiledFn &stepFn = step.fn;
  const unsigned numParams = step.numParams();
  const int64_t B = step.batch;
  std::vector<EvalFn> evals; // [0] recipe forward, [1] FP32 forward
  for (func::FuncOp f : {model->forward, model->fp32Forward}) {
    if (!f)
      continue;
    auto e = describeEval(f, stepName, step);
    if (!e)
      return e.takeError();
    evals.push_back(std::move(*e));
  }
  if (evals.empty())
    return error("@" + stepName + " has no forward function in '" + o.model +
                 "' to evaluate with (give the forward model, or keep the "
                 "function its quant4.forward attribute names in the file)");
  CompiledFn initFn;
  if (initState) {
    auto fn = describe(initState);
    if (!fn)
      return fn.takeError();
    initFn = std::move(*fn);
  }
  // The parameters function (init "model") returns the parameters of the
  // step in order, with the same shapes (and names, where both have them).
  CompiledFn paramsFn;
  if (model->params) {
    auto fn = describe(model->params);
    if (!fn)
      return fn.takeError();
    paramsFn = std::move(*fn);
    const std::string &name = paramsFn.name;
    if (!paramsFn.args.empty())
      return error("@" + name + " takes arguments; a parameters function "
                   "takes none");
    if (paramsFn.results.size() != numParams)
      return error("@" + name + " returns " +
                   std::to_string(paramsFn.results.size()) +
                   " values for the " + std::to_string(numParams) +
                   " parameters of @" + stepName);
    for (unsigned k = 0; k < numParams; ++k) {
      const Slot &r = paramsFn.results[k];
      q4::Slot slot = q4::getResultSlot(model->params, k);
      if (!r.isF32 ||
          r.shape != stepFn.args[size_t(step.paramArgs[k])].shape ||
          (slot.kind == SlotKind::Param && !step.paramNames[k].empty() &&
           slot.name != step.paramNames[k]))
        return error(
            "@" + name + ": result " + std::to_string(k) + " (" +
            typeStr(paramsFn.type.getResult(k)) +
            (slot.kind == SlotKind::Param ? " '" + slot.name.str() + "'" : "") +
            ") is not parameter " + std::to_string(k) + " of @" + stepName +
            " (" +
            typeStr(stepFn.type.getInput(unsigned(step.paramArgs[k]))) +
            " '" + step.paramNames[k] + "')");
    }
  }
  const int64_t stepsPerEpoch = int64_t(trainIdx.size()) / B;
  const int64_t totalSteps = stepsPerEpoch * o.epochs;
  int64_t warmupSteps = 0;
  if (o.schedule == "warmup-cosine") {
    warmupSteps =
        o.warmupSteps >= 0 ? o.warmupSteps : defaultWarmupSteps(totalSteps);
    if (warmupSteps > totalSteps)
      return error("--warmup-steps " + std::to_string(warmupSteps) +
                   " is more than the " + std::to_string(totalSteps) +
                   " steps of the run (" + std::to_string(o.epochs) +
                   " epoch(s) of " + std::to_string(stepsPerEpoch) + ")");
  }
  if (initFn.results.size() != step.stateArgs.size())
    return error("@" + stepName + " has " +
                 std::to_string(step.stateArgs.size()) + " state argument(s) " +
                 (initState ? "but @" + initFn.name + " returns " +
                                  std::to_string(initFn.results.size())
                            : "and no state initializer (" +
                                  q4::attrs::kInitStateOf.str() + " = @" +
                                  stepName + ")"));

  // -- Lower and JIT-compile --------------------------------------------------
  if (failed(lowerToLLVM(module)))
    return error("lowering '" + o.model + "' with quant4-cpu-pipeline failed");
  auto maybeEngine = createEngine(module, o.optLevel);
  if (!maybeEngine)
    return error("JIT compilation failed: " +
                 llvm::toString(maybeEngine.takeError()));
  std::unique_ptr<ExecutionEngine> engine = std::move(*maybeEngine);
  // Materialize (compile) every entry point now: compilation errors surface
  // before training, and the compile time is measured here.
  {
    std::vector<std::string> entries = {stepName};
    if (initState)
      entries.push_back(initFn.name);
    for (const EvalFn &e : evals)
      entries.push_back(e.fn.name);
    if (model->params)
      entries.push_back(paramsFn.name);
    for (const std::string &n : entries)
      if (auto fnOrErr = engine->lookupPacked("_mlir_ciface_" + n); !fnOrErr)
        return error("JIT compilation of @" + n +
                     " failed: " + llvm::toString(fnOrErr.takeError()));
  }
  // SIGINT from now on (a SIGINT held since parsing arrives now and ends
  // the run before its first batch).
  SigintHandler sigint(o.handleSigint && !p.sigintIgnored,
                       o.secondSigintMessage);
  held.reset();
  quant4_rt_set_num_threads(int32_t(o.threads));
  quant4_rt_set_seed(0);
  double compileTime = seconds(t0, Clock::now());

  // -- Initial parameters, momentum, state ------------------------------------
  std::vector<npy::Array> params(numParams), moms(numParams), state;
  if (model->params) {
    std::vector<npy::Array> values;
    if (llvm::Error e = invoke(*engine, paramsFn, {}, values))
      return std::move(e);
    if (values.size() != numParams)
      return error("@" + paramsFn.name + " returned " +
                   std::to_string(values.size()) + " values for " +
                   std::to_string(numParams) + " parameters");
    params = std::move(values);
  }
  for (unsigned k = 0; k < numParams; ++k) {
    const Slot &s = stepFn.args[size_t(step.paramArgs[k])];
    if (!s.isF32)
      return error("@" + stepName + ": parameter '" + step.paramNames[k] +
                   "' is not f32");
    moms[k] = arrayFor(s);
    if (model->params)
      continue; // the model's values
    params[k] = arrayFor(s);
    if (s.shape.size() < 2) {
      // Biases: zero. In an imported model, a vector named "*.weight" is a
      // normalisation layer's scale (PyTorch names every other weight with
      // rank >= 2): one, as torch.nn initialises it.
      if (model->imported &&
          llvm::StringRef(step.paramNames[k]).ends_with(".weight"))
        std::fill_n(params[k].as<float>(), params[k].numel(), 1.0f);
    } else {
      // He/Kaiming uniform: U(-b, b), b = sqrt(6 / fan_in), fan_in in the
      // layout of the model's kind (heFanIn).
      int64_t fanIn = heFanIn(s.shape, model->imported);
      double bound = std::sqrt(6.0 / double(std::max<int64_t>(fanIn, 1)));
      float *w = params[k].as<float>();
      for (int64_t i = 0; i < params[k].numel(); ++i) {
        double u =
            (double(bits32(o.seed, kInitStream + k, uint64_t(i)) >> 8) + 0.5) *
            0x1p-24;
        w[i] = float((2 * u - 1) * bound);
      }
    }
  }
  if (!step.stateArgs.empty())
    if (llvm::Error e = invoke(*engine, initFn, {}, state))
      return std::move(e);

  // -- Training loop
  // ------------------------------------------------------------
  if (o.onCompiled) {
    TrainSetup setup;
    setup.stepName = stepName;
    setup.datasetDescription = split.description;
    setup.trainSamples = int64_t(trainIdx.size());
    setup.testSamples = int64_t(testIdx.size());
    setup.batch = B;
    setup.stepsPerEpoch = stepsPerEpoch;
    setup.dropped = int64_t(trainIdx.size()) - stepsPerEpoch * B;
    setup.numParams = numParams;
    setup.numState = unsigned(step.stateArgs.size());
    setup.compileSeconds = compileTime;
    if (model->params)
      setup.paramsFunction = paramsFn.name;
    setup.warmupSteps = warmupSteps;
    o.onCompiled(setup);
  }

  npy::Array xBuf = arrayFor(stepFn.args[size_t(step.batchArg)]), yBuf,
             lrBuf = f32Scalar(0), momBuf = f32Scalar(float(o.momentum)),
             wdBuf = f32Scalar(float(o.weightDecay)), seedBuf;
  yBuf.dtype = npy::DType::I32;
  yBuf.shape = {B};
  yBuf.data.assign(size_t(B) * 4, 0);
  seedBuf.dtype = npy::DType::I64;
  seedBuf.data.assign(8, 0);

  auto fillBatch = [&](const data::Dataset &d,
                       const std::vector<uint32_t> &order, int64_t start,
                       int64_t count, int32_t padLabel) {
    float *x = xBuf.as<float>();
    int32_t *y = yBuf.as<int32_t>();
    for (int64_t b = 0; b < B; ++b) {
      bool real = b < count;
      // Padding rows repeat samples from the start of `order`.
      size_t idx =
          order[size_t(real ? start + b : (b - count) % int64_t(order.size()))];
      std::memcpy(x + b * pixels, d.image(idx), size_t(pixels) * sizeof(float));
      y[b] = real ? d.labels[idx] : padLabel;
    }
  };

  auto evaluate = [&](const EvalFn &e) -> llvm::Expected<EvalResult> {
    EvalResult r;
    std::vector<const npy::Array *> args(e.fn.args.size(), nullptr);
    for (unsigned k = 0; k < numParams; ++k)
      args[size_t(e.paramArg[k])] = &params[k];
    for (auto [a, s] : e.stateArgs)
      args[size_t(a)] = &state[size_t(s)];
    npy::Array evalSeed;
    evalSeed.dtype = npy::DType::I64;
    evalSeed.data.assign(8, 0);
    if (e.seedArg >= 0)
      args[size_t(e.seedArg)] = &evalSeed;
    args[size_t(e.batchArg)] = &xBuf;
    std::vector<npy::Array> outs;
    double lossSum = 0;
    int64_t correct = 0, n = int64_t(testIdx.size());
    const int64_t C = e.fn.results[size_t(e.logitsResult)].shape[1];
    for (int64_t start = 0; start < n && !sigint.interrupted(); start += B) {
      int64_t count = std::min(B, n - start);
      fillBatch(split.test, testIdx, start, count, -1);
      if (llvm::Error err = invoke(*engine, e.fn, args, outs))
        return std::move(err);
      const float *z = outs[size_t(e.logitsResult)].as<float>();
      for (int64_t b = 0; b < count; ++b) {
        const float *row = z + b * C;
        int32_t t = yBuf.as<int32_t>()[b];
        double m = -std::numeric_limits<double>::infinity();
        int64_t arg = -1;
        bool nan = false;
        for (int64_t c = 0; c < C; ++c) {
          nan |= std::isnan(row[c]);
          if (double(row[c]) > m) {
            m = row[c];
            arg = c;
          }
        }
        if (nan) {
          lossSum = std::numeric_limits<double>::quiet_NaN();
          continue;
        }
        double s = 0;
        for (int64_t c = 0; c < C; ++c)
          s += std::exp(double(row[c]) - m);
        lossSum += m + std::log(s) - double(row[t]);
        correct += arg == t;
      }
    }
    r.loss = lossSum / double(n);
    r.acc = double(correct) / double(n);
    return r;
  };

  TrainResult result;
  result.stepName = stepName;
  result.batch = B;
  std::vector<EpochMetrics> &metrics = result.epochs;
  std::vector<const npy::Array *> stepArgs(stepFn.args.size(), nullptr);
  std::vector<npy::Array> outs;
  std::vector<uint32_t> order = trainIdx;
  int64_t globalStep = 0;
  for (int64_t epoch = 1; epoch <= o.epochs && !result.interruptedEpoch;
       ++epoch) {
    order = trainIdx;
    shuffle(order, o.seed, kShuffleStream + uint64_t(epoch));
    double lossSum = 0;
    int64_t correct = 0, seen = 0;
    double epochTime = 0;
    double lr = o.lr;
    for (int64_t s = 0; s < stepsPerEpoch && !sigint.interrupted();
         ++s, ++globalStep) {
      auto ts = Clock::now();
      fillBatch(split.train, order, s * B, B, -1);
      lr = scheduledLr(o.schedule, o.lr, globalStep, totalSteps, warmupSteps);
      *lrBuf.as<float>() = float(lr);
      for (unsigned k = 0; k < numParams; ++k) {
        stepArgs[size_t(step.paramArgs[k])] = &params[k];
        stepArgs[size_t(step.momArgs[k])] = &moms[k];
      }
      for (size_t k = 0; k < step.stateArgs.size(); ++k)
        stepArgs[size_t(step.stateArgs[k])] = &state[k];
      stepArgs[size_t(step.batchArg)] = &xBuf;
      stepArgs[size_t(step.labelsArg)] = &yBuf;
      stepArgs[size_t(step.lrArg)] = &lrBuf;
      stepArgs[size_t(step.momArg)] = &momBuf;
      stepArgs[size_t(step.wdArg)] = &wdBuf;
      if (step.seedArg >= 0) {
        *seedBuf.as<int64_t>() =
            int64_t(bits64(o.seed, kStepSeedStream, uint64_t(globalStep)));
        stepArgs[size_t(step.seedArg)] = &seedBuf;
      }
      if (llvm::Error e = invoke(*engine, stepFn, stepArgs, outs))
        return std::move(e);
      for (unsigned k = 0; k < numParams; ++k) {
        std::swap(params[k], outs[size_t(step.paramRes[k])]);
        std::swap(moms[k], outs[size_t(step.momRes[k])]);
      }
      for (size_t k = 0; k < step.stateRes.size(); ++k)
        std::swap(state[k], outs[size_t(step.stateRes[k])]);
      double loss = *outs[size_t(step.lossRes)].as<float>();
      int32_t c = *outs[size_t(step.correctRes)].as<int32_t>();
      lossSum += loss;
      correct += c;
      seen += B;
      epochTime += seconds(ts, Clock::now());
      if (o.onStep) {
        StepProgress progress;
        progress.epoch = epoch;
        progress.step = s + 1;
        progress.stepsPerEpoch = stepsPerEpoch;
        progress.meanLoss = lossSum / double(s + 1);
        progress.accuracy = double(correct) / double(seen);
        progress.samplesPerSec = double(seen) / std::max(epochTime, 1e-9);
        o.onStep(progress);
      }
    }
    if (o.onStepsDone)
      o.onStepsDone(epoch);
    if (sigint.interrupted()) {
      result.interruptedEpoch = epoch;
      break;
    }
    result.trainSeconds += epochTime;
    EpochMetrics m;
    m.epoch = epoch;
    m.trainLoss = lossSum / double(stepsPerEpoch);
    m.trainAcc = double(correct) / double(seen);
    m.lr = lr;
    m.trainTime = epochTime;
    m.samplesPerSec = double(seen) / std::max(epochTime, 1e-9);
    {
      auto q = evaluate(evals[0]);
      if (!q)
        return q.takeError();
      EvalResult f = *q;
      if (evals.size() > 1) {
        auto f32 = evaluate(evals[1]);
        if (!f32)
          return f32.takeError();
        f = *f32;
      }
      m.testLoss = q->loss;
      m.testAcc = q->acc;
      m.testLossFp32 = f.loss;
      m.testAccFp32 = f.acc;
    }
    if (sigint.interrupted()) { // during the evaluation: epoch incomplete
      result.interruptedEpoch = epoch;
      break;
    }
    metrics.push_back(m);
    if (o.onEpoch)
      o.onEpoch(m);
  }

  // -- Outputs
  // -----------------------------------------------------------------
  // (Interrupted: the completed epochs, if any.)
  if (!metrics.empty()) {
    OutputFiles files;
    std::string e;
    if (!o.metricsPath.empty())
      e = files.add(o.metricsPath, metricsCsv(metrics));
    if (e.empty() && !o.plotPath.empty()) {
      std::string title =
          "quant4-run train: " + llvm::sys::path::filename(o.model).str() +
          ", recipe " + o.recipe + ", seed " + std::to_string(o.seed) +
          ", batch " + std::to_string(B) + ", lr " + formatFixed(o.lr, 4);
      e = files.add(o.plotPath, metricsSvg(metrics, title, o.epochs));
    }
    if (e.empty())
      e = files.commit();
    if (!e.empty())
      return error(e);
  }
  return result;
}

/// What both train() do: step 1 of Train.h (checks and data), then `body`
/// -- parsing (train(options)) and trainModule -- with SIGINT held and the
/// passes the textual pipelines name registered. `t0` starts the compile
/// time.
llvm::Expected<TrainResult>
withPrepared(const TrainOptions &o,
             llvm::function_ref<llvm::Expected<TrainResult>(
                 Prepared &, Clock::time_point, std::optional<SigintBlocked> &)>
                 body) {
  Prepared p;
  if (llvm::Error e = prepare(o, p))
    return std::move(e);
  auto t0 = Clock::now();
  // SIGINT is held while compiling: the threads MLIR and the JIT start
  // meanwhile inherit the blocked mask, so that during training a SIGINT
  // reaches the training thread (or a thread started before, such as
  // OpenBLAS's, whose handler forwards a second one to it). A SIGINT taken
  // by such a thread now ends the process at once (LLVM's handler).
  std::optional<SigintBlocked> held;
  if (o.handleSigint)
    held.emplace();
  registerPasses();
  return body(p, t0, held);
}

/// The recipes `quant4-run train --recipe` knows, as its messages list them:
/// those of the table that keep FP32 (the baseline) first, then the others,
/// each group in the order of the Recipe enum.
std::string knownRecipes() {
  std::string list;
  for (bool quantizes : {false, true})
    for (unsigned i = 0; i <= q4::getMaxEnumValForRecipe(); ++i) {
      auto r = static_cast<q4::Recipe>(i);
      if (q4::getRecipeDesc(r).quantizes == quantizes)
        list += (list.empty() ? "" : ", ") + q4::stringifyRecipe(r).str();
    }
  return list;
}

llvm::Expected<RecipeSpec> parseRecipeSpec(const std::string &spec) {
  std::string s = spec;
  if (s == "ultralow4-notpr")
    s = "ultralow4:tpr=false";
  else if (s == "ultralow4-nogradscale")
    s = "ultralow4:gradscale=false";
  std::string name = s.substr(0, s.find(':'));
  std::optional<q4::Recipe> recipe = q4::symbolizeRecipe(name);
  if (!recipe)
    return error("unknown recipe '" + spec + "' (known: " + knownRecipes() +
                 ", ultralow4-notpr, ultralow4-nogradscale, or NAME:OPT=V,... "
                 "with quant4-apply-recipe options)");
  RecipeSpec result;
  result.recipe = *recipe;
  std::string &opts = result.passOptions;
  opts = "recipe=" + q4::stringifyRecipe(*recipe).str();
  if (size_t colon = s.find(':'); colon != std::string::npos) {
    std::string rest = s.substr(colon + 1);
    std::stringstream ss(rest);
    std::string kv;
    while (std::getline(ss, kv, ',')) {
      if (kv.find('=') == std::string::npos || kv.front() == '=' ||
          kv.find_first_of(" {}") != std::string::npos)
        return error("bad recipe option '" + kv + "' in '" + spec +
                     "' (expected OPT=VALUE)");
      if (kv.rfind("recipe=", 0) == 0 || kv.rfind("seed=", 0) == 0)
        return error("recipe option '" + kv + "' in '" + spec +
                     "' is set by the driver");
      opts += " " + kv;
    }
  }
  return result;
}

} // namespace

double scheduledLr(llvm::StringRef schedule, double lr, int64_t step,
                   int64_t totalSteps, int64_t warmupSteps) {
  if (schedule == "warmup-cosine") {
    if (step < warmupSteps)
      return lr * double(step) / double(warmupSteps);
    step -= warmupSteps;
    totalSteps -= warmupSteps;
  } else if (schedule != "cosine") {
    return lr;
  }
  if (totalSteps <= 0)
    return lr;
  return lr * 0.5 * (1 + std::cos(M_PI * double(step) / double(totalSteps)));
}

int64_t defaultWarmupSteps(int64_t totalSteps) {
  return std::max<int64_t>(totalSteps, 0) / 20;
}

int64_t heFanIn(llvm::ArrayRef<int64_t> shape, bool imported) {
  int64_t fanIn = 1;
  if (imported) // (out, in), OIHW: all but the first
    for (size_t d = 1; d < shape.size(); ++d)
      fanIn *= shape[d];
  else // (in, out), HWCF: all but the last
    for (size_t d = 0; d + 1 < shape.size(); ++d)
      fanIn *= shape[d];
  return fanIn;
}

llvm::Expected<std::string> recipePassOptions(const std::string &spec) {
  llvm::Expected<RecipeSpec> recipe = parseRecipeSpec(spec);
  if (!recipe)
    return recipe.takeError();
  return std::move(recipe->passOptions);
}

llvm::Expected<TrainResult> train(const TrainOptions &o) {
  return withPrepared(
      o,
      [&](Prepared &p, Clock::time_point t0,
          std::optional<SigintBlocked> &held) -> llvm::Expected<TrainResult> {
        DialectRegistry registry;
        registerDialects(registry);
        MLIRContext context(registry);
        context.loadAllAvailableDialects();
        llvm::SourceMgr sourceMgr;
        SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
        if (isOnnxModelPath(o.model)) {
          // Parameters as arguments, their values in @main_params; a
          // symbolic batch of the training batch size.
          int64_t batch = o.batchSize ? o.batchSize : kDefaultTrainingBatch;
          if (std::error_code ec = llvm::sys::fs::access(
                  o.model, llvm::sys::fs::AccessMode::Exist))
            return error("cannot read model '" + o.model +
                         "': " + ec.message());
          OwningOpRef<ModuleOp> module =
              o.importOnnx ? o.importOnnx(o.model, context, batch)
                           : importOnnxForTraining(o.model, &context, batch);
          if (!module)
            return error("importing the ONNX model '" + o.model + "' failed");
          return trainModule(*module, o, p, t0, held);
        }
        std::string errorMessage;
        auto file = openInputFile(o.model, &errorMessage);
        if (!file)
          return error("cannot read model '" + o.model + "': " + errorMessage);
        sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
        OwningOpRef<ModuleOp> module =
            o.parse ? o.parse(sourceMgr, context)
                    : parseSourceFile<ModuleOp>(sourceMgr, &context);
        if (!module)
          return error("model '" + o.model + "' does not parse or verify");
        return trainModule(*module, o, p, t0, held);
      });
}

llvm::Expected<TrainResult> train(ModuleOp module, const TrainOptions &o) {
  return withPrepared(o, [&](Prepared &p, Clock::time_point t0,
                             std::optional<SigintBlocked> &held) {
    return trainModule(module, o, p, t0, held);
  });
}

} // namespace quant4::runner
