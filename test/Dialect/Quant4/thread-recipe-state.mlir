// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-assign-recipes="keep-first=false" --quant4-thread-recipe-state | FileCheck %s
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-assign-recipes="recipe=fp8 keep-first=false keep-last=false" --quant4-thread-recipe-state="fp8-history=4" | FileCheck %s --check-prefix=FP8
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-assign-recipes="recipe=luq" --quant4-thread-recipe-state | FileCheck %s --check-prefix=SEED
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-assign-recipes="recipe=luq" --quant4-thread-recipe-state="seed=7" | FileCheck %s --check-prefix=CONST
// RUN: not quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-thread-recipe-state 2>&1 | FileCheck %s --check-prefix=NORECIPE
// Stage 2 of quant4-apply-recipe: the recipes' state becomes arguments and
// results of the step (docs/Recipes.md §3: by layer, site, component), each
// result returning its argument until quant4-quantize-by-recipe updates it;
// the seed is an appended argument; @<name>_init_state returns the initial
// values. The GEMMs are untouched.

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[LR:[a-z0-9]+]]: f32,
// CHECK-SAME: %[[A0:[a-z0-9]+]]: tensor<f32> {quant4.state = "layer0.wgrad.gradscale"},
// CHECK-SAME: %[[A1:[a-z0-9]+]]: tensor<f32> {quant4.state = "layer1.act.pact_alpha"},
// CHECK-SAME: %[[D1:[a-z0-9]+]]: tensor<f32> {quant4.state = "layer1.dgrad.gradscale"},
// CHECK-SAME: %[[W1:[a-z0-9]+]]: tensor<f32> {quant4.state = "layer1.wgrad.gradscale"})
// CHECK-SAME: -> (tensor<16x32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32x4xf32>, tensor<f32>,
// CHECK-SAME: tensor<f32> {quant4.state = "layer0.wgrad.gradscale"}, tensor<f32> {quant4.state = "layer1.act.pact_alpha"},
// CHECK-SAME: tensor<f32> {quant4.state = "layer1.dgrad.gradscale"}, tensor<f32> {quant4.state = "layer1.wgrad.gradscale"})
// CHECK-NOT: quant4.matmul
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[A0]], %[[A1]], %[[D1]], %[[W1]] :
// CHECK-LABEL: func.func @train_step_init_state()
// CHECK-SAME: -> (tensor<f32> {quant4.state = "layer0.wgrad.gradscale"}, tensor<f32> {quant4.state = "layer1.act.pact_alpha"}, tensor<f32> {quant4.state = "layer1.dgrad.gradscale"}, tensor<f32> {quant4.state = "layer1.wgrad.gradscale"})
// CHECK-SAME: attributes {quant4.init_state_of = @train_step}
// CHECK-DAG: %[[GS:.*]] = arith.constant dense<9.765625E-4> : tensor<f32>
// CHECK-DAG: %[[ALPHA:.*]] = arith.constant dense<1.000000e+01> : tensor<f32>
// CHECK: return %[[GS]], %[[ALPHA]], %{{.*}}, %{{.*}} :

// Delayed scaling: amax history then scale, per site.
// FP8-LABEL: func.func @train_step(
// FP8-SAME: tensor<4xf32> {quant4.state = "layer0.act.amax_history"}, %{{[a-z0-9]+}}: tensor<f32> {quant4.state = "layer0.act.scale"},
// FP8-SAME: tensor<4xf32> {quant4.state = "layer0.weight.amax_history"}, %{{[a-z0-9]+}}: tensor<f32> {quant4.state = "layer0.weight.scale"},
// FP8-SAME: tensor<4xf32> {quant4.state = "layer0.grad.amax_history"}, %{{[a-z0-9]+}}: tensor<f32> {quant4.state = "layer0.grad.scale"},
// FP8-SAME: tensor<4xf32> {quant4.state = "layer1.act.amax_history"}
// FP8-LABEL: func.func @train_step_init_state()
// FP8: arith.constant dense<0.000000e+00> : tensor<4xf32>
// FP8: arith.constant dense<1.000000e+00> : tensor<f32>

// LUQ rounds gradients stochastically: an i64 seed argument and no state.
// SEED-LABEL: func.func @train_step(
// SEED-SAME: %{{[a-z0-9]+}}: f32, %{{[a-z0-9]+}}: i64 {quant4.seed}) -> (tensor<16x32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32x4xf32>, tensor<f32>) attributes
// SEED-LABEL: func.func @train_step_init_state() attributes {quant4.init_state_of = @train_step}

// CONST-LABEL: func.func @train_step(
// CONST-SAME: %{{[a-z0-9]+}}: f32) -> (

// NORECIPE: error: 'linalg.matmul' op has no valid 'quant4.recipe' annotation (quant4-assign-recipes writes it)
