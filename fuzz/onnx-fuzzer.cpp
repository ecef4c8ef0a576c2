//===- onnx-fuzzer.cpp - fuzz the ONNX importer --------------------------===//
//
// Input: a serialized ONNX ModelProto, as `quant4-translate --import-onnx`
// and `quant4-run MODEL.onnx` read it. It goes to
// quant4::onnx_import::importOnnx with a batch size of 2 (so that symbolic
// batch dimensions resolve and the graph behind them is reached); nothing
// is lowered or run.
//
// Properties (quant4/Target/ONNX/Import.h):
//  * a module the importer returns verifies (mlir::verify);
//  * it returns a module only if it emitted no error, and null only after
//    emitting at least one;
//  * it never builds IR that fails verification: the importer verifies its
//    module before returning it, and a verifier error ("'dialect.op' op
//    ...") would mean it made invalid IR instead of rejecting the model
//    with its own diagnostic.
// Diagnostics are otherwise swallowed: a model may be rejected with any
// error, it must not crash.
//
// One MLIRContext for the process, its dialects loaded by the first input
// (cheap per input, unlike mlir-fuzzer's fresh context). What an import
// leaves in it (uniqued types and attributes, the `dense_resource` blobs of
// @main_params) is not meant to change how a later input is imported; a
// finding is confirmed by running its input alone
// (`build-san/fuzz/onnx-fuzzer INPUT`). The context's resident size grows
// slowly with what it keeps (docs/Reliability.md, "Runs").
//
//===----------------------------------------------------------------------===//
#include "FuzzCheck.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "quant4/Target/ONNX/Import.h"

#include "llvm/Support/Regex.h"

#include <string>

using namespace mlir;
namespace q4onnx = quant4::onnx_import;

namespace {
/// What the diagnostics of one input said.
struct DiagnosticCounts {
  unsigned errors = 0;
  /// Errors of the form "'dialect.op' op ..." (an op verifier's) or about
  /// dominance (the region verifier's).
  unsigned verifierErrors = 0;
  std::string firstVerifierError;
};
} // namespace

static DiagnosticCounts counts;

/// The diagnostic handler: counts the errors, swallows everything.
static LogicalResult countDiagnostic(Diagnostic &diag) {
  if (diag.getSeverity() != DiagnosticSeverity::Error)
    return success();
  ++counts.errors;
  static const llvm::Regex opError("^'[a-z_][a-z0-9_]*\\.[a-z0-9_.]+' op ");
  std::string message = diag.str();
  if (opError.match(message) ||
      llvm::StringRef(message).contains("does not dominate")) {
    if (counts.verifierErrors++ == 0)
      counts.firstVerifierError = message;
  }
  return success();
}

namespace {
struct Session {
  MLIRContext ctx{MLIRContext::Threading::DISABLED};
  ScopedDiagnosticHandler handler{&ctx, countDiagnostic};
};
} // namespace

static MLIRContext &context() {
  static Session *session = [] {
    auto *s = new Session; // never destroyed
    s->ctx.printOpOnDiagnostic(false);
    s->ctx.printStackTraceOnDiagnostic(false);
    return s;
  }();
  return session->ctx;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext &ctx = context();
  counts = DiagnosticCounts();

  q4onnx::ImportOptions options;
  options.batch = 2;
  OwningOpRef<ModuleOp> module = q4onnx::importOnnx(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "input",
      &ctx, options);

  if (counts.verifierErrors) {
    std::fprintf(stderr, "verifier error: %s\n",
                 counts.firstVerifierError.c_str());
    QUANT4_FUZZ_CHECK(false, "the importer built IR that does not verify");
  }
  if (!module) {
    QUANT4_FUZZ_CHECK(counts.errors > 0,
                      "import failed without emitting an error");
    return 0;
  }
  QUANT4_FUZZ_CHECK(counts.errors == 0,
                    "import returned a module but emitted an error");
  QUANT4_FUZZ_CHECK(succeeded(mlir::verify(*module)),
                    "the imported module does not verify");
  return 0;
}
