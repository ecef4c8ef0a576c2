//===- Call.cpp - call a JIT-compiled function with host arrays -----------===//
#include "quant4/Runner/Call.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "quant4/Conversion/Quant4ToCPU/Storage.h"
#include "quant4/Dialect/Quant4/IR/DiscardableAttrs.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"
#include "quant4/Kernels/Gemm.h"
#include "quant4/Runner/CInterface.h"
#include "quant4/Runner/Compile.h"
#include "quant4/Runtime/Runtime.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>

using namespace mlir;

namespace quant4::runner {

namespace {
std::string str(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
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

/// Copies memref result `type` (its descriptor `m`) into `a`: packed codes
/// unpacked to one uint8 each, else the elements in C order.
std::string readMemref(const DynamicMemRefType<char> &m, RankedTensorType type,
                       npy::Array &a) {
  if (mlir::quant4::isPackedCodeTensor(type)) {
    // A 1-D buffer of ceil(n/2) bytes.
    a.dtype = npy::DType::U8;
    a.shape.assign(type.getShape().begin(), type.getShape().end());
    int64_t n = a.numel();
    a.data.resize(size_t(n));
    const auto *base = reinterpret_cast<const uint8_t *>(m.data) + m.offset;
    int64_t stride = m.strides[0];
    for (int64_t i = 0; i < n; ++i)
      a.data[size_t(i)] = char((base[(i / 2) * stride] >> (4 * (i & 1))) & 0xF);
    return "";
  }
  ElementInfo ei = *elementInfo(type.getElementType());
  size_t r = size_t(type.getRank()), es = npy::dtypeSize(ei.dtype);
  a.dtype = ei.dtype;
  a.shape.assign(m.sizes, m.sizes + r);
  for (size_t d = 0; d < r; ++d)
    if (!type.isDynamicDim(int64_t(d)) &&
        a.shape[d] != type.getDimSize(int64_t(d)))
      return "has an unexpected shape";
  const char *base = m.data + m.offset * int64_t(es);
  int64_t n = a.numel();
  a.data.resize(size_t(n) * es);
  bool contiguous = true;
  int64_t expect = 1;
  for (size_t d = r; d-- > 0;) {
    contiguous &= a.shape[d] == 1 || m.strides[d] == expect;
    expect *= a.shape[d];
  }
  if (contiguous) {
    if (n)
      std::memcpy(a.data.data(), base, size_t(n) * es);
    return "";
  }
  std::vector<int64_t> idx(r, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (size_t d = 0; d < r; ++d)
      off += idx[d] * m.strides[d];
    std::memcpy(a.data.data() + size_t(i) * es, base + off * int64_t(es), es);
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < a.shape[d])
        break;
      idx[d] = 0;
    }
  }
  return "";
}

/// Copies scalar result `type` (its bytes at `p`) into a 0-d array.
void readScalar(const void *p, Type type, npy::Array &a) {
  a.dtype = *scalarDType(type);
  a.shape.clear();
  a.data.resize(npy::dtypeSize(a.dtype));
  std::memcpy(a.data.data(), p, a.data.size());
  if (a.dtype == npy::DType::Bool) // an i1 is its low bit
    a.data[0] = char(a.data[0] & 1);
}
} // namespace

std::optional<std::vector<npy::Array>>
constantResults(FunctionOpInterface func) {
  Region &body = func.getFunctionBody();
  if (!body.hasOneBlock())
    return std::nullopt;
  auto ret = dyn_cast<func::ReturnOp>(body.front().getTerminator());
  if (!ret)
    return std::nullopt;
  std::vector<npy::Array> out;
  for (Value v : ret.getOperands()) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    auto cst = v.getDefiningOp<arith::ConstantOp>();
    if (!type || !type.getElementType().isF32() || !cst)
      return std::nullopt;
    npy::Array a;
    a.dtype = npy::DType::F32;
    a.shape.assign(type.getShape().begin(), type.getShape().end());
    // Checked: a splat constant can claim any static shape.
    std::optional<uint64_t> bytes = llvm::checkedMulUnsigned<uint64_t>(
        uint64_t(type.getNumElements()), sizeof(float));
    if (!bytes || *bytes > uint64_t(std::numeric_limits<ptrdiff_t>::max()))
      return std::nullopt;
    if (auto dense = dyn_cast<DenseFPElementsAttr>(cst.getValue())) {
      if (dense.isSplat()) {
        a.data.resize(size_t(*bytes));
        std::fill_n(a.as<float>(), type.getNumElements(),
                    dense.getSplatValue<float>());
      } else {
        ArrayRef<char> raw = dense.getRawData();
        a.data.assign(raw.begin(), raw.end());
      }
    } else if (auto res =
                   dyn_cast<DenseResourceElementsAttr>(cst.getValue())) {
      // The blob's bytes (little-endian f32, as the importer stores them).
      AsmResourceBlob *blob = res.getRawHandle().getBlob();
      if (!blob)
        return std::nullopt;
      ArrayRef<char> raw = blob->getData();
      a.data.assign(raw.begin(), raw.end());
    } else {
      return std::nullopt;
    }
    if (a.data.size() != *bytes)
      return std::nullopt;
    out.push_back(std::move(a));
  }
  return out;
}

std::optional<ElementInfo> elementInfo(Type t) {
  if (mlir::quant4::isQuantizedFormat(t) || isa<Float8E8M0FNUType>(t))
    return ElementInfo{npy::DType::U8,
                       unsigned(mlir::quant4::getFormat(t)->bitWidth())};
  if (t.isF32())
    return ElementInfo{npy::DType::F32};
  if (t.isF16())
    return ElementInfo{npy::DType::F16};
  if (t.isF64())
    return ElementInfo{npy::DType::F64};
  if (t.isBF16()) // raw bit patterns
    return ElementInfo{npy::DType::U16};
  if (t.isIndex()) // 64-bit on every host quant4 lowers for
    return ElementInfo{npy::DType::I64};
  if (auto i = dyn_cast<IntegerType>(t)) {
    bool u = i.isUnsigned();
    switch (i.getWidth()) {
    case 1:
      return ElementInfo{npy::DType::Bool};
    case 8:
      return ElementInfo{u ? npy::DType::U8 : npy::DType::I8};
    case 16:
      return ElementInfo{u ? npy::DType::U16 : npy::DType::I16};
    case 32:
      return ElementInfo{u ? npy::DType::U32 : npy::DType::I32};
    case 64:
      return ElementInfo{u ? npy::DType::U64 : npy::DType::I64};
    default:
      break;
    }
  }
  return std::nullopt;
}

std::optional<npy::DType> scalarDType(Type t) {
  if (t.isF32() || t.isF64() || t.isSignlessInteger(1) ||
      t.isSignlessInteger(32) || t.isSignlessInteger(64) || t.isIndex())
    return elementInfo(t)->dtype;
  return std::nullopt;
}

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
    if (!elementInfo(tt.getElementType()))
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

std::string checkArgument(const npy::Array &a, Type argType, unsigned i) {
  if (std::optional<npy::DType> dt = scalarDType(argType)) {
    if (a.dtype != *dt || !a.shape.empty())
      return "argument " + std::to_string(i) + " is a scalar " + str(argType) +
             " and takes a 0-d " + npy::dtypeName(*dt) + " array, got " +
             npy::dtypeName(a.dtype) + " array of shape " + a.shapeString();
    return checkBools(a);
  }
  auto type = cast<RankedTensorType>(argType);
  ElementInfo ei = *elementInfo(type.getElementType());
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
    for (int64_t k = 0; k < a.numel(); ++k)
      if (c[k] >> ei.codeWidth)
        return "code " + std::to_string(c[k]) + " at index " +
               std::to_string(k) + " does not fit the " +
               std::to_string(ei.codeWidth) + "-bit format " +
               str(type.getElementType());
  }
  return checkBools(a);
}

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
  case npy::DType::F32:
  case npy::DType::F64: {
    bool f32 = *dt == npy::DType::F32;
    double v = f32 ? double(std::strtof(c, &end)) : std::strtod(c, &end);
    if (text.empty() || *end || std::isspace((unsigned char)text[0]) ||
        (errno == ERANGE && std::isinf(v)))
      return bad();
    if (f32) {
      float x = float(v);
      std::memcpy(out.data.data(), &x, 4);
    } else {
      std::memcpy(out.data.data(), &v, 8);
    }
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

llvm::Expected<FunctionType> prepareEntry(ModuleOp module, llvm::StringRef name,
                                          llvm::StringRef moduleName) {
  auto fail = [](const llvm::Twine &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
  };
  if (isLoweredToLLVM(module)) {
    auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
    if (!fn)
      return fail("no function @" + name + " in '" + moduleName + "'");
    FunctionType sig = mlir::quant4::getTensorSignature(fn);
    if (!sig ||
        !module.lookupSymbol<LLVM::LLVMFuncOp>(("_mlir_ciface_" + name).str()))
      return fail("@" + name + " is in the LLVM dialect but has no " +
                  mlir::quant4::attrs::kSignature +
                  " attribute or _mlir_ciface_ wrapper; lower it with "
                  "quant4-cpu-pipeline");
    return sig;
  }
  auto fn = module.lookupSymbol<func::FuncOp>(name);
  if (!fn || fn.isExternal()) {
    std::string names;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f.isExternal())
        names += (names.empty() ? "@" : ", @") + f.getName().str();
    return fail("no function @" + name + " in '" + moduleName +
                "' (functions: " + (names.empty() ? "none" : names) + ")");
  }
  fn.setPublic();
  return fn.getFunctionType();
}

char RuntimeError::ID = 0;

void RuntimeError::log(llvm::raw_ostream &os) const {
  os << "runtime error in @" << function << ": " << message;
}

std::error_code RuntimeError::convertToErrorCode() const {
  return llvm::inconvertibleErrorCode();
}

llvm::Error callFunction(ExecutionEngine &engine, llvm::StringRef name,
                         FunctionType type,
                         llvm::ArrayRef<const npy::Array *> args,
                         std::vector<npy::Array> &results) {
  auto fail = [&](const llvm::Twine &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "@" + name + ": " + msg);
  };
  if (std::string e = checkSignature(type); !e.empty())
    return fail(e);
  unsigned numArgs = type.getNumInputs(), numResults = type.getNumResults();
  if (args.size() != numArgs)
    return fail("takes " + llvm::Twine(numArgs) + " argument(s), got " +
                llvm::Twine(unsigned(args.size())));
  for (unsigned i = 0; i < numArgs; ++i)
    if (std::string e = checkArgument(*args[i], type.getInput(i), i);
        !e.empty())
      return fail("argument " + llvm::Twine(i) + ": " + e);

  // The C-level kind of each result: packed code tensors come back as 1-D
  // byte buffers, scalars by value.
  std::vector<CResult> kinds;
  for (Type t : type.getResults()) {
    if (std::optional<npy::DType> dt = scalarDType(t))
      kinds.push_back(CResult::scalar(unsigned(npy::dtypeSize(*dt))));
    else
      kinds.push_back(
          CResult::memref(mlir::quant4::isPackedCodeTensor(t)
                              ? 1
                              : unsigned(cast<RankedTensorType>(t).getRank())));
  }
  CInterfaceCall call(kinds);
  static char emptyData[16]; // the data of an array without elements
  std::vector<std::vector<uint8_t>> packed(numArgs);
  std::set<const void *> inputs;
  for (unsigned i = 0; i < numArgs; ++i) {
    const npy::Array &a = *args[i];
    Type t = type.getInput(i);
    if (std::optional<npy::DType> dt = scalarDType(t)) {
      call.addScalar(a.data.data(), unsigned(npy::dtypeSize(*dt)));
      continue;
    }
    if (mlir::quant4::isPackedCodeTensor(t)) {
      // Packed storage: ceil(n/2) bytes, a 1-D memref.
      int64_t n = a.numel();
      packed[i].assign(size_t((n + 1) / 2) + 1, 0);
      ::quant4::kernels::packCodes4(a.as<uint8_t>(), size_t(n),
                                    packed[i].data());
      call.addMemref(packed[i].data(), {(n + 1) / 2});
      inputs.insert(packed[i].data());
      continue;
    }
    void *data = a.data.empty() ? emptyData : const_cast<char *>(a.data.data());
    call.addMemref(data, a.shape);
    inputs.insert(data);
  }

  quant4_rt_clear_error();
  if (llvm::Error err = call.invoke(engine, name))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot call @" + name + ": " +
                                       llvm::toString(std::move(err)));
  const char *runtimeError = quant4_rt_last_error();

  // Copy every result out, then free the buffers the call allocated (once
  // each, never an argument's).
  results.resize(numResults);
  std::string error;
  std::set<void *> freed;
  for (unsigned i = 0; i < numResults; ++i) {
    Type t = type.getResult(i);
    if (scalarDType(t)) {
      readScalar(call.resultScalar(i), t, results[i]);
      continue;
    }
    auto tt = cast<RankedTensorType>(t);
    int64_t rank = mlir::quant4::isPackedCodeTensor(t) ? 1 : tt.getRank();
    ::UnrankedMemRefType<char> desc{
        rank, const_cast<int64_t *>(call.resultDescriptor(i))};
    DynamicMemRefType<char> m(desc);
    if (error.empty() && !runtimeError)
      if (std::string e = readMemref(m, tt, results[i]); !e.empty())
        error = "result " + std::to_string(i) + " " + e;
    if (m.basePtr && !inputs.count(m.basePtr) && freed.insert(m.basePtr).second)
      std::free(m.basePtr);
  }
  if (runtimeError)
    return llvm::make_error<RuntimeError>(name.str(), runtimeError);
  if (!error.empty())
    return fail(error);
  return llvm::Error::success();
}

} // namespace quant4::runner
