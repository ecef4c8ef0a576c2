//===- Passes.h - quant4 conversion passes ----------------------*- C++ -*-===//
#ifndef QUANT4_CONVERSION_PASSES_H
#define QUANT4_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::quant4 {
#define GEN_PASS_DECL
#include "quant4/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "quant4/Conversion/Passes.h.inc"

/// Options of `quant4-cpu-pipeline` (e.g. `quant4-cpu-pipeline{blas=false}`).
struct Quant4CPUPipelineOptions
    : public PassPipelineOptions<Quant4CPUPipelineOptions> {
  Option<bool> blas{
      *this, "blas",
      llvm::cl::desc("Run f32 linalg.matmul and linalg.conv_2d_nhwc_hwcf "
                     "on OpenBLAS (quant4-cpu-blas-matmul, "
                     "quant4-cpu-blas-conv); false: k-ascending loops, "
                     "bit-exact with the Q4A MXU's f32 accumulation"),
      llvm::cl::init(true)};
  Option<bool> deallocFallback{
      *this, "dealloc-fallback",
      llvm::cl::desc("Let quant4-cpu-buffer-dealloc hand modules it cannot "
                     "place deallocations in to upstream's "
                     "buffer-deallocation-pipeline (false: fail instead)"),
      llvm::cl::init(true)};
  Option<bool> staticArena{
      *this, "static-arena",
      llvm::cl::desc("Plan the temporaries of straight-line functions into "
                     "one static buffer per function "
                     "(quant4-cpu-static-arena; functions become "
                     "non-reentrant)"),
      llvm::cl::init(true)};
  Option<int64_t> parallelMinWork{
      *this, "parallel-min-work",
      llvm::cl::desc("Run linalg loop nests of at least this many "
                     "iterations on the thread pool "
                     "(quant4-cpu-parallel-loops, then OpenMP); 0: none"),
      llvm::cl::init(32768)};
  Option<int64_t> copyMinElements{
      *this, "copy-min-elements",
      llvm::cl::desc("Run transposes of at least this many elements as the "
                     "runtime's blocked copy (quant4-cpu-copy-kernels); "
                     "0: none"),
      llvm::cl::init(4096)};
  Option<bool> profile{
      *this, "profile",
      llvm::cl::desc("Time the compiled code by class of op "
                     "(quant4-cpu-profile-regions; quant4-run train "
                     "--profile)"),
      llvm::cl::init(false)};
};

/// The full CPU flow on a module: tosa -> linalg, quant4-cpu-export-signatures,
/// convert-quant4-to-cpu, one-shot bufferization, deallocation, and the
/// lowering of everything to the LLVM dialect (docs/Lowering.md).
void buildQuant4CPUPipeline(OpPassManager &pm,
                            const Quant4CPUPipelineOptions &options = {});

/// Registers `quant4-cpu-pipeline` (PassPipelineRegistration).
void registerQuant4CPUPipeline();

/// Registers the old names of renamed passes (quant4-cpu-to-llvm,
/// quant4-cpu-scf-to-cf, quant4-cpu-linalg-to-loops) as aliases.
void registerQuant4ConversionAliases();

/// Registers the conversion passes (Quant4ToCPU and Quant4ToQ4A), the
/// pipeline and the aliases.
inline void registerQuant4ConversionPassesAndPipelines() {
  registerQuant4ConversionPasses();
  registerQuant4CPUPipeline();
  registerQuant4ConversionAliases();
}
} // namespace mlir::quant4

#endif // QUANT4_CONVERSION_PASSES_H
