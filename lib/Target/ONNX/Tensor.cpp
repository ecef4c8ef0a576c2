//===- Tensor.cpp - ONNX element types, host tensors, TensorProto ---------===//
#include "Tensor.h"

#include "quant4/Support/Sizes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace ::quant4::onnx_import;
namespace q4onnx = ::quant4::onnx_import;

std::string q4onnx::dtypeName(DType t) {
  switch (t) {
  case DType::Float:
    return "float32";
  case DType::UInt8:
    return "uint8";
  case DType::Int8:
    return "int8";
  case DType::UInt16:
    return "uint16";
  case DType::Int16:
    return "int16";
  case DType::Int32:
    return "int32";
  case DType::Int64:
    return "int64";
  case DType::String:
    return "string";
  case DType::Bool:
    return "bool";
  case DType::Float16:
    return "float16";
  case DType::Double:
    return "float64";
  case DType::UInt32:
    return "uint32";
  case DType::UInt64:
    return "uint64";
  case DType::Complex64:
    return "complex64";
  case DType::Complex128:
    return "complex128";
  case DType::BFloat16:
    return "bfloat16";
  case DType::Undefined:
    break;
  }
  return "type code " + std::to_string(int32_t(t));
}

DType q4onnx::dtypeFromCode(int64_t code) {
  if (code >= 1 && code <= 16)
    return DType(code);
  return DType::Undefined;
}

bool q4onnx::isSupported(DType t) {
  switch (t) {
  case DType::Undefined:
  case DType::String:
  case DType::Complex64:
  case DType::Complex128:
    return false;
  default:
    return int32_t(t) >= 1 && int32_t(t) <= 16;
  }
}

bool q4onnx::isFloat(DType t) {
  return t == DType::Float || t == DType::Double || t == DType::Float16 ||
         t == DType::BFloat16;
}

bool q4onnx::isUnsigned(DType t) {
  return t == DType::UInt8 || t == DType::UInt16 || t == DType::UInt32 ||
         t == DType::UInt64;
}

unsigned q4onnx::elementBytes(DType t) {
  switch (t) {
  case DType::Bool:
  case DType::Int8:
  case DType::UInt8:
    return 1;
  case DType::Int16:
  case DType::UInt16:
  case DType::Float16:
  case DType::BFloat16:
    return 2;
  case DType::Int32:
  case DType::UInt32:
  case DType::Float:
    return 4;
  case DType::Int64:
  case DType::UInt64:
  case DType::Double:
    return 8;
  default:
    return 0;
  }
}

Type q4onnx::toMlirType(DType t, MLIRContext *ctx) {
  switch (t) {
  case DType::Float:
    return Float32Type::get(ctx);
  case DType::Double:
    return Float64Type::get(ctx);
  case DType::Float16:
    return Float16Type::get(ctx);
  case DType::BFloat16:
    return BFloat16Type::get(ctx);
  case DType::Bool:
    return IntegerType::get(ctx, 1);
  case DType::Int8:
  case DType::UInt8:
    return IntegerType::get(ctx, 8);
  case DType::Int16:
  case DType::UInt16:
    return IntegerType::get(ctx, 16);
  case DType::Int32:
  case DType::UInt32:
    return IntegerType::get(ctx, 32);
  case DType::Int64:
  case DType::UInt64:
    return IntegerType::get(ctx, 64);
  default:
    return nullptr;
  }
}

std::string q4onnx::shapeString(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

std::optional<int64_t>
q4onnx::checkedNumElements(ArrayRef<int64_t> shape,
                                        uint64_t elemBytes) {
  std::optional<uint64_t> bytes =
      ::quant4::checkedTensorBytes(shape, elemBytes ? elemBytes : 1);
  if (!bytes)
    return std::nullopt;
  return int64_t(*bytes / (elemBytes ? elemBytes : 1));
}

//===----------------------------------------------------------------------===//
// HostTensor
//===----------------------------------------------------------------------===//

int64_t HostTensor::intAt(size_t k) const {
  if (isFloat(dtype)) {
    double v = floats[k];
    if (!std::isfinite(v))
      return 0;
    if (v >= 9.2e18)
      return std::numeric_limits<int64_t>::max();
    if (v <= -9.2e18)
      return std::numeric_limits<int64_t>::min();
    return int64_t(v);
  }
  return ints[k];
}

double HostTensor::floatAt(size_t k) const {
  if (isFloat(dtype))
    return floats[k];
  if (dtype == DType::UInt64)
    return double(uint64_t(ints[k]));
  return double(ints[k]);
}

std::vector<int64_t> HostTensor::toInts() const {
  std::vector<int64_t> r(static_cast<size_t>(numElements()));
  for (size_t k = 0; k < r.size(); ++k)
    r[k] = intAt(k);
  return r;
}

HostTensor HostTensor::ofInts(DType t, ArrayRef<int64_t> shape,
                              std::vector<int64_t> values) {
  HostTensor h;
  h.dtype = t;
  h.shape.assign(shape.begin(), shape.end());
  h.ints = std::move(values);
  return h;
}

HostTensor HostTensor::ofFloats(DType t, ArrayRef<int64_t> shape,
                                std::vector<double> values) {
  HostTensor h;
  h.dtype = t;
  h.shape.assign(shape.begin(), shape.end());
  h.floats = std::move(values);
  return h;
}

int64_t HostTensor::castInt(int64_t v, DType t) {
  switch (t) {
  case DType::Bool:
    return v != 0;
  case DType::Int8:
    return int8_t(v);
  case DType::UInt8:
    return uint8_t(v);
  case DType::Int16:
    return int16_t(v);
  case DType::UInt16:
    return uint16_t(v);
  case DType::Int32:
    return int32_t(v);
  case DType::UInt32:
    return uint32_t(v);
  default:
    return v;
  }
}

static const llvm::fltSemantics &semanticsOf(DType t) {
  switch (t) {
  case DType::Float16:
    return APFloat::IEEEhalf();
  case DType::BFloat16:
    return APFloat::BFloat();
  case DType::Float:
    return APFloat::IEEEsingle();
  default:
    return APFloat::IEEEdouble();
  }
}

double HostTensor::castFloat(double v, DType t) {
  if (t == DType::Double)
    return v;
  if (t == DType::Float)
    return double(float(v));
  APFloat f(v);
  bool lost;
  f.convert(semanticsOf(t), APFloat::rmNearestTiesToEven, &lost);
  f.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
  return f.convertToDouble();
}

HostTensor HostTensor::castTo(DType t) const {
  HostTensor r;
  r.dtype = t;
  r.shape = shape;
  size_t n = size_t(numElements());
  if (isFloat(t)) {
    r.floats.resize(n);
    for (size_t k = 0; k < n; ++k)
      r.floats[k] = castFloat(floatAt(k), t);
  } else {
    r.ints.resize(n);
    for (size_t k = 0; k < n; ++k) {
      if (isFloat(dtype) && t == DType::Bool)
        r.ints[k] = floats[k] != 0.0;
      else
        r.ints[k] = castInt(intAt(k), t);
    }
  }
  return r;
}

DenseElementsAttr HostTensor::toAttr(MLIRContext *ctx) const {
  Type et = toMlirType(dtype, ctx);
  auto type = RankedTensorType::get(shape, et);
  size_t n = size_t(numElements());
  if (dtype == DType::Bool) {
    SmallVector<bool> v(n);
    for (size_t k = 0; k < n; ++k)
      v[k] = ints[k] != 0;
    return DenseElementsAttr::get(type, v);
  }
  if (isFloat(dtype)) {
    SmallVector<APFloat> v;
    v.reserve(n);
    for (size_t k = 0; k < n; ++k) {
      APFloat f(floats[k]);
      bool lost;
      f.convert(semanticsOf(dtype), APFloat::rmNearestTiesToEven, &lost);
      v.push_back(f);
    }
    return DenseElementsAttr::get(type, v);
  }
  unsigned width = et.getIntOrFloatBitWidth();
  SmallVector<APInt> v;
  v.reserve(n);
  for (size_t k = 0; k < n; ++k)
    v.push_back(APInt(width, uint64_t(ints[k]), /*isSigned=*/true,
                      /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, v);
}

SmallVector<int64_t>
q4onnx::stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> s(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;)
    s[d - 1] = s[d] * shape[d];
  return s;
}

HostTensor q4onnx::remapHost(
    const HostTensor &h, ArrayRef<int64_t> shape,
    function_ref<int64_t(ArrayRef<int64_t>)> source) {
  HostTensor r;
  r.dtype = h.dtype;
  r.shape.assign(shape.begin(), shape.end());
  size_t n = 1;
  for (int64_t d : shape)
    n *= size_t(d);
  bool fl = isFloat(h.dtype);
  if (fl)
    r.floats.resize(n);
  else
    r.ints.resize(n);
  SmallVector<int64_t> idx(shape.size(), 0);
  for (size_t k = 0; k < n; ++k) {
    int64_t src = source(idx);
    if (fl)
      r.floats[k] = h.floats[size_t(src)];
    else
      r.ints[k] = h.ints[size_t(src)];
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
  return r;
}

//===----------------------------------------------------------------------===//
// RawTensor
//===----------------------------------------------------------------------===//

HostTensor RawTensor::toHost() const {
  HostTensor h;
  h.dtype = dtype;
  h.shape = shape;
  size_t n = size_t(numElements());
  const char *p = bytes.data();
  using namespace llvm::support;
  auto rd = [&](size_t k, unsigned w) -> uint64_t {
    uint64_t v = 0;
    std::memcpy(&v, p + k * w, w); // little-endian host (x86-64, aarch64)
    return v;
  };
  if (isFloat(dtype)) {
    h.floats.resize(n);
    for (size_t k = 0; k < n; ++k) {
      switch (dtype) {
      case DType::Float: {
        float f;
        std::memcpy(&f, p + 4 * k, 4);
        h.floats[k] = f;
        break;
      }
      case DType::Double: {
        double d;
        std::memcpy(&d, p + 8 * k, 8);
        h.floats[k] = d;
        break;
      }
      default: {
        APFloat f(semanticsOf(dtype), APInt(16, rd(k, 2)));
        bool lost;
        f.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
        h.floats[k] = f.convertToDouble();
        break;
      }
      }
    }
    return h;
  }
  unsigned w = elementBytes(dtype);
  h.ints.resize(n);
  for (size_t k = 0; k < n; ++k) {
    uint64_t v = rd(k, w);
    int64_t s;
    switch (dtype) {
    case DType::Bool:
      s = v != 0;
      break;
    case DType::Int8:
      s = int8_t(v);
      break;
    case DType::Int16:
      s = int16_t(v);
      break;
    case DType::Int32:
      s = int32_t(v);
      break;
    default: // unsigned types, int64
      s = int64_t(v);
      break;
    }
    h.ints[k] = s;
  }
  return h;
}

FailureOr<RawTensor>
q4onnx::decodeTensorProto(const onnx::TensorProto &proto,
                                       StringRef what, std::string &error) {
  RawTensor t;
  t.name = proto.name();
  t.dtype = dtypeFromCode(proto.data_type());
  if (!isSupported(t.dtype)) {
    error = (what + " has element type " + dtypeName(t.dtype) +
             ", which quant4 does not import")
                .str();
    return failure();
  }
  if (proto.data_location() == onnx::TensorProto_DataLocation_EXTERNAL ||
      proto.external_data_size() > 0) {
    error = (what +
             " keeps its data in an external file (external_data); quant4 "
             "imports only models whose tensors are stored in the model")
                .str();
    return failure();
  }
  if (proto.has_segment()) {
    error = (what + " is a segment of a larger tensor; not supported").str();
    return failure();
  }
  for (int64_t d : proto.dims()) {
    if (d < 0) {
      error = (what + " has a negative dimension " + std::to_string(d)).str();
      return failure();
    }
    t.shape.push_back(d);
  }
  unsigned eb = elementBytes(t.dtype);
  std::optional<uint64_t> bytes = ::quant4::checkedTensorBytes(t.shape, eb);
  if (!bytes) {
    error = (what + " of shape " + shapeString(t.shape) + " and type " +
             dtypeName(t.dtype) + " exceeds the size limit of 2^40 bytes")
                .str();
    return failure();
  }
  size_t n = size_t(*bytes / eb);
  auto countError = [&](size_t have) {
    error = (what + " holds " + std::to_string(have) +
             " values but its shape " + shapeString(t.shape) + " needs " +
             std::to_string(n))
                .str();
    return failure();
  };
  if (proto.has_raw_data()) {
    const std::string &raw = proto.raw_data();
    if (raw.size() != *bytes) {
      error = (what + " has " + std::to_string(raw.size()) +
               " bytes of raw data but its shape " + shapeString(t.shape) +
               " of " + dtypeName(t.dtype) + " needs " +
               std::to_string(*bytes))
                  .str();
      return failure();
    }
    t.bytes.assign(raw.begin(), raw.end());
    if (t.dtype == DType::Bool)
      for (char &c : t.bytes)
        c = c != 0;
    return t;
  }
  // The values are in the typed field of the element type. Its count is
  // checked before anything is allocated: a shape with no values must not
  // allocate what the shape claims (up to 2^40 bytes).
  size_t have;
  switch (t.dtype) {
  case DType::Float:
    have = size_t(proto.float_data_size());
    break;
  case DType::Double:
    have = size_t(proto.double_data_size());
    break;
  case DType::Int64:
    have = size_t(proto.int64_data_size());
    break;
  case DType::UInt32:
  case DType::UInt64:
    have = size_t(proto.uint64_data_size());
    break;
  default: // int32_data: int32, int16, int8, uint16, uint8, bool, f16, bf16
    have = size_t(proto.int32_data_size());
    break;
  }
  if (have != n)
    return countError(have);
  t.bytes.resize(size_t(*bytes));
  char *out = t.bytes.data();
  auto put = [&](size_t k, uint64_t v) {
    std::memcpy(out + k * eb, &v, eb); // little-endian host
  };
  switch (t.dtype) {
  case DType::Float: {
    for (size_t k = 0; k < n; ++k) {
      float f = proto.float_data(int(k));
      std::memcpy(out + 4 * k, &f, 4);
    }
    return t;
  }
  case DType::Double: {
    for (size_t k = 0; k < n; ++k) {
      double d = proto.double_data(int(k));
      std::memcpy(out + 8 * k, &d, 8);
    }
    return t;
  }
  case DType::Int64: {
    for (size_t k = 0; k < n; ++k)
      put(k, uint64_t(proto.int64_data(int(k))));
    return t;
  }
  case DType::UInt32:
  case DType::UInt64: {
    for (size_t k = 0; k < n; ++k)
      put(k, proto.uint64_data(int(k)));
    return t;
  }
  default: { // int32_data: int32, int16, int8, uint16, uint8, bool, f16, bf16
    for (size_t k = 0; k < n; ++k) {
      int32_t v = proto.int32_data(int(k));
      put(k, t.dtype == DType::Bool ? uint64_t(v != 0) : uint64_t(int64_t(v)));
    }
    return t;
  }
  }
}
