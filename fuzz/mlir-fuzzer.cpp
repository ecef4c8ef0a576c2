//===- mlir-fuzzer.cpp - fuzz MLIR input of quant4-opt -------------------===//
//
// Input: MLIR text, as quant4-opt reads it (every dialect quant4 registers,
// include/quant4/InitAll.h). A module that parses and verifies is run
// through the two pipelines that take a training graph to a target:
// `quant4-cpu-pipeline` (to the LLVM dialect) and `convert-quant4-to-q4a`
// (to a q4a.program), each on its own copy. Diagnostics are swallowed: an
// input may be rejected with any error, it must not crash.
//
// Each input gets a fresh single-threaded MLIRContext, so that a crash
// reproduces from its input alone.
//
// Inputs that reach a known crash inside upstream MLIR (LLVM 22.1.8) are
// skipped (hitsKnownUpstreamCrash): the fuzzer would find them within
// seconds at every run and stop there. quant4-opt turns these crashes into
// an error (tools/common/CrashGuard.h; docs/Reliability.md lists them).
//
//===----------------------------------------------------------------------===//
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "quant4/InitAll.h"

#include <cctype>
#include <string>

using namespace mlir;

static const char *const kPipelines[] = {"quant4-cpu-pipeline",
                                         "convert-quant4-to-q4a"};

static bool isIdentChar(char c) {
  return std::isalnum((unsigned char)c) || c == '_' || c == '.';
}
/// Skips the characters MLIR's lexer takes as white space (not \f, \v).
static size_t skipSpace(const std::string &text, size_t i) {
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' ||
                             text[i] == '\n' || text[i] == '\r'))
    ++i;
  return i;
}

/// True if text[i...] starts with a well-formed integer list `[1, -2, 3]`
/// (or `[]`) of 64-bit integers, the only `permutation` / `dimensions` value
/// the parsers below survive (at most 18 digits: surely in range).
static bool isIntegerList(const std::string &text, size_t i) {
  if (i >= text.size() || text[i] != '[')
    return false;
  i = skipSpace(text, i + 1);
  if (i < text.size() && text[i] == ']')
    return true;
  while (true) {
    if (i < text.size() && text[i] == '-')
      ++i;
    size_t digits = 0;
    while (i < text.size() && std::isdigit((unsigned char)text[i]))
      ++i, ++digits;
    if (digits == 0 || digits > 18)
      return false;
    i = skipSpace(text, i);
    if (i < text.size() && text[i] == ']')
      return true;
    if (i >= text.size() || text[i] != ',')
      return false;
    i = skipSpace(text, i + 1);
  }
}

/// True if `text` may reach a crash of upstream MLIR code that quant4 cannot
/// fix. Deliberately narrow: each check names the input that crashes.
static bool hitsKnownUpstreamCrash(const std::string &text) {
  // 1. The parsers of linalg.transpose, linalg.broadcast and linalg.reduce
  //    set a null `permutation` / `dimensions` attribute when the value
  //    after the keyword is not a well-formed integer list
  //    (`permutation = [1, x`, `dimensions = x`), and crash
  //    (test/Tools/upstream-parser-crash.mlir).
  if (text.find("linalg.") != std::string::npos) {
    for (const char *keyword : {"permutation", "dimensions"}) {
      size_t n = std::char_traits<char>::length(keyword);
      for (size_t p = text.find(keyword); p != std::string::npos;
           p = text.find(keyword, p + 1)) {
        size_t i = skipSpace(text, p + n);
        if (i >= text.size() || text[i] != '=')
          continue; // not the custom syntax's keyword
        i = skipSpace(text, i + 1);
        if (text.compare(i, 6, "array<") == 0)
          continue; // the generic form's attribute, parsed safely
        if (!isIntegerList(text, i))
          return true;
      }
    }
  }
  // 2. The parser of linalg's named structured ops (linalg.fill,
  //    linalg.matmul, linalg.add, ...) takes whatever attribute follows
  //    `<` after the op name as the properties dictionary and crashes on
  //    anything else (`linalg.fill<1> : tensor<4xf32>`). Properties are
  //    written `<{...}>`.
  for (size_t p = text.find("linalg."); p != std::string::npos;
       p = text.find("linalg.", p + 1)) {
    if (p > 0 && (text[p - 1] == '#' || text[p - 1] == '!'))
      continue; // an attribute or type (#linalg.iterator_type<parallel>)
    size_t i = p + 7;
    while (i < text.size() && isIdentChar(text[i]))
      ++i;
    i = skipSpace(text, i);
    if (i < text.size() && text[i] == '<') {
      i = skipSpace(text, i + 1);
      if (i >= text.size() || text[i] != '{')
        return true;
    }
  }
  return false;
}

static const DialectRegistry &registry() {
  static const DialectRegistry *r = [] {
    auto *reg = new DialectRegistry;
    quant4::registerAllDialects(*reg);
    quant4::registerQuant4Passes(); // the pipelines above, by name
    return reg;
  }();
  return *r;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // MLIR's lexer reads the NUL after the buffer's end as its end-of-file
  // marker: parse from a string, which has one.
  std::string text(reinterpret_cast<const char *>(data), size);
  if (hitsKnownUpstreamCrash(text))
    return -1; // not kept in the corpus either

  MLIRContext ctx(registry(), MLIRContext::Threading::DISABLED);
  ctx.printOpOnDiagnostic(false);
  ctx.printStackTraceOnDiagnostic(false);
  ScopedDiagnosticHandler swallow(&ctx, [](Diagnostic &) { return success(); });

  // Parsing verifies the module too (ParserConfig's default).
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(text, ParserConfig(&ctx), "input");
  if (!module)
    return 0;
  for (const char *pipeline : kPipelines) {
    OwningOpRef<ModuleOp> copy = module->clone();
    PassManager pm(&ctx, ModuleOp::getOperationName());
    if (failed(parsePassPipeline(pipeline, pm)))
      return 0; // cannot happen: both are registered
    (void)pm.run(*copy);
  }
  return 0;
}
