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

    The dialect also declares the discardable attributes that passes and
    drivers exchange on training steps — on GEMMs `quant4.role`,
    `quant4.layer`, `quant4.layer_name`, `quant4.recipe`; on functions
    `quant4.num_layers`, `quant4.forward`, `quant4.init_state_of`,
    `quant4.calibrate_state_of`, `quant4.params_of`, `quant4.signature`; on
    arguments and results
    `quant4.param`, `quant4.momentum`, `quant4.second_moment`,
    `quant4.buffer`, `quant4.state`, `quant4.state_grad`, `quant4.grad`,
    `quant4.hyper`, `quant4.seed`, `quant4.batch`, `quant4.labels`,
    `quant4.loss`, `quant4.correct` — and its verifier rejects an unknown one, one in the
    wrong place, or a malformed value (docs/Recipes.md, "The attribute
    contract", rules A1-A6). Enumerated values are the enums below
    (`GemmRole`, `Recipe`, `ScaleSite`, `StateKind`, `HyperParam`), kept as
    strings in the IR:

    ```mlir
    %y = linalg.matmul {quant4.role = "fwd", quant4.layer = 0 : i64,
                        quant4.layer_name = "fc1", quant4.recipe = "ultralow4"}
           ins(%x, %w : tensor<8x16xf32>, tensor<16x4xf32>)
           outs(%z : tensor<8x4xf32>) -> tensor<8x4xf32>
    ```
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  // Folded real-valued tensors materialize as arith.constant.
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  // The training-step contract: every `quant4.*` attribute that passes and
  // drivers put on ops, functions, arguments and results. Declared once
  // here (the generated helpers give their names and storage types;
  // quant4/Dialect/Quant4/IR/DiscardableAttrs.h adds typed accessors) and
  // checked by the dialect's attribute verifiers (docs/Recipes.md, "The
  // attribute contract").
  let discardableAttrs = (ins
    // On GEMMs and convolutions (linalg ops, quant4.matmul, quant4.conv2d).
    "::mlir::StringAttr":$role,
    "::mlir::IntegerAttr":$layer,
    "::mlir::StringAttr":$layer_name,
    "::mlir::StringAttr":$recipe,
    // Numerics counters (quant4-attach-counters): the counter index on a
    // quant4.quantize / fake_quant / matmul / conv2d, the names on the
    // module.
    "::mlir::IntegerAttr":$counter,
    "::mlir::ArrayAttr":$counters,
    // Profiling (quant4-cpu-profile-regions): on the module, what each timed
    // op of the compiled code is, by region index.
    "::mlir::ArrayAttr":$profile_regions,
    // On functions.
    "::mlir::IntegerAttr":$num_layers,
    "::mlir::FlatSymbolRefAttr":$forward,
    "::mlir::FlatSymbolRefAttr":$init_state_of,
    "::mlir::FlatSymbolRefAttr":$calibrate_state_of,
    "::mlir::FlatSymbolRefAttr":$params_of,
    "::mlir::TypeAttr":$signature,
    // On function arguments and/or results.
    "::mlir::StringAttr":$param,
    "::mlir::StringAttr":$momentum,
    "::mlir::StringAttr":$second_moment,
    "::mlir::StringAttr":$buffer,
    "::mlir::StringAttr":$state,
    "::mlir::StringAttr":$state_grad,
    // A parameter's gradient: a result of a split step's gradient function,
    // an argument of its update function.
    "::mlir::StringAttr":$grad,
    "::mlir::StringAttr":$hyper,
    "::mlir::UnitAttr":$seed,
    "::mlir::UnitAttr":$batch,
    // A data argument whose every element is >= 0 (the driver's images):
    // the sign analysis of quant4-apply-recipe may rely on it.
    "::mlir::UnitAttr":$non_negative,
    "::mlir::UnitAttr":$labels,
    "::mlir::UnitAttr":$loss,
    "::mlir::UnitAttr":$correct
  );
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let extraClassDeclaration = [{
    void registerTypes();
    void registerAttributes();
  }];
}

class Quant4_Op<string mnemonic, list<Trait> traits = []>
    : Op<Quant4_Dialect, mnemonic, traits>;

#endif // QUANT4_DIALECT_TD
