// RUN: quant4-opt %s | quant4-opt | FileCheck %s
// The quant4 attribute contract (docs/Recipes.md, "The attribute
// contract"): every declared attribute in a legal place round-trips;
// invalid-attrs.mlir has the rules that reject malformed ones.

// CHECK-LABEL: func.func @step(
// CHECK-SAME: %{{.*}}: tensor<4x4xf32> {quant4.param = "fc.weight"}, %{{.*}}: tensor<4x4xf32> {quant4.momentum = "fc.weight"},
// CHECK-SAME: %{{.*}}: tensor<4x4xf32> {quant4.batch, quant4.non_negative}, %{{.*}}: tensor<4xi32> {quant4.labels},
// CHECK-SAME: %{{.*}}: tensor<f32> {quant4.hyper = "lr"}, %{{.*}}: tensor<f32> {quant4.hyper = "momentum"}, %{{.*}}: tensor<f32> {quant4.hyper = "weight_decay"},
// CHECK-SAME: %{{.*}}: tensor<f32> {quant4.state = "fc.weight.dgrad.gradscale"}, %{{.*}}: tensor<16xf32> {quant4.state = "layer1.grad.amax_history"}, %{{.*}}: i64 {quant4.seed})
// CHECK-SAME: -> (tensor<4x4xf32> {quant4.param = "fc.weight"}, tensor<4x4xf32> {quant4.momentum = "fc.weight"}, tensor<f32> {quant4.loss}, tensor<i32> {quant4.correct},
// CHECK-SAME: tensor<f32> {quant4.state = "fc.weight.dgrad.gradscale"}, tensor<f32> {quant4.state_grad = "layer1.act.pact_alpha"})
// CHECK-SAME: attributes {quant4.forward = @net, quant4.num_layers = 1 : i64, quant4.signature = (tensor<4x4xf32>) -> tensor<4x4xf32>}
// CHECK: linalg.matmul {quant4.layer = 0 : i64, quant4.layer_name = "fc.weight", quant4.recipe = "ultralow4", quant4.role = "fwd"}
func.func @step(%w: tensor<4x4xf32> {quant4.param = "fc.weight"}, %v: tensor<4x4xf32> {quant4.momentum = "fc.weight"},
                %x: tensor<4x4xf32> {quant4.batch, quant4.non_negative}, %t: tensor<4xi32> {quant4.labels},
                %lr: tensor<f32> {quant4.hyper = "lr"}, %mu: tensor<f32> {quant4.hyper = "momentum"}, %wd: tensor<f32> {quant4.hyper = "weight_decay"},
                %gs: tensor<f32> {quant4.state = "fc.weight.dgrad.gradscale"}, %h: tensor<16xf32> {quant4.state = "layer1.grad.amax_history"},
                %seed: i64 {quant4.seed})
    -> (tensor<4x4xf32> {quant4.param = "fc.weight"}, tensor<4x4xf32> {quant4.momentum = "fc.weight"}, tensor<f32> {quant4.loss}, tensor<i32> {quant4.correct},
        tensor<f32> {quant4.state = "fc.weight.dgrad.gradscale"}, tensor<f32> {quant4.state_grad = "layer1.act.pact_alpha"})
    attributes {quant4.forward = @net, quant4.num_layers = 1 : i64, quant4.signature = (tensor<4x4xf32>) -> tensor<4x4xf32>} {
  %y = linalg.matmul {quant4.role = "fwd", quant4.layer = 0 : i64, quant4.layer_name = "fc.weight", quant4.recipe = "ultralow4"}
      ins(%x, %w : tensor<4x4xf32>, tensor<4x4xf32>) outs(%v : tensor<4x4xf32>) -> tensor<4x4xf32>
  %c = arith.constant dense<0> : tensor<i32>
  return %y, %v, %lr, %c, %gs, %mu : tensor<4x4xf32>, tensor<4x4xf32>, tensor<f32>, tensor<i32>, tensor<f32>, tensor<f32>
}

// CHECK-LABEL: func.func @step_init_state()
// CHECK-SAME: attributes {quant4.init_state_of = @step}
func.func @step_init_state() -> (tensor<f32> {quant4.state = "fc.weight.dgrad.gradscale"}) attributes {quant4.init_state_of = @step} {
  %c = arith.constant dense<1.0> : tensor<f32>
  return %c : tensor<f32>
}
