//===- Quant4Attrs.td - quant4 attributes ------------------*- tablegen -*-===//
#ifndef QUANT4_ATTRS_TD
#define QUANT4_ATTRS_TD

include "mlir/IR/AttrTypeBase.td"
include "quant4/Dialect/Quant4/IR/Quant4Enums.td"
include "quant4/Dialect/Quant4/IR/Quant4AttrInterfaces.td"

class Quant4_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Quant4_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

class Quant4_PolicyAttr<string name, string attrMnemonic, int nstate, int nextra>
    : Quant4_Attr<name, attrMnemonic, [Quant4_ScalePolicyAttrInterface]> {
  let extraClassDeclaration = [{
    ::llvm::StringRef getPolicyName() const { return "}] # attrMnemonic # [{"; }
    unsigned getNumStateOperands() const { return }] # nstate # [{; }
    unsigned getNumExtraResults() const { return }] # nextra # [{; }
  }];
}

def Quant4_AmaxAttr : Quant4_PolicyAttr<"Amax", "amax", 0, 0> {
  let summary = "Just-in-time max-abs scaling";
  let description = [{
    scale = amax(x) / max(format), where amax is taken over the elements
    sharing a scale (per the granularity). With `pow2`, the scale is rounded
    up to a power of two. No state.

    ```mlir
    %s = quant4.scale #quant4.amax<pow2> %x for !quant4.int<4>
        : tensor<64x256xf32> -> tensor<f32>
    ```
  }];
  let parameters = (ins DefaultValuedParameter<"bool", "false">:$pow2);
  let hasCustomAssemblyFormat = 1;
}

def Quant4_GradScaleAttr : Quant4_PolicyAttr<"GradScale", "gradscale", 1, 0> {
  let summary = "Per-layer adaptive gradient scale (4-bit training)";
  let description = [{
    State: the previous scale. The scale is doubled or halved so that
    amax(x)/scale stays in (max/2, max]; a zero or non-finite amax keeps the
    previous scale. The result is both this step's scale and the next
    step's state.

    ```mlir
    %s = quant4.scale #quant4.gradscale %g state(%s_old : tensor<f32>)
        for !quant4.log<4, 3, 0> : tensor<64x10xf32> -> tensor<f32>
    ```
  }];
  let hasCustomAssemblyFormat = 1;
}

def Quant4_DelayedAttr : Quant4_PolicyAttr<"Delayed", "delayed", 2, 1> {
  let summary = "Delayed scaling from an amax history (FP8 style)";
  let description = [{
    State: the amax history (a 1-D tensor of `history` floats) and the
    previous scale. The scale is computed from the maximum of the history:
    scale = amax_hist · 2^margin / max(format); a zero or non-finite history
    maximum keeps the previous scale. Results: the scale, then the history
    with amax(x) pushed in.

    ```mlir
    %s, %h1 = quant4.scale #quant4.delayed<history = 16, margin = 0> %x
        state(%h0, %s0 : tensor<16xf32>, tensor<f32>) for f8E4M3FN
        : tensor<64x256xf32> -> tensor<f32>, tensor<16xf32>
    ```
  }];
  let parameters = (ins "unsigned":$history,
                        DefaultValuedParameter<"int", "0">:$margin);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Quant4_SawbAttr : Quant4_PolicyAttr<"Sawb", "sawb", 0, 0> {
  let summary = "Statistics-aware weight binning";
  let description = [{
    clip = c0·sqrt(E[w²]) + c1·E|w| with the published coefficients for the
    format's bit width; scale = clip / (2^(bits-1) - 1). Signed integer
    formats only. No state.

    ```mlir
    %s = quant4.scale #quant4.sawb %w for !quant4.int<4>
        : tensor<784x256xf32> -> tensor<f32>
    ```
  }];
  let hasCustomAssemblyFormat = 1;
}

def Quant4_PactAttr : Quant4_PolicyAttr<"Pact", "pact", 1, 0> {
  let summary = "Parameterized clipping activation";
  let description = [{
    State: the trainable clip α (a rank-0 tensor; its gradient is computed
    by the training graph, not by this op). scale = α / (2^bits - 1).
    Unsigned integer formats only.

    ```mlir
    %s = quant4.scale #quant4.pact %a state(%alpha : tensor<f32>)
        for !quant4.uint<4> : tensor<64x256xf32> -> tensor<f32>
    ```
  }];
  let hasCustomAssemblyFormat = 1;
}

def Quant4_BlockAttr : Quant4_Attr<"Block", "block",
    [Quant4_ScalePolicyAttrInterface]> {
  let summary = "Block scaling (MX, NVFP4)";
  let description = [{
    One scale per block of the granularity (which must be `block`), stored
    in `scale` format: `f8E8M0FNU` (MX: a power of two shared exponent) or
    `f8E4M3FN` (NVFP4) or `f32`. With `tensor_scale`, a second, per-tensor
    FP32 scale is produced (NVFP4's two-level scaling) as an extra result.

    ```mlir
    %s = quant4.scale #quant4.block<scale = f8E8M0FNU> %x for f4E2M1FN
        granularity<block = [1, 32]>
        : tensor<64x256xf32> -> tensor<64x8xf8E8M0FNU>
    ```
  }];
  let parameters = (ins "::mlir::Type":$scale,
                        DefaultValuedParameter<"bool", "false">:$tensorScale);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    ::llvm::StringRef getPolicyName() const { return "block"; }
    unsigned getNumStateOperands() const { return 0; }
    unsigned getNumExtraResults() const { return getTensorScale() ? 1 : 0; }
  }];
}

//===----------------------------------------------------------------------===//
// Granularity and accumulation
//===----------------------------------------------------------------------===//

def Quant4_GranularityAttr : Quant4_Attr<"Granularity", "granularity"> {
  let summary = "Which elements share one scale";
  let description = [{
    * `tensor` — one scale for the whole tensor: the scale is `tensor<f32>`;
    * `axis = a` — one scale per index along dimension `a`: the scale is a
      1-D tensor of that dimension's size;
    * `block = [b0, b1, ...]` — one scale per block of b0×b1×… elements
      (one size per dimension): the scale has the same rank, with
      ceildiv(dim_i, b_i) elements along dimension i.

    An op without a granularity attribute uses `tensor`.

    ```mlir
    #quant4.granularity<axis = 1>
    #quant4.granularity<block = [1, 32]>
    ```
  }];
  let parameters = (ins "GranularityKind":$kind,
                        DefaultValuedParameter<"int64_t", "0">:$axis,
                        OptionalArrayRefParameter<"int64_t">:$block);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Quant4_AccumulationAttr : Quant4_Attr<"Accumulation", "acc"> {
  let summary = "Accumulation mode of a quantized GEMM or convolution";
  let description = [{
    * `f32` — float32, sequential over the reduction dimension;
    * `f16` — float16, rounded after every add;
    * `f16_chunked, N` — float16 within chunks of N reduction elements,
      chunk sums added in float32;
    * `exact` — wide-integer accumulation: products of the 4-bit formats
      are exact, so the sum is exact and order-independent; one rounding
      to float32 at the end. Only for operand formats whose product grid
      fits the accumulator (see docs/Formats.md).

    ```mlir
    #quant4.acc<f16_chunked, 64>
    ```
  }];
  let parameters = (ins "AccumulationKind":$kind,
                        DefaultValuedParameter<"unsigned", "0">:$chunk);
  let assemblyFormat = "`<` $kind (`,` $chunk^)? `>`";
  let genVerifyDecl = 1;
}

#endif // QUANT4_ATTRS_TD
