//===- Q4ADialect.td - the q4a dialect (Q4A accelerator ISA) -*- tablegen -*-===//
#ifndef Q4A_DIALECT_TD
#define Q4A_DIALECT_TD

include "mlir/IR/OpBase.td"

def Q4A_Dialect : Dialect {
  let name = "q4a";
  let cppNamespace = "::mlir::q4a";
  let summary = "Instructions of the Q4A 4-bit training accelerator";
  let description = [{
    The `q4a` dialect is the Q4A instruction set (docs/ISA.md) as MLIR
    operations: one op per instruction, with one attribute per encoding
    field, inside a `q4a.program` that also describes the program's DRAM
    inputs, outputs and constant data. Instructions have no SSA operands or
    results: they read and write architectural state (scratchpad, x and f
    registers, accumulator tiles, DRAM), in program order.

    Every instruction op is verified against the same instruction table
    that the binary encoder and decoder use (`quant4/Target/Q4A/ISA.h`): a
    verified op is always encodable, and every decoded word is a verified
    op. `quant4-translate` prints programs as Q4A assembly
    (`--q4a-to-asm`) or binary (`--q4a-to-bin`) and reads both back.

    The syntax of an instruction is its mnemonic (with `_` for `.`) and its
    fields in table order, `name = value`: integers (hex for addresses),
    registers `x0`..`x31` / `f0`..`f31`, formats as types and enumerations
    as keywords.
  }];
  let dependentDialects = ["::mlir::quant4::Quant4Dialect"];
  let useDefaultAttributePrinterParser = 1;
}

class Q4A_Op<string mnemonic, list<Trait> traits = []>
    : Op<Q4A_Dialect, mnemonic, traits>;

#endif // Q4A_DIALECT_TD
