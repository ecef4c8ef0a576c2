//===- Train.cpp - the training loop of quant4-run train ------------------===//
//
// See Train.h for the steps. Every problem is an llvm::Error whose message
// quant4-run train prints as "quant4-run train: error: MESSAGE".
//
//===----------------------------------------------------------------------===//
#include "quant4/Runner/Train.h"

#include "Interrupt.h"
#include "TrainData.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "quant4/Data/MNIST.h"
#include "quant4/Data/Text.h"
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "quant4/Dialect/Quant4/Transforms/Recipes.h"
#include "quant4/InitAll.h"
#include "quant4/Numerics/Rounding.h"
#include "quant4/Runner/Call.h"
#include "quant4/Runner/Checkpoint.h"
#include "quant4/Runner/Replicas.h"
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
#include <csignal>
#include <cstdlib>
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

/// `n` indices 0..n-1, or a seeded random subset of `limit` of them.
std::vector<uint32_t> subsetIndices(size_t n, int64_t limit, uint64_t seed,
                                    uint64_t stream) {
  std::vector<uint32_t> idx(n);
  for (size_t i = 0; i < n; ++i)
    idx[i] = uint32_t(i);
  if (limit > 0 && size_t(limit) < n) {
    shuffle(idx, seed, stream);
    idx.resize(size_t(limit));
  }
  return idx;
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


/// A state initializer (quant4.init_state_of), whatever its name.
bool isInitState(func::FuncOp f) { return bool(q4::getInitStateOf(f)); }

/// `lookup(f)` (q4::lookupInitStateFunction or lookupCalibrateStateFunction)
/// as a func.func, or null (also for a null `f`).
func::FuncOp
lookupCompanion(func::FuncOp f,
                FunctionOpInterface (*lookup)(FunctionOpInterface)) {
  FunctionOpInterface g = f ? lookup(f) : FunctionOpInterface();
  return g ? dyn_cast<func::FuncOp>(g.getOperation()) : func::FuncOp();
}

/// The state initializer of `f` (the function whose quant4.init_state_of
/// names it), or null.
func::FuncOp lookupInitState(func::FuncOp f) {
  return lookupCompanion(f, q4::lookupInitStateFunction);
}

/// The state calibrator of `f` (quant4.calibrate_state_of names it), or null.
func::FuncOp lookupCalibrateState(func::FuncOp f) {
  return lookupCompanion(f, q4::lookupCalibrateStateFunction);
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

/// The `n` timed ops of the compiled code (quant4-cpu-profile-regions, what
/// each is in `regions`) that took longest since the profile was enabled.
std::vector<ProfileOp> slowestOps(llvm::ArrayRef<std::string> regions,
                                  size_t n) {
  std::vector<ProfileOp> ops;
  for (size_t r = 0; r < regions.size(); ++r) {
    uint64_t ns = 0, calls = 0;
    if (quant4_rt_profile_read_region(int32_t(r), &ns, &calls) && calls)
      ops.push_back({regions[r], double(ns) * 1e-9, calls});
  }
  std::sort(ops.begin(), ops.end(), [](const ProfileOp &a, const ProfileOp &b) {
    return a.seconds != b.seconds ? a.seconds > b.seconds : a.what < b.what;
  });
  if (ops.size() > n)
    ops.resize(n);
  return ops;
}

/// Evaluation of one forward function over the test set.
struct EvalFn {
  CompiledFn fn;
  std::vector<int> modelArg; // argument index of model argument k
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
  /// `allreduce=`: the precision of the gradient all-reduce between
  /// data-parallel replicas (C50); the driver's, not the passes'.
  num::AllReduceKind allReduce = num::AllReduceKind::F32;
};

llvm::Expected<RecipeSpec> parseRecipeSpec(const std::string &spec);

/// What train() checks and loads before compiling anything.
struct Prepared {
  RecipeSpec recipe;
  bool text = false;      // a text dataset (textSplit), else images (split)
  data::Split split;
  data::TextSplit textSplit;
  /// The samples: images, or (text) windows, selected by describeStep once
  /// the sequence length is known.
  std::vector<uint32_t> trainIdx, testIdx;
  int64_t pixels = 0;
  /// Every train and test image element is >= 0 (MNIST's and
  /// Fashion-MNIST's are in [0, 1]): the model's data argument is marked
  /// quant4.non_negative.
  bool nonNegativeImages = false;
  double weightDecay = 0; // TrainOptions::weightDecay or the default
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
  if (!o.optimizer.empty() && o.optimizer != "sgd" && o.optimizer != "adamw")
    return error("--optimizer must be 'sgd' or 'adamw', got '" + o.optimizer +
                 "'");
  for (auto [name, v] : {std::pair<const char *, double>{"beta1", o.beta1},
                         {"beta2", o.beta2}})
    if (!(v >= 0 && v < 1))
      return error(std::string("--") + name + " must be a number in [0, 1), "
                   "got '" + formatFixed(v, 6) + "'");
  if (!(o.epsilon > 0) || !std::isfinite(o.epsilon))
    return error("--eps must be a number in (0, inf), got '" +
                 formatFixed(o.epsilon, 6) + "'");
  p.weightDecay = o.weightDecay >= 0      ? o.weightDecay
                  : o.optimizer == "adamw" ? kAdamWWeightDecay
                                           : kSgdWeightDecay;
  if (!o.saveParamsDir.empty() && llvm::sys::fs::exists(o.saveParamsDir) &&
      !llvm::sys::fs::is_directory(o.saveParamsDir))
    return error("--save-params '" + o.saveParamsDir +
                 "' exists and is not a directory");
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

  if (data::isTextDatasetSpec(o.dataset)) {
    // The windows depend on the model's sequence length: describeStep.
    p.text = true;
    if (std::string e = data::loadText(o.dataset, p.textSplit); !e.empty())
      return error("dataset '" + o.dataset + "': " + e);
    p.split.description = p.textSplit.description;
    return llvm::Error::success();
  }
  if (std::string e = data::loadDataset(o.dataset, p.split); !e.empty())
    return error("dataset '" + o.dataset + "': " + e);
  p.trainIdx = subsetIndices(p.split.train.size(), o.trainLimit, o.seed,
                             kTrainSubsetStream);
  p.testIdx = subsetIndices(p.split.test.size(), o.testLimit, o.seed,
                            kTestSubsetStream);
  if (p.testIdx.empty())
    return error("dataset '" + o.dataset + "' has no test samples");
  p.pixels = p.split.train.pixelsPerImage();
  auto nonNegative = [](const data::Dataset &d) {
    return llvm::all_of(d.images, [](float x) { return x >= 0.0f; });
  };
  p.nonNegativeImages = nonNegative(p.split.train) && nonNegative(p.split.test);
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
  /// The step's state calibrator (quant4.calibrate_state_of, the recipe
  /// option pact-calibrate), or null.
  func::FuncOp calibrateState;
  /// Split (data-parallel training): `step` is the gradient function and
  /// this the update function.
  func::FuncOp update;
  /// The evaluation models: the recipe's and the FP32 one (the forward
  /// function, or its evaluation forward @<forward>_eval when the module
  /// has one).
  func::FuncOp forward, fp32Forward;
  /// The parameters function of the forward function (init "model"), or
  /// null.
  func::FuncOp params;
  /// The model has a parameters function (an imported model: PyTorch's
  /// layouts, heFanIn) -- also when init is "he" and `params` was dropped.
  bool imported = false;
  /// TrainOptions::counters: the names of the step's numerics counters.
  std::vector<std::string> counterNames;
  /// `forward` is the evaluation forward @<forward>_eval.
  bool separateEval = false;
};

/// A parameters function (quant4.params_of), whatever its name.
bool isParamsFunction(func::FuncOp f) { return bool(q4::getParamsOf(f)); }

/// Marks the data argument of `f` quant4.non_negative: the step's batch, or
/// a forward function's last argument that is no parameter or buffer (the
/// convention describeEval reads).
void markNonNegativeData(func::FuncOp f) {
  SlotKind data = q4::isTrainingStep(f) ? SlotKind::Batch : SlotKind::None;
  for (unsigned i = f.getNumArguments(); i-- > 0;) {
    if (q4::getArgumentSlot(f, i).kind != data)
      continue;
    auto type = dyn_cast<RankedTensorType>(f.getArgumentTypes()[i]);
    if (type && type.getElementType().isF32())
      q4::setNonNegativeArgument(f, i);
    return;
  }
}

/// Steps 2 and 3 of Train.h: finds the training step and/or the forward
/// function of `module`, builds the step if there is none, and applies the
/// recipe to the step and the evaluation model -- the forward function's
/// evaluation forward @<forward>_eval (evalFunctionName) if the module has
/// one, else the forward function --, keeping an FP32 copy of the latter.
/// With `nonNegativeImages`, the data arguments of both are marked
/// quant4.non_negative first (markNonNegativeData).
llvm::Expected<ModelFunctions>
quantizeModel(ModuleOp module, const TrainOptions &o, const RecipeSpec &recipe,
              bool split, bool nonNegativeImages) {
  std::vector<func::FuncOp> steps, forwards;
  for (auto f : module.getOps<func::FuncOp>()) {
    if (f.isExternal())
      continue;
    if (q4::isTrainingStep(f))
      steps.push_back(f);
    else if (!isInitState(f) && !isParamsFunction(f) &&
             (f.isPublic() || f.getName() == o.forward))
      forwards.push_back(f);
  }
  // An evaluation forward is not a forward candidate of its own.
  llvm::erase_if(forwards, [&](func::FuncOp f) {
    return f.getName() != o.forward &&
           llvm::any_of(forwards, [&](func::FuncOp g) {
             return evalFunctionName(g.getName()) == f.getName();
           });
  });
  auto names = [](const std::vector<func::FuncOp> &fs) {
    std::string s;
    for (auto f : fs)
      s += (s.empty() ? "@" : ", @") + f.getName().str();
    return s;
  };
  func::FuncOp step, forward, updateFn;
  if (steps.size() > 1)
    return error("model '" + o.model + "' has several training steps (" +
                 names(steps) + ")");
  if (!steps.empty() && split)
    return error("data-parallel training builds its own split step "
                 "(quant4-build-training-step{split=true}); give the forward "
                 "model, not the step @" +
                 steps[0].getName().str());
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
  func::FuncOp evalForward;
  if (!fwdName.empty())
    evalForward =
        module.lookupSymbol<func::FuncOp>(evalFunctionName(fwdName));
  if (evalForward && evalForward.isExternal())
    evalForward = {};

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
  func::FuncOp evalModel = evalForward ? evalForward : forward;
  const std::string evalName = evalModel ? evalModel.getName().str() : "";
  const std::string fp32Name = evalName + "__fp32";
  {
    std::vector<func::FuncOp> drop;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f.isExternal() && f != step && f != forward && f != evalForward)
        drop.push_back(f);
    for (auto f : drop)
      f.erase();
    if (evalModel) {
      evalModel.setPublic();
      fp32Forward = evalModel.clone();
      fp32Forward->setName(fp32Name);
    }
  }
  if (!step) {
    std::string optimizer = o.optimizer.empty() ? "sgd" : o.optimizer;
    if (llvm::Error e = runPasses(
            module,
            "quant4-build-training-step{forward=" + fwdName +
                " optimizer=" + optimizer + (split ? " split=true" : "") +
                "}",
            "building the training step of @" + fwdName))
      return std::move(e);
    // The step (split: the gradient function) takes the labels; the update
    // function names the forward too.
    for (auto f : module.getOps<func::FuncOp>())
      if (FlatSymbolRefAttr ref = q4::getForwardFunction(f))
        if (ref.getValue() == fwdName) {
          bool labels = false;
          for (unsigned i = 0; i < f.getNumArguments(); ++i)
            labels |= q4::getArgumentSlot(f, i).kind == SlotKind::Labels;
          (labels ? step : updateFn) = f;
        }
    if (!step)
      return error("quant4-build-training-step did not create a step for @" +
                   fwdName);
  }
  std::string stepName = step.getName().str();
  const std::string updateName = updateFn ? updateFn.getName().str() : "";
  step.setPublic();
  // The training forward is not evaluated when the evaluation forward is.
  if (evalForward && forward)
    forward.erase();
  // The images' sign, for the recipe's choice of an unsigned first layer
  // (signed-act=auto).
  if (nonNegativeImages)
    for (func::FuncOp f : {step, evalForward ? evalForward : forward})
      if (f)
        markNonNegativeData(f);
  if (llvm::Error e = runPasses(
          module, "quant4-apply-recipe{" + recipe.passOptions + "}",
          "applying recipe '" + o.recipe + "' to '" + o.model + "'"))
    return std::move(e);
  if (o.counters)
    if (llvm::Error e = runPasses(module,
                                  "quant4-attach-counters{functions=" +
                                      stepName + "}",
                                  "attaching numerics counters"))
      return std::move(e);
  // The module now has the quantized step and forward (+ their state
  // initializers).
  step = module.lookupSymbol<func::FuncOp>(stepName);
  func::FuncOp initState = lookupInitState(step);
  forward = evalName.empty() ? func::FuncOp()
                             : module.lookupSymbol<func::FuncOp>(evalName);
  if (forward) {
    if (func::FuncOp fi = lookupInitState(forward))
      fi.erase(); // its values are those of the step's state of the same name
    if (func::FuncOp fc = lookupCalibrateState(forward))
      fc.erase(); // the step's calibration sets that state
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
  m.separateEval = bool(evalForward);
  m.stepName = stepName;
  m.step = step;
  if (!updateName.empty())
    m.update = module.lookupSymbol<func::FuncOp>(updateName);
  m.initState = initState;
  m.calibrateState = lookupCalibrateState(step);
  m.forward = forward;
  if (forward)
    m.fp32Forward = module.lookupSymbol<func::FuncOp>(fp32Name);
  if (!paramsName.empty())
    m.params = module.lookupSymbol<func::FuncOp>(paramsName);
  m.imported = bool(paramsFn);
  llvm::SmallVector<std::string> counters = q4::getCounterNames(module);
  m.counterNames.assign(counters.begin(), counters.end());
  return m;
}

/// Where the training step takes and returns what (the convention of
/// quant4-build-training-step, plus quant4-apply-recipe's state and seed).
/// Model arguments are the parameters and buffers, in the forward's order;
/// the optimizer state (momentum or first moment, AdamW's second moment)
/// belongs to the parameters only.
struct StepLayout {
  /// The fused step; split (data-parallel training): the gradient function,
  /// and `update` the update function.
  CompiledFn fn;
  bool split = false;
  CompiledFn update;
  /// Split: the update function's parameter and gradient arguments and
  /// parameter results; the gradient function's gradient results.
  std::vector<int> updateParamArgs, updateGradArgs, updateParamRes, gradRes;
  /// The function whose arguments momArgs, secondArgs and the
  /// hyper-parameter indices count: `update` when split.
  const CompiledFn &optimizerFn() const { return split ? update : fn; }
  int64_t batch = 0;
  int64_t seqLen = 0; // > 0: a language model (token ids [B, T])
  bool adamw = false;
  std::vector<int> modelArgs, momArgs, secondArgs, stateArgs; // arguments
  std::vector<int> modelRes, momRes, secondRes, stateRes;     // results
  std::vector<std::string> modelNames, stateNames;
  std::vector<bool> isBuffer; // per model argument
  int batchArg = -1, labelsArg = -1, lrArg = -1, momArg = -1, wdArg = -1,
      beta1Arg = -1, beta2Arg = -1, epsArg = -1, stepArg = -1, seedArg = -1,
      lossRes = -1, correctRes = -1;
  std::vector<int> gradArgs; // arguments tagged quant4.grad
  unsigned numModel() const { return unsigned(modelArgs.size()); }
  unsigned numParams() const { return unsigned(momArgs.size()); }
  unsigned numBuffers() const { return numModel() - numParams(); }
  const char *optimizer() const { return adamw ? "adamw" : "sgd"; }
};

/// Reads the roles of the step's arguments (the switch of describeStep).
llvm::Error readStepArguments(func::FuncOp step, const std::string &stepName,
                              StepLayout &layout) {
  for (unsigned i = 0; i < step.getNumArguments(); ++i) {
    q4::Slot slot = q4::getArgumentSlot(step, i);
    switch (slot.kind) {
    case SlotKind::Param:
    case SlotKind::Buffer:
      layout.modelArgs.push_back(int(i));
      layout.modelNames.push_back(slot.name.str());
      layout.isBuffer.push_back(slot.kind == SlotKind::Buffer);
      break;
    case SlotKind::Momentum:
      layout.momArgs.push_back(int(i));
      break;
    case SlotKind::SecondMoment:
      layout.secondArgs.push_back(int(i));
      break;
    case SlotKind::Batch:
      layout.batchArg = int(i);
      break;
    case SlotKind::Labels:
      layout.labelsArg = int(i);
      break;
    case SlotKind::Hyper:
      if (slot.hyper) {
        int *arg = nullptr;
        switch (*slot.hyper) {
        case q4::HyperParam::LearningRate:
          arg = &layout.lrArg;
          break;
        case q4::HyperParam::Momentum:
          arg = &layout.momArg;
          break;
        case q4::HyperParam::WeightDecay:
          arg = &layout.wdArg;
          break;
        case q4::HyperParam::Beta1:
          arg = &layout.beta1Arg;
          break;
        case q4::HyperParam::Beta2:
          arg = &layout.beta2Arg;
          break;
        case q4::HyperParam::Epsilon:
          arg = &layout.epsArg;
          break;
        case q4::HyperParam::Step:
          arg = &layout.stepArg;
          break;
        }
        *arg = int(i);
      }
      break;
    case SlotKind::State:
      layout.stateArgs.push_back(int(i));
      layout.stateNames.push_back(slot.name.str());
      break;
    case SlotKind::Seed:
      layout.seedArg = int(i);
      break;
    case SlotKind::Grad:
      layout.gradArgs.push_back(int(i));
      break;
    case SlotKind::None:
    case SlotKind::StateGrad:
    case SlotKind::Loss:
    case SlotKind::Correct: {
      std::string names;
      for (StringRef name :
           {q4::attrs::kParam, q4::attrs::kBuffer, q4::attrs::kMomentum,
            q4::attrs::kSecondMoment, q4::attrs::kBatch, q4::attrs::kLabels,
            q4::attrs::kHyper, q4::attrs::kState, q4::attrs::kSeed})
        names += (names.empty() ? "" : ", ") + name.str();
      return error("@" + stepName + ": argument " + std::to_string(i) +
                   " has no quant4 role attribute (" + names +
                   "); build the step with quant4-build-training-step");
    }
    }
  }
  return llvm::Error::success();
}

/// Reads and checks the roles of the step's arguments and results, its
/// optimizer, its batch (images of the dataset's size, or token ids [B, T]
/// of a language model on a text dataset) and labels; for a language model,
/// selects the windows of the text splits (p.trainIdx, p.testIdx).
llvm::Expected<StepLayout> describeStep(func::FuncOp step, func::FuncOp update,
                                        const std::string &stepName,
                                        const TrainOptions &o, Prepared &p) {
  const data::Split &split = p.split;
  const int64_t pixels = p.pixels;
  StepLayout layout;
  auto stepFn = describe(step);
  if (!stepFn)
    return stepFn.takeError();
  layout.fn = std::move(*stepFn);
  if (llvm::Error e = readStepArguments(step, stepName, layout))
    return std::move(e);
  if (update) {
    // Split: the optimizer's arguments are the update function's.
    const std::string updateName = update.getName().str();
    auto ufn = describe(update);
    if (!ufn)
      return ufn.takeError();
    StepLayout u;
    if (llvm::Error e = readStepArguments(update, updateName, u))
      return std::move(e);
    if (llvm::any_of(u.isBuffer, [](bool b) { return b; }) ||
        u.gradArgs.size() != u.modelArgs.size() || !layout.momArgs.empty())
      return error("@" + updateName +
                   " does not follow the update convention of "
                   "quant4-build-training-step{split=true} (parameters, "
                   "their gradients, optimizer state, hyper-parameters)");
    layout.split = true;
    layout.update = std::move(*ufn);
    layout.updateParamArgs = u.modelArgs;
    layout.updateGradArgs = u.gradArgs;
    layout.momArgs = u.momArgs;
    layout.secondArgs = u.secondArgs;
    layout.lrArg = u.lrArg;
    layout.momArg = u.momArg;
    layout.wdArg = u.wdArg;
    layout.beta1Arg = u.beta1Arg;
    layout.beta2Arg = u.beta2Arg;
    layout.epsArg = u.epsArg;
    layout.stepArg = u.stepArg;
    for (unsigned i = 0; i < update.getNumResults(); ++i) {
      q4::Slot slot = q4::getResultSlot(update, i);
      if (slot.kind == SlotKind::Param)
        layout.updateParamRes.push_back(int(i));
      else if (slot.kind == SlotKind::Momentum)
        layout.momRes.push_back(int(i));
      else if (slot.kind == SlotKind::SecondMoment)
        layout.secondRes.push_back(int(i));
    }
  }
  const unsigned numParams = layout.numParams();
  layout.adamw = layout.beta1Arg >= 0 || !layout.secondArgs.empty();
  bool hypersOk =
      layout.lrArg >= 0 && layout.wdArg >= 0 &&
      (layout.adamw ? layout.beta1Arg >= 0 && layout.beta2Arg >= 0 &&
                          layout.epsArg >= 0 && layout.stepArg >= 0 &&
                          layout.momArg < 0 &&
                          layout.secondArgs.size() == numParams
                    : layout.momArg >= 0);
  unsigned trained = 0;
  for (bool b : layout.isBuffer)
    trained += !b;
  if (!numParams || trained != numParams || !hypersOk ||
      layout.batchArg < 0 || layout.labelsArg < 0)
    return error("@" + stepName +
                 " does not follow the training-step convention of "
                 "quant4-build-training-step (parameters and buffers, "
                 "momentum buffers (and AdamW's second moments), batch, "
                 "labels, hyper-parameters: lr, momentum, weight_decay or lr, "
                 "beta1, beta2, epsilon, weight_decay, step)");
  if (!o.optimizer.empty() && o.optimizer != layout.optimizer())
    return error("--optimizer " + o.optimizer + " does not match @" +
                 stepName + ", a step built for " + layout.optimizer() +
                 " (omit --optimizer to train a given step with its own)");
  for (const std::string &name : o.optimizerOptionsGiven)
    if ((name == "momentum") == layout.adamw)
      return error("the " + name + " option is " +
                   (layout.adamw ? "SGD's" : "AdamW's") + ", but @" +
                   stepName + " trains with " + layout.optimizer());
  for (unsigned i = 0; i < step.getNumResults(); ++i) {
    q4::Slot slot = q4::getResultSlot(step, i);
    switch (slot.kind) {
    case SlotKind::Loss:
      layout.lossRes = int(i);
      break;
    case SlotKind::Correct:
      layout.correctRes = int(i);
      break;
    case SlotKind::Grad:
      layout.gradRes.push_back(int(i));
      break;
    case SlotKind::Buffer:
      if (layout.split) {
        // The buffer's model argument, by name.
        auto it = llvm::find(layout.modelNames, slot.name.str());
        size_t k = size_t(it - layout.modelNames.begin());
        if (it == layout.modelNames.end() || !layout.isBuffer[k])
          return error("@" + stepName + ": result " + std::to_string(i) +
                       " updates no buffer argument ('" + slot.name.str() +
                       "')");
        layout.modelRes.resize(layout.numModel(), -1);
        layout.modelRes[k] = int(i);
        break;
      }
      [[fallthrough]];
    case SlotKind::Param: {
      size_t k = layout.modelRes.size();
      if (k >= layout.modelNames.size() ||
          (slot.kind == SlotKind::Buffer) != layout.isBuffer[k] ||
          slot.name != layout.modelNames[k])
        return error("@" + stepName + ": result " + std::to_string(i) +
                     " ('" + slot.name.str() +
                     "') is not the update of model argument " +
                     std::to_string(k) + " (model arguments come back in "
                     "their order)");
      layout.modelRes.push_back(int(i));
      break;
    }
    case SlotKind::Momentum:
      if (!layout.split)
        layout.momRes.push_back(int(i));
      break;
    case SlotKind::SecondMoment:
      if (!layout.split)
        layout.secondRes.push_back(int(i));
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
  if (layout.split) {
    layout.modelRes.resize(layout.numModel(), -1);
    unsigned buffersBack = 0;
    for (unsigned k = 0; k < layout.numModel(); ++k)
      buffersBack += layout.isBuffer[k] && layout.modelRes[k] >= 0;
    if (layout.gradRes.size() != numParams ||
        layout.updateParamRes.size() != numParams ||
        buffersBack != layout.numBuffers())
      return error("@" + stepName + " and its update function do not follow "
                   "the convention of quant4-build-training-step{split=true} "
                   "(gradients, buffers, loss, correct; new parameters and "
                   "optimizer state)");
  }
  if (layout.modelRes.size() != layout.numModel() ||
      layout.momRes.size() != numParams ||
      layout.secondRes.size() != layout.secondArgs.size() ||
      layout.lossRes < 0 || layout.correctRes < 0 ||
      layout.stateRes.size() != layout.stateArgs.size())
    return error("@" + stepName +
                 ": results do not follow the training-step convention (new "
                 "parameters and buffers, new optimizer state, loss, "
                 "correct, state)");
  const Slot &bslot = layout.fn.args[size_t(layout.batchArg)];
  const std::string batchType =
      typeStr(step.getArgumentTypes()[size_t(layout.batchArg)]);
  const int64_t B = layout.batch = bslot.shape.empty() ? 0 : bslot.shape[0];
  if (!bslot.isF32) {
    // Token ids: a language model on a text dataset.
    if (bslot.shape.size() != 2 || B <= 0 || bslot.shape[1] <= 0)
      return error("@" + stepName + ": the batch argument " + batchType +
                   " is not f32 images nor token ids tensor<BxTxi64> (or "
                   "i32) of a language model");
    if (!p.text)
      return error("@" + stepName + ": the batch argument " + batchType +
                   " holds token ids (a language model), but dataset '" +
                   o.dataset + "' is an image dataset; use --dataset text or "
                   "text:FILE");
    layout.seqLen = bslot.shape[1];
  } else if (p.text) {
    return error("dataset '" + o.dataset +
                 "' is a text dataset (bytes as tokens, for language models), "
                 "but the batch argument " +
                 batchType + " of @" + stepName +
                 " holds images; a language model takes token ids "
                 "tensor<BxTxi64> (or i32)");
  } else {
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
    if (B <= 0 || !layoutOk) {
      std::string r = std::to_string(R), c = std::to_string(C);
      return error("@" + stepName + ": the batch argument " + batchType +
                   " does not hold f32 images of " + std::to_string(pixels) +
                   " pixels (" + r + "x" + c + "); the driver feeds Nx" +
                   std::to_string(pixels) + ", Nx" + r + "x" + c + ", Nx1x" +
                   r + "x" + c + " (NCHW) or Nx" + r + "x" + c + "x1 (NHWC)");
    }
  }
  if (o.batchSize && o.batchSize != B)
    return error("--batch-size " + std::to_string(o.batchSize) +
                 " does not match the model's static batch " +
                 std::to_string(B) +
                 " (the driver does not re-specialize shapes; write the "
                 "model for that batch)");
  {
    const Slot &ls = layout.fn.args[size_t(layout.labelsArg)];
    std::vector<int64_t> want = {B};
    if (layout.seqLen)
      want.push_back(layout.seqLen);
    if (ls.isF32 || ls.elemSize != 4 || ls.shape != want)
      return error("@" + stepName + ": labels must be tensor<" +
                   std::to_string(B) +
                   (layout.seqLen ? "x" + std::to_string(layout.seqLen) : "") +
                   "xi32>");
  }
  if (layout.seqLen) {
    const int64_t T = layout.seqLen;
    if (std::string e = data::checkTextWindows(p.textSplit, T); !e.empty())
      return error(e);
    p.trainIdx = subsetIndices(size_t(data::textWindowCount(
                                   p.textSplit.train.size(), T)),
                               o.trainLimit, o.seed, kTrainSubsetStream);
    p.testIdx = subsetIndices(size_t(data::textWindowCount(
                                  p.textSplit.test.size(), T)),
                              o.testLimit, o.seed, kTestSubsetStream);
  }
  if (int64_t(p.trainIdx.size()) < B)
    return error("the training set has " + std::to_string(p.trainIdx.size()) +
                 (layout.seqLen ? " windows" : " samples") +
                 ", fewer than one batch of " + std::to_string(B));
  return layout;
}

/// Reads and checks a forward function `f` that evaluates the model
/// arguments of the step `stepName` (laid out as `step`): the model
/// arguments (parameters and buffers, in order) and the batch, plus the
/// recipe's state and seed; one logits result besides updated buffers
/// (quant4.buffer results, ignored: a forward that updates its buffers
/// evaluates with batch statistics) and recipe state.
llvm::Expected<EvalFn> describeEval(func::FuncOp f, const std::string &stepName,
                                    const StepLayout &step) {
  EvalFn e;
  auto fn = describe(f);
  if (!fn)
    return fn.takeError();
  e.fn = std::move(*fn);
  const std::string name = "@" + f.getName().str();
  std::map<std::string, int> stateIndex;
  for (size_t k = 0; k < step.stateNames.size(); ++k)
    stateIndex[step.stateNames[k]] = int(k);
  std::vector<int> plain;
  for (unsigned i = 0; i < f.getNumArguments(); ++i) {
    q4::Slot slot = q4::getArgumentSlot(f, i);
    if (slot.kind == SlotKind::State) {
      auto it = stateIndex.find(slot.name.str());
      if (it == stateIndex.end())
        return error(name + ": state '" + slot.name.str() +
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
    if (SlotKind k = q4::getResultSlot(f, i).kind;
        k != SlotKind::State && k != SlotKind::Buffer)
      plainResults.push_back(int(i));
  if (plain.size() != step.numModel() + 1 || plainResults.size() != 1)
    return error(name + " does not take the " +
                 std::to_string(step.numModel()) +
                 " parameters and buffers of @" + stepName +
                 " and a batch, or does not return one logits tensor");
  e.modelArg.assign(plain.begin(), plain.end() - 1);
  for (unsigned k = 0; k < step.numModel(); ++k)
    if (e.fn.args[size_t(plain[k])].shape !=
        step.fn.args[size_t(step.modelArgs[k])].shape)
      return error(name + ": " + (step.isBuffer[k] ? "buffer " : "parameter ") +
                   std::to_string(k) + " has another shape than in @" +
                   stepName);
  e.batchArg = plain.back();
  e.logitsResult = plainResults[0];
  const Slot &r = e.fn.results[size_t(e.logitsResult)];
  const std::string batchType =
      typeStr(step.fn.type.getInput(unsigned(step.batchArg)));
  bool batchOk = e.fn.args[size_t(e.batchArg)].shape ==
                 step.fn.args[size_t(step.batchArg)].shape;
  if (step.seqLen) {
    std::string bt =
        std::to_string(step.batch) + "x" + std::to_string(step.seqLen);
    if (!batchOk || !r.isF32 || r.shape.size() != 3 ||
        r.shape[0] != step.batch || r.shape[1] != step.seqLen)
      return error(name + " must map the batch " + batchType +
                   " to logits tensor<" + bt + "xVxf32>");
    if (r.shape[2] < 256)
      return error(name + ": the logits tensor<" + bt + "x" +
                   std::to_string(r.shape[2]) + "xf32> have " +
                   std::to_string(r.shape[2]) +
                   " classes, fewer than the 256 byte values of a text "
                   "dataset");
    return e;
  }
  if (!batchOk || !r.isF32 || r.shape.size() != 2 ||
      r.shape[0] != step.batch || r.shape[1] < 10)
    return error(name + " must map the batch " + batchType +
                 " to logits tensor<" + std::to_string(step.batch) +
                 "xCxf32> with C >= 10");
  return e;
}

/// Checks the parameters function of the step's model arguments (init
/// "model"): no arguments, the model arguments in order with the same
/// shapes (and names, where both have them).
llvm::Error checkParamsFunction(const CompiledFn &paramsFn,
                                func::FuncOp params, const StepLayout &step,
                                const std::string &stepName) {
  const std::string &name = paramsFn.name;
  const unsigned numModel = step.numModel();
  const CompiledFn &stepFn = step.fn;
  if (!paramsFn.args.empty())
    return error("@" + name + " takes arguments; a parameters function "
                 "takes none");
  if (paramsFn.results.size() != numModel)
    return error("@" + name + " returns " +
                 std::to_string(paramsFn.results.size()) + " values for the " +
                 std::to_string(numModel) + " parameters" +
                 (step.numBuffers() ? " and buffers" : "") + " of @" +
                 stepName);
  for (unsigned k = 0; k < numModel; ++k) {
    const Slot &r = paramsFn.results[k];
    q4::Slot slot = q4::getResultSlot(params, k);
    bool named = slot.kind == SlotKind::Param || slot.kind == SlotKind::Buffer;
    if (!r.isF32 || r.shape != stepFn.args[size_t(step.modelArgs[k])].shape ||
        (named && !step.modelNames[k].empty() &&
         slot.name != step.modelNames[k]))
      return error("@" + name + ": result " + std::to_string(k) + " (" +
                   typeStr(paramsFn.type.getResult(k)) +
                   (named ? " '" + slot.name.str() + "'" : "") + ") is not " +
                   (step.isBuffer[k] ? "buffer " : "parameter ") +
                   std::to_string(k) + " of @" + stepName + " (" +
                   typeStr(stepFn.type.getInput(unsigned(step.modelArgs[k]))) +
                   " '" + step.modelNames[k] + "')");
  }
  return llvm::Error::success();
}

/// He/Kaiming initialisation of the model arguments (step 5 of
/// docs/Results.md §2): parameters of rank >= 2 from U(-b, b); vectors 0
/// (an imported model's "*.weight" vector, a normalisation scale: 1);
/// buffers as PyTorch initialises BatchNorm's: "*running_var" 1, others 0.
void heInitialise(const StepLayout &step, bool imported, uint64_t seed,
                  std::vector<npy::Array> &model) {
  for (unsigned k = 0; k < step.numModel(); ++k) {
    const Slot &s = step.fn.args[size_t(step.modelArgs[k])];
    model[k] = arrayFor(s);
    llvm::StringRef name = step.modelNames[k];
    if (step.isBuffer[k]) {
      if (name.ends_with("running_var"))
        std::fill_n(model[k].as<float>(), model[k].numel(), 1.0f);
    } else if (s.shape.size() < 2) {
      // Biases: zero. In an imported model, a vector named "*.weight" is a
      // normalisation layer's scale (PyTorch names every other weight with
      // rank >= 2): one, as torch.nn initialises it.
      if (imported && name.ends_with(".weight"))
        std::fill_n(model[k].as<float>(), model[k].numel(), 1.0f);
    } else {
      // He/Kaiming uniform: U(-b, b), b = sqrt(6 / fan_in), fan_in in the
      // layout of the model's kind (heFanIn).
      int64_t fanIn = heFanIn(s.shape, imported);
      double bound = std::sqrt(6.0 / double(std::max<int64_t>(fanIn, 1)));
      float *w = model[k].as<float>();
      for (int64_t i = 0; i < model[k].numel(); ++i) {
        double u =
            (double(bits32(seed, kInitStream + k, uint64_t(i)) >> 8) + 0.5) *
            0x1p-24;
        w[i] = float((2 * u - 1) * bound);
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// Checkpoints (Checkpoint.h; docs/Training.md, "Checkpoints and resuming")
//===----------------------------------------------------------------------===//

/// Where the training loop is: the next step is step `step` (0-based) of
/// epoch `epoch` and global step `globalStep`; the sums of that epoch's
/// completed steps.
struct LoopPosition {
  int64_t epoch = 1, step = 0, globalStep = 0;
  double lossSum = 0, epochTime = 0, trainSeconds = 0;
  int64_t correct = 0, seen = 0;
};

/// The options a resumed run must repeat, as (option, value): everything
/// that the bits of the run depend on besides the model.
using RunIdentity = std::vector<std::pair<std::string, std::string>>;

RunIdentity runIdentity(const TrainOptions &o, const Prepared &p,
                        const StepLayout &step, int64_t warmupSteps,
                        int replicas) {
  auto real = [](double v) {
    char b[40];
    std::snprintf(b, sizeof(b), "%.17g", v);
    return std::string(b);
  };
  RunIdentity id = {{"--recipe", o.recipe},
                    {"--dataset", o.dataset},
                    {"--seed", std::to_string(o.seed)},
                    {"--batch-size", std::to_string(step.batch)},
                    {"--train-limit", std::to_string(o.trainLimit)},
                    {"--test-limit", std::to_string(o.testLimit)},
                    {"--optimizer", step.optimizer()},
                    {"--lr", real(o.lr)},
                    {"--weight-decay", real(p.weightDecay)},
                    {"--schedule", o.schedule},
                    {"--warmup-steps", std::to_string(warmupSteps)},
                    {"--epochs", std::to_string(o.epochs)},
                    {"replicas (mpirun -np)", std::to_string(replicas)}};
  if (step.adamw) {
    id.push_back({"--beta1", real(o.beta1)});
    id.push_back({"--beta2", real(o.beta2)});
    id.push_back({"--eps", real(o.epsilon)});
  } else {
    id.push_back({"--momentum", real(o.momentum)});
  }
  return id;
}

/// The arrays a checkpoint holds, by name: model arguments, the optimizer
/// state of each parameter, the recipe state; with the argument slot each
/// must match.
std::vector<std::pair<std::string, const Slot *>>
checkpointArrays(const StepLayout &step) {
  std::vector<std::pair<std::string, const Slot *>> out;
  auto slot = [&](int arg) { return &step.fn.args[size_t(arg)]; };
  auto optSlot = [&](int arg) {
    return &step.optimizerFn().args[size_t(arg)];
  };
  std::vector<std::string> paramNames;
  for (unsigned k = 0; k < step.numModel(); ++k) {
    out.push_back({"model/" + step.modelNames[k], slot(step.modelArgs[k])});
    if (!step.isBuffer[k])
      paramNames.push_back(step.modelNames[k]);
  }
  for (unsigned j = 0; j < step.numParams(); ++j) {
    out.push_back({"moment1/" + paramNames[j], optSlot(step.momArgs[j])});
    if (step.adamw)
      out.push_back({"moment2/" + paramNames[j], optSlot(step.secondArgs[j])});
  }
  for (size_t k = 0; k < step.stateArgs.size(); ++k)
    out.push_back({"state/" + step.stateNames[k], slot(step.stateArgs[k])});
  return out;
}

/// The numbers of an epoch's metrics, exactly, as one field.
std::string encodeEpoch(const EpochMetrics &m) {
  std::string s = std::to_string(m.epoch);
  for (double v : {m.trainLoss, m.trainAcc, m.testLoss, m.testAcc,
                   m.testLossFp32, m.testAccFp32, m.lr, m.trainTime,
                   m.samplesPerSec, m.testBpc, m.testBpcFp32})
    s += " " + exactDouble(v);
  return s;
}

bool decodeEpoch(StringRef s, EpochMetrics &m) {
  SmallVector<StringRef> parts;
  s.split(parts, ' ');
  double *fields[] = {&m.trainLoss,    &m.trainAcc,    &m.testLoss,
                      &m.testAcc,      &m.testLossFp32, &m.testAccFp32,
                      &m.lr,           &m.trainTime,   &m.samplesPerSec,
                      &m.testBpc,      &m.testBpcFp32};
  if (parts.size() != 1 + std::size(fields) ||
      parts[0].getAsInteger(10, m.epoch))
    return false;
  for (size_t i = 0; i < std::size(fields); ++i)
    if (!parseExactDouble(parts[i + 1], *fields[i]))
      return false;
  return true;
}

/// Checks a checkpoint against this run before anything is compiled: the
/// same options (RunIdentity) and arrays of the same names, types and
/// shapes; reads its position and completed epochs.
llvm::Error checkResume(const Checkpoint &c, const TrainOptions &o,
                        const RunIdentity &id, const StepLayout &step,
                        int64_t stepsPerEpoch, LoopPosition &pos,
                        std::vector<EpochMetrics> &done) {
  const std::string where = "--resume '" + o.resumeDir + "': ";
  for (const auto &[option, value] : id) {
    const std::string *was = c.field("option " + option);
    if (!was)
      return error(where + "the checkpoint does not record " + option);
    if (*was != value)
      return error(where + "the checkpoint was written by a run with " +
                   option + " " + *was + "; this run has " + option + " " +
                   value + " (a resumed run repeats the options of the "
                   "interrupted one)");
  }
  // The model: its arrays by name.
  auto arrays = checkpointArrays(step);
  const std::string *model = c.field("model");
  std::string other = "the checkpoint is of another model" +
                      (model ? " ('" + *model + "')" : std::string()) + ": ";
  for (const auto &[name, slot] : arrays) {
    const npy::Array *a = c.array(name);
    npy::Array expect = arrayFor(*slot);
    if (!a)
      return error(where + other + "it has no array '" + name + "'");
    if (a->dtype != expect.dtype || a->shape != expect.shape)
      return error(where + other + "its '" + name + "' is " +
                   npy::dtypeName(a->dtype) + " " + a->shapeString() +
                   ", this run's is " + npy::dtypeName(expect.dtype) + " " +
                   expect.shapeString());
  }
  for (const auto &entry : c.arrays) {
    const std::string &name = entry.first;
    if (name != "counters" && name != "allreduce-residual" &&
        llvm::none_of(arrays, [&](const auto &e) { return e.first == name; }))
      return error(where + other + "this run has no array '" + name + "'");
  }
  // The position.
  std::string bad; // the first field missing or unreadable
  auto integer = [&](StringRef key, int64_t &out) {
    const std::string *v = c.field(key);
    if (bad.empty() && (!v || StringRef(*v).getAsInteger(10, out) || out < 0))
      bad = key.str();
  };
  auto real = [&](StringRef key, double &out) {
    const std::string *v = c.field(key);
    if (bad.empty() && (!v || !parseExactDouble(*v, out)))
      bad = key.str();
  };
  int64_t numDone = 0;
  integer("position epoch", pos.epoch);
  integer("position step", pos.step);
  integer("position global-step", pos.globalStep);
  integer("sums correct", pos.correct);
  integer("sums seen", pos.seen);
  integer("epochs-done", numDone);
  real("sums loss", pos.lossSum);
  real("time epoch", pos.epochTime);
  real("time train", pos.trainSeconds);
  if (!bad.empty())
    return error(where + "the checkpoint's field '" + bad +
                 "' is missing or unreadable");
  if (pos.epoch < 1 || pos.epoch > o.epochs || pos.step > stepsPerEpoch ||
      pos.globalStep != (pos.epoch - 1) * stepsPerEpoch + pos.step ||
      numDone != pos.epoch - 1)
    return error(where + "the checkpoint's position (epoch " +
                 std::to_string(pos.epoch) + ", step " +
                 std::to_string(pos.step) + ") does not fit this run");
  for (int64_t k = 1; k <= numDone; ++k) {
    EpochMetrics m;
    const std::string *v = c.field("epoch " + std::to_string(k));
    if (!v || !decodeEpoch(*v, m) || m.epoch != k)
      return error(where + "the checkpoint's metrics of epoch " +
                   std::to_string(k) + " are missing or unreadable");
    done.push_back(m);
  }
  return llvm::Error::success();
}

/// The end of the process, for the tests of resuming and of data-parallel
/// failures (docs/Training.md): QUANT4_TEST_KILL=after-step:N (after global
/// step N and its checkpoint) or in-checkpoint:N (half-way through writing
/// the N-th checkpoint), optionally @R: in replica R only.
struct TestKill {
  int64_t afterStep = -1, inCheckpoint = -1;
  explicit TestKill(int rank) {
    const char *v = std::getenv("QUANT4_TEST_KILL");
    if (!v)
      return;
    auto [what, who] = StringRef(v).split('@');
    int r = 0;
    if (!who.empty() && (who.getAsInteger(10, r) || r != rank))
      return;
    int64_t n = 0;
    if (what.consume_front("after-step:") && !what.getAsInteger(10, n))
      afterStep = n;
    else if (what.consume_front("in-checkpoint:") && !what.getAsInteger(10, n))
      inCheckpoint = n;
  }
  static void kill() { ::raise(SIGKILL); }
};

/// The file name of model argument `name` under --save-params: the name
/// with every character but [A-Za-z0-9._-] replaced by '_', plus ".npy".
std::string paramFileName(const std::string &name) {
  std::string f = name.empty() ? "unnamed" : name;
  for (char &c : f)
    if (!std::isalnum((unsigned char)c) && c != '.' && c != '_' && c != '-')
      c = '_';
  if (f[0] == '.')
    f[0] = '_';
  return f + ".npy";
}

/// Steps 2-6 of Train.h on the parsed model. `t0` is when parsing started;
/// `held` holds SIGINT until training starts.
llvm::Expected<TrainResult> trainModule(ModuleOp module, const TrainOptions &o,
                                        Prepared &p, Clock::time_point t0,
                                        std::optional<SigintBlocked> &held) {
  const data::Split &split = p.split;
  const int64_t pixels = p.pixels;

  Replicas &replicas = Replicas::world();
  // Started by mpirun but built without MPI: the processes would train
  // independently and write the same files.
  if (Replicas::launchedByMpi() && !Replicas::available() &&
      Replicas::launcherSize() > 1)
    return error("started by an MPI launcher with " +
                 std::to_string(Replicas::launcherSize()) +
                 " processes, but quant4 was built without MPI (install "
                 "libopenmpi-dev and rebuild: bash scripts/setup.sh)");
  const bool splitStep = Replicas::launchedByMpi() && Replicas::available();
  auto model =
      quantizeModel(module, o, p.recipe, splitStep, p.nonNegativeImages);
  if (!model)
    return model.takeError();
  const std::string &stepName = model->stepName;
  const std::vector<std::string> &counterNames = model->counterNames;
  func::FuncOp initState = model->initState;
  auto layout = describeStep(model->step, model->update, stepName, o, p);
  if (!layout)
    return layout.takeError();
  const std::vector<uint32_t> &trainIdx = p.trainIdx, &testIdx = p.testIdx;
  if (testIdx.empty())
    return error("dataset '" + o.dataset + "' has no test samples");
  const StepLayout &step = *layout;
  const CompiledFn &stepFn = step.fn;
  const unsigned numModel = step.numModel(), numParams = step.numParams();
  const int64_t B = step.batch, T = step.seqLen;
  // Positions a sample holds (the step's loss and count are over them).
  const int64_t positions = T ? T : 1;
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
  CompiledFn initFn, calibrateFn;
  if (initState) {
    auto fn = describe(initState);
    if (!fn)
      return fn.takeError();
    initFn = std::move(*fn);
  }
  if (model->calibrateState) {
    auto fn = describe(model->calibrateState);
    if (!fn)
      return fn.takeError();
    calibrateFn = std::move(*fn);
    if (calibrateFn.args.size() != stepFn.args.size() ||
        calibrateFn.results.size() != step.stateArgs.size())
      return error("@" + calibrateFn.name + " does not take @" + stepName +
                   "'s arguments and return its state");
  }
  // The initial parameters of @<model>_params: read from the IR when it
  // only returns constants (imported initializers), so that it is not
  // compiled (constantResults, Call.h); else compiled and called.
  CompiledFn paramsFn;
  const bool fromParams = bool(model->params);
  std::optional<std::vector<npy::Array>> constantParams;
  if (fromParams) {
    auto fn = describe(model->params);
    if (!fn)
      return fn.takeError();
    paramsFn = std::move(*fn);
    if (llvm::Error e =
            checkParamsFunction(paramsFn, model->params, step, stepName))
      return std::move(e);
    constantParams = constantResults(model->params);
    if (constantParams) {
      model->params.erase();
      model->params = nullptr;
    }
  }
  // Data-parallel: each step takes a global batch of B per replica.
  const int N = replicas.size(), rank = replicas.rank();
  const num::AllReduceKind allReduce = p.recipe.allReduce;
  const int64_t stepsPerEpoch = int64_t(trainIdx.size()) / (B * N);
  if (stepsPerEpoch == 0)
    return error("the training set has " + std::to_string(trainIdx.size()) +
                 " samples, fewer than one global batch of " +
                 std::to_string(B) + " x " + std::to_string(N) + " replicas");
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
  for (unsigned k = 0; k < numModel; ++k)
    if (!stepFn.args[size_t(step.modelArgs[k])].isF32)
      return error("@" + stepName + ": " +
                   (step.isBuffer[k] ? "buffer '" : "parameter '") +
                   step.modelNames[k] + "' is not f32");
  const std::string evalName =
      model->fp32Forward ? model->fp32Forward.getName().drop_back(6).str()
                         : model->forward.getName().str();

  // -- A checkpoint to resume from, checked before compiling ------------------
  const RunIdentity identity = runIdentity(o, p, step, warmupSteps, N);
  std::optional<Checkpoint> resumed;
  LoopPosition start;
  std::vector<EpochMetrics> doneEpochs;
  if (!o.resumeDir.empty()) {
    auto c = readCheckpoint(o.resumeDir);
    if (!c)
      return error("--resume '" + o.resumeDir +
                   "': " + llvm::toString(c.takeError()));
    if (llvm::Error e = checkResume(*c, o, identity, step, stepsPerEpoch,
                                    start, doneEpochs))
      return std::move(e);
    resumed = std::move(*c);
  }

  // -- Lower and JIT-compile --------------------------------------------------
  if (failed(lowerToLLVM(module, /*blas=*/true, o.profile)))
    return error("lowering '" + o.model + "' with quant4-cpu-pipeline failed");
  // What each op the profile times is (quant4-cpu-profile-regions).
  const llvm::SmallVector<std::string> profileRegions =
      q4::getProfileRegions(module);
  module->removeAttr(q4::attrs::kProfileRegions);
  // The step's temporaries, planned at compile time (quant4-cpu-static-arena).
  int64_t arenaBytes = 0;
  if (auto arena = module.lookupSymbol<LLVM::GlobalOp>("__quant4_arena_" +
                                                       stepName))
    if (auto array = dyn_cast<LLVM::LLVMArrayType>(arena.getGlobalType()))
      arenaBytes = int64_t(array.getNumElements());
  auto maybeEngine = createEngine(module, o.optLevel);
  if (!maybeEngine)
    return error("JIT compilation failed: " +
                 llvm::toString(maybeEngine.takeError()));
  std::unique_ptr<ExecutionEngine> engine = std::move(*maybeEngine);
  // Materialize (compile) every entry point now: compilation errors surface
  // before training, and the compile time is measured here.
  {
    std::vector<std::string> entries = {stepName};
    if (step.split)
      entries.push_back(step.update.name);
    if (initState)
      entries.push_back(initFn.name);
    if (model->calibrateState)
      entries.push_back(calibrateFn.name);
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

  // -- Initial model arguments, optimizer state, recipe state -----------------
  // model[k]: model argument k (parameter or buffer); moms[j], seconds[j]:
  // the optimizer state of the j-th parameter (zero).
  std::vector<npy::Array> modelArgs(numModel), moms, secondMoms, state;
  if (fromParams) {
    std::vector<npy::Array> values;
    if (constantParams)
      values = std::move(*constantParams);
    else if (llvm::Error e = invoke(*engine, paramsFn, {}, values))
      return std::move(e);
    if (values.size() != numModel)
      return error("@" + paramsFn.name + " returned " +
                   std::to_string(values.size()) + " values for " +
                   std::to_string(numModel) + " parameters and buffers");
    modelArgs = std::move(values);
  } else {
    heInitialise(step, model->imported, o.seed, modelArgs);
  }
  for (unsigned j = 0; j < numParams; ++j) {
    const CompiledFn &ofn = step.optimizerFn();
    moms.push_back(arrayFor(ofn.args[size_t(step.momArgs[j])]));
    if (step.adamw)
      secondMoms.push_back(arrayFor(ofn.args[size_t(step.secondArgs[j])]));
  }
  if (!step.stateArgs.empty())
    if (llvm::Error e = invoke(*engine, initFn, {}, state))
      return std::move(e);
  // The arrays a checkpoint holds, in checkpointArrays' order.
  std::vector<npy::Array *> live;
  for (npy::Array &a : modelArgs)
    live.push_back(&a);
  for (unsigned j = 0; j < numParams; ++j) {
    live.push_back(&moms[j]);
    if (step.adamw)
      live.push_back(&secondMoms[j]);
  }
  for (npy::Array &a : state)
    live.push_back(&a);
  const auto arrayNames = checkpointArrays(step);
  if (resumed) // checkResume matched every name, type and shape
    for (size_t i = 0; i < live.size(); ++i)
      *live[i] = *resumed->array(arrayNames[i].first);

  // -- Training loop
  // ------------------------------------------------------------
  // Replica 0 reports, evaluates and writes; the others only train.
  const bool reports = rank == 0;
  if (o.onCompiled && reports) {
    TrainSetup setup;
    setup.stepName = stepName;
    setup.datasetDescription = split.description;
    setup.trainSamples = int64_t(trainIdx.size());
    setup.testSamples = int64_t(testIdx.size());
    setup.batch = B;
    setup.stepsPerEpoch = stepsPerEpoch;
    setup.dropped = int64_t(trainIdx.size()) - stepsPerEpoch * B * N;
    setup.numParams = numParams;
    setup.numBuffers = step.numBuffers();
    setup.numState = unsigned(step.stateArgs.size());
    setup.optimizer = step.optimizer();
    setup.seqLen = T;
    setup.evalFunction = evalName;
    setup.separateEval = model->separateEval;
    setup.compileSeconds = compileTime;
    setup.stepArenaBytes = arenaBytes;
    if (fromParams)
      setup.paramsFunction = paramsFn.name;
    if (model->calibrateState && start.globalStep == 0)
      setup.calibrateFunction = calibrateFn.name;
    setup.nonNegativeImages =
        p.nonNegativeImages && q4::getRecipeDesc(p.recipe.recipe).quantizes;
    setup.warmupSteps = warmupSteps;
    setup.replicas = N;
    setup.allReduce = std::string(num::allReduceName(allReduce));
    if (resumed) {
      setup.resumedEpoch = start.epoch;
      setup.resumedStep = start.step;
      setup.resumedGlobalStep = start.globalStep;
    }
    o.onCompiled(setup);
  }

  // The hyper-parameters: SGD's or AdamW's (the step count set per step).
  npy::Array xBuf = arrayFor(stepFn.args[size_t(step.batchArg)]),
             yBuf = arrayFor(stepFn.args[size_t(step.labelsArg)]),
             lrBuf = f32Scalar(0), momBuf = f32Scalar(float(o.momentum)),
             wdBuf = f32Scalar(float(p.weightDecay)),
             beta1Buf = f32Scalar(float(o.beta1)),
             beta2Buf = f32Scalar(float(o.beta2)),
             epsBuf = f32Scalar(float(o.epsilon)), tBuf = f32Scalar(0),
             seedBuf;
  seedBuf.dtype = npy::DType::I64;
  seedBuf.data.assign(8, 0);

  // Samples order[start .. start+count-1] of the training or test split as
  // a batch (padded past `count`).
  auto fillBatch = [&](bool train, const std::vector<uint32_t> &order,
                       int64_t start, int64_t count) {
    if (T)
      detail::fillTextBatch(train ? p.textSplit.train : p.textSplit.test, T,
                            order, start, count, xBuf, yBuf);
    else
      detail::fillImageBatch(train ? split.train : split.test, order, start,
                             count, pixels, -1, xBuf, yBuf);
  };

  auto evaluate = [&](const EvalFn &e) -> llvm::Expected<EvalResult> {
    std::vector<const npy::Array *> args(e.fn.args.size(), nullptr);
    for (unsigned k = 0; k < numModel; ++k)
      args[size_t(e.modelArg[k])] = &modelArgs[k];
    for (auto [a, s] : e.stateArgs)
      args[size_t(a)] = &state[size_t(s)];
    npy::Array evalSeed;
    evalSeed.dtype = npy::DType::I64;
    evalSeed.data.assign(8, 0);
    if (e.seedArg >= 0)
      args[size_t(e.seedArg)] = &evalSeed;
    args[size_t(e.batchArg)] = &xBuf;
    std::vector<npy::Array> outs;
    detail::CrossEntropySums sums;
    const std::vector<int64_t> &logits =
        e.fn.results[size_t(e.logitsResult)].shape;
    const int64_t C = logits.back(), n = int64_t(testIdx.size());
    for (int64_t start = 0; start < n && !sigint.interrupted(); start += B) {
      int64_t count = std::min(B, n - start);
      fillBatch(/*train=*/false, testIdx, start, count);
      if (llvm::Error err = invoke(*engine, e.fn, args, outs))
        return std::move(err);
      // The real rows' positions (the padding rows come after them).
      detail::addCrossEntropy(outs[size_t(e.logitsResult)].as<float>(),
                              yBuf.as<int32_t>(), count * positions, C, sums);
    }
    EvalResult r;
    r.loss = sums.meanNats();
    r.acc = sums.accuracy();
    return r;
  };

  TrainResult result;
  result.stepName = stepName;
  result.batch = B;
  result.seqLen = T;
  std::vector<EpochMetrics> &metrics = result.epochs;
  metrics = doneEpochs;
  result.trainSeconds = start.trainSeconds;
  std::vector<const npy::Array *> stepArgs(stepFn.args.size(), nullptr);
  std::vector<npy::Array> outs;
  std::vector<uint32_t> order = trainIdx;
  int64_t globalStep = start.globalStep;

  // One training step at global step `globalStep` on the batch in
  // xBuf/yBuf: the fused step, or (split) the gradient function, the
  // all-reduce of the gradients and of the metrics, rank 0's buffers and
  // recipe state, and the update function. `loss` is the mean over the
  // replicas, `c` the correct count of all of them.
  std::vector<npy::Array> grads(numParams), updateOuts;
  std::vector<unsigned> paramIndex; // model argument of parameter j
  for (unsigned k = 0; k < numModel; ++k)
    if (!step.isBuffer[k])
      paramIndex.push_back(k);
  size_t gradElements = 0;
  for (unsigned j = 0; j < numParams; ++j)
    gradElements += size_t(modelArgs[paramIndex[j]].numel());
  std::vector<float> flatGrads, residual(
      N > 1 && (allReduce == num::AllReduceKind::Int8 ||
                allReduce == num::AllReduceKind::Int4)
          ? gradElements
          : 0,
      0.0f);
  if (const npy::Array *r =
          resumed ? resumed->array("allreduce-residual") : nullptr;
      r && !residual.empty() &&
      r->data.size() == size_t(N) * residual.size() * sizeof(float))
    std::memcpy(residual.data(),
                r->data.data() + size_t(rank) * residual.size() * sizeof(float),
                residual.size() * sizeof(float));
  auto setHypers = [&](std::vector<const npy::Array *> &args) {
    args[size_t(step.lrArg)] = &lrBuf;
    args[size_t(step.wdArg)] = &wdBuf;
    if (step.adamw) {
      // AdamW's bias corrections use the 1-based global step.
      *tBuf.as<float>() = float(globalStep + 1);
      args[size_t(step.beta1Arg)] = &beta1Buf;
      args[size_t(step.beta2Arg)] = &beta2Buf;
      args[size_t(step.epsArg)] = &epsBuf;
      args[size_t(step.stepArg)] = &tBuf;
    } else {
      args[size_t(step.momArg)] = &momBuf;
    }
  };
  // The step's arguments for global step `globalStep` (the batch in
  // xBuf/yBuf).
  auto fillStepArgs = [&] {
    std::fill(stepArgs.begin(), stepArgs.end(), nullptr);
    for (unsigned k = 0; k < numModel; ++k)
      stepArgs[size_t(step.modelArgs[k])] = &modelArgs[k];
    for (size_t k = 0; k < step.stateArgs.size(); ++k)
      stepArgs[size_t(step.stateArgs[k])] = &state[k];
    stepArgs[size_t(step.batchArg)] = &xBuf;
    stepArgs[size_t(step.labelsArg)] = &yBuf;
    if (step.seedArg >= 0) {
      // Each replica draws its own numbers (one replica: the plain run's).
      *seedBuf.as<int64_t>() =
          int64_t(bits64(o.seed, kStepSeedStream,
                         uint64_t(globalStep) * uint64_t(N) + uint64_t(rank)));
      stepArgs[size_t(step.seedArg)] = &seedBuf;
    }
    if (!step.split) {
      for (unsigned j = 0; j < numParams; ++j) {
        stepArgs[size_t(step.momArgs[j])] = &moms[j];
        if (step.adamw)
          stepArgs[size_t(step.secondArgs[j])] = &secondMoms[j];
      }
      setHypers(stepArgs);
    }
  };
  // Before the first step of a run: each PACT alpha set from that step's
  // batch (rank 0's for every replica).
  auto calibrateState = [&]() -> llvm::Error {
    fillStepArgs();
    // Not a training step: not in the profile.
    quant4_rt_profile_enable(0);
    llvm::Error e = invoke(*engine, calibrateFn, stepArgs, outs);
    quant4_rt_profile_enable(o.profile ? 1 : 0);
    if (e)
      return e;
    for (size_t k = 0; k < state.size(); ++k) {
      std::swap(state[k], outs[k]);
      if (N > 1)
        if (llvm::Error e =
                replicas.broadcast(state[k].data.data(), state[k].data.size()))
          return e;
    }
    return llvm::Error::success();
  };
  auto runStep = [&](double &loss, int64_t &c) -> llvm::Error {
    fillStepArgs();
    if (llvm::Error e = invoke(*engine, stepFn, stepArgs, outs))
      return e;
    for (size_t k = 0; k < step.stateRes.size(); ++k)
      std::swap(state[k], outs[size_t(step.stateRes[k])]);
    loss = *outs[size_t(step.lossRes)].as<float>();
    c = *outs[size_t(step.correctRes)].as<int32_t>();
    if (!step.split) {
      for (unsigned k = 0; k < numModel; ++k)
        std::swap(modelArgs[k], outs[size_t(step.modelRes[k])]);
      for (unsigned j = 0; j < numParams; ++j) {
        std::swap(moms[j], outs[size_t(step.momRes[j])]);
        if (step.adamw)
          std::swap(secondMoms[j], outs[size_t(step.secondRes[j])]);
      }
      return llvm::Error::success();
    }
    for (unsigned k = 0; k < numModel; ++k)
      if (step.isBuffer[k])
        std::swap(modelArgs[k], outs[size_t(step.modelRes[k])]);
    for (unsigned j = 0; j < numParams; ++j)
      std::swap(grads[j], outs[size_t(step.gradRes[j])]);
    if (N > 1) {
      // The mean gradient (C50), as one vector in parameter order.
      flatGrads.resize(gradElements);
      size_t at = 0;
      for (const npy::Array &g : grads) {
        std::memcpy(flatGrads.data() + at, g.data.data(), g.data.size());
        at += g.data.size() / sizeof(float);
      }
      if (llvm::Error e = replicas.allReduceMean(
              allReduce, flatGrads.data(), gradElements,
              residual.empty() ? nullptr : residual.data()))
        return e;
      at = 0;
      for (npy::Array &g : grads) {
        std::memcpy(g.data.data(), flatGrads.data() + at, g.data.size());
        at += g.data.size() / sizeof(float);
      }
      // One state for all: rank 0's buffers and recipe state.
      for (unsigned k = 0; k < numModel; ++k)
        if (step.isBuffer[k])
          if (llvm::Error e = replicas.broadcast(modelArgs[k].data.data(),
                                                 modelArgs[k].data.size()))
            return e;
      for (npy::Array &a : state)
        if (llvm::Error e = replicas.broadcast(a.data.data(), a.data.size()))
          return e;
      double lc[2] = {loss, double(c)};
      if (llvm::Error e = replicas.sumInOrder(lc, 2))
        return e;
      loss = lc[0] / double(N);
      c = int64_t(lc[1]);
    }
    std::vector<const npy::Array *> uArgs(step.update.args.size(), nullptr);
    for (unsigned j = 0; j < numParams; ++j) {
      uArgs[size_t(step.updateParamArgs[j])] = &modelArgs[paramIndex[j]];
      uArgs[size_t(step.updateGradArgs[j])] = &grads[j];
      uArgs[size_t(step.momArgs[j])] = &moms[j];
      if (step.adamw)
        uArgs[size_t(step.secondArgs[j])] = &secondMoms[j];
    }
    setHypers(uArgs);
    if (llvm::Error e = invoke(*engine, step.update, uArgs, updateOuts))
      return e;
    for (unsigned j = 0; j < numParams; ++j) {
      std::swap(modelArgs[paramIndex[j]],
                updateOuts[size_t(step.updateParamRes[j])]);
      std::swap(moms[j], updateOuts[size_t(step.momRes[j])]);
      if (step.adamw)
        std::swap(secondMoms[j], updateOuts[size_t(step.secondRes[j])]);
    }
    return llvm::Error::success();
  };

  // Checkpoints: after every `checkpointEvery` steps, or at the end of each
  // epoch's steps; and where SIGINT stops the run.
  const TestKill testKill(rank);
  int64_t checkpoints = 0, savedAt = resumed ? globalStep : -1;
  auto saveCheckpoint = [&](const LoopPosition &at) -> llvm::Error {
    if (o.checkpointDir.empty() || savedAt == at.globalStep)
      return llvm::Error::success();
    Checkpoint c;
    c.setField("model", llvm::sys::path::filename(o.model).str());
    c.setField("step", stepName);
    for (const auto &[option, value] : identity)
      c.setField("option " + option, value);
    c.setField("position epoch", std::to_string(at.epoch));
    c.setField("position step", std::to_string(at.step));
    c.setField("position global-step", std::to_string(at.globalStep));
    c.setField("sums loss", exactDouble(at.lossSum));
    c.setField("sums correct", std::to_string(at.correct));
    c.setField("sums seen", std::to_string(at.seen));
    c.setField("time epoch", exactDouble(at.epochTime));
    c.setField("time train", exactDouble(at.trainSeconds));
    c.setField("epochs-done", std::to_string(metrics.size()));
    for (const EpochMetrics &m : metrics)
      c.setField("epoch " + std::to_string(m.epoch), encodeEpoch(m));
    for (size_t i = 0; i < live.size(); ++i)
      c.arrays.push_back({arrayNames[i].first, *live[i]});
    if (!counterNames.empty()) {
      npy::Array counts;
      counts.dtype = npy::DType::U64;
      counts.shape = {int64_t(counterNames.size()), 5};
      counts.data.resize(counterNames.size() * 5 * 8);
      for (size_t k = 0; k < counterNames.size(); ++k)
        (void)quant4_rt_counter_read(
            int32_t(k), reinterpret_cast<uint64_t *>(counts.data.data()) + 5 * k);
      c.arrays.push_back({"counters", std::move(counts)});
    }
    if (!residual.empty()) {
      // Every replica's error-feedback residuals (C50), row by row.
      std::vector<char> all;
      if (llvm::Error e = replicas.gatherToFirst(
              residual.data(), residual.size() * sizeof(float), all))
        return e;
      npy::Array r;
      r.shape = {int64_t(N), int64_t(residual.size())};
      r.data = std::move(all);
      c.arrays.push_back({"allreduce-residual", std::move(r)});
    }
    savedAt = at.globalStep;
    if (rank != 0) // replica 0 writes the checkpoint
      return llvm::Error::success();
    ++checkpoints;
    std::string e = writeCheckpoint(o.checkpointDir, c, [&] {
      if (testKill.inCheckpoint == checkpoints)
        TestKill::kill();
    });
    if (!e.empty())
      return error(e);
    savedAt = at.globalStep;
    if (o.onCheckpoint)
      o.onCheckpoint(at.globalStep);
    return llvm::Error::success();
  };

  for (int64_t epoch = start.epoch; epoch <= o.epochs && !result.interruptedEpoch;
       ++epoch) {
    const bool resumeHere = resumed && epoch == start.epoch;
    order = trainIdx;
    shuffle(order, o.seed, kShuffleStream + uint64_t(epoch));
    quant4_rt_counters_reset(int32_t(counterNames.size()));
    if (const npy::Array *counts =
            resumeHere ? resumed->array("counters") : nullptr;
        counts && counts->shape ==
                      std::vector<int64_t>{int64_t(counterNames.size()), 5})
      for (size_t k = 0; k < counterNames.size(); ++k)
        quant4_rt_counter_add(
            int32_t(k), reinterpret_cast<const uint64_t *>(counts->data.data()) +
                            5 * k);
    quant4_rt_profile_enable(o.profile ? 1 : 0);
    double lossSum = resumeHere ? start.lossSum : 0;
    int64_t correct = resumeHere ? start.correct : 0,
            seen = resumeHere ? start.seen : 0;
    double epochTime = resumeHere ? start.epochTime : 0;
    double lr = o.lr;
    auto here = [&](int64_t s) {
      LoopPosition at;
      at.epoch = epoch;
      at.step = s;
      at.globalStep = globalStep;
      at.lossSum = lossSum;
      at.correct = correct;
      at.seen = seen;
      at.epochTime = epochTime;
      at.trainSeconds = result.trainSeconds;
      return at;
    };
    int64_t s = resumeHere ? start.step : 0;
    for (; s < stepsPerEpoch && !sigint.interrupted(); ++s) {
      auto ts = Clock::now();
      // This replica's part of the global batch s.
      fillBatch(/*train=*/true, order, (s * N + rank) * B, B);
      lr = scheduledLr(o.schedule, o.lr, globalStep, totalSteps, warmupSteps);
      *lrBuf.as<float>() = float(lr);
      double loss = 0;
      int64_t c = 0;
      if (globalStep == 0 && model->calibrateState)
        if (llvm::Error e = calibrateState())
          return std::move(e);
      if (llvm::Error e = runStep(loss, c))
        return std::move(e);
      lossSum += loss;
      correct += c;
      seen += B * N;
      epochTime += seconds(ts, Clock::now());
      if (o.onStep && reports) {
        StepProgress progress;
        progress.epoch = epoch;
        progress.step = s + 1;
        progress.stepsPerEpoch = stepsPerEpoch;
        progress.meanLoss = lossSum / double(s + 1);
        progress.accuracy = double(correct) / double(seen * positions);
        progress.samplesPerSec = double(seen) / std::max(epochTime, 1e-9);
        o.onStep(progress);
      }
      ++globalStep;
      if (o.checkpointEvery > 0 && globalStep % o.checkpointEvery == 0)
        if (llvm::Error e = saveCheckpoint(here(s + 1)))
          return std::move(e);
      if (testKill.afterStep == globalStep)
        TestKill::kill();
    }
    if (o.onStepsDone && reports)
      o.onStepsDone(epoch);
    if (o.checkpointEvery == 0 || sigint.interrupted())
      if (llvm::Error e = saveCheckpoint(here(s)))
        return std::move(e);
    if (sigint.interrupted()) {
      result.interruptedEpoch = epoch;
      break;
    }
    result.trainSeconds += epochTime;
    EpochMetrics m;
    m.epoch = epoch;
    m.trainLoss = lossSum / double(stepsPerEpoch);
    m.trainAcc = double(correct) / double(seen * positions);
    m.lr = lr;
    m.trainTime = epochTime;
    m.samplesPerSec = double(seen) / std::max(epochTime, 1e-9);
    if (o.profile) {
      double runtimeSeconds = 0;
      for (int32_t c = 0; c < QUANT4_RT_PROFILE_CLASSES; ++c) {
        uint64_t ns = 0, calls = 0;
        (void)quant4_rt_profile_read(c, &ns, &calls);
        m.profile.push_back(
            {quant4_rt_profile_class_name(c), double(ns) * 1e-9, calls});
        runtimeSeconds += double(ns) * 1e-9;
      }
      // Allocation, scalar code between ops, the driver's batch copy.
      m.profile.push_back({"other (allocation, batch copy)",
                           std::max(0.0, epochTime - runtimeSeconds), 0});
      m.profileOps = slowestOps(profileRegions, size_t(o.profileOps));
      quant4_rt_profile_enable(0);
    }
    for (size_t k = 0; k < counterNames.size(); ++k) {
      uint64_t v[5] = {0, 0, 0, 0, 0};
      (void)quant4_rt_counter_read(int32_t(k), v);
      m.counters.push_back(
          {counterNames[k], v[0], v[1], v[2], v[3], v[4]});
    }
    if (reports) {
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
      if (T) {
        m.testBpc = data::bitsPerByte(q->loss);
        m.testBpcFp32 = data::bitsPerByte(f.loss);
      }
    }
    if (sigint.interrupted()) { // during the evaluation: epoch incomplete
      if (llvm::Error e = saveCheckpoint(here(s)))
        return std::move(e);
      result.interruptedEpoch = epoch;
      break;
    }
    metrics.push_back(m);
    if (o.onEpoch && reports)
      o.onEpoch(m);
  }

  // -- Outputs
  // -----------------------------------------------------------------
  // (Interrupted: the completed epochs, if any; no parameters.)
  result.rank = rank;
  result.replicas = N;
  result.commSeconds = replicas.commSeconds();
  result.gradPayloadBytes =
      int64_t(num::allReducePayloadBytes(allReduce, gradElements));
  result.steps = globalStep - start.globalStep;
  if (!metrics.empty() && reports) {
    OutputFiles files;
    std::string e;
    if (!o.metricsPath.empty())
      e = files.add(o.metricsPath, metricsCsv(metrics, T > 0));
    if (e.empty() && !o.plotPath.empty()) {
      std::string title =
          "quant4-run train: " + llvm::sys::path::filename(o.model).str() +
          ", recipe " + o.recipe + ", seed " + std::to_string(o.seed) +
          ", batch " + std::to_string(B) + ", lr " + formatFixed(o.lr, 4);
      e = files.add(o.plotPath, metricsSvg(metrics, title, o.epochs));
    }
    if (e.empty() && !o.saveParamsDir.empty() && !result.interruptedEpoch) {
      if (std::error_code ec =
              llvm::sys::fs::create_directories(o.saveParamsDir))
        e = "cannot create the --save-params directory '" + o.saveParamsDir +
            "': " + ec.message();
      for (unsigned k = 0; k < numModel && e.empty(); ++k) {
        llvm::SmallString<256> path(o.saveParamsDir);
        llvm::sys::path::append(path, paramFileName(step.modelNames[k]));
        const npy::Array &a = modelArgs[k];
        e = files.add(std::string(path), [&](const std::string &temp) {
          return npy::writeNpy(temp, a);
        });
      }
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
  else if (s == "ultralow4-radix2")
    s = "ultralow4:grad-radix=2,tpr=false";
  std::string name = s.substr(0, s.find(':'));
  std::optional<q4::Recipe> recipe = q4::symbolizeRecipe(name);
  if (!recipe)
    return error("unknown recipe '" + spec + "' (known: " + knownRecipes() +
                 ", ultralow4-notpr, ultralow4-nogradscale, ultralow4-radix2, or "
                 "NAME:OPT=V,... "
                 "with quant4-apply-recipe options)");
  RecipeSpec result;
  result.recipe = *recipe;
  std::string &opts = result.passOptions;
  opts = "recipe=" + q4::stringifyRecipe(*recipe).str();
  if (size_t colon = s.find(':'); colon != std::string::npos) {
    std::string rest = s.substr(colon + 1);
    std::stringstream ss(rest);
    std::string kv;
    bool afterList = false; // the previous option was a list (overrides)
    while (std::getline(ss, kv, ',')) {
      // overrides=1:fp32,7:fp32: an entry without '=' continues the list.
      if (afterList && !kv.empty() &&
          kv.find_first_of("= {}") == std::string::npos) {
        opts += "," + kv;
        continue;
      }
      if (kv.find('=') == std::string::npos || kv.front() == '=' ||
          kv.find_first_of(" {}") != std::string::npos)
        return error("bad recipe option '" + kv + "' in '" + spec +
                     "' (expected OPT=VALUE)");
      afterList = kv.rfind("overrides=", 0) == 0;
      if (kv.rfind("recipe=", 0) == 0 || kv.rfind("seed=", 0) == 0)
        return error("recipe option '" + kv + "' in '" + spec +
                     "' is set by the driver");
      if (kv.rfind("allreduce=", 0) == 0) {
        std::string v = kv.substr(10);
        std::optional<num::AllReduceKind> k = num::parseAllReduce(v);
        if (!k)
          return error("recipe option '" + kv + "' in '" + spec +
                       "': the all-reduce precision is f32, f16, int8 or "
                       "int4");
        result.allReduce = *k;
        continue;
      }
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
