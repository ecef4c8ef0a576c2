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

//===----------------------------------------------------------------------===//
// The training-step contract. These enums name the values of the
// discardable `quant4.*` attributes (Quant4Dialect.td): the IR keeps them as
// strings (`quant4.role = "fwd"`); the dialect verifier and the passes read
// them through the generated symbolize/stringify functions.
//===----------------------------------------------------------------------===//

def Quant4_GemmRole : I32EnumAttr<"GemmRole",
    "role of a GEMM or convolution in a training step (`quant4.role`)", [
    I32EnumAttrCase<"Forward", 0, "fwd">,
    I32EnumAttrCase<"DGrad", 1, "dgrad">,
    I32EnumAttrCase<"WGrad", 2, "wgrad">]> {
  let cppNamespace = "::mlir::quant4";
  let genSpecializedAttr = 0;
}

def Quant4_OperandKind : I32EnumAttr<"OperandKind",
    "what an operand of a classified GEMM holds", [
    I32EnumAttrCase<"Activation", 0, "act">,
    I32EnumAttrCase<"Weight", 1, "weight">,
    I32EnumAttrCase<"Gradient", 2, "grad">,
    // The two operands of a GEMM of two activations (attention's Q·Kᵀ and
    // P·V): signed, with the layer-0 activation rule; the right-hand one
    // takes the weight's scale site (the layer has no weight).
    I32EnumAttrCase<"LhsActivation", 3, "act_lhs">,
    I32EnumAttrCase<"RhsActivation", 4, "act_rhs">]> {
  let cppNamespace = "::mlir::quant4";
  let genSpecializedAttr = 0;
}

def Quant4_Recipe : I32EnumAttr<"Recipe",
    "training recipe (`quant4.recipe`, option `recipe` of "
    "quant4-apply-recipe)", [
    I32EnumAttrCase<"ultralow4", 0>,
    I32EnumAttrCase<"luq", 1>,
    I32EnumAttrCase<"mxfp4", 2>,
    I32EnumAttrCase<"nvfp4", 3>,
    I32EnumAttrCase<"fp8", 4>,
    I32EnumAttrCase<"fp32", 5>]> {
  let cppNamespace = "::mlir::quant4";
  let genSpecializedAttr = 0;
}

// The order of the cases is the order of the state arguments of a site.
def Quant4_ScaleSite : I32EnumAttr<"ScaleSite",
    "the tensor of a layer that a scale and its state belong to (the middle "
    "part of a `quant4.state` name); TPR gives the gradient two sites", [
    I32EnumAttrCase<"Act", 0, "act">,
    I32EnumAttrCase<"Weight", 1, "weight">,
    I32EnumAttrCase<"Grad", 2, "grad">,
    I32EnumAttrCase<"DGrad", 3, "dgrad">,
    I32EnumAttrCase<"WGrad", 4, "wgrad">]> {
  let cppNamespace = "::mlir::quant4";
  let genSpecializedAttr = 0;
}

def Quant4_StateKind : I32EnumAttr<"StateKind",
    "one state tensor of a scale policy (the last part of a `quant4.state` "
    "name)", [
    I32EnumAttrCase<"PactAlpha", 0, "pact_alpha">,
    I32EnumAttrCase<"GradScale", 1, "gradscale">,
    I32EnumAttrCase<"AmaxHistory", 2, "amax_history">,
    I32EnumAttrCase<"Scale", 3, "scale">]> {
  let cppNamespace = "::mlir::quant4";
  let genSpecializedAttr = 0;
}

def Quant4_Optimizer : I32EnumAttr<"Optimizer",
    "the update rule of a training step (quant4-build-training-step's "
    "`optimizer` option)", [
    I32EnumAttrCase<"SGD", 0, "sgd">,
    I32EnumAttrCase<"AdamW", 1, "adamw">]> {
  let cppNamespace = "::mlir::quant4";
  let genSpecializedAttr = 0;
}

def Quant4_HyperParam : I32EnumAttr<"HyperParam",
    "a hyper-parameter argument of a training step (`quant4.hyper`)", [
    I32EnumAttrCase<"LearningRate", 0, "lr">,
    I32EnumAttrCase<"Momentum", 1, "momentum">,
    I32EnumAttrCase<"WeightDecay", 2, "weight_decay">,
    I32EnumAttrCase<"Beta1", 3, "beta1">,
    I32EnumAttrCase<"Beta2", 4, "beta2">,
    I32EnumAttrCase<"Epsilon", 5, "epsilon">,
    I32EnumAttrCase<"Step", 6, "step">]> {
  let cppNamespace = "::mlir::quant4";
  let genSpecializedAttr = 0;
}

#endif // QUANT4_ENUMS_TD
