//===- quant4-gradcheck.cpp - finite-difference checks of training steps --===//
//
//   quant4-gradcheck FILE.mlir [--forward NAME] [--seed N] [--checks N]
//                    [--directions N]
//                    [--eps H] [--rtol R] [--atol A]
//
// Builds @NAME_train_step from the forward function @NAME with
// quant4-build-training-step, lowers the module to LLVM, JIT-compiles it and
// calls it with the Runner library (include/quant4/Runner), then, on random
// parameters (or the model's own, from its parameters function, e.g. an
// imported ONNX model's @main_params), a random batch and labels:
//
//  1. runs the step with lr = 1, momentum = 0, weight decay = 0 and zero
//     momentum buffers: the new momentum buffers are then exactly the
//     analytic gradients g, and the new parameters must be p - g bit for bit;
//  2. checks every gradient entry it samples (--checks per parameter, all of
//     them for small parameters) against the central difference
//     (L(p + h e_i) - L(p - h e_i)) / 2h of the step's own loss output, with
//     |analytic - numeric| <= absTol + relTol * max(|analytic|, |numeric|),
//     and, with --directions N, N unit directions v per parameter (the
//     first along g, the others random): the directional derivative g.v
//     against (L(p + h v) - L(p - h v)) / 2h (a model's single entries are
//     often too small to rise above the f32 noise of the loss; g.v along g
//     is |g|);
//  3. checks the step's loss and correct-prediction count against a double
//     precision softmax cross-entropy of the logits of @NAME itself;
//  4. runs the step once more with lr, momentum, weight decay and momentum
//     buffers all non-trivial and checks the SGD update rule elementwise.
//
// Prints one line per check and "gradcheck: PASS" or "gradcheck: FAIL".
//
//===----------------------------------------------------------------------===//
#include "../common/CrashGuard.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "quant4/Runner/Call.h"
#include "quant4/Runner/Compile.h"
#include "quant4/Runtime/Npy.h"
#include "quant4/Training/Passes.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

using namespace mlir;
namespace npy = ::quant4::npy;
namespace runner = ::quant4::runner;

namespace {

llvm::cl::opt<std::string> inputFile(llvm::cl::Positional,
                                     llvm::cl::desc("<forward model .mlir>"),
                                     llvm::cl::Required);
llvm::cl::opt<std::string>
    forwardName("forward", llvm::cl::desc("Forward function (default: the "
                                          "only public function)"),
                llvm::cl::init(""));
llvm::cl::opt<unsigned> seed("seed", llvm::cl::desc("Random seed"),
                             llvm::cl::init(1));
llvm::cl::opt<unsigned>
    checksPerParam("checks",
                   llvm::cl::desc("Gradient entries checked per parameter"),
                   llvm::cl::init(12));
llvm::cl::opt<unsigned> directionsPerParam(
    "directions",
    llvm::cl::desc("Random directions checked per parameter (the directional "
                   "derivative g.v against the central difference along v: "
                   "for models, where single entries drown in f32 noise)"),
    llvm::cl::init(0));
llvm::cl::opt<std::string> optimizerName(
    "optimizer",
    llvm::cl::desc("The step's optimizer (quant4-build-training-step's "
                   "option): sgd or adamw"),
    llvm::cl::init("sgd"));
llvm::cl::opt<bool> randomInit(
    "random-init",
    llvm::cl::desc("Random parameters even when the module has a parameters "
                   "function for the forward function (quant4.params_of)"),
    llvm::cl::init(false));
llvm::cl::opt<double> eps("eps", llvm::cl::desc("Finite-difference step h"),
                          llvm::cl::init(1e-2));
llvm::cl::opt<double> relTol("rtol", llvm::cl::desc("Relative tolerance"),
                           llvm::cl::init(2e-2));
llvm::cl::opt<double> absTol("atol", llvm::cl::desc("Absolute tolerance"),
                           llvm::cl::init(2e-4));

/// A dense host tensor of f32, i32 or i64 (token ids) elements.
using Tensor = npy::Array;

Tensor makeTensor(RankedTensorType t) {
  Tensor r;
  r.shape.assign(t.getShape().begin(), t.getShape().end());
  Type et = t.getElementType();
  r.dtype = et.isInteger(64)   ? npy::DType::I64
            : et.isInteger(32) ? npy::DType::I32
                               : npy::DType::F32;
  r.data.assign(size_t(r.numel()) * npy::dtypeSize(r.dtype), 0);
  return r;
}

/// The elements of an f32 (i32) tensor.
llvm::MutableArrayRef<float> f32(Tensor &t) {
  return {t.as<float>(), size_t(t.numel())};
}
llvm::ArrayRef<float> f32(const Tensor &t) {
  return {t.as<float>(), size_t(t.numel())};
}
llvm::MutableArrayRef<int32_t> i32(Tensor &t) {
  return {t.as<int32_t>(), size_t(t.numel())};
}

/// Calls a function of the JIT-compiled module (Runner library).
class Runner {
public:
  Runner(ExecutionEngine &engine, std::string name, FunctionType type)
      : engine(engine), name(std::move(name)), type(type) {}

  std::string call(const std::vector<Tensor> &args,
                   std::vector<Tensor> &results) {
    std::vector<const npy::Array *> argPtrs;
    for (const Tensor &a : args)
      argPtrs.push_back(&a);
    if (llvm::Error e =
            runner::callFunction(engine, name, type, argPtrs, results))
      return "calling @" + name + " failed: " + llvm::toString(std::move(e));
    return "";
  }

private:
  ExecutionEngine &engine;
  std::string name;
  FunctionType type;
};

int fail(const llvm::Twine &msg) {
  llvm::errs() << "quant4-gradcheck: error: " << msg << "\n";
  return 2;
}

/// Double-precision mean softmax cross-entropy and correct count of logits
/// [B, ..., C] (every position a sample) against their labels.
void referenceLoss(const Tensor &logits, const std::vector<int32_t> &labels,
                   double &loss, int &correct) {
  int64_t c = logits.shape.back(), b = logits.numel() / c;
  loss = 0;
  correct = 0;
  for (int64_t r = 0; r < b; ++r) {
    const float *row = f32(logits).data() + r * c;
    int64_t arg = 0;
    for (int64_t k = 1; k < c; ++k)
      if (row[k] > row[arg])
        arg = k;
    double m = row[arg], s = 0;
    for (int64_t k = 0; k < c; ++k)
      s += std::exp(double(row[k]) - m);
    loss += m + std::log(s) - double(row[labels[r]]);
    correct += arg == labels[r];
  }
  loss /= double(b);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::cl::ParseCommandLineOptions(argc, argv,
                                    "quant4 training-step gradient checker\n");
  DialectRegistry registry;
  runner::registerDialects(registry);
  MLIRContext context(registry);

  llvm::SourceMgr sourceMgr;
  OwningOpRef<ModuleOp> module;
  ::quant4::tools::runCatchingCrashes("quant4-gradcheck", [&] {
    module = parseSourceFile<ModuleOp>(inputFile, sourceMgr, &context);
    return 0;
  });
  if (!module)
    return fail("'" + inputFile + "' does not parse or verify");

  std::string fwdName = forwardName;
  if (fwdName.empty()) {
    for (auto fn : module->getOps<func::FuncOp>())
      if (fn.isPublic() && !fn.isExternal()) {
        if (!fwdName.empty())
          return fail("several public functions; choose one with --forward");
        fwdName = fn.getName().str();
      }
  }
  auto fwd = module->lookupSymbol<func::FuncOp>(fwdName);
  if (!fwd)
    return fail("no function @" + fwdName);
  llvm::DenseSet<Operation *> before;
  for (auto fn : module->getOps<func::FuncOp>())
    before.insert(fn);
  {
    PassManager pm(&context, ModuleOp::getOperationName());
    mlir::quant4::Quant4BuildTrainingStepOptions opts;
    opts.forwardFunctions = {fwdName};
    opts.optimizer = optimizerName;
    pm.addPass(mlir::quant4::createQuant4BuildTrainingStep(opts));
    if (failed(pm.run(*module)))
      return fail("quant4-build-training-step failed on @" + fwdName);
  }
  // The step is the new function whose quant4.forward names @fwdName.
  func::FuncOp step;
  for (auto fn : module->getOps<func::FuncOp>())
    if (FlatSymbolRefAttr of = mlir::quant4::getForwardFunction(fn))
      if (of.getValue() == fwdName && !before.contains(fn))
        step = fn;
  if (!step)
    return fail("quant4-build-training-step made no step for @" + fwdName);
  std::string stepName = step.getName().str();
  FunctionType fwdType = fwd.getFunctionType(),
               stepType = step.getFunctionType();
  // The model arguments (before the batch): parameters, and buffers
  // (quant4.buffer: updated by the forward pass, not trained).
  const bool adamw = optimizerName == "adamw";
  // A forward with random dropout ends with an i64 seed argument (after the
  // batch); the step takes it last. One fixed seed: every call draws the
  // same masks, so the loss is a smooth function of the parameters.
  const bool hasSeed = mlir::quant4::hasSeedArgument(fwd);
  const unsigned batchArg = fwdType.getNumInputs() - (hasSeed ? 2 : 1);
  const unsigned numModelArgs = batchArg;
  std::vector<std::string> names;
  std::vector<unsigned> paramIdx, bufferIdx;
  for (unsigned i = 0; i < numModelArgs; ++i) {
    mlir::quant4::Slot slot = mlir::quant4::getArgumentSlot(fwd, i);
    bool buffer = slot.kind == mlir::quant4::SlotKind::Buffer;
    (buffer ? bufferIdx : paramIdx).push_back(i);
    names.push_back(slot.kind == mlir::quant4::SlotKind::Param || buffer
                        ? slot.name.str()
                        : "p" + std::to_string(i));
  }
  // The buffer each forward result after the logits updates (read now: the
  // functions are lowered below).
  std::vector<std::string> resultBuffer(fwdType.getNumResults());
  for (unsigned r = 1; r < fwdType.getNumResults(); ++r)
    resultBuffer[r] = mlir::quant4::getResultSlot(fwd, r).name.str();
  const unsigned numParams = paramIdx.size();
  const unsigned numStateKinds = adamw ? 2 : 1; // momentum; AdamW's m and v
  const unsigned lossOut = numModelArgs + numStateKinds * numParams;
  // The model's own parameter values, if it has a parameters function
  // (quant4.params_of, e.g. an imported ONNX model's @main_params).
  func::FuncOp paramsFn;
  if (!randomInit)
    for (auto fn : module->getOps<func::FuncOp>())
      if (FlatSymbolRefAttr of = mlir::quant4::getParamsOf(fn))
        if (of.getValue() == fwdName)
          paramsFn = fn;
  fwd->setAttr("llvm.emit_c_interface", UnitAttr::get(&context));
  step->setAttr("llvm.emit_c_interface", UnitAttr::get(&context));
  if (paramsFn)
    paramsFn->setAttr("llvm.emit_c_interface", UnitAttr::get(&context));
  std::string paramsName = paramsFn ? paramsFn.getName().str() : "";
  FunctionType paramsType = paramsFn ? paramsFn.getFunctionType() : nullptr;
  // The f32 matmuls as k-ascending loops. The generated step has no quant4
  // ops but random dropout's, which call the runtime.
  if (failed(runner::lowerToLLVM(*module, /*blas=*/false)))
    return fail("lowering to LLVM failed");

  auto maybeEngine = runner::createEngine(*module, /*optLevel=*/2);
  if (!maybeEngine)
    return fail("JIT compilation failed: " +
                llvm::toString(maybeEngine.takeError()));
  std::unique_ptr<ExecutionEngine> engine = std::move(*maybeEngine);
  Runner runFwd(*engine, fwdName, fwdType), runStep(*engine, stepName, stepType);

  // ---- random inputs -------------------------------------------------------
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::vector<Tensor> params;
  if (paramsFn) {
    Runner runParams(*engine, paramsName, paramsType);
    if (std::string e = runParams.call({}, params); !e.empty())
      return fail(e);
    if (params.size() != numModelArgs)
      return fail("@" + paramsName + " returns " +
                  std::to_string(params.size()) + " values for " +
                  std::to_string(numModelArgs) + " parameters and buffers");
  }
  for (unsigned i = 0; !paramsFn && i < numModelArgs; ++i) {
    Tensor t = makeTensor(cast<RankedTensorType>(fwdType.getInput(i)));
    // Rank >= 2: uniform with variance 2 / fan-in (fan-in = all dimensions
    // but the last, i.e. K of a KxN weight, KH*KW*C of an HWCF filter);
    // vectors: uniform in [-0.5, 0.5].
    double fanIn = 1;
    for (size_t k = 0; k + 1 < t.shape.size(); ++k)
      fanIn *= double(t.shape[k]);
    double a = t.shape.size() >= 2 ? std::sqrt(6.0 / fanIn) : 0.5;
    for (float &v : f32(t))
      v = float(a) * unit(rng);
    params.push_back(std::move(t));
  }
  // The batch: uniform in [-1, 1], or integers in [0, kMaxToken) (token
  // ids: small, so that a batch repeats some and an embedding's gradient
  // sums over them).
  constexpr int64_t kMaxToken = 8;
  Tensor x = makeTensor(cast<RankedTensorType>(fwdType.getInput(batchArg)));
  Tensor seedArg;
  seedArg.dtype = npy::DType::I64;
  seedArg.data.resize(8);
  *seedArg.as<int64_t>() = 12345;
  if (x.dtype == npy::DType::F32) {
    for (float &v : f32(x))
      v = unit(rng);
  } else {
    for (int64_t i = 0; i < x.numel(); ++i) {
      int64_t id = int64_t(rng() % uint32_t(kMaxToken));
      if (x.dtype == npy::DType::I64)
        x.as<int64_t>()[i] = id;
      else
        x.as<int32_t>()[i] = int32_t(id);
    }
  }
  // Labels: one per position of the logits but the last dimension.
  ArrayRef<int64_t> logitsShape =
      cast<RankedTensorType>(fwdType.getResult(0)).getShape();
  std::vector<int64_t> labelsShape(logitsShape.begin(), logitsShape.end() - 1);
  int64_t classes = logitsShape.back(), rows = 1;
  for (int64_t d : labelsShape)
    rows *= d;
  std::vector<int32_t> labelValues(rows);
  for (auto &l : labelValues)
    l = int32_t(rng() % uint32_t(classes));

  auto scalar = [](float v) {
    Tensor t;
    t.data.resize(4);
    f32(t)[0] = v;
    return t;
  };
  // The step's arguments: model arguments, optimizer state (kind by kind,
  // parameters only), batch, labels, hyper-parameters (SGD: lr, momentum,
  // weight_decay; AdamW: lr, beta1, beta2, epsilon, weight_decay, step).
  auto stepArgs = [&](const std::vector<Tensor> &p,
                      const std::vector<Tensor> &state,
                      std::vector<float> hypers) {
    std::vector<Tensor> args(p);
    args.insert(args.end(), state.begin(), state.end());
    args.push_back(x);
    Tensor labels;
    labels.shape = labelsShape;
    labels.dtype = npy::DType::I32;
    labels.data.resize(labelValues.size() * 4);
    std::copy(labelValues.begin(), labelValues.end(), i32(labels).begin());
    args.push_back(labels);
    for (float h : hypers)
      args.push_back(scalar(h));
    if (hasSeed)
      args.push_back(seedArg);
    return args;
  };
  std::vector<Tensor> zeroState;
  for (unsigned k = 0; k < numStateKinds; ++k)
    for (unsigned i : paramIdx) {
      Tensor z = params[i];
      std::fill(f32(z).begin(), f32(z).end(), 0.0f);
      zeroState.push_back(z);
    }
  // Hyper-parameters under which the new (first) optimizer state is exactly
  // the gradient: SGD with lr = 1 (then p' = p - g), AdamW with lr = 0,
  // beta1 = 0 (m' = g, p' = p).
  const std::vector<float> gradHypers =
      adamw ? std::vector<float>{0, 0, 0, 1, 0, 1}
            : std::vector<float>{1, 0, 0};
  const std::vector<float> noUpdate =
      adamw ? std::vector<float>{0, 0, 0, 1, 0, 1}
            : std::vector<float>{0, 0, 0};
  auto lossAt = [&](const std::vector<Tensor> &p, double &loss) {
    std::vector<Tensor> out;
    if (std::string e = runStep.call(stepArgs(p, zeroState, noUpdate), out);
        !e.empty())
      return e;
    loss = f32(out[lossOut])[0];
    return std::string();
  };

  bool ok = true;
  // ---- 1. analytic gradients ---------------------------------------------------
  std::vector<Tensor> out;
  if (std::string e = runStep.call(stepArgs(params, zeroState, gradHypers),
                                    out);
      !e.empty())
    return fail(e);
  // grads[j]: the gradient of parameter paramIdx[j].
  std::vector<Tensor> grads(out.begin() + numModelArgs,
                            out.begin() + numModelArgs + numParams);
  std::vector<Tensor> stepBuffers;
  for (unsigned i : bufferIdx)
    stepBuffers.push_back(out[i]);
  float stepLoss = f32(out[lossOut])[0];
  int stepCorrect = i32(out[lossOut + 1])[0];
  for (unsigned j = 0; j < numParams; ++j) {
    unsigned i = paramIdx[j];
    int64_t mismatches = 0;
    for (int64_t k = 0; k < params[i].numel(); ++k)
      if (f32(out[i])[k] !=
          (adamw ? f32(params[i])[k] : f32(params[i])[k] - f32(grads[j])[k]))
        ++mismatches;
    if (mismatches) {
      llvm::outs() << "update " << names[i] << ": " << mismatches
                   << (adamw ? " entries differ from p (lr = 0)\n"
                             : " entries differ from p - g (lr = 1)\n");
      ok = false;
    }
  }

  // ---- 2. finite differences -----------------------------------------------------
  int64_t checked = 0, totalKinks = 0;
  double worstRatio = 0;
  for (unsigned j = 0; j < numParams; ++j) {
    const unsigned i = paramIdx[j];
    int64_t n = params[i].numel();
    std::vector<int64_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    if (n > int64_t(checksPerParam)) {
      std::shuffle(idx.begin(), idx.end(), rng);
      idx.resize(checksPerParam);
      std::sort(idx.begin(), idx.end());
    }
    // Probes: the sampled entries (one-hot directions) and random dense
    // directions with entries uniform in [-1, 1].
    std::vector<std::vector<float>> dirs;
    for (int64_t k : idx) {
      dirs.emplace_back(size_t(n), 0.0f);
      dirs.back()[size_t(k)] = 1.0f;
    }
    // Directions of unit length: the first along the analytic gradient
    // itself (g.v = |g|, the largest signal), the others random.
    for (unsigned d = 0; d < directionsPerParam; ++d) {
      std::vector<float> v(static_cast<size_t>(n));
      llvm::ArrayRef<float> g = f32(grads[j]);
      for (int64_t k = 0; k < n; ++k)
        v[k] = d == 0 ? g[k] : unit(rng);
      double norm = 0;
      for (float x : v)
        norm += double(x) * double(x);
      if (norm == 0)
        continue; // a zero gradient: the entries' probes cover it
      for (float &x : v)
        x = float(double(x) / std::sqrt(norm));
      dirs.push_back(std::move(v));
    }
    double maxAbs = 0, maxGrad = 0, paramWorst = 0;
    int bad = 0, kinks = 0;
    // Central difference of the loss along `dir` with step h. For a probe
    // of one entry (`entry` >= 0) the steps are those actually taken, after
    // f32 rounding.
    auto central = [&](const std::vector<float> &dir, int64_t entry, double h,
                       double &d) -> std::string {
      std::vector<Tensor> p = params;
      llvm::MutableArrayRef<float> pv = f32(p[i]);
      llvm::ArrayRef<float> orig = f32(params[i]);
      double lp, lm;
      for (int64_t k = 0; k < n; ++k)
        pv[k] = orig[k] + float(h * dir[k]);
      double hp = entry >= 0 ? double(pv[entry]) - double(orig[entry]) : h;
      if (std::string e = lossAt(p, lp); !e.empty())
        return e;
      for (int64_t k = 0; k < n; ++k)
        pv[k] = orig[k] - float(h * dir[k]);
      double hm = entry >= 0 ? double(orig[entry]) - double(pv[entry]) : h;
      if (std::string e = lossAt(p, lm); !e.empty())
        return e;
      d = (lp - lm) / (hp + hm);
      return "";
    };
    for (auto [probe, dir] : llvm::enumerate(dirs)) {
      int64_t entry = probe < idx.size() ? idx[probe] : -1;
      double numeric, half;
      if (std::string e = central(dir, entry, eps, numeric); !e.empty())
        return fail(e);
      if (std::string e = central(dir, entry, eps / 2, half); !e.empty())
        return fail(e);
      auto tol = [&](double a, double b) {
        return absTol + relTol * std::max(std::fabs(a), std::fabs(b));
      };
      // A ReLU or max-pooling switch within h of the point makes the loss
      // non-smooth there: the differences at h and h/2 then disagree. Such
      // probes say nothing about the derivative and are skipped (counted).
      if (std::fabs(numeric - half) > tol(numeric, half)) {
        ++kinks;
        continue;
      }
      double analytic = 0;
      llvm::ArrayRef<float> g = f32(grads[j]);
      for (int64_t k = 0; k < n; ++k)
        analytic += double(g[k]) * double(dir[k]);
      double diff = std::fabs(analytic - numeric);
      double allowed = tol(analytic, numeric);
      maxAbs = std::max(maxAbs, diff);
      maxGrad = std::max(maxGrad, std::fabs(analytic));
      paramWorst = std::max(paramWorst, diff / allowed);
      if (diff > allowed) {
        ++bad;
        llvm::outs() << "  mismatch " << names[i];
        if (entry >= 0)
          llvm::outs() << "[" << entry << "]";
        else
          llvm::outs() << " along direction " << (probe - idx.size());
        llvm::outs() << ": analytic " << analytic << " numeric " << numeric
                     << "\n";
      }
      ++checked;
    }
    totalKinks += kinks;
    // Too many non-smooth entries would leave the parameter unchecked.
    if (kinks * 4 > int64_t(dirs.size()))
      bad += 1;
    worstRatio = std::max(worstRatio, paramWorst);
    char line[256];
    std::snprintf(line, sizeof(line),
                  "grad %s: %zu checked (%d non-smooth skipped), max |g| "
                  "%.3e, max |analytic - numeric| %.3e, worst err/tol %.3f: "
                  "%s\n",
                  names[i].c_str(), dirs.size() - size_t(kinks), kinks, maxGrad,
                  maxAbs, paramWorst,
                  bad ? "FAIL" : "OK");
    llvm::outs() << line;
    if (bad)
      ok = false;
  }

  // ---- 3. loss and correct count against the forward function ----------------
  {
    std::vector<Tensor> args(params);
    args.push_back(x);
    if (hasSeed)
      args.push_back(seedArg);
    std::vector<Tensor> logits;
    if (std::string e = runFwd.call(args, logits); !e.empty())
      return fail(e);
    double refLoss;
    int refCorrect;
    referenceLoss(logits[0], labelValues, refLoss, refCorrect);
    // The forward's updated buffers (results 1...) are the step's.
    for (unsigned r = 1; r < logits.size(); ++r) {
      for (auto [b, i] : llvm::enumerate(bufferIdx))
        if (names[i] == resultBuffer[r]) {
          bool same = logits[r].data == stepBuffers[b].data;
          llvm::outs() << "buffer " << names[i] << ": step and forward "
                       << (same ? "agree: OK" : "differ: FAIL") << "\n";
          ok &= same;
        }
    }
    bool lossOk = std::fabs(refLoss - stepLoss) <= 1e-5 * std::max(1.0, refLoss);
    char line[200];
    std::snprintf(line, sizeof(line),
                  "loss: step %.6f reference %.6f, correct: step %d "
                  "reference %d: %s\n",
                  stepLoss, refLoss, stepCorrect, refCorrect,
                  lossOk && refCorrect == stepCorrect ? "OK" : "FAIL");
    llvm::outs() << line;
    ok &= lossOk && refCorrect == stepCorrect;
  }

  // ---- 4. the optimizer's update ---------------------------------------------
  {
    // SGD: lr 0.05, momentum 0.9, weight decay 1e-3; AdamW: lr 1e-2,
    // beta1 0.9, beta2 0.999, epsilon 1e-8, weight decay 1e-2, step 3.
    const std::vector<float> h =
        adamw ? std::vector<float>{1e-2f, 0.9f, 0.999f, 1e-8f, 1e-2f, 3.0f}
              : std::vector<float>{0.05f, 0.9f, 1e-3f};
    std::vector<Tensor> state = zeroState;
    for (auto [n, t] : llvm::enumerate(state))
      for (float &e : f32(t))
        e = n < numParams ? 0.1f * unit(rng)           // momentum, m
                          : 0.01f * std::fabs(unit(rng)); // AdamW's v >= 0
    if (std::string e = runStep.call(stepArgs(params, state, h), out);
        !e.empty())
      return fail(e);
    double worst = 0;
    auto within = [&](double want, float got) {
      worst = std::max(worst, std::fabs(want - double(got)) /
                                  (1e-6 + 1e-5 * std::fabs(want)));
    };
    for (unsigned j = 0; j < numParams; ++j) {
      unsigned i = paramIdx[j];
      for (int64_t k = 0; k < params[i].numel(); ++k) {
        double p = f32(params[i])[k], g = f32(grads[j])[k];
        double m = f32(state[j])[k];
        if (adamw) {
          double v = f32(state[numParams + j])[k];
          double lr = h[0], b1 = h[1], b2 = h[2], eps = h[3], wd = h[4],
                 t = h[5];
          double m2 = b1 * m + (1 - b1) * g, v2 = b2 * v + (1 - b2) * g * g;
          double mhat = m2 / (1 - std::pow(b1, t)),
                 vhat = v2 / (1 - std::pow(b2, t));
          double p2 = p - lr * wd * p - lr * mhat / (std::sqrt(vhat) + eps);
          within(m2, f32(out[numModelArgs + j])[k]);
          within(v2, f32(out[numModelArgs + numParams + j])[k]);
          within(p2, f32(out[i])[k]);
        } else {
          double lr = h[0], mu = h[1], wd = h[2];
          double nv = mu * m + g + wd * p;
          within(nv, f32(out[numModelArgs + j])[k]);
          within(p - lr * nv, f32(out[i])[k]);
        }
      }
    }
    llvm::outs() << (adamw ? "adamw: moments, bias correction and decoupled "
                             "weight decay update "
                           : "sgd: momentum and weight decay update ")
                 << (worst <= 1.0 ? "OK" : "FAIL") << "\n";
    ok &= worst <= 1.0;
  }

  char summary[200];
  std::snprintf(summary, sizeof(summary),
                "gradcheck: %s (%lld entries, %lld non-smooth skipped, eps %g, "
                "relTol %g, absTol %g, worst err/tol %.3f)\n",
                ok ? "PASS" : "FAIL", (long long)checked,
                (long long)totalKinks, double(eps),
                double(relTol), double(absTol), worstRatio);
  llvm::outs() << summary;
  return ok ? 0 : 1;
}
