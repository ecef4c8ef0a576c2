//===- Train.h - the training loop of quant4-run train ----------*- C++ -*-===//
//
// Trains a model under a recipe on an image dataset, or a language model on
// a text dataset (windows of bytes: quant4/Data/Text.h) (docs/Results.md,
// "quant4-run train", is the reference; docs/Training.md the model
// convention). The model is a forward function or a training step built by
// quant4-build-training-step (with or without its forward function), in an
// .mlir file or an ONNX model (a file whose name ends in .onnx, imported
// with its weights as parameters: LoadModel.h, importOnnxForTraining).
// train():
//
//  1. checks the options and the recipe and probes the output paths, then
//     loads the dataset (quant4/Data/MNIST.h), all before compiling anything;
//  2. builds @F_train_step with quant4-build-training-step when the model is
//     a forward function, then runs quant4-apply-recipe on a module holding
//     the step *and* the evaluation model -- the forward function, or its
//     evaluation forward @F_eval when the module has one (an ONNX model
//     with BatchNorm: running statistics) -- so that it becomes the
//     recipe's quantized forward; an untouched copy of it is added
//     afterwards as the FP32 evaluation model. The step is built with
//     TrainOptions::optimizer (SGD or AdamW);
//  3. lowers that module with quant4-cpu-pipeline and JIT-compiles it once
//     (Compile.h);
//  4. initialises parameters -- from the seed (He/Kaiming uniform from the
//     Philox counter-based generator of Numerics, the fan-in read in the
//     layout of the model's kind: heFanIn) or with the values of the model's
//     parameters function (quant4.params_of, an imported model's
//     @main_params; buffers too: else running_var 1, other buffers 0) --
//     calls the step's
//     init-state function for the recipe state, and trains: each epoch
//     shuffles the training set with the seed and runs the step on every
//     full batch (the last partial batch is dropped), threading parameters,
//     buffers, optimizer state and recipe state (Call.h);
//  5. after each epoch evaluates every test sample through both forward
//     functions (the last partial test batch is padded with test samples
//     from the start of the set whose outputs are ignored) and computes the
//     cross-entropy and accuracy from the logits in double precision (a
//     language model: over every position, and bits per byte);
//  6. writes the metrics CSV, the SVG plot and the parameters (--save-params),
//     all or nothing (OutputFiles).
//
// Results depend on the options and the data only (not on the thread count).
// Errors are llvm::Errors whose message is one sentence (what quant4-run
// train prints after "error: ").
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_RUNNER_TRAIN_H
#define QUANT4_RUNNER_TRAIN_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace quant4::runner {

/// The metrics of one completed epoch.
/// One numerics counter over an epoch's training steps
/// (quant4-attach-counters): `name` is `<layer>/<role>/<operand>`, operand
/// act, weight, grad (what quantization did: num::QuantStats) or out (a
/// GEMM's result: its elements, NaN and infinite ones).
struct NumericsCounter {
  std::string name;
  uint64_t total = 0, zeroed = 0, saturated = 0, nan = 0, inf = 0;
};

/// One class of work in an epoch's training steps (TrainOptions::profile):
/// a class of runtime entry points or of compiled ops
/// (QUANT4_RT_PROFILE_*), or the rest of the step time (scalar code between
/// ops, allocation of returned buffers, the driver's batch copy).
struct ProfileEntry {
  std::string name;
  double seconds = 0;
  uint64_t calls = 0; // 0 for the rest
};

/// One op of the compiled step in the profile (TrainOptions::profile): what
/// it is (quant4-cpu-profile-regions: op, written type, location), its time
/// and calls over the epoch's training steps.
struct ProfileOp {
  std::string what;
  double seconds = 0;
  uint64_t calls = 0;
};

struct EpochMetrics {
  int64_t epoch = 0;
  double trainLoss = 0, trainAcc = 0, testLoss = 0, testAcc = 0,
         testLossFp32 = 0, testAccFp32 = 0, lr = 0, trainTime = 0,
         samplesPerSec = 0;
  /// A language model's test loss in bits per byte (testLoss / ln 2; its
  /// accuracies are next-byte accuracies); 0 for an image model.
  double testBpc = 0, testBpcFp32 = 0;
  /// TrainOptions::counters: the step's numerics counters over the epoch.
  std::vector<NumericsCounter> counters;
  /// TrainOptions::profile: where the training steps' time went.
  std::vector<ProfileEntry> profile;
  /// ... and the ops of the compiled step that took longest, slowest first.
  std::vector<ProfileOp> profileOps;
};

/// What train() knows once the model is compiled, before the first step.
struct TrainSetup {
  std::string stepName;           // e.g. "mlp_train_step"
  std::string datasetDescription; // data::Split::description
  int64_t trainSamples = 0, testSamples = 0, batch = 0, stepsPerEpoch = 0,
          dropped = 0; // training samples beyond the last full batch
  unsigned numParams = 0, numState = 0;
  unsigned numBuffers = 0; // model buffers (quant4.buffer), not trained
  std::string optimizer;   // "sgd" or "adamw"
  /// > 0: a language model of sequence length seqLen (samples are windows).
  int64_t seqLen = 0;
  /// The function the test set is evaluated through (before quantization),
  /// e.g. "main_eval" or "mlp".
  std::string evalFunction;
  /// evalFunction is an evaluation forward of its own (an imported model
  /// with BatchNorm or random dropout), not the training forward.
  bool separateEval = false;
  double compileSeconds = 0; // parsing to JIT-compiled
  /// Bytes of the step's temporaries planned into one static buffer at
  /// compile time (quant4-cpu-static-arena), reused by every step.
  int64_t stepArenaBytes = 0;
  /// The parameters function the initial parameters come from (init
  /// "model"), e.g. "main_params"; empty for He initialisation.
  std::string paramsFunction;
  /// The PACT calibration run before the first step (pact-calibrate), or
  /// empty.
  std::string calibrateFunction;
  /// Every image is >= 0, so the batch argument was marked
  /// quant4.non_negative (an unsigned first layer under signed-act=auto);
  /// false under a recipe that does not quantize.
  bool nonNegativeImages = false;
  int64_t warmupSteps = 0; // of "warmup-cosine"
  /// A resumed run (TrainOptions::resumeDir): where it continues, as
  /// completed steps (the epoch's and in all); resumedEpoch is 0 otherwise.
  int64_t resumedEpoch = 0, resumedStep = 0, resumedGlobalStep = 0;
  /// Data-parallel training (quant4-run train under mpirun: Replicas.h):
  /// the replicas and the precision of the gradient all-reduce.
  int replicas = 1;
  std::string allReduce = "f32";
};

/// Progress within an epoch, after each training step.
struct StepProgress {
  int64_t epoch = 0, step = 0, stepsPerEpoch = 0; // step: 1-based
  double meanLoss = 0, accuracy = 0; // over the epoch's steps so far
  double samplesPerSec = 0; // samples (text: windows) per second
};

struct TrainOptions {
  /// The model: a path of an .mlir file or an ONNX model (a name ending in
  /// .onnx: isOnnxModelPath) (train(options)); the name of the model in
  /// messages (train(module, options)).
  std::string model;
  /// fp32, ultralow4, luq, mxfp4, nvfp4, fp8; ultralow4-notpr,
  /// ultralow4-nogradscale, ultralow4-radix2; or NAME:OPT=V[,OPT=V]... with options of
  /// quant4-apply-recipe (recipePassOptions()).
  std::string recipe = "ultralow4";
  /// mnist, mnist-json:DIR, mnist-idx:DIR, fashion-mnist[:DIR]
  /// (data::loadDataset) for image models; text or text:FILE
  /// (data::loadText) for language models.
  std::string dataset = "mnist";
  /// Output files ("" for none): per-epoch metrics (CSV) and plot (SVG).
  std::string metricsPath, plotPath;
  /// The forward function when the model has several ("" to infer it).
  std::string forward;
  /// "constant", "cosine" (per step, lr -> 0) or "warmup-cosine" (linear
  /// warm-up over `warmupSteps`, then cosine): scheduledLr.
  std::string schedule = "constant";
  /// The warm-up of "warmup-cosine" in steps, at most the run's steps; < 0:
  /// defaultWarmupSteps (5 %). Only with "warmup-cosine".
  int64_t warmupSteps = -1;
  /// The initial parameters: "he" (He/Kaiming uniform from the seed),
  /// "model" (the values the model's parameters function returns:
  /// quant4.params_of, an imported ONNX model's @main_params), or "" for
  /// the default: "model" when the model has a parameters function, else
  /// "he".
  std::string init;
  int64_t epochs = 5;
  /// Must equal the model's static batch (0: it). An ONNX model's symbolic
  /// batch is imported with this size (0: kDefaultTrainingBatch, 64).
  int64_t batchSize = 0;
  int64_t threads = 1;    // kernel worker threads
  int64_t trainLimit = 0; // > 0: a seeded random subset of the training set
  int64_t testLimit = 0;  // > 0: a seeded random subset of the test set
                          // (text: of the windows)
  uint64_t seed = 0;      // parameters, shuffling, stochastic rounding
  /// "sgd" or "adamw": the optimizer quant4-build-training-step builds the
  /// step with; "" for the default: sgd, or a given step's own optimizer
  /// (a given step built for the other one is an error).
  std::string optimizer;
  /// momentum: SGD's; beta1, beta2, epsilon: AdamW's.
  double lr = 0.05, momentum = 0.9, beta1 = 0.9, beta2 = 0.999,
         epsilon = 1e-8;
  /// The options the caller set explicitly among "momentum", "beta1",
  /// "beta2", "epsilon": one that belongs to the other optimizer than the
  /// step's is an error once the step is known (rather than ignored).
  std::vector<std::string> optimizerOptionsGiven;
  /// < 0: the optimizer's default (kSgdWeightDecay, kAdamWWeightDecay).
  double weightDecay = -1;
  /// Non-empty: after a completed run, the final parameters and buffers as
  /// DIR/<name>.npy (created if missing; written with the metrics, all or
  /// nothing).
  std::string saveParamsDir;
  /// Non-empty: write a checkpoint (Checkpoint.h) to this directory after
  /// every `checkpointEvery` steps (0: after the last step of each epoch),
  /// and when SIGINT ends training (docs/Training.md, "Checkpoints and
  /// resuming").
  std::string checkpointDir;
  int64_t checkpointEvery = 0;
  /// Non-empty: continue the run whose checkpoint is in this directory. The
  /// other options must be those of that run (a different model, recipe,
  /// dataset, seed or hyper-parameter is refused, naming it); the result
  /// is the same bits as the uninterrupted run's.
  std::string resumeDir;
  unsigned optLevel = 2; // of the JIT
  /// Count, per layer, what the recipe's quantizers and GEMMs do during the
  /// training steps (EpochMetrics::counters; quant4-attach-counters).
  /// Slower; the trained values are unchanged.
  bool counters = false;
  /// Time the runtime's entry points and the compiled ops by class during
  /// the training steps (EpochMetrics::profile; the step is lowered with
  /// quant4-cpu-profile-regions).
  bool profile = false;
  /// With `profile`: how many of the slowest compiled ops to list.
  int64_t profileOps = 12;

  /// Parses the model file (train(options) only; default:
  /// mlir::parseSourceFile). quant4-run wraps it in its crash guard.
  std::function<mlir::OwningOpRef<mlir::ModuleOp>(llvm::SourceMgr &,
                                                  mlir::MLIRContext &)>
      parse;
  /// Imports an ONNX model file for training with the batch size `batch`
  /// (train(options) only; default: importOnnxForTraining). quant4-run
  /// wraps it in its crash guard.
  std::function<mlir::OwningOpRef<mlir::ModuleOp>(
      llvm::StringRef path, mlir::MLIRContext &, int64_t batch)>
      importOnnx;

  /// SIGINT handling (quant4-run train's): unless SIGINT is ignored when
  /// train() starts, SIGINT is held while compiling (so that the threads
  /// started meanwhile block it), then the first SIGINT ends training after
  /// the current batch -- the completed epochs' files are written and
  /// TrainResult::interruptedEpoch says where it stopped -- and a second
  /// one removes the temporary output files, writes `secondSigintMessage`
  /// to stderr and ends the process with status 130 at once. Off: train()
  /// leaves signals alone.
  bool handleSigint = false;
  std::string secondSigintMessage;

  /// Progress reports (each optional): once compiled; after every step;
  /// after the steps of an epoch (also when interrupted during them), before
  /// its evaluation; after every completed epoch.
  std::function<void(const TrainSetup &)> onCompiled;
  std::function<void(const StepProgress &)> onStep;
  std::function<void(int64_t epoch)> onStepsDone;
  std::function<void(const EpochMetrics &)> onEpoch;
  /// After each checkpoint written: the global steps it holds.
  std::function<void(int64_t globalStep)> onCheckpoint;
};

/// The default weight decay of each optimizer.
constexpr double kSgdWeightDecay = 5e-4, kAdamWWeightDecay = 0.01;

struct TrainResult {
  std::vector<EpochMetrics> epochs; // the completed epochs
  std::string stepName;
  int64_t batch = 0;
  int64_t seqLen = 0; // > 0: a language model (EpochMetrics::testBpc)
  double trainSeconds = 0;      // the completed epochs' training steps
  int64_t interruptedEpoch = 0; // > 0: SIGINT stopped training in this epoch
  /// Data-parallel training: this process's replica (0 reports and writes
  /// the files), the replicas, and the seconds spent in collectives.
  int rank = 0, replicas = 1;
  double commSeconds = 0;
  /// Bytes one replica sends per all-reduce (the payload of its gradient
  /// in the recipe's all-reduce precision, C50) and steps run.
  int64_t gradPayloadBytes = 0, steps = 0;
};

/// Trains the model in the file `options.model` (parsed into a context of
/// its own, with diagnostics on stderr).
llvm::Expected<TrainResult> train(const TrainOptions &options);

/// Trains the model `module`, which is transformed in place (the training
/// step and the recipe's functions are added, then everything is lowered to
/// the LLVM dialect). Its context needs the dialects of registerDialects()
/// (Compile.h). `options.model` names it in messages.
llvm::Expected<TrainResult> train(mlir::ModuleOp module,
                                  const TrainOptions &options);

/// The options of quant4-apply-recipe for a recipe as TrainOptions::recipe
/// takes it, e.g. "ultralow4:tpr=0" -> "recipe=ultralow4 tpr=0".
llvm::Expected<std::string> recipePassOptions(const std::string &recipe);

/// The learning rate of global step `step` (0-based) of a run of
/// `totalSteps` steps under `schedule` with the base rate `lr`:
///   constant:       lr
///   cosine:         lr·(1 + cos(π·t/T))/2
///   warmup-cosine:  lr·t/W for t < W (from 0, linear), then
///                   lr·(1 + cos(π·(t − W)/(T − W)))/2
/// (t = step, T = totalSteps, W = warmupSteps; the cosines reach 0 at t = T,
/// one step after the last; warmup-cosine with W = 0 is cosine).
double scheduledLr(llvm::StringRef schedule, double lr, int64_t step,
                   int64_t totalSteps, int64_t warmupSteps);

/// The default warm-up of "warmup-cosine": 5 % of the run's steps, ⌊T/20⌋.
int64_t defaultWarmupSteps(int64_t totalSteps);

/// The fan-in of He initialisation for a parameter of shape `shape` (rank
/// >= 2): in a hand-written model (docs/Training.md: dense weights
/// (in, out), filters HWCF) the product of all dimensions but the last; in
/// an imported model (`imported`: PyTorch's layouts, Gemm weights
/// (out, in), filters OIHW) the product of all dimensions but the first,
/// as torch.nn.init computes it.
int64_t heFanIn(llvm::ArrayRef<int64_t> shape, bool imported);

/// `v` with `prec` decimals ("nan", "inf", "-inf" for non-finite values):
/// the format of every number quant4-run train prints and writes.
std::string formatFixed(double v, int prec);

/// The metrics as CSV: a header and one row per epoch; a language model's
/// (`languageModel`) has two more columns at the end, test_bpc and
/// test_bpc_fp32.
/// The counters of an epoch as a table, a line per counter (quant4-run
/// train --verbose).
std::string countersTable(llvm::ArrayRef<NumericsCounter> counters);
/// The profile of an epoch as a table (quant4-run train --profile).
std::string profileTable(llvm::ArrayRef<ProfileEntry> profile);
/// The slowest ops of an epoch, their share of `stepSeconds`.
std::string profileOpsTable(llvm::ArrayRef<ProfileOp> ops,
                            double stepSeconds);
std::string metricsCsv(llvm::ArrayRef<EpochMetrics> epochs,
                       bool languageModel = false);

/// Loss and accuracy curves per epoch (train, test through the recipe's
/// forward, test through the FP32 forward) as an SVG of two charts, with
/// `title` above them and an x axis of `epochs` epochs.
std::string metricsSvg(llvm::ArrayRef<EpochMetrics> epochs,
                       const std::string &title, int64_t totalEpochs);

} // namespace quant4::runner

#endif // QUANT4_RUNNER_TRAIN_H
