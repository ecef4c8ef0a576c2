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

def Quant4AnnotateRoles : Pass<"quant4-annotate-roles", "func::FuncOp"> {
  let summary = "Classify the GEMMs of a training step as fwd, dgrad or wgrad";
  let description = [{
    Runs the role analysis (`quant4/Dialect/Quant4/Analysis/Roles.h`) on a
    joint forward/backward/update function and prints its result as
    attributes: on every `linalg.matmul`, `linalg.batch_matmul`,
    `linalg.conv_2d_nhwc_hwcf` and `linalg.conv_2d_nhwc_fhwc`
    `quant4.role = "fwd" | "dgrad" | "wgrad"`, `quant4.layer = N` (0 is the
    first layer in forward order) and `quant4.layer_name`; on the function
    `quant4.num_layers`.

    Roles are inferred from data flow: parameters are function arguments
    that an op reads to produce a returned value of the same type (the
    update) or that carry `quant4.param = "name"`; a GEMM reading a
    parameter is its layer's forward GEMM, or its dgrad when its other
    operand depends on the forward GEMM; a GEMM feeding the update (or
    reading the layer's forward activation next to a gradient) is the
    wgrad. Transposes may be `linalg.transpose` ops, the GEMM's own
    `indexing_maps`, or other data-movement ops (reshape, pad, slice,
    copy-only `linalg.generic`, e.g. a filter flip). Explicit
    `quant4.role` / `quant4.layer_name` annotations on a GEMM are
    respected. A GEMM that cannot be classified is an error naming the op.
    The rules and the recognized convolution forms are in docs/Recipes.md.
  }];
  let dependentDialects = ["::mlir::quant4::Quant4Dialect"];
}

// The options of quant4-apply-recipe, shared with the three stages it runs
// (same names, defaults and checks: lib/Dialect/Quant4/Transforms/Recipes.cpp).
defvar RecipeOption = Option<"recipe", "recipe", "std::string",
    "\"ultralow4\"", "Recipe: ultralow4, luq, mxfp4, nvfp4, fp8 or fp32">;
defvar OverridesOption = ListOption<"overrides", "overrides", "std::string",
    "Per-layer recipes, LAYER:RECIPE with LAYER a layer index or name (e.g. "
    "overrides=0:fp8,fc3:fp32)">;
defvar AccumulationOption = Option<"accumulation", "accumulation",
    "std::string", "\"\"",
    "Accumulation of the quantized GEMMs (f32, f16, f16_chunked (the "
    "overflow-free chunk of each GEMM's formats), f16_chunked:<N>, exact); "
    "empty = the recipe's default">;
defvar KeepFirstOption = Option<"keepFirst", "keep-first", "bool", "true",
    "Run the first layer under edge-recipe">;
defvar KeepLastOption = Option<"keepLast", "keep-last", "bool", "true",
    "Run the last layer under edge-recipe">;
defvar EdgeRecipeOption = Option<"edgeRecipe", "edge-recipe", "std::string",
    "\"fp32\"",
    "Recipe of the kept first/last layers (fp32 or fp8, or any recipe)">;
defvar TprOption = Option<"tpr", "tpr", "bool", "true",
    "ultralow4: Two-Phase Rounding of the output gradient">;
defvar DgradPhaseOption = Option<"dgradPhase", "dgrad-phase", "unsigned", "0",
    "ultralow4 with TPR: phase of the dgrad copy (the wgrad copy gets the "
    "other phase)">;
defvar GradRoundingOption = Option<"gradRounding", "grad-rounding",
    "std::string", "\"\"",
    "Rounding of the gradient operands of every quantized GEMM (nearest, "
    "nearest_log, nearest_even, stochastic, stochastic_underflow); empty = "
    "the recipe's">;
defvar GradRadixOption = Option<"gradRadix", "grad-radix", "unsigned", "0",
    "Radix of the log-format gradient operands (ultralow4, luq): 2 or 4; "
    "0 = the recipe's. Radix 2 has no second grid: it needs tpr=false">;
defvar WgradGradOption = Option<"wgradGrad", "wgrad-grad", "std::string",
    "\"\"",
    "The recipe whose gradient rule the gradient operand of every wgrad "
    "takes (its own copy and scale state, and that recipe's accumulation "
    "for the wgrad), e.g. fp8 as the paper's MobileNetV2; empty = the "
    "layer's recipe">;
defvar SignedActOption = Option<"signedAct", "signed-act", "std::string",
    "\"auto\"",
    "Which layers after the first quantize their activations under the "
    "input-activation rule (ultralow4, LUQ: signed INT4, amax scale) instead "
    "of the unsigned one (PACT): 'auto' those whose input is not provably "
    "non-negative (not after a ReLU, clip, softmax...), 'true' all, 'false' "
    "none">;
defvar GroupScalesOption = Option<"groupScales", "group-scales", "bool",
    "true",
    "Grouped and depthwise convolutions: one weight scale per group (per "
    "channel for a depthwise convolution) instead of one per tensor (SAWB "
    "and amax weight policies)">;
defvar GradScaleOption = Option<"gradScale", "gradscale", "bool", "true",
    "ultralow4: per-layer GradScale state (off: just-in-time amax scales)">;
defvar GradScaleInitOption = Option<"gradScaleInit", "gradscale-init",
    "double", "0.0009765625", "Initial GradScale scale">;
defvar PactAlphaInitOption = Option<"pactAlphaInit", "pact-alpha-init",
    "double", "10.0", "Initial PACT clip alpha">;
defvar PactCalibrateOption = Option<"pactCalibrate", "pact-calibrate", "bool",
    "true",
    "Emit @<name>_calibrate_state, which sets each PACT alpha to the clip "
    "with the smallest squared error on a batch (quant4.pact_calibrate); "
    "quant4-run train calls it on the first batch">;
defvar PactUpdateOption = Option<"pactUpdate", "pact-update", "std::string",
    "\"sgd\"",
    "PACT alpha: 'sgd' (the step updates alpha with pact-lr) or 'grad' (the "
    "step returns dL/dalpha as an extra result)">;
defvar PactLrOption = Option<"pactLr", "pact-lr", "double", "0.01",
    "Learning rate of the PACT alpha SGD update">;
defvar Fp8HistoryOption = Option<"fp8History", "fp8-history", "unsigned",
    "16", "fp8: amax history length of delayed scaling">;
defvar Fp8MarginOption = Option<"fp8Margin", "fp8-margin", "int", "0",
    "fp8: margin (power of two) of delayed scaling">;
defvar SeedOption = Option<"seed", "seed", "std::string", "\"arg\"",
    "Seed of stochastic rounding: 'arg' (an appended i64 argument) or an "
    "integer constant">;

def Quant4ApplyRecipe : Pass<"quant4-apply-recipe", "ModuleOp"> {
  let summary = "Quantize a training step with a 4-bit training recipe";
  let description = [{
    Classifies the GEMMs of every function (as `quant4-annotate-roles`) and
    rewrites each into `quant4` ops under the recipe of its layer:
    `quant4.scale` + `quant4.quantize` per operand (format, rounding and
    scale policy by role and operand: activation, weight or gradient) and
    `quant4.matmul` / `quant4.conv2d` with the recipe's accumulation
    (forms those ops cannot express keep the linalg op on `quant4.fake_quant`
    operands). Recipes: `ultralow4` (INT4 SAWB weights, UINT4 PACT
    activations, radix-4 FP4 gradients with Two-Phase Rounding and
    per-layer GradScale, FP16 accumulation in overflow-free chunks), `luq`, `mxfp4`, `nvfp4`,
    `fp8`, `fp32`. Straight-through estimators: the weight gradient is
    masked outside the SAWB clip range, the activation gradient outside
    [0, α), and the PACT α gradient is added to the graph.

    Recipe state (GradScale scales, delayed-scaling amax histories and
    scales, PACT α) becomes extra function arguments and results, in the
    order documented in docs/Recipes.md, each tagged
    `quant4.state = "<layer>.<tensor>.<state>"`; stochastic rounding reads
    an appended `%seed: i64` argument (tagged `quant4.seed`). A companion
    function `@<name>_init_state` (tagged `quant4.init_state_of = @<name>`)
    returns the initial state.

    The pass checks all its options, then runs a pipeline of three passes,
    each of which can also be run on its own with the options it shares:
    `quant4-assign-recipes` (roles and a `quant4.recipe` on every GEMM),
    `quant4-thread-recipe-state` (state and seed through the signature,
    `@<name>_init_state`) and `quant4-quantize-by-recipe` (the GEMM
    rewrites and straight-through estimators). The recipes themselves are
    a table (`quant4/Dialect/Quant4/Transforms/Recipes.h`).

    Example: `quant4-opt --quant4-apply-recipe="recipe=ultralow4
    overrides=fc3:fp8 dgrad-phase=1"`.
  }];
  let dependentDialects = ["::mlir::quant4::Quant4Dialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::func::FuncDialect"];
  let options = [
    RecipeOption, OverridesOption, AccumulationOption, KeepFirstOption,
    KeepLastOption, EdgeRecipeOption, TprOption, DgradPhaseOption,
    GradRoundingOption, GradRadixOption, WgradGradOption, SignedActOption,
    GroupScalesOption, GradScaleOption, GradScaleInitOption, PactAlphaInitOption,
    PactCalibrateOption, PactUpdateOption, PactLrOption, Fp8HistoryOption,
    Fp8MarginOption, SeedOption,
  ];
}

def Quant4AssignRecipes : Pass<"quant4-assign-recipes", "ModuleOp"> {
  let summary = "Annotate every GEMM of a training step with its layer's "
                "recipe";
  let description = [{
    The first stage of `quant4-apply-recipe`. Runs the role analysis on
    every function (except state initializers), writes its result as
    `quant4-annotate-roles` does (`quant4.role`, `quant4.layer`,
    `quant4.layer_name`, `quant4.num_layers`), and gives every GEMM its
    layer's recipe as `quant4.recipe = "<recipe>"`: `recipe`, then
    `edge-recipe` for the first and last layers (`keep-first`,
    `keep-last`), then `overrides`. A layer named in `overrides` that the
    function does not have is an error listing its layers.
  }];
  let dependentDialects = ["::mlir::quant4::Quant4Dialect"];
  let options = [
    RecipeOption, OverridesOption, KeepFirstOption, KeepLastOption,
    EdgeRecipeOption,
  ];
}

def Quant4ThreadRecipeState : Pass<"quant4-thread-recipe-state", "ModuleOp"> {
  let summary = "Thread the state of the recipes through the signature of a "
                "training step and emit its initializer";
  let description = [{
    The second stage of `quant4-apply-recipe`, on GEMMs that carry
    `quant4.recipe`. Appends one argument and one result per state tensor of
    the recipes' scale policies (GradScale scale, delayed-scaling amax
    history and scale, PACT α), in the order of docs/Recipes.md §3, each
    tagged `quant4.state = "<layer>.<site>.<kind>"`, and an `i64` argument
    tagged `quant4.seed` when some operand is rounded stochastically and
    `seed=arg`. Each new result returns its argument unchanged; the next
    stage (`quant4-quantize-by-recipe`) returns the updated state. Emits
    `func.func @<name>_init_state() -> (state...)`, tagged
    `quant4.init_state_of = @<name>`, which returns the initial values.
  }];
  let dependentDialects = ["::mlir::quant4::Quant4Dialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
  let options = [
    TprOption, GradRoundingOption, GradRadixOption, WgradGradOption,
    SignedActOption, GradScaleOption, GradScaleInitOption, PactAlphaInitOption,
    Fp8HistoryOption, SeedOption,
  ];
}

def Quant4QuantizeByRecipe : Pass<"quant4-quantize-by-recipe", "ModuleOp"> {
  let summary = "Rewrite the GEMMs of a training step into quant4 ops by "
                "their recipe, role and operand kinds";
  let description = [{
    The third stage of `quant4-apply-recipe`, after
    `quant4-thread-recipe-state` with the same options. Rewrites every GEMM
    whose `quant4.recipe` quantizes into `quant4.scale` + `quant4.quantize`
    per operand and `quant4.matmul` / `quant4.conv2d` (or `quant4.fake_quant`
    operands of the linalg op), reading and updating the state arguments
    by their `quant4.state` names and the seed from the `quant4.seed`
    argument (or the constant `seed`), and inserts the straight-through
    estimators (SAWB mask of the weight gradient; PACT mask and α gradient,
    applied by SGD or, with `pact-update=grad`, returned as results tagged
    `quant4.state_grad`). With `pact-calibrate` (the default) and PACT
    layers, it emits `@<name>_calibrate_state`, tagged
    `quant4.calibrate_state_of = @<name>`: the step's arguments in, its
    state out, each PACT α replaced by `quant4.pact_calibrate` of the
    activation it clips (the layers before it quantized with their
    calibrated α), every other state tensor passed through.
  }];
  let dependentDialects = ["::mlir::quant4::Quant4Dialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::func::FuncDialect"];
  let options = [
    AccumulationOption, TprOption, DgradPhaseOption, GradRoundingOption,
    GradRadixOption, WgradGradOption, SignedActOption, GroupScalesOption,
    GradScaleOption, PactCalibrateOption, PactUpdateOption, PactLrOption,
    Fp8HistoryOption, Fp8MarginOption, SeedOption,
  ];
}

def Quant4AttachCounters : Pass<"quant4-attach-counters", "ModuleOp"> {
  let summary = "Give the quantized operands and results of a training "
                "step's GEMMs numerics counters";
  let description = [{
    Instrumentation for `quant4-run train --verbose` (docs/Recipes.md,
    "Numerics counters"). In every training step (a function carrying
    `quant4.forward` or a `quant4.labels` argument; or the functions named
    by `functions`), each `quant4.quantize` or `quant4.fake_quant` that is
    an operand of a GEMM with a role (`quant4.matmul`, `quant4.conv2d`, or a
    linalg GEMM on fake-quantized operands) gets `quant4.counter = N`, and so
    does each `quant4.matmul` / `quant4.conv2d` for its result. The module
    gets `quant4.counters`, the name of counter N at position N:
    `<layer>/<role>/<operand>` with operand `act`, `weight` or `grad` (by
    the role: fwd reads act and weight, dgrad grad and weight, wgrad act and
    grad) or `out`. `convert-quant4-to-cpu` lowers a counter to a runtime
    call after the op that adds what it did: elements, elements quantized to
    zero from a non-zero value, elements beyond the format's largest level
    (saturated), NaN and infinite inputs; for a result, its elements and
    the non-finite ones. Running it twice renumbers; other functions are
    untouched.
  }];
  let dependentDialects = ["::mlir::quant4::Quant4Dialect"];
  let options = [
    ListOption<"functions", "functions", "std::string",
      "The functions to instrument (default: the training steps)">,
  ];
}

#endif // QUANT4_TRANSFORMS_PASSES_TD
