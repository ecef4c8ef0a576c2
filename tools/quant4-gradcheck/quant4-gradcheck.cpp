//===- quant4-gradcheck.cpp - finite-difference checks of training steps --===//
//
//   quant4-gradcheck FILE.mlir [--forward NAME] [--seed N] [--checks N]
//                    [--eps H] [--relTol R] [--absTol A]
//
// Builds @NAME_train_step from the forward function @NAME with
// quant4-build-training-step, lowers the module to LLVM and JIT-compiles it
// (MLIR ExecutionEngine), then, on random parameters, batch and labels:
//
//  1. runs the step with lr = 1, momentum = 0, weight decay = 0 and zero
//     momentum buffers: the new momentum buffers are then exactly the
//     analytic gradients g, and the new parameters must be p - g bit for bit;
//  2. checks every gradient entry it samples (--checks per parameter, all of
//     them for small parameters) against the central difference
//     (L(p + h e_i) - L(p - h e_i)) / 2h of the step's own loss output, with
//     |analytic - numeric| <= absTol + relTol * max(|analytic|, |numeric|);
//  3. checks the step's loss and correct-prediction count against a double
//     precision softmax cross-entropy of the logits of @NAME itself;
//  4. runs the step once more with lr, momentum, weight decay and momentum
//     buffers all non-trivial and checks the SGD update rule elementwise.
//
// Prints one line per check and "gradcheck: PASS" or "gradcheck: FAIL".
// This is the only translation unit with the upstream pass/LLVM headers.
//
//===----------------------------------------------------------------------===//
#include "quant4/Conversion/Passes.h"
#include "quant4/Dialect/Quant4/Transforms/TrainingPasses.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "../common/CrashGuard.h"
#include "../common/Jit.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <set>

using namespace mlir;

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
llvm::cl::opt<double> eps("eps", llvm::cl::desc("Finite-difference step h"),
                          llvm::cl::init(1e-2));
llvm::cl::opt<double> relTol("rtol", llvm::cl::desc("Relative tolerance"),
                           llvm::cl::init(2e-2));
llvm::cl::opt<double> absTol("atol", llvm::cl::desc("Absolute tolerance"),
                           llvm::cl::init(2e-4));

/// A dense host tensor of f32 or i32 elements.
struct Tensor {
  std::vector<int64_t> shape;
  bool isInt = false;
  std::vector<float> f;
  std::vector<int32_t> i;
  int64_t numel() const {
    return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                           std::multiplies<int64_t>());
  }
  void *data() { return isInt ? (void *)i.data() : (void *)f.data(); }
};

Tensor makeTensor(RankedTensorType t) {
  Tensor r;
  r.shape.assign(t.getShape().begin(), t.getShape().end());
  r.isInt = t.getElementType().isInteger(32);
  if (r.isInt)
    r.i.assign(r.numel(), 0);
  else
    r.f.assign(r.numel(), 0.0f);
  return r;
}

/// Calls a function through its _mlir_ciface_ wrapper with identity-layout
/// memref descriptors {allocated, aligned, offset, sizes[R], strides[R]}.
class Runner {
public:
  Runner(ExecutionEngine &engine, func::FuncOp fn)
      : engine(engine), name(fn.getName().str()), type(fn.getFunctionType()) {}

  std::string call(std::vector<Tensor> args, std::vector<Tensor> &results) {
    // Inputs: fresh copies (the callee may not write them, but be safe).
    std::vector<std::vector<int64_t>> descs;
    for (Tensor &a : args)
      descs.push_back(descriptor(a));
    size_t resultWords = 0;
    for (Type t : type.getResults())
      resultWords += 3 + 2 * cast<RankedTensorType>(t).getRank();
    std::vector<int64_t> resultBuf(resultWords, 0);
    void *resultPtr = resultBuf.data();
    std::vector<void *> descPtrs;
    for (auto &d : descs)
      descPtrs.push_back(d.data());
    SmallVector<void *> packed;
    packed.push_back(&resultPtr);
    for (void *&p : descPtrs)
      packed.push_back(&p);
    if (llvm::Error e = engine.invokePacked("_mlir_ciface_" + name, packed))
      return "calling @" + name + " failed: " + llvm::toString(std::move(e));
    // Copy results out, then free their buffers (once each, never an input).
    std::set<void *> inputs, freed;
    for (Tensor &a : args)
      inputs.insert(a.data());
    results.clear();
    size_t pos = 0;
    for (Type t : type.getResults()) {
      auto rt = cast<RankedTensorType>(t);
      Tensor r = makeTensor(rt);
      auto *alloc = reinterpret_cast<void *>(resultBuf[pos]);
      auto *aligned = reinterpret_cast<char *>(resultBuf[pos + 1]);
      int64_t offset = resultBuf[pos + 2];
      int64_t rank = rt.getRank();
      // Strided copy (identity layouts are contiguous, but do not assume).
      std::vector<int64_t> sizes(resultBuf.begin() + pos + 3,
                                 resultBuf.begin() + pos + 3 + rank);
      std::vector<int64_t> strides(resultBuf.begin() + pos + 3 + rank,
                                   resultBuf.begin() + pos + 3 + 2 * rank);
      size_t elem = 4;
      for (int64_t k = 0; k < r.numel(); ++k) {
        int64_t rem = k, lin = offset;
        for (int64_t dim = rank - 1; dim >= 0; --dim) {
          lin += (rem % sizes[dim]) * strides[dim];
          rem /= sizes[dim];
        }
        std::memcpy((char *)r.data() + k * elem, aligned + lin * elem, elem);
      }
      results.push_back(std::move(r));
      if (alloc && !inputs.count(alloc) && freed.insert(alloc).second)
        std::free(alloc);
      pos += 3 + 2 * rank;
    }
    return "";
  }

private:
  static std::vector<int64_t> descriptor(Tensor &t) {
    std::vector<int64_t> d;
    auto p = reinterpret_cast<int64_t>(t.data());
    d.push_back(p);
    d.push_back(p);
    d.push_back(0);
    for (int64_t s : t.shape)
      d.push_back(s);
    std::vector<int64_t> strides(t.shape.size(), 1);
    for (int64_t k = int64_t(t.shape.size()) - 2; k >= 0; --k)
      strides[k] = strides[k + 1] * t.shape[k + 1];
    d.insert(d.end(), strides.begin(), strides.end());
    return d;
  }

  ExecutionEngine &engine;
  std::string name;
  FunctionType type;
};

/// The project's CPU pipeline, with f32 matmuls as k-ascending loops (the
/// generated step has no quant4 ops, so no runtime calls appear).
void buildLowering(PassManager &pm) {
  mlir::quant4::Quant4CPUPipelineOptions options;
  options.blas = false;
  mlir::quant4::buildQuant4CPUPipeline(pm, options);
}

int fail(const llvm::Twine &msg) {
  llvm::errs() << "quant4-gradcheck: error: " << msg << "\n";
  return 2;
}

/// Double-precision mean softmax cross-entropy and correct count.
void referenceLoss(const Tensor &logits, const std::vector<int32_t> &labels,
                   double &loss, int &correct) {
  int64_t b = logits.shape[0], c = logits.shape[1];
  loss = 0;
  correct = 0;
  for (int64_t r = 0; r < b; ++r) {
    const float *row = logits.f.data() + r * c;
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
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
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
  {
    PassManager pm(&context, ModuleOp::getOperationName());
    mlir::quant4::Quant4BuildTrainingStepOptions opts;
    opts.forwardFunctions = {fwdName};
    pm.addPass(mlir::quant4::createQuant4BuildTrainingStep(opts));
    if (failed(pm.run(*module)))
      return fail("quant4-build-training-step failed on @" + fwdName);
  }
  std::string stepName = fwdName + "_train_step";
  auto step = module->lookupSymbol<func::FuncOp>(stepName);
  FunctionType fwdType = fwd.getFunctionType(),
               stepType = step.getFunctionType();
  unsigned numParams = fwdType.getNumInputs() - 1;
  std::vector<std::string> names;
  for (unsigned i = 0; i < numParams; ++i) {
    auto n = fwd.getArgAttrOfType<StringAttr>(i, "quant4.param");
    names.push_back(n ? n.str() : "p" + std::to_string(i));
  }
  // Argument/result attributes (quant4.param, ...) mean nothing to LLVM.
  for (func::FuncOp fn : {fwd, step}) {
    fn.removeArgAttrsAttr();
    fn.removeResAttrsAttr();
  }
  fwd->setAttr("llvm.emit_c_interface", UnitAttr::get(&context));
  step->setAttr("llvm.emit_c_interface", UnitAttr::get(&context));
  // The Runner needs names and types only; the functions themselves are gone
  // after lowering, so keep detached declarations.
  OpBuilder tmp(&context);
  auto fwdDecl = func::FuncOp::create(tmp, fwd.getLoc(), fwdName, fwdType);
  auto stepDecl = func::FuncOp::create(tmp, step.getLoc(), stepName, stepType);

  PassManager pm(&context, ModuleOp::getOperationName());
  buildLowering(pm);
  if (failed(pm.run(*module)))
    return fail("lowering to LLVM failed");

  auto maybeEngine = ::quant4::tools::createEngine(*module, /*optLevel=*/2);
  if (!maybeEngine)
    return fail("JIT compilation failed: " +
                llvm::toString(maybeEngine.takeError()));
  std::unique_ptr<ExecutionEngine> engine = std::move(*maybeEngine);
  Runner runFwd(*engine, fwdDecl), runStep(*engine, stepDecl);

  // ---- random inputs -------------------------------------------------------
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::vector<Tensor> params;
  for (unsigned i = 0; i < numParams; ++i) {
    Tensor t = makeTensor(cast<RankedTensorType>(fwdType.getInput(i)));
    // Rank >= 2: uniform with variance 2 / fan-in (fan-in = all dimensions
    // but the last, i.e. K of a KxN weight, KH*KW*C of an HWCF filter);
    // vectors: uniform in [-0.5, 0.5].
    double fanIn = 1;
    for (size_t k = 0; k + 1 < t.shape.size(); ++k)
      fanIn *= double(t.shape[k]);
    double a = t.shape.size() >= 2 ? std::sqrt(6.0 / fanIn) : 0.5;
    for (float &v : t.f)
      v = float(a) * unit(rng);
    params.push_back(std::move(t));
  }
  Tensor x = makeTensor(cast<RankedTensorType>(fwdType.getInputs().back()));
  for (float &v : x.f)
    v = unit(rng);
  int64_t batch = x.shape[0];
  int64_t classes = cast<RankedTensorType>(fwdType.getResult(0)).getDimSize(1);
  std::vector<int32_t> labelValues(batch);
  for (auto &l : labelValues)
    l = int32_t(rng() % uint32_t(classes));

  auto scalar = [](float v) {
    Tensor t;
    t.f = {v};
    return t;
  };
  auto stepArgs = [&](const std::vector<Tensor> &p,
                      const std::vector<Tensor> &v, float lr, float mu,
                      float wd) {
    std::vector<Tensor> args(p);
    args.insert(args.end(), v.begin(), v.end());
    args.push_back(x);
    Tensor labels;
    labels.shape = {batch};
    labels.isInt = true;
    labels.i = labelValues;
    args.push_back(labels);
    args.push_back(scalar(lr));
    args.push_back(scalar(mu));
    args.push_back(scalar(wd));
    return args;
  };
  std::vector<Tensor> zeroV;
  for (const Tensor &p : params) {
    Tensor z = p;
    std::fill(z.f.begin(), z.f.end(), 0.0f);
    zeroV.push_back(z);
  }
  auto lossAt = [&](const std::vector<Tensor> &p, double &loss) {
    std::vector<Tensor> out;
    if (std::string e = runStep.call(stepArgs(p, zeroV, 0, 0, 0), out);
        !e.empty())
      return e;
    loss = out[2 * numParams].f[0];
    return std::string();
  };

  bool ok = true;
  // ---- 1. analytic gradients ---------------------------------------------------
  std::vector<Tensor> out;
  if (std::string e = runStep.call(stepArgs(params, zeroV, 1, 0, 0), out);
      !e.empty())
    return fail(e);
  std::vector<Tensor> grads(out.begin() + numParams,
                            out.begin() + 2 * numParams);
  float stepLoss = out[2 * numParams].f[0];
  int stepCorrect = out[2 * numParams + 1].i[0];
  for (unsigned i = 0; i < numParams; ++i) {
    int64_t mismatches = 0;
    for (int64_t k = 0; k < params[i].numel(); ++k)
      if (out[i].f[k] != params[i].f[k] - grads[i].f[k])
        ++mismatches;
    if (mismatches) {
      llvm::outs() << "update " << names[i] << ": " << mismatches
                   << " entries differ from p - g (lr = 1)\n";
      ok = false;
    }
  }

  // ---- 2. finite differences -----------------------------------------------------
  int64_t checked = 0, totalKinks = 0;
  double worstRatio = 0;
  for (unsigned i = 0; i < numParams; ++i) {
    int64_t n = params[i].numel();
    std::vector<int64_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    if (n > int64_t(checksPerParam)) {
      std::shuffle(idx.begin(), idx.end(), rng);
      idx.resize(checksPerParam);
      std::sort(idx.begin(), idx.end());
    }
    double maxAbs = 0, maxGrad = 0, paramWorst = 0;
    int bad = 0, kinks = 0;
    // Central difference of the loss along entry k with step h.
    auto central = [&](int64_t k, double h, double &d) -> std::string {
      std::vector<Tensor> p = params;
      float orig = p[i].f[k];
      double lp, lm;
      p[i].f[k] = orig + float(h);
      double hp = double(p[i].f[k]) - double(orig);
      if (std::string e = lossAt(p, lp); !e.empty())
        return e;
      p[i].f[k] = orig - float(h);
      double hm = double(orig) - double(p[i].f[k]);
      if (std::string e = lossAt(p, lm); !e.empty())
        return e;
      d = (lp - lm) / (hp + hm);
      return "";
    };
    for (int64_t k : idx) {
      double numeric, half;
      if (std::string e = central(k, eps, numeric); !e.empty())
        return fail(e);
      if (std::string e = central(k, eps / 2, half); !e.empty())
        return fail(e);
      auto tol = [&](double a, double b) {
        return absTol + relTol * std::max(std::fabs(a), std::fabs(b));
      };
      // A ReLU or max-pooling switch within h of the point makes the loss
      // non-smooth there: the differences at h and h/2 then disagree. Such
      // entries say nothing about the derivative and are skipped (counted).
      if (std::fabs(numeric - half) > tol(numeric, half)) {
        ++kinks;
        continue;
      }
      double analytic = grads[i].f[k];
      double diff = std::fabs(analytic - numeric);
      double allowed = tol(analytic, numeric);
      maxAbs = std::max(maxAbs, diff);
      maxGrad = std::max(maxGrad, std::fabs(analytic));
      paramWorst = std::max(paramWorst, diff / allowed);
      if (diff > allowed) {
        ++bad;
        llvm::outs() << "  mismatch " << names[i] << "[" << k
                     << "]: analytic " << analytic << " numeric " << numeric
                     << "\n";
      }
      ++checked;
    }
    totalKinks += kinks;
    // Too many non-smooth entries would leave the parameter unchecked.
    if (kinks * 4 > int64_t(idx.size()))
      bad += 1;
    worstRatio = std::max(worstRatio, paramWorst);
    char line[256];
    std::snprintf(line, sizeof(line),
                  "grad %s: %zu checked (%d non-smooth skipped), max |g| "
                  "%.3e, max |analytic - numeric| %.3e, worst err/tol %.3f: "
                  "%s\n",
                  names[i].c_str(), idx.size() - size_t(kinks), kinks, maxGrad,
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
    std::vector<Tensor> logits;
    if (std::string e = runFwd.call(args, logits); !e.empty())
      return fail(e);
    double refLoss;
    int refCorrect;
    referenceLoss(logits[0], labelValues, refLoss, refCorrect);
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

  // ---- 4. SGD with momentum and weight decay ------------------------------------
  {
    const float lr = 0.05f, mu = 0.9f, wd = 1e-3f;
    std::vector<Tensor> v = zeroV;
    for (Tensor &t : v)
      for (float &e : t.f)
        e = 0.1f * unit(rng);
    if (std::string e = runStep.call(stepArgs(params, v, lr, mu, wd), out);
        !e.empty())
      return fail(e);
    double worst = 0;
    for (unsigned i = 0; i < numParams; ++i)
      for (int64_t k = 0; k < params[i].numel(); ++k) {
        double g = double(grads[i].f[k]) + wd * double(params[i].f[k]);
        double nv = mu * double(v[i].f[k]) + g;
        double np = double(params[i].f[k]) - lr * nv;
        worst = std::max({worst,
                          std::fabs(nv - out[numParams + i].f[k]) /
                              (1e-6 + 1e-5 * std::fabs(nv)),
                          std::fabs(np - out[i].f[k]) /
                              (1e-6 + 1e-5 * std::fabs(np))});
      }
    llvm::outs() << "sgd: momentum and weight decay update "
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
  fwdDecl.erase();
  stepDecl.erase();
  return ok ? 0 : 1;
}
