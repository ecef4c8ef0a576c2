//===- quant4-run.cpp - lower, JIT-compile and run a quant4 function ------===//
//
//   quant4-run FILE.mlir --entry NAME [--input X.npy | --scalar V]...
//              [--output-dir DIR] [--print] [--threads N] [--seed S]
//              [--no-blas]
//
// Parses FILE (quant4 + upstream dialects on tensors, or IR already lowered
// to the LLVM dialect by quant4-cpu-pipeline), lowers it with
// quant4-cpu-pipeline, JIT-compiles it with MLIR's ExecutionEngine and calls
// the entry function through its `_mlir_ciface_` wrapper
// (tools/common/CInterface.h): one memref descriptor per ranked tensor
// argument, scalar arguments (f32, f64, i1, i32, i64, index) by value.
// Inputs and results are NumPy .npy files in argument / result order
// (DIR/result0.npy, ...); a scalar travels as a 0-d array of its dtype
// (float32, float64, bool, int32, int64, int64 for index), and `--scalar V`
// gives a scalar or 0-d tensor argument inline. Quantized tensors travel as
// one uint8 code per element in .npy files; those the lowering stores packed
// (two 4-bit codes per byte, quant4/Conversion/Quant4ToCPU/Storage.h) are
// packed here before the call and unpacked after it. Everything is checked
// before anything runs, and results are written to temporary files renamed
// only when all succeeded (tools/common/OutputFiles.h): a failing run leaves
// no output file. See docs/Lowering.md.
//
//===----------------------------------------------------------------------===//
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "../common/CInterface.h"
#include "../common/CrashGuard.h"
#include "../common/Jit.h"
#include "../common/OutputFiles.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "Train.h"
#include "quant4/Conversion/Passes.h"
#include "quant4/Conversion/Quant4ToCPU/Storage.h"
#include "quant4/Kernels/Gemm.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"
#include "quant4/InitAll.h"
#include "quant4/Numerics/Rounding.h"
#include "quant4/Runtime/Npy.h"
#include "quant4/Runtime/Runtime.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>

using namespace mlir;
namespace npy = ::quant4::npy;

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
    "               instead of OpenBLAS\n";

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
  if (entryName.empty())
    return "no --entry function";
  return "";
}

int fail(const llvm::Twine &msg) {
  llvm::errs() << "quant4-run: error: " << msg << "\n";
  return 1;
}

std::string str(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

/// How a tensor element type travels in .npy files.
struct ElemInfo {
  npy::DType dtype;
  unsigned codeWidth = 0; // > 0: quantized codes stored as uint8
};

std::optional<ElemInfo> elemInfo(Type t) {
  if (mlir::quant4::isQuantizedFormat(t) || isa<Float8E8M0FNUType>(t))
    return ElemInfo{npy::DType::U8,
                    unsigned(mlir::quant4::getFormat(t)->bitWidth())};
  if (t.isF32())
    return ElemInfo{npy::DType::F32};
  if (t.isF16())
    return ElemInfo{npy::DType::F16};
  if (t.isF64())
    return ElemInfo{npy::DType::F64};
  if (t.isBF16()) // raw bit patterns
    return ElemInfo{npy::DType::U16};
  if (t.isIndex()) // 64-bit on every host quant4 lowers for
    return ElemInfo{npy::DType::I64};
  if (auto i = dyn_cast<IntegerType>(t)) {
    bool u = i.isUnsigned();
    switch (i.getWidth()) {
    case 1:
      return ElemInfo{npy::DType::Bool};
    case 8:
      return ElemInfo{u ? npy::DType::U8 : npy::DType::I8};
    case 16:
      return ElemInfo{u ? npy::DType::U16 : npy::DType::I16};
    case 32:
      return ElemInfo{u ? npy::DType::U32 : npy::DType::I32};
    case 64:
      return ElemInfo{u ? npy::DType::U64 : npy::DType::I64};
    default:
      break;
    }
  }
  return std::nullopt;
}

/// The .npy dtype of a scalar argument or result type that quant4-run
/// passes by value (f32, f64, i1, i32, i64, index), else nullopt.
std::optional<npy::DType> scalarDType(Type t) {
  if (t.isF32() || t.isF64() || t.isSignlessInteger(1) ||
      t.isSignlessInteger(32) || t.isSignlessInteger(64) || t.isIndex())
    return elemInfo(t)->dtype;
  return std::nullopt;
}

/// Checks that every argument and result is a ranked tensor of a supported
/// element type or a supported scalar.
std::string checkSignature(FunctionType type) {
  auto check = [](Type t, const char *what, unsigned i) -> std::string {
    if (scalarDType(t))
      return "";
    auto tt = dyn_cast<RankedTensorType>(t);
    if (!tt)
      return std::string(what) + " " + std::to_string(i) + " has type " +
             str(t) +
             "; quant4-run passes ranked tensors and f32, f64, i1, i32, i64 "
             "and index scalars only";
    if (!elemInfo(tt.getElementType()))
      return std::string(what) + " " + std::to_string(i) + " has type " +
             str(t) + ", whose element type has no .npy mapping";
    return "";
  };
  for (auto [i, t] : llvm::enumerate(type.getInputs()))
    if (std::string e = check(t, "argument", i); !e.empty())
      return e;
  for (auto [i, t] : llvm::enumerate(type.getResults()))
    if (std::string e = check(t, "result", i); !e.empty())
      return e;
  return "";
}

/// Checks that the bytes of a bool array are 0 or 1 (an i1 is loaded from
/// its byte); "" if they are.
std::string checkBools(const npy::Array &a) {
  if (a.dtype != npy::DType::Bool)
    return "";
  const uint8_t *b = a.as<uint8_t>();
  for (int64_t i = 0; i < a.numel(); ++i)
    if (b[i] > 1)
      return "bool byte " + std::to_string(b[i]) + " at index " +
             std::to_string(i) + " is neither 0 nor 1";
  return "";
}

/// Checks a .npy array against argument `i`'s type; "" if it fits.
std::string checkInput(const npy::Array &a, Type argType, unsigned i) {
  if (std::optional<npy::DType> dt = scalarDType(argType)) {
    if (a.dtype != *dt || !a.shape.empty())
      return "argument " + std::to_string(i) + " is a scalar " + str(argType) +
             " and takes a 0-d " + npy::dtypeName(*dt) + " array, got " +
             npy::dtypeName(a.dtype) + " array of shape " + a.shapeString();
    return checkBools(a);
  }
  auto type = cast<RankedTensorType>(argType);
  ElemInfo ei = *elemInfo(type.getElementType());
  bool shapeOk = a.shape.size() == size_t(type.getRank());
  for (int64_t d = 0; shapeOk && d < type.getRank(); ++d)
    shapeOk = type.isDynamicDim(d) || type.getDimSize(d) == a.shape[d];
  if (a.dtype != ei.dtype || !shapeOk) {
    std::string msg = "expected " + str(type);
    if (ei.codeWidth)
      msg += " (uint8 codes)";
    else if (type.getElementType().isBF16())
      msg += " (uint16 bit patterns)";
    return msg + ", got " + npy::dtypeName(a.dtype) + " array of shape " +
           a.shapeString();
  }
  if (ei.codeWidth && ei.codeWidth < 8) {
    const uint8_t *c = a.as<uint8_t>();
    for (int64_t i = 0; i < a.numel(); ++i)
      if (c[i] >> ei.codeWidth)
        return "code " + std::to_string(c[i]) + " at index " +
               std::to_string(i) + " does not fit the " +
               std::to_string(ei.codeWidth) + "-bit format " +
               str(type.getElementType());
  }
  return checkBools(a);
}

/// Parses `--scalar` text as a 0-d array for argument `i` (a scalar or a
/// 0-d tensor of f32, f64, i1, i32, i64 or index); "" on success.
std::string parseScalar(const std::string &text, Type argType, unsigned i,
                        npy::Array &out) {
  Type t = argType;
  if (auto tt = dyn_cast<RankedTensorType>(argType); tt && tt.getRank() == 0)
    t = tt.getElementType();
  std::optional<npy::DType> dt = scalarDType(t);
  if (!dt)
    return "argument " + std::to_string(i) + " has type " + str(argType) +
           "; --scalar gives f32, f64, i1, i32, i64 and index scalars and "
           "0-d tensors of them";
  out.dtype = *dt;
  out.shape.clear();
  out.data.assign(npy::dtypeSize(*dt), 0);
  auto bad = [&] {
    return "argument " + std::to_string(i) + " (" + str(argType) +
           "): cannot parse --scalar '" + text + "' as " + npy::dtypeName(*dt);
  };
  const char *c = text.c_str();
  char *end = nullptr;
  errno = 0;
  switch (*dt) {
  case npy::DType::F32: {
    float v = std::strtof(c, &end);
    if (text.empty() || *end || std::isspace((unsigned char)text[0]) ||
        (errno == ERANGE && std::isinf(v)))
      return bad();
    std::memcpy(out.data.data(), &v, 4);
    return "";
  }
  case npy::DType::F64: {
    double v = std::strtod(c, &end);
    if (text.empty() || *end || std::isspace((unsigned char)text[0]) ||
        (errno == ERANGE && std::isinf(v)))
      return bad();
    std::memcpy(out.data.data(), &v, 8);
    return "";
  }
  case npy::DType::Bool:
    if (text != "true" && text != "false" && text != "1" && text != "0")
      return bad() + " (true, false, 1 or 0)";
    out.data[0] = char(text == "true" || text == "1");
    return "";
  default: {
    long long v = std::strtoll(c, &end, 10);
    bool fits = *dt == npy::DType::I64 || (v >= INT32_MIN && v <= INT32_MAX);
    if (text.empty() || *end || errno || !fits ||
        std::isspace((unsigned char)text[0]))
      return bad();
    if (*dt == npy::DType::I64) {
      int64_t x = v;
      std::memcpy(out.data.data(), &x, 8);
    } else {
      int32_t x = int32_t(v);
      std::memcpy(out.data.data(), &x, 4);
    }
    return "";
  }
  }
}


/// Copies a packed 4-bit result (a 1-D descriptor of ceil(n/2) bytes at
/// `w`) into an array of one uint8 code per element.
npy::Array readPackedResult(const int64_t *w, RankedTensorType type) {
  npy::Array a;
  a.dtype = npy::DType::U8;
  a.shape.assign(type.getShape().begin(), type.getShape().end());
  int64_t n = a.numel();
  a.data.resize(size_t(n));
  const auto *base =
      reinterpret_cast<const uint8_t *>(intptr_t(w[1])) + w[2];
  int64_t stride = w[4];
  for (int64_t i = 0; i < n; ++i)
    a.data[size_t(i)] = char((base[(i / 2) * stride] >> (4 * (i & 1))) & 0xF);
  return a;
}

/// Copies a scalar result (its bytes at `p`) into a 0-d array.
npy::Array readScalarResult(const void *p, Type type) {
  npy::Array a;
  a.dtype = *scalarDType(type);
  a.data.resize(npy::dtypeSize(a.dtype));
  std::memcpy(a.data.data(), p, a.data.size());
  if (a.dtype == npy::DType::Bool) // an i1 is its low bit
    a.data[0] = char(a.data[0] & 1);
  return a;
}

/// Copies a result out of its descriptor (words at `w`) into an array.
npy::Array readResult(const int64_t *w, RankedTensorType type) {
  if (mlir::quant4::isPackedCodeTensor(type))
    return readPackedResult(w, type);
  ElemInfo ei = *elemInfo(type.getElementType());
  size_t r = size_t(type.getRank()), es = npy::dtypeSize(ei.dtype);
  npy::Array a;
  a.dtype = ei.dtype;
  a.shape.assign(w + 3, w + 3 + r);
  const int64_t *strides = w + 3 + r;
  const char *base = reinterpret_cast<const char *>(intptr_t(w[1])) + w[2] * int64_t(es);
  int64_t n = a.numel();
  a.data.resize(size_t(n) * es);
  std::vector<int64_t> idx(r, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (size_t d = 0; d < r; ++d)
      off += idx[d] * strides[d];
    std::memcpy(a.data.data() + size_t(i) * es, base + off * int64_t(es), es);
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < a.shape[d])
        break;
      idx[d] = 0;
    }
  }
  return a;
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

bool isLoweredToLLVM(ModuleOp module) {
  for (Operation &op : module.getBody()->getOperations())
    if (!isa<LLVM::LLVMDialect>(op.getDialect()))
      return false;
  return true;
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
  ::quant4::registerAllDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  std::string errorMessage;
  auto file = openInputFile(inputFile, &errorMessage);
  if (!file)
    return fail("cannot read '" + inputFile + "': " + errorMessage);
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module;
  ::quant4::tools::runCatchingCrashes("quant4-run", [&] {
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
    return 0;
  });
  if (!module)
    return fail("'" + inputFile + "' does not parse or verify");

  // -- Find the entry and its tensor signature ------------------------------
  bool lowered = isLoweredToLLVM(*module);
  FunctionType signature;
  if (lowered) {
    auto fn = module->lookupSymbol<LLVM::LLVMFuncOp>(entryName);
    if (!fn)
      return fail("no function @" + entryName + " in '" + inputFile + "'");
    auto sig = fn->getAttrOfType<TypeAttr>("quant4.signature");
    if (!sig || !isa<FunctionType>(sig.getValue()) ||
        !module->lookupSymbol<LLVM::LLVMFuncOp>("_mlir_ciface_" + entryName))
      return fail("@" + entryName +
                  " is in the LLVM dialect but has no quant4.signature "
                  "attribute or _mlir_ciface_ wrapper; lower it with "
                  "quant4-cpu-pipeline");
    signature = cast<FunctionType>(sig.getValue());
  } else {
    auto fn = module->lookupSymbol<func::FuncOp>(entryName);
    if (!fn || fn.isExternal()) {
      std::string names;
      for (auto f : module->getOps<func::FuncOp>())
        if (!f.isExternal())
          names += (names.empty() ? "@" : ", @") + f.getName().str();
      return fail("no function @" + entryName + " in '" + inputFile +
                  "' (functions: " + (names.empty() ? "none" : names) + ")");
    }
    fn.setPublic();
    signature = fn.getFunctionType();
  }
  if (std::string e = checkSignature(signature); !e.empty())
    return fail("@" + entryName + ": " + e);

  // -- Read and check every input before running anything -------------------
  unsigned numArgs = signature.getNumInputs();
  if (inputs.size() != numArgs) {
    std::string types;
    for (auto [i, t] : llvm::enumerate(signature.getInputs()))
      types += (i ? ", " : "") + str(t);
    return fail("@" + entryName + " takes " + llvm::Twine(numArgs) +
                " argument(s) (" + types + "), got " +
                llvm::Twine(unsigned(inputs.size())) +
                " --input/--scalar value(s)");
  }
  std::vector<npy::Array> args(numArgs);
  for (unsigned i = 0; i < numArgs; ++i) {
    if (inputs[i].literal) {
      if (std::string e =
              parseScalar(inputs[i].text, signature.getInput(i), i, args[i]);
          !e.empty())
        return fail("input " + llvm::Twine(i) + ": " + e);
      continue;
    }
    std::string where =
        "input " + std::to_string(i) + " (" + inputs[i].text + ")";
    if (std::string e = npy::readNpy(inputs[i].text, args[i]); !e.empty())
      return fail(where + ": " + e);
    if (std::string e = checkInput(args[i], signature.getInput(i), i);
        !e.empty())
      return fail(where + ": " + e);
  }
  if (!outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
      return fail("cannot create output directory '" + outputDir +
                  "': " + ec.message());
    llvm::SmallString<256> probe(outputDir);
    llvm::sys::path::append(probe, "result0.npy");
    if (std::string e = ::quant4::tools::probeWritable(std::string(probe));
        !e.empty())
      return fail("cannot write to output directory '" + outputDir + "': " + e);
  }

  // -- Lower and JIT-compile ------------------------------------------------
  if (!lowered) {
    PassManager pm(&context, ModuleOp::getOperationName());
    mlir::quant4::Quant4CPUPipelineOptions pipelineOptions;
    pipelineOptions.blas = useBlas;
    mlir::quant4::buildQuant4CPUPipeline(pm, pipelineOptions);
    if (failed(pm.run(*module)))
      return fail("lowering '" + inputFile +
                  "' with quant4-cpu-pipeline failed");
  }
  auto maybeEngine = ::quant4::tools::createEngine(
      *module, optLevel, ::quant4::rt::runtimeSymbols());
  if (!maybeEngine)
    return fail("JIT compilation failed: " +
                llvm::toString(maybeEngine.takeError()));
  std::unique_ptr<ExecutionEngine> engine = std::move(*maybeEngine);
  engine->initialize();

  // -- Run ------------------------------------------------------------------
  // The C-level kind of each result: packed code tensors come back as 1-D
  // byte buffers, scalars by value.
  auto scalarBytes = [](Type t) {
    return unsigned(npy::dtypeSize(*scalarDType(t)));
  };
  std::vector<::quant4::tools::CResult> resultKinds;
  for (Type t : signature.getResults()) {
    if (scalarDType(t))
      resultKinds.push_back(::quant4::tools::CResult::scalar(scalarBytes(t)));
    else
      resultKinds.push_back(::quant4::tools::CResult::memref(
          mlir::quant4::isPackedCodeTensor(t)
              ? 1
              : unsigned(cast<RankedTensorType>(t).getRank())));
  }
  ::quant4::tools::CInterfaceCall call(resultKinds);
  static char emptyData[16];
  std::vector<std::vector<uint8_t>> packedArgs(numArgs);
  for (unsigned i = 0; i < numArgs; ++i) {
    Type argType = signature.getInput(i);
    if (scalarDType(argType)) {
      call.addScalar(args[i].data.data(), scalarBytes(argType));
      continue;
    }
    auto type = cast<RankedTensorType>(argType);
    if (mlir::quant4::isPackedCodeTensor(type)) {
      // Packed storage: ceil(n/2) bytes, a 1-D memref.
      int64_t n = args[i].numel();
      packedArgs[i].assign(size_t((n + 1) / 2) + 1, 0);
      ::quant4::kernels::packCodes4(args[i].as<uint8_t>(), size_t(n),
                                    packedArgs[i].data());
      call.addMemref(packedArgs[i].data(), {(n + 1) / 2});
      continue;
    }
    void *data = args[i].data.empty() ? emptyData : args[i].data.data();
    call.addMemref(data, args[i].shape);
  }
  quant4_rt_set_num_threads(numThreads);
  quant4_rt_set_seed(runSeed);
  quant4_rt_clear_error();
  if (llvm::Error err = call.invoke(*engine, entryName))
    return fail("cannot call @" + entryName + ": " +
                llvm::toString(std::move(err)));
  if (const char *e = quant4_rt_last_error())
    return fail(llvm::Twine("runtime: ") + e);

  // -- Results --------------------------------------------------------------
  unsigned numResults = signature.getNumResults();
  std::vector<npy::Array> results;
  for (unsigned i = 0; i < numResults; ++i) {
    Type t = signature.getResult(i);
    results.push_back(scalarDType(t) ? readScalarResult(call.resultScalar(i), t)
                                     : readResult(call.resultDescriptor(i),
                                                  cast<RankedTensorType>(t)));
  }
  if (!outputDir.empty()) {
    std::vector<std::string> paths;
    for (unsigned i = 0; i < numResults; ++i) {
      llvm::SmallString<256> path(outputDir);
      llvm::sys::path::append(path, "result" + std::to_string(i) + ".npy");
      paths.push_back(std::string(path));
    }
    ::quant4::tools::OutputFiles files;
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
