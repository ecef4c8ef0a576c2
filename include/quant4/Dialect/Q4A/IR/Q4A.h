//===- Q4A.h - the q4a dialect ----------------------------------*- C++ -*-===//
//
// The Q4A instruction set as MLIR operations. Conversions between instruction
// ops and the encoder's q4a::Instr, and between q4a.program and q4a::Program,
// live here so that the translations and the verifier share them.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_DIALECT_Q4A_IR_Q4A_H
#define QUANT4_DIALECT_Q4A_IR_Q4A_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"
#include "quant4/Target/Q4A/ISA.h"

namespace mlir::q4a {
/// The plain C++ ISA library (no MLIR).
namespace hw = ::quant4::q4a;
namespace num = ::quant4::num;

class ProgramOp;

ParseResult parseInstrOp(OpAsmParser &parser, OperationState &result);
void printInstrOp(OpAsmPrinter &p, Operation *op);
LogicalResult verifyInstrOp(Operation *op);
} // namespace mlir::q4a

#include "quant4/Dialect/Q4A/IR/Q4ADialect.h.inc"
#define GET_ATTRDEF_CLASSES
#include "quant4/Dialect/Q4A/IR/Q4AAttrs.h.inc"
#define GET_OP_CLASSES
#include "quant4/Dialect/Q4A/IR/Q4AOps.h.inc"

namespace mlir::q4a {
/// The table entry of an instruction op (nullptr for other ops).
const hw::OpInfo *getOpInfo(Operation *op);
/// The architecture parameters of a program.
hw::Arch getArch(ProgramOp program);
/// An instruction op as an encoder instruction. Fails (with a diagnostic at
/// the op when `emit` is set) if a field does not convert.
FailureOr<hw::Instr> toInstr(Operation *op, bool emit = true);
/// Creates the instruction op of `in` at the builder's insertion point.
Operation *createInstrOp(OpBuilder &b, Location loc, const hw::Instr &in);
/// MLIR type of a Numerics format, and of a tensor descriptor's type.
Type formatToType(MLIRContext *ctx, const num::Format &f);
/// The program as a plain Program (fails with a diagnostic).
FailureOr<hw::Program> toProgram(ProgramOp program);
/// Builds a q4a.program from a Program at the builder's insertion point.
ProgramOp fromProgram(OpBuilder &b, Location loc, const hw::Program &p);
} // namespace mlir::q4a

#endif // QUANT4_DIALECT_Q4A_IR_Q4A_H
