//===- Quant4Enums.td - quant4 enumerations ----------------*- tablegen -*-===//
#ifndef QUANT4_ENUMS_TD
#define QUANT4_ENUMS_TD

include "mlir/IR/EnumAttr.td"
include "quant4/Dialect/Quant4/IR/Quant4Dialect.td"

def Quant4_RoundingKind : I32EnumAttr<"RoundingKind", "rounding rule", [
    I32EnumAttrCase<"nearest", 0>,
    I32EnumAttrCase<"nearest_log", 1>,
    I32EnumAttrCase<"nearest_even", 2>,
    I32EnumAttrCase<"stochastic", 3>,
    I32EnumAttrCase<"stochastic_underflow", 4>]> {
  let cppNamespace = "::mlir::quant4";
  let genSpecializedAttr = 0;
}

def Quant4_RoundingAttr : EnumAttr<Quant4_Dialect, Quant4_RoundingKind,
                                   "rounding"> {
  let summary = "How a real value is rounded to a format's levels";
  let description = [{
    * `nearest` — nearest level, threshold at the linear-domain midpoint of
      two neighbouring levels (the 4-bit training paper's rule: between
      4^(n-1) and 4^n the threshold is 2.5·4^(n-1)).
    * `nearest_log` — nearest level in the log domain (threshold at the
      geometric mean of two neighbours). Log formats only.
    * `nearest_even` — nearest level, ties to the even code.
    * `stochastic` — unbiased stochastic rounding between the two
      neighbouring levels, drawn from a counter-based generator keyed by
      (seed, stream, element index).
    * `stochastic_underflow` — LUQ: stochastic underflow below the smallest
      level and log-stochastic rounding above it. Log formats only.

    ```mlir
    #quant4.rounding<stochastic>
    ```
  }];
  let assemblyFormat = "`<` $value `>`";
}

def Quant4_AccumulationKind : I32EnumAttr<"AccumulationKind",
    "accumulation of a quantized GEMM or convolution", [
    I32EnumAttrCase<"f32", 0>,
    I32EnumAttrCase<"f16", 1>,
    I32EnumAttrCase<"f16_chunked", 2>,
    I32EnumAttrCase<"exact", 3>]> {
  let cppNamespace = "::mlir::quant4";
  let genSpecializedAttr = 0;
}

def Quant4_GranularityKind : I32EnumAttr<"GranularityKind",
    "granularity of a scale", [
    I32EnumAttrCase<"tensor", 0>,
    I32EnumAttrCase<"axis", 1>,
    I32EnumAttrCase<"block", 2>]> {
  let cppNamespace = "::mlir::quant4";
  let genSpecializedAttr = 0;
}

#endif // QUANT4_ENUMS_TD
