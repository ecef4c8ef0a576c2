//===- LoadModel.cpp - a model file (MLIR or ONNX) into a module ----------===//
//
// See quant4/Runner/LoadModel.h.
//
//===----------------------------------------------------------------------===//
#include "quant4/Runner/LoadModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "quant4/Target/ONNX/Import.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cmath>

using namespace mlir;

namespace quant4::runner {

bool isOnnxModelPath(llvm::StringRef path) {
  return path.size() > 5 && path.ends_with_insensitive(".onnx");
}

OwningOpRef<ModuleOp> importOnnxForRun(llvm::StringRef path,
                                       MLIRContext *ctx,
                                       llvm::ArrayRef<const npy::Array *> inputs,
                                       llvm::StringRef functionName) {
  onnx_import::ImportOptions options;
  options.paramsAsConstants = true;
  options.functionName = functionName.str();
  // A run has no seed to draw random dropout from (training does).
  options.dropout = onnx_import::DropoutMode::Reject;
  if (!inputs.empty() && inputs[0] && !inputs[0]->shape.empty() &&
      inputs[0]->shape[0] > 0)
    options.batch = inputs[0]->shape[0];
  options.inputValueAt =
      [inputs](unsigned i) -> std::optional<std::vector<int64_t>> {
    if (i >= inputs.size() || !inputs[i])
      return std::nullopt;
    const npy::Array &a = *inputs[i];
    if (a.shape.size() > 1 || a.numel() > kMaxFoldedInputElements)
      return std::nullopt;
    std::vector<int64_t> values;
    if (a.dtype == npy::DType::I64)
      for (int64_t k = 0, n = a.numel(); k < n; ++k)
        values.push_back(a.as<int64_t>()[k]);
    else if (a.dtype == npy::DType::I32)
      for (int64_t k = 0, n = a.numel(); k < n; ++k)
        values.push_back(a.as<int32_t>()[k]);
    else if (a.dtype == npy::DType::Bool)
      for (int64_t k = 0, n = a.numel(); k < n; ++k)
        values.push_back(a.as<uint8_t>()[k] ? 1 : 0);
    else if (a.dtype == npy::DType::F32 || a.dtype == npy::DType::F64)
      // Integral floats only (e.g. Range's bounds): the values travel as
      // integers.
      for (int64_t k = 0, n = a.numel(); k < n; ++k) {
        double v = a.dtype == npy::DType::F32 ? double(a.as<float>()[k])
                                              : a.as<double>()[k];
        if (!(std::fabs(v) < 0x1p53) || v != std::trunc(v))
          return std::nullopt;
        values.push_back(int64_t(v));
      }
    else
      return std::nullopt;
    return values;
  };
  return onnx_import::importOnnxFile(path, ctx, options);
}

OwningOpRef<ModuleOp> importOnnxForTraining(llvm::StringRef path,
                                            MLIRContext *ctx, int64_t batch,
                                            llvm::StringRef functionName) {
  onnx_import::ImportOptions options;
  options.paramsAsConstants = false;
  options.functionName = functionName.str();
  options.batch = batch;
  options.batchNorm = onnx_import::BatchNormMode::Training;
  OwningOpRef<ModuleOp> module = onnx_import::importOnnxFile(path, ctx, options);
  if (!module)
    return module;
  auto forward = module->lookupSymbol<func::FuncOp>(functionName);
  bool hasBuffers = false, hasDropout = false;
  for (unsigned i = 0; forward && i < forward.getNumArguments(); ++i) {
    auto kind = mlir::quant4::getArgumentSlot(forward, i).kind;
    hasBuffers |= kind == mlir::quant4::SlotKind::Buffer;
    hasDropout |= kind == mlir::quant4::SlotKind::Seed;
  }
  if (!hasBuffers && !hasDropout)
    return module;
  // The evaluation forward: a second import (its own parameters function
  // is dropped: the arguments are the same but for random dropout's seed),
  // moved over.
  options.batchNorm = onnx_import::BatchNormMode::Inference;
  options.dropout = onnx_import::DropoutMode::Inference;
  options.functionName = evalFunctionName(functionName);
  OwningOpRef<ModuleOp> evalModule =
      onnx_import::importOnnxFile(path, ctx, options);
  if (!evalModule)
    return nullptr;
  auto evalFn = evalModule->lookupSymbol<func::FuncOp>(options.functionName);
  if (!evalFn || module->lookupSymbol(options.functionName)) {
    mlir::emitError(module->getLoc(), "cannot add the evaluation forward @")
        << options.functionName << " of '" << path << "'";
    return nullptr;
  }
  evalFn->remove();
  module->push_back(evalFn);
  return module;
}

std::string evalFunctionName(llvm::StringRef forward) {
  return (forward + "_eval").str();
}

llvm::Expected<OwningOpRef<ModuleOp>>
loadModelFile(llvm::StringRef path, MLIRContext *ctx,
              llvm::SourceMgr &sourceMgr,
              llvm::ArrayRef<const npy::Array *> onnxInputs) {
  if (isOnnxModelPath(path)) {
    OwningOpRef<ModuleOp> module = importOnnxForRun(path, ctx, onnxInputs);
    if (!module)
      return llvm::createStringError(llvm::inconvertibleErrorCode(), "importing the ONNX model '" + path +
                                     "' failed");
    return module;
  }
  std::string errorMessage;
  auto file = openInputFile(path, &errorMessage);
  if (!file)
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "cannot read '" + path +
                                   "': " + errorMessage);
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, ctx);
  if (!module)
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "'" + path +
                                   "' does not parse or verify");
  return module;
}

} // namespace quant4::runner
