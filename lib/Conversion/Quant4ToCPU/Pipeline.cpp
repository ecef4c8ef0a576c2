//===- Pipeline.cpp - quant4-cpu-pipeline ---------------------------------===//
//
// The whole flow from a (quantized) training graph on tensors to the LLVM
// dialect. The upstream pass headers live only in this TU.
//
//===----------------------------------------------------------------------===//
#include "quant4/Conversion/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ConvertToLLVM/ToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/TosaToArith/TosaToArith.h"
#include "mlir/Conversion/TosaToLinalg/TosaToLinalg.h"
#include "mlir/Conversion/TosaToTensor/TosaToTensor.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

/// The canonicalizer without region simplification (dead-block removal and
/// block merging over the whole function after every rewrite round: the
/// patterns and trivially-dead-op erasure already do what this pipeline
/// needs, and on a training step of hundreds of layers in one function the
/// region walk grew faster than the step).
static std::unique_ptr<Pass> canonicalizer() {
  GreedyRewriteConfig config;
  config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
  return createCanonicalizerPass(config);
}

void mlir::quant4::buildQuant4CPUPipeline(
    OpPassManager &pm, const Quant4CPUPipelineOptions &options) {
  // TOSA (optional input dialect) to linalg/arith/tensor.
  pm.addNestedPass<func::FuncOp>(tosa::createTosaToLinalgNamed());
  pm.addNestedPass<func::FuncOp>(tosa::createTosaToLinalg());
  pm.addNestedPass<func::FuncOp>(createTosaToArithPass());
  pm.addNestedPass<func::FuncOp>(createTosaToTensorPass());
  // exp/log/tanh as defined by the Q4A ISA (double, rounded once).
  pm.addNestedPass<func::FuncOp>(createQuant4CPUWidenMath());
  // quant4 canonicalizations first: e.g. a backward GEMM reads the forward
  // pass's codes through a transpose flag instead of quantizing the
  // transposed tensor again (element-wise nearest rounding commutes).
  pm.addPass(canonicalizer());
  // quant4 to runtime calls, on tensors.
  pm.addPass(createQuant4CPUExportSignatures());
  pm.addPass(createConvertQuant4ToCPU());
  // f32 linalg.matmul and NHWC/HWCF convolutions (im2col) on OpenBLAS
  // through the runtime (blas=false: loops
  // below, in the k-ascending order of the Q4A MXU's f32 accumulation).
  if (options.blas) {
    pm.addPass(createQuant4CPUBlasMatmul());
    pm.addPass(createQuant4CPUBlasConv());
  }
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(canonicalizer());
  // Producer/consumer fusion of element-wise linalg ops (and of element-wise
  // producers into reductions): one loop nest and no intermediate buffer
  // per chain. Each element's scalar ops stay the same, in the same order.
  pm.addNestedPass<func::FuncOp>(createLinalgElementwiseOpFusionPass());
  // Bufferization: functions take and return identity-layout memrefs.
  bufferization::OneShotBufferizePassOptions bufOpts;
  bufOpts.bufferizeFunctionBoundaries = true;
  bufOpts.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // One init tensor per op: keeps the bufferization analysis linear in the
  // size of the step.
  pm.addNestedPass<func::FuncOp>(createQuant4CPUUntieInits());
  pm.addPass(bufferization::createOneShotBufferizePass(bufOpts));
  // Frees every buffer right after its last use, in linear time, when all
  // functions are single blocks (upstream's buffer-deallocation-pipeline,
  // quadratic in the number of buffers of a block, otherwise).
  Quant4CPUBufferDeallocOptions deallocOpts;
  deallocOpts.allowFallback = options.deallocFallback;
  pm.addPass(createQuant4CPUBufferDealloc(deallocOpts));
  if (options.profile)
    pm.addPass(createQuant4CPUProfileRegions());
  pm.addPass(createCSEPass());
  pm.addPass(canonicalizer());
  // bufferization.clone (deallocation's copy of a returned dynamically
  // shaped or strided buffer) to memref.alloc + memref.copy.
  pm.addPass(createConvertBufferizationToMemRefPass());
  // Temporaries into one planned buffer per function, reused across calls.
  if (options.staticArena)
    pm.addPass(createQuant4CPUStaticArena());
  // Large transposes as the runtime's blocked copy, on the pool.
  if (options.copyMinElements > 0) {
    Quant4CPUCopyKernelsOptions copyOpts;
    copyOpts.minElements = options.copyMinElements;
    pm.addPass(createQuant4CPUCopyKernels(copyOpts));
  }
  // Pooling windows outside the output's contiguous dimension (same bits).
  pm.addNestedPass<func::FuncOp>(createQuant4CPUInnermostOutputDim());
  // Loops, then the LLVM dialect. The large element-wise and
  // parallel-outer ops get a parallel outermost loop, run on the OpenMP
  // runtime's threads (the kernels' pool; omp_set_num_threads follows
  // quant4_rt_set_num_threads); the others the loops of
  // convert-linalg-to-loops, without its whole-function region
  // simplification after every rewrite round.
  if (options.parallelMinWork > 0) {
    Quant4CPUParallelLoopsOptions parOpts;
    parOpts.minWork = options.parallelMinWork;
    pm.addNestedPass<func::FuncOp>(createQuant4CPUParallelLoops(parOpts));
    pm.addPass(createConvertSCFToOpenMPPass());
  }
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsLinear());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // Last loop of a block first (linear).
  pm.addNestedPass<func::FuncOp>(createConvertSCFToCFLinear());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  // Everything else (arith, memref, func with its C-interface wrappers, cf,
  // index, ub) in one conversion: upstream's convert-to-llvm, one walk of
  // the module. It replaced quant4-cpu-to-llvm, a hand-written equivalent:
  // same IR and instruction count at 256 layers (docs/Lowering.md).
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

/// Adds a func.func pass to `pm`, nested when `pm` runs on a module.
static void addFunctionPass(OpPassManager &pm, std::unique_ptr<Pass> pass) {
  if (pm.getOpName() == func::FuncOp::getOperationName())
    pm.addPass(std::move(pass));
  else
    pm.addNestedPass<func::FuncOp>(std::move(pass));
}

void mlir::quant4::registerQuant4ConversionAliases() {
  PassPipelineRegistration<>(
      "quant4-cpu-to-llvm",
      "Old name of the last step of quant4-cpu-pipeline: now upstream's "
      "convert-to-llvm",
      [](OpPassManager &pm) { pm.addPass(createConvertToLLVMPass()); });
  PassPipelineRegistration<>(
      "quant4-cpu-scf-to-cf", "Old name of convert-scf-to-cf-linear",
      [](OpPassManager &pm) {
        addFunctionPass(pm, createConvertSCFToCFLinear());
      });
  PassPipelineRegistration<>(
      "quant4-cpu-linalg-to-loops",
      "Old name of convert-linalg-to-loops-linear", [](OpPassManager &pm) {
        addFunctionPass(pm, createConvertLinalgToLoopsLinear());
      });
}

void mlir::quant4::registerQuant4CPUPipeline() {
  PassPipelineRegistration<Quant4CPUPipelineOptions>(
      "quant4-cpu-pipeline",
      "Lower a quantized training graph (quant4 + func/linalg/tensor/arith/"
      "math, tosa) to the LLVM dialect calling the quant4 CPU runtime",
      [](OpPassManager &pm, const Quant4CPUPipelineOptions &options) {
        buildQuant4CPUPipeline(pm, options);
      });
}
