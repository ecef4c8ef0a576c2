//===- Quant4Ops.td - quant4 operations --------------------*- tablegen -*-===//
#ifndef QUANT4_OPS_TD
#define QUANT4_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "quant4/Dialect/Quant4/IR/Quant4Dialect.td"
include "quant4/Dialect/Quant4/IR/Quant4Types.td"
include "quant4/Dialect/Quant4/IR/Quant4Attrs.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Quant4_QuantizedElement : Type<
    CPred<"::mlir::quant4::isQuantizedFormat($_self)">,
    "quantized format (!quant4.log, !quant4.int, !quant4.uint, f4E2M1FN, "
    "f8E4M3FN or f8E5M2)">;
def Quant4_RealElement : AnyTypeOf<[F32, F16, BF16]>;
def Quant4_QuantizedTensor : RankedTensorOf<[Quant4_QuantizedElement]>;
def Quant4_RealTensor : RankedTensorOf<[Quant4_RealElement]>;
def Quant4_ScaleTensor : RankedTensorOf<[F32, F8E8M0FNU, F8E4M3FN]>;
def Quant4_F32Tensor : RankedTensorOf<[F32]>;
def Quant4_F32Scalar : 0DTensorOf<[F32]>,
    BuildableType<"::mlir::RankedTensorType::get({}, $_builder.getF32Type())">;
def Quant4_CodesAttr : Attr<
    CPred<"::llvm::isa<::mlir::DenseIntElementsAttr>($_self) && "
          "::llvm::cast<::mlir::DenseIntElementsAttr>($_self).getType()"
          ".getElementType().isUnsignedInteger(8)">,
    "dense ui8 elements (format codes)"> {
  let storageType = "::mlir::DenseIntElementsAttr";
  let returnType = "::mlir::DenseIntElementsAttr";
  let convertFromStorage = "::llvm::cast<::mlir::DenseIntElementsAttr>($_self)";
}
def Quant4_PolicyAttrConstraint : Attr<
    CPred<"::llvm::isa<::mlir::quant4::ScalePolicyAttrInterface>($_self)">,
    "scale policy attribute"> {
  let storageType = "::mlir::Attribute";
  let returnType = "::mlir::quant4::ScalePolicyAttrInterface";
  let convertFromStorage = "::llvm::cast<::mlir::quant4::ScalePolicyAttrInterface>($_self)";
}

//===----------------------------------------------------------------------===//
// quant4.constant
//===----------------------------------------------------------------------===//

def Quant4_ConstantOp : Quant4_Op<"constant", [ConstantLike, Pure]> {
  let summary = "A constant quantized tensor, given by its codes";
  let description = [{
    Holds the codes of a quantized tensor, one `ui8` per element in row-major
    order, each below 2^width of the result's format. It is what the folders
    produce when they quantize a constant.

    ```mlir
    %c = quant4.constant dense<[0, 1, 7, 9]> : tensor<4xui8>
        -> tensor<4x!quant4.log<4, 3, 0>>
    ```
  }];
  let arguments = (ins Quant4_CodesAttr:$codes);
  let results = (outs Quant4_QuantizedTensor:$result);
  let assemblyFormat = "$codes attr-dict `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// quant4.quantize / dequantize / fake_quant
//===----------------------------------------------------------------------===//

def Quant4_QuantizeOp : Quant4_Op<"quantize",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "Round a real tensor to a quantized format";
  let description = [{
    Each element becomes `encode(x / scale)` of the result's element format
    under the rounding rule, where `scale` is the element's entry of the
    scale tensor (shape per `granularity`, default one scale per tensor)
    times the optional per-tensor `tensor_scale` (two-level block scaling).
    Stochastic rules need a `seed`; the random draw of element i is keyed
    by (seed, stream, i), with i the row-major element index, so the result
    does not depend on evaluation order or threads.

    ```mlir
    %q = quant4.quantize %g, %s seed %seed rounding<stochastic> {stream = 3}
        : tensor<64x10xf32>, tensor<f32> -> tensor<64x10x!quant4.log<2, 3, 0>>
    ```
  }];
  let arguments = (ins Quant4_RealTensor:$input, Quant4_ScaleTensor:$scale,
                       Optional<Quant4_F32Tensor>:$tensor_scale,
                       Optional<I64>:$seed,
                       Quant4_RoundingAttr:$rounding,
                       OptionalAttr<Quant4_GranularityAttr>:$granularity,
                       DefaultValuedAttr<I64Attr, "0">:$stream);
  let results = (outs Quant4_QuantizedTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`tensor_scale` $tensor_scale^)? (`seed` $seed^)?
    `rounding` `` $rounding (`granularity` `` $granularity^)? attr-dict
    `:` type($input) `,` type($scale) (`,` type($tensor_scale)^)?
    `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Quant4_DequantizeOp : Quant4_Op<"dequantize", [Pure]> {
  let summary = "Real value of a quantized tensor";
  let description = [{
    Each element becomes `decode(code) * scale` (times `tensor_scale` when
    present), computed in float32, then converted to the result type.

    ```mlir
    %x = quant4.dequantize %q, %s
        : tensor<64x10x!quant4.log<4, 3, 0>>, tensor<f32> -> tensor<64x10xf32>
    ```
  }];
  let arguments = (ins Quant4_QuantizedTensor:$input, Quant4_ScaleTensor:$scale,
                       Optional<Quant4_F32Tensor>:$tensor_scale,
                       OptionalAttr<Quant4_GranularityAttr>:$granularity);
  let results = (outs Quant4_RealTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`tensor_scale` $tensor_scale^)?
    (`granularity` `` $granularity^)? attr-dict
    `:` type($input) `,` type($scale) (`,` type($tensor_scale)^)?
    `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Quant4_FakeQuantOp : Quant4_Op<"fake_quant",
    [Pure, AttrSizedOperandSegments, AllTypesMatch<["input", "result"]>]> {
  let summary = "Quantize and dequantize in one step";
  let description = [{
    `dequantize(quantize(x))` to the given `format` with the same scale,
    rounding, seed and stream; the result has the input's type.

    ```mlir
    %y = quant4.fake_quant %x, %s to !quant4.int<4> rounding<nearest>
        : tensor<64x256xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins Quant4_RealTensor:$input, Quant4_ScaleTensor:$scale,
                       Optional<Quant4_F32Tensor>:$tensor_scale,
                       Optional<I64>:$seed,
                       TypeAttr:$format,
                       Quant4_RoundingAttr:$rounding,
                       OptionalAttr<Quant4_GranularityAttr>:$granularity,
                       DefaultValuedAttr<I64Attr, "0">:$stream);
  let results = (outs Quant4_RealTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`tensor_scale` $tensor_scale^)? (`seed` $seed^)?
    `to` $format `rounding` `` $rounding (`granularity` `` $granularity^)?
    attr-dict `:` type($input) `,` type($scale) (`,` type($tensor_scale)^)?
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// quant4.dropout
//===----------------------------------------------------------------------===//

def Quant4_DropoutOp : Quant4_Op<"dropout",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Random dropout drawn from the counter-based generator";
  let description = [{
    Training-mode dropout: element `i` (row-major) of `input` is dropped
    (multiplied by 0) with probability `ratio` and otherwise multiplied by
    `1 / (1 - ratio)`, the draw keyed by (`seed`, `stream`, `i`) — the rule
    `num::dropout` of Numerics (docs/Formats.md, C49). The result depends on
    the seed and the element index only: not on the thread count or the
    evaluation order. The same seed and stream drop the same elements of any
    tensor of the same shape, so the op is its own derivative: the gradient
    of `%y` flows back through `quant4.dropout %g seed %s ratio r` with the
    forward's stream. `ratio = 0` is the identity (folded).

    ```mlir
    %y = quant4.dropout %x seed %seed ratio 2.000000e-01 {stream = 1099511627776}
        : tensor<64x1280xf32>
    ```
  }];
  let arguments = (ins Quant4_F32Tensor:$input, I64:$seed, F64Attr:$ratio,
                       DefaultValuedAttr<I64Attr, "0">:$stream);
  let results = (outs Quant4_F32Tensor:$result);
  let assemblyFormat = [{
    $input `seed` $seed `ratio` $ratio attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// quant4.pact_calibrate
//===----------------------------------------------------------------------===//

def Quant4_PactCalibrateOp : Quant4_Op<"pact_calibrate", [Pure]> {
  let summary = "PACT's clip alpha calibrated on a tensor";
  let description = [{
    The clip `alpha` of PACT for quantizing `input` to the unsigned `format`
    that gives the smallest squared quantization error on `input` — the rule
    `num::pactCalibrate` of Numerics (docs/Formats.md, C36): the best of 128
    candidates `amax * k / 128`, the error taken on a 2048-bin histogram of
    the positive elements. `fallback` is the result when no element is
    positive and finite.

    The recipe option `pact-calibrate` puts one per PACT layer in
    `@<step>_calibrate_state`, which the training driver calls on the first
    batch so that each layer's alpha starts where its activations are rather
    than at `pact-alpha-init` (docs/Recipes.md).

    ```mlir
    %alpha = quant4.pact_calibrate %x, %alpha0 for !quant4.uint<4>
        : tensor<64x12x12x6xf32>
    ```
  }];
  let arguments = (ins Quant4_F32Tensor:$input, Quant4_F32Scalar:$fallback,
                       TypeAttr:$format);
  let results = (outs Quant4_F32Scalar:$alpha);
  let assemblyFormat = [{
    $input `,` $fallback `for` $format attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// quant4.scale
//===----------------------------------------------------------------------===//

def Quant4_ScaleOp : Quant4_Op<"scale", [Pure]> {
  let summary = "Compute a scale (and new state) under an adaptive policy";
  let description = [{
    Computes the scale for quantizing `input` to `format` under `policy`,
    with one scale per `granularity` group. Stateful policies read their
    state from the `state` operands and return the updated state as extra
    results, so state is threaded functionally through the training step:

    | policy      | state operands          | results                     |
    |-------------|-------------------------|-----------------------------|
    | `amax`      | —                       | scale                       |
    | `gradscale` | previous scale          | scale (= next state)        |
    | `delayed`   | amax history, old scale | scale, new history          |
    | `sawb`      | —                       | scale                       |
    | `pact`      | α                       | scale                       |
    | `block`     | —                       | block scales [, tensor scale] |

    ```mlir
    %s = quant4.scale #quant4.gradscale %g state(%s0 : tensor<f32>)
        for !quant4.log<4, 3, 0> : tensor<64x10xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins Quant4_PolicyAttrConstraint:$policy,
                       Quant4_RealTensor:$input,
                       Variadic<Quant4_F32Tensor>:$state,
                       TypeAttr:$format,
                       OptionalAttr<Quant4_GranularityAttr>:$granularity);
  let results = (outs Quant4_ScaleTensor:$scale,
                      Variadic<Quant4_F32Tensor>:$extra);
  let assemblyFormat = [{
    $policy $input (`state` `(` $state^ `:` type($state) `)`)?
    `for` $format (`granularity` `` $granularity^)? attr-dict
    `:` type($input) `->` type($scale) (`,` type($extra)^)?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// quant4.matmul / quant4.conv2d
//===----------------------------------------------------------------------===//

def Quant4_MatmulOp : Quant4_Op<"matmul", [Pure]> {
  let summary = "GEMM on quantized operands with an explicit accumulation";
  let description = [{
    C = op(A)·op(B) where op transposes a 2-D operand when `transpose_lhs` /
    `transpose_rhs` is set. A and B are quantized tensors with their scales
    (granularities `lhs_granularity`, `rhs_granularity`, default per
    tensor; block granularity along the reduction dimension for MX/NVFP4,
    whose per-tensor FP32 scales are passed as `tensor_scales`). Products
    of decoded codes are summed under `accumulation` in increasing order of
    the reduction index, then scaled; see docs/Formats.md for the exact
    rule. The result is float32.

    Canonicalization: an operand `quant4.quantize(linalg.transpose(x))`
    with a per-tensor scale and a nearest rounding rule becomes
    `quant4.quantize(x)` read through the transpose flag (element-wise
    rounding commutes with the transpose), reusing an earlier quantize of
    `x` with the same scale and rule — so a backward GEMM takes the forward
    pass's codes of the weight or activation instead of quantizing its
    transpose again.

    ```mlir
    %y = quant4.matmul %x4, %w4 scales(%sx, %sw) acc<f16>
        : tensor<64x784x!quant4.uint<4>>, tensor<784x256x!quant4.int<4>>,
          tensor<f32>, tensor<f32> -> tensor<64x256xf32>
    ```
  }];
  let arguments = (ins Quant4_QuantizedTensor:$lhs, Quant4_QuantizedTensor:$rhs,
                       Quant4_ScaleTensor:$lhs_scale,
                       Quant4_ScaleTensor:$rhs_scale,
                       Variadic<Quant4_F32Tensor>:$tensor_scales,
                       Quant4_AccumulationAttr:$accumulation,
                       OptionalAttr<Quant4_GranularityAttr>:$lhs_granularity,
                       OptionalAttr<Quant4_GranularityAttr>:$rhs_granularity,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs Quant4_F32Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `scales` `(` $lhs_scale `,` $rhs_scale `)`
    (`tensor_scales` `(` $tensor_scales^ `)`)?
    `acc` `` $accumulation attr-dict
    `:` type($lhs) `,` type($rhs) `,` type($lhs_scale) `,` type($rhs_scale)
    (`,` type($tensor_scales)^)? `->` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Quant4_Conv2DOp : Quant4_Op<"conv2d", [Pure]> {
  let summary = "2-D convolution (NHWC × HWCF) on quantized operands";
  let description = [{
    out[n, oh, ow, f] = Σ_{kh, kw, c} in[n, oh·sh + kh·dh, ow·sw + kw·dw, c]
    · filter[kh, kw, c, f], the dot product taken in (kh, kw, c) order under
    `accumulation`, as linalg.conv_2d_nhwc_hwcf without padding (pad the
    quantized input with the zero code first). Scales as for
    `quant4.matmul`: the input per tensor, the filter per tensor or per
    output channel (`filter_granularity = #quant4.granularity<axis = 3>`).

    ```mlir
    %y = quant4.conv2d %x4, %k4 scales(%sx, %sk) acc<f16>
        : tensor<8x28x28x1x!quant4.uint<4>>, tensor<5x5x1x6x!quant4.int<4>>,
          tensor<f32>, tensor<f32> -> tensor<8x24x24x6xf32>
    ```
  }];
  let arguments = (ins Quant4_QuantizedTensor:$input,
                       Quant4_QuantizedTensor:$filter,
                       Quant4_ScaleTensor:$input_scale,
                       Quant4_ScaleTensor:$filter_scale,
                       Variadic<Quant4_F32Tensor>:$tensor_scales,
                       Quant4_AccumulationAttr:$accumulation,
                       OptionalAttr<Quant4_GranularityAttr>:$input_granularity,
                       OptionalAttr<Quant4_GranularityAttr>:$filter_granularity,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations);
  let results = (outs Quant4_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $filter `scales` `(` $input_scale `,` $filter_scale `)`
    (`tensor_scales` `(` $tensor_scales^ `)`)?
    `acc` `` $accumulation attr-dict
    `:` type($input) `,` type($filter) `,` type($input_scale) `,`
    type($filter_scale) (`,` type($tensor_scales)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // QUANT4_OPS_TD
