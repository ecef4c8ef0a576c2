//===- Import.h - ONNX models to upstream MLIR ------------------*- C++ -*-===//
//
// The ONNX importer (docs/ONNX.md): an ONNX ModelProto becomes a module of
// upstream dialects only (func, linalg on tensors, tensor, arith, math),
// statically shaped, in the model convention of docs/Training.md:
//
//   func.func @main(%p0 {quant4.param = "<initializer>"}, ..., %x0, ...)
//       -> (outputs...)
//   func.func @main_params() -> (params...) attributes {quant4.params_of = @main}
//
// Parameters (floating-point initializers) come first, tagged with their
// initializer's name — `quant4.param`, or `quant4.buffer` for the running
// statistics of BatchNormalization (state the forward pass updates, not
// trained) — then the graph inputs that are not initializers in graph
// order; the results are the graph outputs in order, then, for
// BatchNormalization in training mode, the updated running statistics
// (tagged `quant4.buffer` with their initializer's name). @main_params
// returns the parameters' and buffers' values as `dense_resource` blobs.
// Floating-point initializers with a non-finite value (an attention mask of
// -inf) are constants, never parameters. With `paramsAsConstants` the
// initializers are constants of @main and there is no @main_params.
//
// Errors (malformed or truncated protobuf, unsupported operators or
// attribute values, missing initializers, symbolic dimensions without a
// batch size, sizes over the limits of quant4/Support/Sizes.h, external
// data) are MLIR diagnostics located at the node (a NameLoc with the node's
// name) and make the import return null; the importer never asserts on its
// input.
//
// This header does not include protobuf or ONNX headers.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_TARGET_ONNX_IMPORT_H
#define QUANT4_TARGET_ONNX_IMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace quant4::onnx_import {

/// How BatchNormalization nodes normalise.
enum class BatchNormMode {
  AsExported, ///< as each node's training_mode says
  Training,   ///< batch statistics, running statistics updated
  Inference,  ///< the running statistics
};

/// How Dropout nodes in training mode with a ratio > 0 import.
enum class DropoutMode {
  Random,   ///< quant4.dropout keyed by an i64 seed argument the function
            ///< gains (the last one, tagged quant4.seed)
  Inference, ///< the identity, as in evaluation
  Reject     ///< an error (a run: the driver has no seed to give)
};

struct ImportOptions {
  /// The size of symbolic (dim_param or unknown) batch dimensions: dimension
  /// 0 of a graph input, and every other dimension with the same dim_param.
  /// Other symbolic dimensions are an error.
  std::optional<int64_t> batch;
  /// Initializers become constants of the function, which then takes only
  /// the graph inputs (inference); no <name>_params function.
  bool paramsAsConstants = false;
  /// Values of graph inputs that determine shapes (the `shape` of Reshape,
  /// the axes of Squeeze/Unsqueeze, Slice's starts/ends/axes/steps, ...).
  /// The function still takes those inputs (graph order is kept); it is
  /// specialised for these values.
  llvm::StringMap<std::vector<int64_t>> inputValues;
  /// Values of graph inputs by position (among the graph inputs that are
  /// not initializers), for a driver that has them before it imports
  /// (quant4-run MODEL.onnx): called for every input `inputValues` does not
  /// name; a value returned is used as an `inputValues` entry would be
  /// (and must fit the input's shape), nullopt leaves the input run-time.
  std::function<std::optional<std::vector<int64_t>>(unsigned position)>
      inputValueAt;
  /// The name of the imported function; its parameters' values come from
  /// `<functionName>_params`.
  std::string functionName = "main";
  /// BatchNormalization's statistics (a model exported in eval mode can be
  /// imported for training, and one exported in training mode for
  /// evaluation).
  BatchNormMode batchNorm = BatchNormMode::AsExported;
  /// Random dropout (training mode, ratio > 0). Dropout in inference mode
  /// or with ratio 0 is the identity either way.
  DropoutMode dropout = DropoutMode::Random;
};

/// Imports the serialized ONNX model `bytes`; `bufferName` names it in
/// diagnostics. Loads the dialects it creates into `ctx`. Returns null after
/// emitting diagnostics on error.
mlir::OwningOpRef<mlir::ModuleOp> importOnnx(llvm::StringRef bytes,
                                             llvm::StringRef bufferName,
                                             mlir::MLIRContext *ctx,
                                             const ImportOptions &options);

/// Reads and imports the ONNX model file `path` ("-" is stdin).
mlir::OwningOpRef<mlir::ModuleOp> importOnnxFile(llvm::StringRef path,
                                                 mlir::MLIRContext *ctx,
                                                 const ImportOptions &options);

/// Parses "NAME=v1,v2,..." (the --input-value option) into `values`; returns
/// an error message, empty on success.
std::string parseInputValue(llvm::StringRef text,
                            llvm::StringMap<std::vector<int64_t>> &values);

/// Registers `--import-onnx` (with its options --batch, --params-as-constants,
/// --input-value) with mlir-translate's registry (quant4-translate).
void registerONNXImportTranslation();

} // namespace quant4::onnx_import

#endif // QUANT4_TARGET_ONNX_IMPORT_H
