//===- Passes.td - quant4 transformation passes ------------*- tablegen -*-===//
#ifndef QUANT4_TRANSFORMS_PASSES_TD
#define QUANT4_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def Quant4QuantizeGemms : Pass<"quant4-quantize-gemms", "func::FuncOp"> {
  let summary = "Quantize every FP32 linalg.matmul into quant4.matmul";
  let description = [{
    Rewrites each `linalg.matmul` on f32 tensors (default indexing maps)
    into: a `quant4.scale` per operand under the `amax` policy, a
    `quant4.quantize` of each operand to its format, and a
    `quant4.matmul` with the chosen accumulation. A non-zero
    accumulator init is added back with `linalg.add`. It is the uniform
    building block of the training recipes (which choose formats per role);
    on its own it quantizes all GEMMs alike, e.g. for ablations.

    Example: `quant4-opt --quant4-quantize-gemms="lhs-format=!quant4.uint<4>
    rhs-format=!quant4.int<4> accumulation=f16"`.

    Bad options (a type that is not a quantized format, an unknown rounding
    or accumulation) fail the pass with a diagnostic.
  }];
  let dependentDialects = ["::mlir::quant4::Quant4Dialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    Option<"lhsFormat", "lhs-format", "std::string", "\"!quant4.int<4>\"",
           "Format of the left operand (a quant4 or builtin FP4/FP8 type)">,
    Option<"rhsFormat", "rhs-format", "std::string", "\"!quant4.int<4>\"",
           "Format of the right operand">,
    Option<"rounding", "rounding", "std::string", "\"nearest\"",
           "Rounding: nearest, nearest_log, nearest_even, stochastic, "
           "stochastic_underflow">,
    Option<"accumulation", "accumulation", "std::string", "\"f32\"",
           "Accumulation: f32, f16, f16_chunked:<N>, exact">,
    Option<"pow2", "pow2", "bool", "false",
           "Round amax scales up to powers of two">,
    Option<"seed", "seed", "int64_t", "0",
           "Seed for stochastic rounding (a constant in the IR)">,
  ];
}

#endif // QUANT4_TRANSFORMS_PASSES_TD
