/*===- quant4-c/Q4A.h - C API of the Q4A target --------------------*- C -*-===*\
|*                                                                            *|
|* The q4a dialect and the Q4A emitters (docs/ISA.md) for embedding quant4 in *|
|* other compilers. Link: Quant4::Quant4CAPI plus upstream's MLIRCAPIIR.      *|
\*===----------------------------------------------------------------------===*/
#ifndef QUANT4_C_Q4A_H
#define QUANT4_C_Q4A_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

/* mlirGetDialectHandle__q4a__() */
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Q4A, q4a);

/* Prints the q4a.program in `op` (a q4a.program or an op holding exactly
 * one) as Q4A assembly, in one or more calls of `callback`. Fails (with a
 * diagnostic on the op's context) if the program is invalid. */
MLIR_CAPI_EXPORTED MlirLogicalResult quant4Q4ATranslateToAssembly(
    MlirOperation op, MlirStringCallback callback, void *userData);

/* Encodes the q4a.program in `op` as a Q4A binary (the bytes may contain
 * NULs: use the length of each MlirStringRef). */
MLIR_CAPI_EXPORTED MlirLogicalResult quant4Q4ATranslateToBinary(
    MlirOperation op, MlirStringCallback callback, void *userData);

/* Parses Q4A assembly / a Q4A binary into a new module holding one
 * q4a.program; returns a null module (and emits a diagnostic) on error. */
MLIR_CAPI_EXPORTED MlirModule quant4Q4AParseAssembly(MlirContext ctx,
                                                     MlirStringRef text);
MLIR_CAPI_EXPORTED MlirModule quant4Q4AParseBinary(MlirContext ctx,
                                                   MlirStringRef bytes);

#ifdef __cplusplus
}
#endif

#endif /* QUANT4_C_Q4A_H */
