// pact-calibrate (the default): the recipe emits @<name>_calibrate_state,
// the step's arguments in and its state out, where each PACT alpha is
// quant4.pact_calibrate of the activation it clips, the layers after it
// quantized with the calibrated alpha, every other state tensor passed
// through, and nothing of the backward pass or the updates left.
// RUN: quant4-opt %quant4_src_root/examples/lenet.mlir --quant4-apply-recipe="recipe=ultralow4" | FileCheck %s
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=ultralow4" | FileCheck %s --check-prefix=STEP
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=ultralow4 pact-calibrate=false" | FileCheck %s --check-prefix=OFF
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=fp8" | FileCheck %s --check-prefix=OFF
// Applying the recipe stage by stage gives the same function.
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-assign-recipes="recipe=ultralow4" --quant4-thread-recipe-state --quant4-quantize-by-recipe | FileCheck %s --check-prefix=STEP

// CHECK-LABEL: func.func @lenet_calibrate_state(
// CHECK-SAME: %[[A1:arg9]]: tensor<f32> {quant4.state = "conv2.weight.act.pact_alpha"}, %[[A2:arg10]]: tensor<f32> {quant4.state = "fc1.weight.act.pact_alpha"})
// CHECK-SAME: -> (tensor<f32> {quant4.state = "conv2.weight.act.pact_alpha"}, tensor<f32> {quant4.state = "fc1.weight.act.pact_alpha"})
// CHECK-SAME: attributes {quant4.calibrate_state_of = @lenet}
// CHECK: %[[C1:.*]] = quant4.pact_calibrate %[[X1:.*]], %[[A1]] for !quant4.uint<4> : tensor<64x12x12x6xf32>
// CHECK: %[[S1:.*]] = quant4.scale #quant4.pact %[[X1]] state(%[[C1]] : tensor<f32>)
// CHECK: quant4.quantize %[[X1]], %[[S1]]
// CHECK: quant4.conv2d
// CHECK: %[[C2:.*]] = quant4.pact_calibrate %{{.*}}, %[[A2]] for !quant4.uint<4> : tensor<64x256xf32>
// CHECK-NOT: quant4.matmul
// CHECK: return %[[C1]], %[[C2]] : tensor<f32>, tensor<f32>
// CHECK-NEXT: }
// CHECK: func.func @lenet_init_state()

// STEP-LABEL: func.func @train_step_calibrate_state(
// STEP-SAME: %[[A:arg7]]: tensor<f32> {quant4.state = "layer1.act.pact_alpha"}, %[[G1:arg8]]: tensor<f32> {quant4.state = "layer1.dgrad.gradscale"}, %[[G2:arg9]]: tensor<f32> {quant4.state = "layer1.wgrad.gradscale"})
// STEP-SAME: -> (tensor<f32> {quant4.state = "layer1.act.pact_alpha"}, tensor<f32> {quant4.state = "layer1.dgrad.gradscale"}, tensor<f32> {quant4.state = "layer1.wgrad.gradscale"})
// STEP-NOT: quant4.forward
// STEP: linalg.matmul {{.*}}quant4.role = "fwd"
// STEP-NOT: quant4.role = "dgrad"
// STEP-NOT: quant4.role = "wgrad"
// STEP: %[[C:.*]] = quant4.pact_calibrate %{{.*}}, %[[A]] for !quant4.uint<4> : tensor<8x32xf32>
// STEP-NEXT: return %[[C]], %[[G1]], %[[G2]] : tensor<f32>, tensor<f32>, tensor<f32>

// OFF-NOT: calibrate_state
// OFF-NOT: quant4.pact_calibrate
