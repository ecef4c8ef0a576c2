//===- Translate.cpp - quant4-translate --import-onnx ---------------------===//
//
// The options are static cl::opts created by the registration function (as
// upstream's --import-llvm does), so they exist only in the tools that
// register the translation (quant4-translate).
//
//===----------------------------------------------------------------------===//
#include "quant4/Target/ONNX/Import.h"

#include "quant4/Dialect/Quant4/IR/Quant4.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

void ::quant4::onnx_import::registerONNXImportTranslation() {
  static llvm::cl::OptionCategory category(
      "quant4-translate --import-onnx options");
  static llvm::cl::opt<int64_t> batch(
      "batch",
      llvm::cl::desc("--import-onnx: the size of symbolic batch dimensions "
                     "(dimension 0 of the graph inputs)"),
      llvm::cl::value_desc("N"), llvm::cl::init(0), llvm::cl::cat(category));
  static llvm::cl::opt<bool> paramsAsConstants(
      "params-as-constants",
      llvm::cl::desc("--import-onnx: initializers become constants; the "
                     "function takes only the graph inputs (inference)"),
      llvm::cl::init(false), llvm::cl::cat(category));
  static llvm::cl::list<std::string> inputValues(
      "input-value",
      llvm::cl::desc("--import-onnx: the values of a graph input that "
                     "determines shapes (repeatable)"),
      llvm::cl::value_desc("NAME=v1,v2,..."), llvm::cl::cat(category));
  static llvm::cl::opt<std::string> functionName(
      "onnx-function-name",
      llvm::cl::desc("--import-onnx: the name of the imported function"),
      llvm::cl::init("main"), llvm::cl::cat(category));

  static llvm::cl::opt<BatchNormMode> batchNorm(
      "batchnorm",
      llvm::cl::desc("--import-onnx: BatchNormalization's statistics"),
      llvm::cl::values(
          clEnumValN(BatchNormMode::AsExported, "as-exported",
                     "as each node's training_mode says (default)"),
          clEnumValN(BatchNormMode::Training, "training",
                     "batch statistics; the running statistics are updated "
                     "and returned"),
          clEnumValN(BatchNormMode::Inference, "inference",
                     "the running statistics")),
      llvm::cl::init(BatchNormMode::AsExported), llvm::cl::cat(category));
  static llvm::cl::opt<DropoutMode> dropout(
      "dropout",
      llvm::cl::desc("--import-onnx: Dropout in training mode with a ratio "
                     "> 0"),
      llvm::cl::values(
          clEnumValN(DropoutMode::Random, "random",
                     "quant4.dropout keyed by an i64 seed argument appended "
                     "to the function (default)"),
          clEnumValN(DropoutMode::Inference, "inference", "the identity")),
      llvm::cl::init(DropoutMode::Random), llvm::cl::cat(category));

  static TranslateToMLIRRegistration registration(
      "import-onnx",
      "import an ONNX model (.onnx) into func/linalg/tensor/arith/math "
      "(docs/ONNX.md)",
      [](const std::shared_ptr<llvm::SourceMgr> &sm,
         MLIRContext *ctx) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buf =
            sm->getMemoryBuffer(sm->getMainFileID());
        Location loc = FileLineColLoc::get(ctx, buf->getBufferIdentifier(), 0,
                                           0);
        ImportOptions options;
        if (batch.getNumOccurrences()) {
          if (batch <= 0) {
            emitError(loc) << "--batch must be positive, got "
                           << batch.getValue();
            return nullptr;
          }
          options.batch = batch;
        }
        options.paramsAsConstants = paramsAsConstants;
        options.functionName = functionName;
        options.batchNorm = batchNorm;
        options.dropout = dropout;
        for (const std::string &v : inputValues)
          if (std::string err = parseInputValue(v, options.inputValues);
              !err.empty()) {
            emitError(loc) << err;
            return nullptr;
          }
        return importOnnx(buf->getBuffer(), buf->getBufferIdentifier(), ctx,
                          options);
      },
      [](DialectRegistry &registry) {
        registry.insert<func::FuncDialect, arith::ArithDialect,
                        linalg::LinalgDialect, tensor::TensorDialect,
                        math::MathDialect, mlir::quant4::Quant4Dialect>();
      });
}
