// RUN: quant4-opt %s --quant4-build-training-step=optimizer=adamw | FileCheck %s
//
// The step's contract with AdamW, a buffer and sequence logits: the model
// arguments in the forward's order (parameters and buffers), each
// parameter's first moments, then its second moments, the batch, labels of
// the logits' shape without the classes, and AdamW's hyper-parameters;
// results: the updated model arguments (a buffer gets the forward's update
// of it), the moments, the loss and the correct count.

// CHECK-LABEL: func.func @lm_train_step(
// CHECK-SAME: %{{[^:]+}}: tensor<4x5xf32> {quant4.param = "w"},
// CHECK-SAME: %{{[^:]+}}: tensor<5xf32> {quant4.buffer = "count"},
// CHECK-SAME: %{{[^:]+}}: tensor<5xf32> {quant4.param = "b"},
// CHECK-SAME: %{{[^:]+}}: tensor<4x5xf32> {quant4.momentum = "w"},
// CHECK-SAME: %{{[^:]+}}: tensor<5xf32> {quant4.momentum = "b"},
// CHECK-SAME: %{{[^:]+}}: tensor<4x5xf32> {quant4.second_moment = "w"},
// CHECK-SAME: %{{[^:]+}}: tensor<5xf32> {quant4.second_moment = "b"},
// CHECK-SAME: %{{[^:]+}}: tensor<2x3x4xf32> {quant4.batch},
// CHECK-SAME: %{{[^:]+}}: tensor<2x3xi32> {quant4.labels},
// CHECK-SAME: {quant4.hyper = "lr"}, %{{[^:]+}}: tensor<f32> {quant4.hyper = "beta1"}, %{{[^:]+}}: tensor<f32> {quant4.hyper = "beta2"}, %{{[^:]+}}: tensor<f32> {quant4.hyper = "epsilon"}, %{{[^:]+}}: tensor<f32> {quant4.hyper = "weight_decay"}, %{{[^:]+}}: tensor<f32> {quant4.hyper = "step"})
// CHECK-SAME: -> (tensor<4x5xf32> {quant4.param = "w"}, tensor<5xf32> {quant4.buffer = "count"}, tensor<5xf32> {quant4.param = "b"}, tensor<4x5xf32> {quant4.momentum = "w"}, tensor<5xf32> {quant4.momentum = "b"}, tensor<4x5xf32> {quant4.second_moment = "w"}, tensor<5xf32> {quant4.second_moment = "b"}, tensor<f32> {quant4.loss}, tensor<i32> {quant4.correct})
// The [2, 3, 5] logits are 6 samples of 5 classes.
// CHECK: tensor.collapse_shape %{{.+}} {{\[\[}}0, 1], [2]] : tensor<2x3x5xf32> into tensor<6x5xf32>
// CHECK: tensor.collapse_shape %{{.+}} {{\[\[}}0, 1]] : tensor<2x3xi32> into tensor<6xi32>
// CHECK: tensor.expand_shape %{{.+}} {{\[\[}}0, 1], [2]] output_shape [2, 3, 5] : tensor<6x5xf32> into tensor<2x3x5xf32>
// The bias corrections 1 - beta^t, then AdamW per parameter.
// CHECK: math.powf
// CHECK: math.powf
// CHECK: math.sqrt
// CHECK: return
#id3 = affine_map<(b, t, c) -> (b, t, c)>
#col3 = affine_map<(b, t, c) -> (c)>
func.func @lm(%w: tensor<4x5xf32> {quant4.param = "w"},
              %count: tensor<5xf32> {quant4.buffer = "count"},
              %b: tensor<5xf32> {quant4.param = "b"},
              %x: tensor<2x3x4xf32>)
    -> (tensor<2x3x5xf32>, tensor<5xf32> {quant4.buffer = "count"}) {
  %zero = arith.constant 0.0 : f32
  %xf = tensor.collapse_shape %x [[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
  %e = tensor.empty() : tensor<6x5xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<6x5xf32>) -> tensor<6x5xf32>
  %y = linalg.matmul ins(%xf, %w : tensor<6x4xf32>, tensor<4x5xf32>) outs(%z : tensor<6x5xf32>) -> tensor<6x5xf32>
  %y3 = tensor.expand_shape %y [[0, 1], [2]] output_shape [2, 3, 5] : tensor<6x5xf32> into tensor<2x3x5xf32>
  %e3 = tensor.empty() : tensor<2x3x5xf32>
  %l = linalg.generic {indexing_maps = [#id3, #col3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%y3, %b : tensor<2x3x5xf32>, tensor<5xf32>) outs(%e3 : tensor<2x3x5xf32>) {
    ^bb0(%v: f32, %bb: f32, %o: f32):
      %r = arith.addf %v, %bb : f32
      linalg.yield %r : f32
  } -> tensor<2x3x5xf32>
  %one = arith.constant dense<1.0> : tensor<5xf32>
  %e5 = tensor.empty() : tensor<5xf32>
  %c2 = linalg.add ins(%count, %one : tensor<5xf32>, tensor<5xf32>) outs(%e5 : tensor<5xf32>) -> tensor<5xf32>
  return %l, %c2 : tensor<2x3x5xf32>, tensor<5xf32>
}
