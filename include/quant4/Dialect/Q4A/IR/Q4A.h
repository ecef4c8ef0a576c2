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
/// Creates the instruction op of `in` at the builder's insertion point
/// (not for `loop`: buildCode makes q4a.loop ops).
Operation *createInstrOp(OpBuilder &b, Location loc, const hw::Instr &in);
/// Appends the instructions of `block` (inside `depth` loops) to `code`,
/// each q4a.loop as a `loop` instruction followed by its body, and the op
/// of each to `ops`. Fails with a diagnostic if an op does not convert.
LogicalResult appendCode(Block &block, unsigned depth,
                         std::vector<hw::Instr> &code,
                         SmallVectorImpl<Operation *> &ops);
/// Creates the ops of `code` at the builder's insertion point, each `loop`
/// as a q4a.loop holding the instructions of its body; `locOf` gives each
/// op its location.
void buildCode(OpBuilder &b, ArrayRef<hw::Instr> code,
               function_ref<Location(const hw::Instr &)> locOf);
/// MLIR type of a Numerics format, and of a tensor descriptor's type.
Type formatToType(MLIRContext *ctx, const num::Format &f);
/// The program as a plain Program (fails with a diagnostic).
FailureOr<hw::Program> toProgram(ProgramOp program);
/// Builds a q4a.program from a Program at the builder's insertion point.
ProgramOp fromProgram(OpBuilder &b, Location loc, const hw::Program &p);
} // namespace mlir::q4a

#endif // QUANT4_DIALECT_Q4A_IR_Q4A_H
