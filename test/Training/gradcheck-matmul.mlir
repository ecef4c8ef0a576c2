// Finite-difference check of linalg.matmul (default maps, and a non-zero
// accumulator), broadcast bias add and ReLU (arith.maximumf).
// RUN: quant4-gradcheck %s | FileCheck %s
// CHECK: grad w1: {{.*}}: OK
// CHECK: grad b1: {{.*}}: OK
// CHECK: grad w2: {{.*}}: OK
// CHECK: grad b2: {{.*}}: OK
// CHECK: loss: {{.*}}: OK
// CHECK: sgd: momentum and weight decay update OK
// CHECK: gradcheck: PASS
#id = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
func.func @mlp(%w1: tensor<6x5xf32> {quant4.param = "w1"},
               %b1: tensor<5xf32> {quant4.param = "b1"},
               %w2: tensor<5x3xf32> {quant4.param = "w2"},
               %b2: tensor<4x3xf32> {quant4.param = "b2"},
               %x: tensor<4x6xf32>) -> tensor<4x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x5xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x5xf32>) -> tensor<4x5xf32>
  %mm = linalg.matmul ins(%x, %w1 : tensor<4x6xf32>, tensor<6x5xf32>) outs(%z : tensor<4x5xf32>) -> tensor<4x5xf32>
  %h = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %b1 : tensor<4x5xf32>, tensor<5xf32>) outs(%e : tensor<4x5xf32>) {
    ^bb0(%v: f32, %b: f32, %o: f32):
      %s = arith.addf %v, %b : f32
      %r = arith.maximumf %s, %zero : f32
      linalg.yield %r : f32
  } -> tensor<4x5xf32>
  // The second GEMM accumulates into a parameter-dependent init (Y = b2 + H·W2).
  %y = linalg.matmul ins(%h, %w2 : tensor<4x5xf32>, tensor<5x3xf32>) outs(%b2 : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}
