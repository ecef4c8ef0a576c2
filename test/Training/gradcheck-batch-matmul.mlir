// Finite-difference check of linalg.batch_matmul with both operands
// depending on parameters, tensor.expand_shape and tensor.collapse_shape.
// RUN: quant4-gradcheck %s | FileCheck %s
// CHECK: grad w1: {{.*}}: OK
// CHECK: grad w2: {{.*}}: OK
// CHECK: grad w3: {{.*}}: OK
// CHECK: gradcheck: PASS
func.func @f(%w1: tensor<6x12xf32> {quant4.param = "w1"},
             %w2: tensor<6x20xf32> {quant4.param = "w2"},
             %w3: tensor<15x4xf32> {quant4.param = "w3"},
             %x: tensor<4x6xf32>) -> tensor<4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e12 = tensor.empty() : tensor<4x12xf32>
  %z12 = linalg.fill ins(%zero : f32) outs(%e12 : tensor<4x12xf32>) -> tensor<4x12xf32>
  %a = linalg.matmul ins(%x, %w1 : tensor<4x6xf32>, tensor<6x12xf32>) outs(%z12 : tensor<4x12xf32>) -> tensor<4x12xf32>
  %e20 = tensor.empty() : tensor<4x20xf32>
  %z20 = linalg.fill ins(%zero : f32) outs(%e20 : tensor<4x20xf32>) -> tensor<4x20xf32>
  %b = linalg.matmul ins(%x, %w2 : tensor<4x6xf32>, tensor<6x20xf32>) outs(%z20 : tensor<4x20xf32>) -> tensor<4x20xf32>
  %a3 = tensor.expand_shape %a [[0], [1, 2]] output_shape [4, 3, 4] : tensor<4x12xf32> into tensor<4x3x4xf32>
  %b3 = tensor.expand_shape %b [[0], [1, 2]] output_shape [4, 4, 5] : tensor<4x20xf32> into tensor<4x4x5xf32>
  %e3 = tensor.empty() : tensor<4x3x5xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<4x3x5xf32>) -> tensor<4x3x5xf32>
  %c = linalg.batch_matmul ins(%a3, %b3 : tensor<4x3x4xf32>, tensor<4x4x5xf32>) outs(%z3 : tensor<4x3x5xf32>) -> tensor<4x3x5xf32>
  %flat = tensor.collapse_shape %c [[0], [1, 2]] : tensor<4x3x5xf32> into tensor<4x15xf32>
  %e4 = tensor.empty() : tensor<4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<4x4xf32>) -> tensor<4x4xf32>
  %y = linalg.matmul ins(%flat, %w3 : tensor<4x15xf32>, tensor<15x4xf32>) outs(%z4 : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}
