//===- Quant4Dialect.td - the quant4 dialect ---------------*- tablegen -*-===//
#ifndef QUANT4_DIALECT_TD
#define QUANT4_DIALECT_TD

include "mlir/IR/OpBase.td"

def Quant4_Dialect : Dialect {
  let name = "quant4";
  let cppNamespace = "::mlir::quant4";
  let summary = "Ultra-low-precision (4-bit) formats, adaptive scales and "
                "quantized tensor operations for neural-network training";
  let description = [{
    The `quant4` dialect describes how a training graph is quantized: the
    number formats a tensor is stored in (log formats such as the radix-4
    FP4 of 4-bit training, symmetric and unsigned integers, and the builtin
    FP4/FP8 types), how a real value maps to a code (rounding attributes),
    how scales are computed and adapted from step to step (scale-policy
    attributes, with their state threaded as SSA values), and the quantized
    GEMM and convolution with an explicit accumulation mode.

    Every value of a quantized tensor is `decode(code) * scale`, where the
    scale is an SSA tensor whose shape follows the granularity attribute.
    All bit-level rules live in the quant4 Numerics library; the folders of
    this dialect call it, so folding agrees bit for bit with the CPU runtime
    and the Q4A simulator.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  // Folded real-valued tensors materialize as arith.constant.
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let extraClassDeclaration = [{
    void registerTypes();
    void registerAttributes();
  }];
}

class Quant4_Op<string mnemonic, list<Trait> traits = []>
    : Op<Quant4_Dialect, mnemonic, traits>;

#endif // QUANT4_DIALECT_TD
