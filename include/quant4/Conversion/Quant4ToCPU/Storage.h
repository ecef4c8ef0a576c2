//===- Storage.h - runtime storage of quantized tensors ---------*- C++ -*-===//
//
// How convert-quant4-to-cpu stores a tensor of codes, shared with quant4-run
// (which packs/unpacks .npy codes at the function boundary). See
// docs/Lowering.md, "Storage layout of codes".
//
//  * packed: a statically shaped ranked tensor whose element type is a
//    quantized format of at most 4 bits becomes tensor<ceil(n/2) x i8>
//    (n elements, 0-d counts 1): element i (row-major) in byte i/2, the low
//    nibble for even i, the high nibble for odd i; an odd count leaves the
//    last high nibble zero (kernels::CodeLayout::Packed4);
//  * byte: every other tensor of codes (formats of 5..8 bits, FP8 scale
//    types, dynamic shapes) keeps its shape with one code per i8, in the low
//    bits.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_CONVERSION_QUANT4TOCPU_STORAGE_H
#define QUANT4_CONVERSION_QUANT4TOCPU_STORAGE_H

#include "mlir/IR/BuiltinTypes.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"

namespace mlir::quant4 {

/// Element types stored as codes: the quantized formats and FP8 scale types.
inline bool isCodeElementType(Type t) {
  return isQuantizedFormat(t) || isa<Float8E8M0FNUType>(t);
}

/// Whether a tensor type of codes is stored packed, two codes per byte.
inline bool isPackedCodeTensor(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  return t && t.hasStaticShape() && isQuantizedFormat(t.getElementType()) &&
         getFormatWidth(t.getElementType()) <= 4;
}

/// Bytes of the packed storage of `t` (isPackedCodeTensor).
inline int64_t packedByteCount(RankedTensorType t) {
  return (t.getNumElements() + 1) / 2;
}

/// The storage type of a tensor type of codes: tensor<ceil(n/2)xi8> when
/// packed, else the same shape with i8 elements. Other types unchanged.
inline Type codeStorageType(Type type) {
  MLIRContext *ctx = type.getContext();
  if (isPackedCodeTensor(type))
    return RankedTensorType::get(
        {packedByteCount(cast<RankedTensorType>(type))},
        IntegerType::get(ctx, 8));
  if (auto t = dyn_cast<RankedTensorType>(type);
      t && isCodeElementType(t.getElementType()))
    return t.clone(IntegerType::get(ctx, 8));
  if (auto t = dyn_cast<UnrankedTensorType>(type);
      t && isCodeElementType(t.getElementType()))
    return UnrankedTensorType::get(IntegerType::get(ctx, 8));
  return type;
}

} // namespace mlir::quant4

#endif // QUANT4_CONVERSION_QUANT4TOCPU_STORAGE_H
