//===- LoadModel.h - a model file (MLIR or ONNX) into a module --*- C++ -*-===//
//
// The Runner's model loading (docs/Lowering.md, "The Runner library";
// docs/ONNX.md, "Running ONNX models"): quant4-run FILE takes an MLIR file
// or an ONNX model. An ONNX model (a file whose name ends in `.onnx`) is
// imported in-process with the ONNX importer (quant4/Target/ONNX/Import.h)
// for running on the arrays the caller already has: its weights as
// constants, a symbolic batch from the first input's dimension 0, and the
// values of the small integer inputs (the shape-determining ones: Reshape's
// shape, Slice's starts, Squeeze's axes, ...) folded at import; or for
// training (quant4-run train --model MODEL.onnx): its weights as parameters
// with their values in a parameters function, a symbolic batch of the
// training batch size.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_RUNNER_LOADMODEL_H
#define QUANT4_RUNNER_LOADMODEL_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "quant4/Runtime/Npy.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace quant4::runner {

/// Whether `path` names an ONNX model: its name ends in ".onnx" (any case).
bool isOnnxModelPath(llvm::StringRef path);

/// The largest integer input (in elements) whose values an ONNX import for
/// running folds (shape inputs are small; token ids stay run-time).
constexpr int64_t kMaxFoldedInputElements = 1024;

/// Imports the ONNX model file `path` for running its function
/// `functionName` on `inputs`, the arrays of its graph inputs that are not
/// initializers, in graph order (null for one given otherwise, e.g. a
/// literal scalar): initializers become constants (the model runs with its
/// own weights); a symbolic batch is dimension 0 of inputs[0] (when it has
/// one); inputs of rank 0 or 1 with at most kMaxFoldedInputElements
/// elements that are int32, int64, bool or integral float32/float64 give
/// their values to the import (the function is specialised for them, which
/// shape-determining inputs need; the result is the same for these values).
/// Errors are diagnostics on `ctx`; returns null after them.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxForRun(llvm::StringRef path, mlir::MLIRContext *ctx,
                 llvm::ArrayRef<const npy::Array *> inputs,
                 llvm::StringRef functionName = "main");

/// The batch size of an ONNX model imported for training when its batch is
/// symbolic and no batch size is given (quant4-run train's --batch-size).
constexpr int64_t kDefaultTrainingBatch = 64;

/// Imports the ONNX model file `path` for training: the initializers become
/// the parameters of @functionName (its first arguments, tagged
/// quant4.param, or quant4.buffer for BatchNormalization's running
/// statistics, then the graph inputs) and @<functionName>_params
/// (quant4.params_of = @functionName) returns their values; a symbolic batch
/// dimension becomes `batch` (a static batch is kept). BatchNormalization
/// computes batch statistics and returns its updated running statistics
/// (BatchNormMode::Training, whatever mode the model was exported in); a
/// model with buffers also gets its evaluation forward,
/// @<functionName>_eval: the same model imported with
/// BatchNormMode::Inference (the running statistics), taking the same
/// arguments and returning the graph outputs only (evalFunctionName). Errors
/// are diagnostics on `ctx`; returns null after them.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxForTraining(llvm::StringRef path, mlir::MLIRContext *ctx,
                      int64_t batch, llvm::StringRef functionName = "main");

/// The name of the evaluation forward of the forward function `forward`
/// ("main" -> "main_eval"): quant4-run train evaluates through it when the
/// module has it.
std::string evalFunctionName(llvm::StringRef forward);

/// Loads the model file `path` into a module: an ONNX model
/// (isOnnxModelPath) with importOnnxForRun(path, ctx, onnxInputs), anything
/// else parsed as MLIR through `sourceMgr` (which keeps the buffer).
/// Diagnostics go to `ctx`'s handler; the error says what failed.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
loadModelFile(llvm::StringRef path, mlir::MLIRContext *ctx,
              llvm::SourceMgr &sourceMgr,
              llvm::ArrayRef<const npy::Array *> onnxInputs = {});

} // namespace quant4::runner

#endif // QUANT4_RUNNER_LOADMODEL_H
