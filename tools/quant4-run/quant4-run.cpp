//===- quant4-run.cpp - lower, JIT-compile and run a quant4 function ------===//
//
//   quant4-run FILE.mlir --entry NAME [--input X.npy | --scalar V]...
//              [--output-dir DIR] [--print] [--threads N] [--seed S]
//              [--no-blas]
//   quant4-run MODEL.onnx --input X.npy ... [--output-dir DIR] ...
//
// A thin driver of the Runner library (include/quant4/Runner): parses FILE
// (quant4 + upstream dialects on tensors, or IR already lowered to the LLVM
// dialect by quant4-cpu-pipeline), reads and checks every input (.npy files
// in argument order, or `--scalar V` for a scalar or 0-d tensor argument)
// before anything runs, lowers FILE with quant4-cpu-pipeline, JIT-compiles
// it, calls the entry function and writes its results as DIR/result0.npy,
// ... to temporary files renamed only when all succeeded (OutputFiles.h): a
// failing run leaves no output file. See docs/Lowering.md. A FILE whose
// name ends in .onnx is an ONNX model, imported for the given inputs
// (Runner/LoadModel.h, docs/ONNX.md); its entry defaults to @main.
//
//===----------------------------------------------------------------------===//
#include "../common/CrashGuard.h"
#include "Train.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "quant4/Numerics/Rounding.h"
#include "quant4/Runner/Call.h"
#include "quant4/Runner/Compile.h"
#include "quant4/Runner/LoadModel.h"
#include "quant4/Runner/OutputFiles.h"
#include "quant4/Runtime/Npy.h"
#include "quant4/Runtime/Runtime.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace mlir;
namespace npy = ::quant4::npy;
namespace runner = ::quant4::runner;

namespace {
/// One argument from the command line: a .npy file (--input) or a literal
/// scalar (--scalar).
struct InputSpec {
  std::string text;
  bool literal = false;
};

// Command line (parsed by hand: libLLVM.so already owns global cl options
// such as -threads).
std::string inputFile, entryName, outputDir;
std::vector<InputSpec> inputs;
bool printResults = false;
int numThreads = 1;
uint64_t runSeed = 0;
unsigned optLevel = 2;
bool useBlas = true; // quant4-cpu-pipeline{blas=...}

const char *const kUsage =
    "usage: quant4-run FILE.mlir --entry NAME [--input X.npy | --scalar V]...\n"
    "                  [--output-dir DIR] [--print] [--threads N] [--seed S]\n"
    "                  [--no-blas] [-O0|-O1|-O2|-O3]\n"
    "       quant4-run MODEL.onnx --input X.npy ... [--output-dir DIR] ...\n"
    "       quant4-run train --model FILE.mlir ...  (quant4-run train --help)\n"
    "\n"
    "Lowers FILE with quant4-cpu-pipeline (unless it is already in the LLVM\n"
    "dialect), JIT-compiles it and runs function NAME. One --input .npy file\n"
    "per argument, in order (a scalar argument f32, f64, i1, i32, i64, index:\n"
    "a 0-d array of dtype float32, float64, bool, int32, int64, int64), or\n"
    "--scalar V for a scalar or 0-d tensor argument (e.g. 0.1, -3, true);\n"
    "results go to DIR/result0.npy, DIR/result1.npy, ... (scalars as 0-d)\n"
    "  --print      print the results on stdout\n"
    "  --threads N  worker threads of the quantized GEMM/conv/quantize\n"
    "               kernels (results do not depend on it) and of OpenBLAS\n"
    "               for f32 matmuls (default 1)\n"
    "  --seed S     added (mod 2^64) to the seed of every stochastic rounding\n"
    "               (default 0)\n"
    "  --no-blas    lower with quant4-cpu-pipeline{blas=false}: f32 matmuls\n"
    "               as k-ascending loops (bit-exact with the Q4A simulator)\n"
    "               instead of OpenBLAS\n"
    "\n"
    "MODEL.onnx (a file whose name ends in .onnx) is an ONNX model, imported\n"
    "with its weights as constants and run as @main (--entry main by\n"
    "default): one --input per graph input that is not an initializer, in\n"
    "graph order; a symbolic batch is the first input's dimension 0, and\n"
    "small integer, bool and integral float inputs of rank 0 or 1 (shapes,\n"
    "axes, Slice bounds) are folded at import. Results are the graph\n"
    "outputs in order.\n";

/// Parses argv; "" on success, else the problem.
std::string parseArgs(int argc, char **argv, bool &help) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help" || a == "-help") {
      help = true;
      return "";
    }
    if (a.size() > 1 && a[0] == '-' && a != "-") {
      std::string name = a.substr(a[1] == '-' ? 2 : 1), value;
      bool hasValue = false;
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        hasValue = true;
      }
      if (name == "print") {
        printResults = true;
        continue;
      }
      if (name == "no-blas" && !hasValue) {
        useBlas = false;
        continue;
      }
      if (name.size() == 2 && name[0] == 'O' && name[1] >= '0' &&
          name[1] <= '3') {
        optLevel = unsigned(name[1] - '0');
        continue;
      }
      if (name != "entry" && name != "input" && name != "scalar" &&
          name != "output-dir" && name != "threads" && name != "seed")
        return "unknown option '" + a + "'";
      if (!hasValue) {
        if (i + 1 >= argc)
          return "option '--" + name + "' needs a value";
        value = argv[++i];
      }
      if (name == "entry") {
        entryName = value;
      } else if (name == "input") {
        inputs.push_back({value, false});
      } else if (name == "scalar") {
        inputs.push_back({value, true});
      } else if (name == "output-dir") {
        outputDir = value;
      } else {
        char *end = nullptr;
        errno = 0;
        unsigned long long v = std::strtoull(value.c_str(), &end, 0);
        if (value.empty() || *end || errno || value[0] == '-')
          return "option '--" + name + "' needs a non-negative integer, got '" +
                 value + "'";
        if (name == "seed") {
          runSeed = v;
        } else {
          if (v < 1 || v > 1024)
            return "--threads must be between 1 and 1024, got " + value;
          numThreads = int(v);
        }
      }
      continue;
    }
    if (!inputFile.empty())
      return "more than one input file ('" + inputFile + "', '" + a + "')";
    inputFile = a;
  }
  if (inputFile.empty())
    return "no input file";
  if (entryName.empty()) {
    if (!runner::isOnnxModelPath(inputFile))
      return "no --entry function";
    entryName = "main"; // the imported function
  }
  return "";
}

int fail(const llvm::Twine &msg) {
  llvm::errs() << "quant4-run: error: " << msg << "\n";
  return 1;
}

std::string elementString(const npy::Array &a, int64_t i) {
  char buf[64];
  switch (a.dtype) {
  case npy::DType::F32:
    std::snprintf(buf, sizeof buf, "%.9g", double(a.as<float>()[i]));
    return buf;
  case npy::DType::F64:
    std::snprintf(buf, sizeof buf, "%.17g", a.as<double>()[i]);
    return buf;
  case npy::DType::F16:
    std::snprintf(buf, sizeof buf, "%.5g",
                  double(::quant4::num::halfBitsToFloat(a.as<uint16_t>()[i])));
    return buf;
  case npy::DType::Bool:
    return a.as<uint8_t>()[i] ? "true" : "false";
  case npy::DType::I8:
    return std::to_string(a.as<int8_t>()[i]);
  case npy::DType::U8:
    return std::to_string(a.as<uint8_t>()[i]);
  case npy::DType::I16:
    return std::to_string(a.as<int16_t>()[i]);
  case npy::DType::U16:
    return std::to_string(a.as<uint16_t>()[i]);
  case npy::DType::I32:
    return std::to_string(a.as<int32_t>()[i]);
  case npy::DType::U32:
    return std::to_string(a.as<uint32_t>()[i]);
  case npy::DType::I64:
    return std::to_string(a.as<int64_t>()[i]);
  case npy::DType::U64:
    return std::to_string(a.as<uint64_t>()[i]);
  }
  return "?";
}

void printArray(llvm::raw_ostream &os, const npy::Array &a, size_t dim,
                int64_t &flat) {
  if (dim == a.shape.size()) {
    os << elementString(a, flat++);
    return;
  }
  os << "[";
  for (int64_t i = 0; i < a.shape[dim]; ++i) {
    if (i)
      os << ", ";
    printArray(os, a, dim + 1, flat);
  }
  os << "]";
}

} // namespace

int main(int argc, char **argv) {
  if (argc > 1 && std::strcmp(argv[1], "train") == 0)
    return ::quant4::run::trainMain(argc - 1, argv + 1); // Train.cpp
  llvm::InitLLVM initLLVM(argc, argv);
  bool help = false;
  if (std::string e = parseArgs(argc, argv, help); !e.empty()) {
    llvm::errs() << "quant4-run: error: " << e << "\n" << kUsage;
    return 1;
  }
  if (help) {
    llvm::outs() << kUsage;
    return 0;
  }

  // -- Parse and verify -----------------------------------------------------
  DialectRegistry registry;
  runner::registerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  // An ONNX model is imported for its inputs (their values may set shapes):
  // read the .npy files first.
  bool onnx = runner::isOnnxModelPath(inputFile);
  std::vector<npy::Array> args(inputs.size());
  std::vector<bool> haveArg(inputs.size(), false);
  std::vector<const npy::Array *> onnxInputs;
  if (onnx) {
    for (unsigned i = 0; i < inputs.size(); ++i) {
      onnxInputs.push_back(nullptr);
      if (inputs[i].literal)
        continue;
      std::string where =
          "input " + std::to_string(i) + " (" + inputs[i].text + ")";
      if (std::string e = npy::readNpy(inputs[i].text, args[i]); !e.empty())
        return fail(where + ": " + e);
      haveArg[i] = true;
      onnxInputs.back() = &args[i];
    }
  }
  OwningOpRef<ModuleOp> module;
  std::string loadError;
  ::quant4::tools::runCatchingCrashes("quant4-run", [&] {
    auto loaded =
        runner::loadModelFile(inputFile, &context, sourceMgr, onnxInputs);
    if (!loaded)
      loadError = llvm::toString(loaded.takeError());
    else
      module = std::move(*loaded);
    return 0;
  });
  if (!module)
    return fail(loadError.empty()
                    ? "'" + inputFile + "' does not parse or verify"
                    : loadError);

  // -- Find the entry and its tensor signature ------------------------------
  bool lowered = runner::isLoweredToLLVM(*module);
  llvm::Expected<FunctionType> maybeSignature =
      runner::prepareEntry(*module, entryName, inputFile);
  if (!maybeSignature)
    return fail(llvm::toString(maybeSignature.takeError()));
  FunctionType signature = *maybeSignature;
  if (std::string e = runner::checkSignature(signature); !e.empty())
    return fail("@" + entryName + ": " + e);

  // -- Read and check every input before running anything -------------------
  unsigned numArgs = signature.getNumInputs();
  if (inputs.size() != numArgs) {
    std::string types;
    llvm::raw_string_ostream os(types);
    for (auto [i, t] : llvm::enumerate(signature.getInputs()))
      os << (i ? ", " : "") << t;
    return fail("@" + entryName + " takes " + llvm::Twine(numArgs) +
                " argument(s) (" + types + "), got " +
                llvm::Twine(unsigned(inputs.size())) +
                " --input/--scalar value(s)");
  }
  for (unsigned i = 0; i < numArgs; ++i) {
    if (inputs[i].literal) {
      if (std::string e = runner::parseScalar(
              inputs[i].text, signature.getInput(i), i, args[i]);
          !e.empty())
        return fail("input " + llvm::Twine(i) + ": " + e);
      continue;
    }
    std::string where =
        "input " + std::to_string(i) + " (" + inputs[i].text + ")";
    if (!haveArg[i])
      if (std::string e = npy::readNpy(inputs[i].text, args[i]); !e.empty())
        return fail(where + ": " + e);
    if (std::string e =
            runner::checkArgument(args[i], signature.getInput(i), i);
        !e.empty())
      return fail(where + ": " + e);
  }
  if (!outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
      return fail("cannot create output directory '" + outputDir +
                  "': " + ec.message());
    llvm::SmallString<256> probe(outputDir);
    llvm::sys::path::append(probe, "result0.npy");
    if (std::string e = runner::probeWritable(std::string(probe)); !e.empty())
      return fail("cannot write to output directory '" + outputDir + "': " + e);
  }

  // -- Lower, JIT-compile and run ---------------------------------------------
  if (!lowered && failed(runner::lowerToLLVM(*module, useBlas)))
    return fail("lowering '" + inputFile + "' with quant4-cpu-pipeline failed");
  auto maybeEngine = runner::createEngine(*module, optLevel);
  if (!maybeEngine)
    return fail("JIT compilation failed: " +
                llvm::toString(maybeEngine.takeError()));
  std::unique_ptr<ExecutionEngine> engine = std::move(*maybeEngine);
  quant4_rt_set_num_threads(numThreads);
  quant4_rt_set_seed(runSeed);
  std::vector<const npy::Array *> argPtrs;
  for (const npy::Array &a : args)
    argPtrs.push_back(&a);
  std::vector<npy::Array> results;
  if (llvm::Error err = runner::callFunction(*engine, entryName, signature,
                                             argPtrs, results)) {
    std::string msg;
    llvm::handleAllErrors(
        std::move(err),
        [&](const runner::RuntimeError &e) { msg = "runtime: " + e.message; },
        [&](const llvm::ErrorInfoBase &e) { msg = e.message(); });
    return fail(msg);
  }

  // -- Results --------------------------------------------------------------
  unsigned numResults = signature.getNumResults();
  if (!outputDir.empty()) {
    std::vector<std::string> paths;
    for (unsigned i = 0; i < numResults; ++i) {
      llvm::SmallString<256> path(outputDir);
      llvm::sys::path::append(path, "result" + std::to_string(i) + ".npy");
      paths.push_back(std::string(path));
    }
    runner::OutputFiles files;
    std::string error;
    for (unsigned i = 0; i < numResults && error.empty(); ++i)
      error = files.add(paths[i], [&](const std::string &temp) -> std::string {
        if (std::string e = npy::writeNpy(temp, results[i]); !e.empty())
          return "cannot write '" + temp + "': " + e;
        return "";
      });
    if (error.empty())
      error = files.commit();
    if (!error.empty()) {
      // No result file of an earlier run may pass for one of this run.
      for (const std::string &p : paths)
        (void)llvm::sys::fs::remove(p);
      return fail(error);
    }
  }
  if (printResults) {
    for (unsigned i = 0; i < numResults; ++i) {
      llvm::outs() << "result" << i << ": " << signature.getResult(i) << "\n";
      int64_t flat = 0;
      printArray(llvm::outs(), results[i], 0, flat);
      llvm::outs() << "\n";
    }
  }
  return 0;
}
