// State threading, per-layer overrides, seed and accumulation options.
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=ultralow4 overrides=layer2:fp8,0:luq pact-update=grad seed=42" | FileCheck %s
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=ultralow4 edge-recipe=fp8 accumulation=f16_chunked:64 gradscale-init=0.5 pact-alpha-init=6.0 fp8-history=4 fp8-margin=1" | FileCheck %s --check-prefix=EDGE

// Overrides by index (0 -> luq) and by name (layer2 -> fp8) win over
// keep-first/keep-last. State: per layer in order, per tensor (act, weight,
// grad, dgrad, wgrad), per policy (history before scale). The seed is a
// constant; in 'grad' mode dL/dalpha is returned after the state.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %arg6: f32, %[[A1:arg7]]: tensor<f32> {quant4.state = "layer1.act.pact_alpha"}, %arg8: tensor<f32> {quant4.state = "layer1.dgrad.gradscale"}, %arg9: tensor<f32> {quant4.state = "layer1.wgrad.gradscale"}, %arg10: tensor<16xf32> {quant4.state = "layer2.act.amax_history"}, %arg11: tensor<f32> {quant4.state = "layer2.act.scale"}, %arg12: tensor<16xf32> {quant4.state = "layer2.weight.amax_history"}, %arg13: tensor<f32> {quant4.state = "layer2.weight.scale"}, %arg14: tensor<16xf32> {quant4.state = "layer2.grad.amax_history"}, %arg15: tensor<f32> {quant4.state = "layer2.grad.scale"})
// CHECK-SAME: -> (tensor<16x32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32x4xf32>, tensor<f32>, tensor<f32> {quant4.state = "layer1.act.pact_alpha"}, tensor<f32> {quant4.state = "layer1.dgrad.gradscale"}, tensor<f32> {quant4.state = "layer1.wgrad.gradscale"}, tensor<16xf32> {quant4.state = "layer2.act.amax_history"}, tensor<f32> {quant4.state = "layer2.act.scale"}, tensor<16xf32> {quant4.state = "layer2.weight.amax_history"}, tensor<f32> {quant4.state = "layer2.weight.scale"}, tensor<16xf32> {quant4.state = "layer2.grad.amax_history"}, tensor<f32> {quant4.state = "layer2.grad.scale"}, tensor<f32> {quant4.state_grad = "layer1.act.pact_alpha"})
// CHECK: %[[SEED:.*]] = arith.constant 42 : i64
// CHECK: quant4.matmul {{.*}}quant4.recipe = "luq", quant4.role = "fwd"
// CHECK: quant4.matmul {{.*}}quant4.recipe = "ultralow4", quant4.role = "fwd"
// CHECK: quant4.matmul {{.*}}quant4.recipe = "fp8", quant4.role = "fwd"
// CHECK: %[[DA:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} ins(%{{.*}}, %{{.*}}, %[[A1]] :
// CHECK: quant4.quantize {{.*}} seed %[[SEED]] rounding<stochastic_underflow>
// alpha is passed through unchanged; its gradient is the last result.
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[A1]], {{.*}}, %[[DA]] :
// CHECK: func.func @train_step_init_state() -> (tensor<f32> {quant4.state = "layer1.act.pact_alpha"}, tensor<f32> {quant4.state = "layer1.dgrad.gradscale"}, tensor<f32> {quant4.state = "layer1.wgrad.gradscale"}, tensor<16xf32> {quant4.state = "layer2.act.amax_history"}, tensor<f32> {quant4.state = "layer2.act.scale"}, tensor<16xf32> {quant4.state = "layer2.weight.amax_history"}, tensor<f32> {quant4.state = "layer2.weight.scale"}, tensor<16xf32> {quant4.state = "layer2.grad.amax_history"}, tensor<f32> {quant4.state = "layer2.grad.scale"}) attributes {quant4.init_state_of = @train_step}

// Kept first/last layers run FP8; the accumulation option applies to every
// quantized GEMM; initial values come from the options.
// EDGE-LABEL: func.func @train_step(
// EDGE-SAME: %arg7: tensor<4xf32> {quant4.state = "layer0.act.amax_history"}
// EDGE: quant4.scale #quant4.delayed<history = 4, margin = 1> %arg4 state(%arg7, %arg8 : tensor<4xf32>, tensor<f32>) for f8E4M3FN
// EDGE: quant4.matmul {{.*}} acc<f16_chunked, 64> {{{.*}}quant4.recipe = "fp8", quant4.role = "fwd"}
// EDGE: quant4.matmul {{.*}} acc<f16_chunked, 64> {{{.*}}quant4.recipe = "ultralow4", quant4.role = "fwd"}
// EDGE-NOT: acc<f16>
// EDGE-NOT: acc<f32>
// EDGE-LABEL: func.func @train_step_init_state()
// EDGE: arith.constant dense<0.000000e+00> : tensor<4xf32>
// EDGE: arith.constant dense<1.000000e+00> : tensor<f32>
// EDGE: arith.constant dense<6.000000e+00> : tensor<f32>
// EDGE-NEXT: arith.constant dense<5.000000e-01> : tensor<f32>
