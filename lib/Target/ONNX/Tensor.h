//===- Tensor.h - ONNX element types, host tensors, TensorProto ---*- C++ -*-===//
//
// The importer's view of tensors that it knows at import time:
//  - DType: the ONNX element types (their TensorProto codes) and their MLIR
//    types;
//  - HostTensor: a small tensor whose values the importer holds (shape
//    arithmetic, axes, pads, ...), evaluated on the host so that every
//    imported op is statically shaped;
//  - RawTensor: the bytes of a decoded TensorProto in MLIR's dense layout,
//    from which constants and parameter blobs are made.
// decodeTensorProto checks every size against quant4/Support/Sizes.h.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_LIB_TARGET_ONNX_TENSOR_H
#define QUANT4_LIB_TARGET_ONNX_TENSOR_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace quant4::onnx_import {

/// ONNX element types; the values are TensorProto.DataType codes.
enum class DType : int32_t {
  Undefined = 0,
  Float = 1,
  UInt8 = 2,
  Int8 = 3,
  UInt16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  String = 8,
  Bool = 9,
  Float16 = 10,
  Double = 11,
  UInt32 = 12,
  UInt64 = 13,
  Complex64 = 14,
  Complex128 = 15,
  BFloat16 = 16,
};

/// "float32", "int64", ... (numpy names); "type code N" for unknown codes.
std::string dtypeName(DType t);
/// Whether quant4 imports tensors of this type (all but string, complex).
bool isSupported(DType t);
bool isFloat(DType t);
bool isUnsigned(DType t);
/// Integer types and bool.
inline bool isIntegral(DType t) { return !isFloat(t) && isSupported(t); }
/// Bytes of one element in MLIR's dense layout (bool: 1).
unsigned elementBytes(DType t);
/// The MLIR element type (signless integers; bool is i1); null when
/// unsupported.
mlir::Type toMlirType(DType t, mlir::MLIRContext *ctx);
/// `DType` of an ONNX code, Undefined if the code is not one.
DType dtypeFromCode(int64_t code);

/// "2x3x4" ("scalar" for rank 0).
std::string shapeString(llvm::ArrayRef<int64_t> shape);

/// Number of elements of `shape`, or nullopt when a dimension is negative
/// or the byte size with `elemBytes`-byte elements exceeds the limit of
/// quant4/Support/Sizes.h.
std::optional<int64_t> checkedNumElements(llvm::ArrayRef<int64_t> shape,
                                          uint64_t elemBytes);

/// A tensor whose values the importer holds. Integer and bool elements are
/// in `ints`, floating-point ones in `floats` (exactly one is used).
struct HostTensor {
  DType dtype = DType::Undefined;
  llvm::SmallVector<int64_t> shape;
  std::vector<int64_t> ints;
  std::vector<double> floats;

  int64_t numElements() const {
    return isFloat(dtype) ? int64_t(floats.size()) : int64_t(ints.size());
  }
  /// Element k as an integer (floats truncated toward zero) / a double.
  int64_t intAt(size_t k) const;
  double floatAt(size_t k) const;
  /// All elements as integers.
  std::vector<int64_t> toInts() const;
  /// A scalar or 1-element tensor's value.
  bool isScalarLike() const { return numElements() == 1; }

  static HostTensor ofInts(DType t, llvm::ArrayRef<int64_t> shape,
                           std::vector<int64_t> values);
  static HostTensor ofFloats(DType t, llvm::ArrayRef<int64_t> shape,
                             std::vector<double> values);
  /// A value converted to `t` with ONNX Cast semantics (float -> int
  /// truncates, int -> bool is != 0, wrap-around for narrower integers).
  static int64_t castInt(int64_t v, DType t);
  static double castFloat(double v, DType t);
  HostTensor castTo(DType t) const;
  /// The dense attribute of type tensor<shape x toMlirType(dtype)>.
  mlir::DenseElementsAttr toAttr(mlir::MLIRContext *ctx) const;
};

/// A host tensor of `h`'s type and shape `shape` whose element at each
/// multi-index `idx` is element `source(idx)` (a linear index) of `h`: the
/// host form of transposes, slices, broadcasts, gathers, tiles.
HostTensor remapHost(const HostTensor &h, llvm::ArrayRef<int64_t> shape,
                     llvm::function_ref<int64_t(llvm::ArrayRef<int64_t>)>
                         source);
/// Row-major strides of `shape`.
llvm::SmallVector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape);

/// Tensors with at most this many elements are kept on the host when they
/// are constants (initializers that are not parameters, Constant nodes)
/// and when folding produces them.
constexpr int64_t kMaxHostElements = 1 << 16;

/// A decoded TensorProto: the elements in MLIR's dense layout (little
/// endian, bool one byte per element, float16/bfloat16 as their bits).
struct RawTensor {
  std::string name;
  DType dtype = DType::Undefined;
  llvm::SmallVector<int64_t> shape;
  std::vector<char> bytes;

  int64_t numElements() const {
    return elementBytes(dtype) ? int64_t(bytes.size() / elementBytes(dtype))
                               : 0;
  }
  /// The values as a HostTensor.
  HostTensor toHost() const;
};

/// Decodes `proto`. On error returns a message that names the tensor
/// (`what`, e.g. "initializer 'fc.weight'").
llvm::FailureOr<RawTensor> decodeTensorProto(const onnx::TensorProto &proto,
                                             llvm::StringRef what,
                                             std::string &error);

} // namespace quant4::onnx_import

#endif // QUANT4_LIB_TARGET_ONNX_TENSOR_H
