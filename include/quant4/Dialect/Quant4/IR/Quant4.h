//===- Quant4.h - the quant4 dialect ----------------------------*- C++ -*-===//
//
// Types, attributes and operations of the quant4 dialect.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_DIALECT_QUANT4_IR_QUANT4_H
#define QUANT4_DIALECT_QUANT4_IR_QUANT4_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "quant4/Numerics/Numerics.h"
#include <optional>

namespace mlir::quant4 {
/// The Numerics library (plain C++, namespace ::quant4::num).
namespace num = ::quant4::num;
} // namespace mlir::quant4

#include "quant4/Dialect/Quant4/IR/Quant4Dialect.h.inc"
#include "quant4/Dialect/Quant4/IR/Quant4Enums.h.inc"
#include "quant4/Dialect/Quant4/IR/Quant4AttrInterfaces.h.inc"

#define GET_TYPEDEF_CLASSES
#include "quant4/Dialect/Quant4/IR/Quant4Types.h.inc"
#define GET_ATTRDEF_CLASSES
#include "quant4/Dialect/Quant4/IR/Quant4Attrs.h.inc"

namespace mlir::quant4 {
/// The Numerics-library format of an element type, if it is a quantized
/// format (quant4.log / int / uint, f4E2M1FN, f8E4M3FN, f8E5M2) or a scale
/// or real type the library knows (f8E8M0FNU, f16, bf16, f32).
std::optional<num::Format> getFormat(Type type);
/// True for the element types a quantized tensor may have.
bool isQuantizedFormat(Type type);
/// Bit width of a quantized format.
unsigned getFormatWidth(Type type);
/// The rounding rule of the Numerics library for a rounding kind.
num::Rounding toNumerics(RoundingKind kind);
/// The accumulation of the Numerics library for an accumulation attribute.
num::Accumulation toNumerics(AccumulationAttr acc);
/// Checks that `scaleType` is a legal scale of a value of type `valueType`
/// under `granularity` (null = per tensor). On failure, emits through
/// `emitError` a message that starts with `what`.
LogicalResult verifyScaleShape(function_ref<InFlightDiagnostic()> emitError,
                               StringRef what, RankedTensorType valueType,
                               Type scaleType, GranularityAttr granularity);
/// The source of the 2-D `linalg.transpose` (permutation [1, 0], on
/// tensors) that produces `v`, or null.
Value transposeSource(Value v);

} // namespace mlir::quant4

#define GET_OP_CLASSES
#include "quant4/Dialect/Quant4/IR/Quant4Ops.h.inc"

#endif // QUANT4_DIALECT_QUANT4_IR_QUANT4_H
