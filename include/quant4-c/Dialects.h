/*===- quant4-c/Dialects.h - C API of the quant4 dialect ----------*- C -*-===*\
|*                                                                            *|
|* For embedding quant4 in other compilers and for language bindings.       *|
|* Link: Quant4::Quant4CAPI plus upstream's MLIRCAPIIR archive and libMLIR.  *|
\*===----------------------------------------------------------------------===*/
#ifndef QUANT4_C_DIALECTS_H
#define QUANT4_C_DIALECTS_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

/* mlirGetDialectHandle__quant4__() */
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Quant4, quant4);

/* Registers the quant4 passes (and pipelines) in the global pass registry, so
 * that they can be used from mlirParsePassPipeline. */
MLIR_CAPI_EXPORTED void quant4RegisterPasses(void);

/* Registers quant4's dialects plus the upstream dialects and extensions a
 * training graph uses into `registry`. */
MLIR_CAPI_EXPORTED void quant4RegisterAllDialects(MlirDialectRegistry registry);

/* !quant4.log<radix, ebits, phase, bias>; returns a null type (and emits a
 * diagnostic at `loc`) if the parameters are invalid. */
MLIR_CAPI_EXPORTED MlirType quant4LogTypeGetChecked(MlirLocation loc,
                                                    unsigned radix,
                                                    unsigned ebits,
                                                    unsigned phase, int bias);
/* The default bias of a log format with `ebits` exponent bits: 2^(ebits-1). */
MLIR_CAPI_EXPORTED int quant4LogTypeDefaultBias(unsigned ebits);
MLIR_CAPI_EXPORTED bool quant4TypeIsALog(MlirType type);
MLIR_CAPI_EXPORTED unsigned quant4LogTypeGetRadix(MlirType type);
MLIR_CAPI_EXPORTED unsigned quant4LogTypeGetEbits(MlirType type);
MLIR_CAPI_EXPORTED unsigned quant4LogTypeGetPhase(MlirType type);
MLIR_CAPI_EXPORTED int quant4LogTypeGetBias(MlirType type);

/* !quant4.int<bits> and !quant4.uint<bits>; null on invalid bits. */
MLIR_CAPI_EXPORTED MlirType quant4IntTypeGetChecked(MlirLocation loc,
                                                    unsigned bits);
MLIR_CAPI_EXPORTED MlirType quant4UIntTypeGetChecked(MlirLocation loc,
                                                     unsigned bits);
MLIR_CAPI_EXPORTED bool quant4TypeIsAInt(MlirType type);
MLIR_CAPI_EXPORTED bool quant4TypeIsAUInt(MlirType type);
/* Bit width of any quantized format (quant4 types, f4E2M1FN, f8E4M3FN,
 * f8E5M2); 0 for other types. */
MLIR_CAPI_EXPORTED unsigned quant4FormatGetWidth(MlirType type);

/* #quant4.rounding<name>; null if `name` is not a rounding mode. */
MLIR_CAPI_EXPORTED MlirAttribute quant4RoundingAttrGet(MlirContext ctx,
                                                       MlirStringRef name);

#ifdef __cplusplus
}
#endif

#endif /* QUANT4_C_DIALECTS_H */
