//===- Translate.h - q4a.program <-> Q4A assembly / binary ------*- C++ -*-===//
//
// The MLIR side of the Q4A target: emit a q4a.program as assembly, binary or
// a hex listing, and import assembly or binary as a q4a.program. Registered
// as quant4-translate's --q4a-to-asm, --q4a-to-bin, --q4a-to-hex,
// --asm-to-q4a and --bin-to-q4a.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_TARGET_Q4A_TRANSLATE_H
#define QUANT4_TARGET_Q4A_TRANSLATE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::q4a {
/// `op` is a q4a.program or contains exactly one. Diagnostics at the op.
LogicalResult translateToAssembly(Operation *op, llvm::raw_ostream &os);
LogicalResult translateToBinary(Operation *op, llvm::raw_ostream &os);
LogicalResult translateToHexListing(Operation *op, llvm::raw_ostream &os);
/// Parse assembly / binary text into a module holding one q4a.program;
/// errors are reported at `bufferName`:line:column / byte offset.
OwningOpRef<ModuleOp> importAssembly(llvm::StringRef text,
                                     llvm::StringRef bufferName,
                                     MLIRContext *ctx);
OwningOpRef<ModuleOp> importBinary(llvm::StringRef bytes,
                                   llvm::StringRef bufferName,
                                   MLIRContext *ctx);
/// Registers the five translations plus --q4a-isa-tables (the encoding
/// tables of docs/ISA.md, generated from the instruction table).
void registerQ4ATranslations();
} // namespace mlir::q4a

#endif // QUANT4_TARGET_Q4A_TRANSLATE_H
