// Finite-difference check of the shape ops: tensor.reshape, expand_shape,
// collapse_shape, extract_slice (strided), insert_slice and tensor.pad.
// RUN: quant4-gradcheck %s | FileCheck %s
// CHECK: grad w: {{.*}}: OK
// CHECK: grad u: {{.*}}: OK
// CHECK: grad w2: {{.*}}: OK
// CHECK: gradcheck: PASS
func.func @shapes(%w: tensor<4x12xf32> {quant4.param = "w"},
                  %u: tensor<2x6xf32> {quant4.param = "u"},
                  %w2: tensor<12x3xf32> {quant4.param = "w2"},
                  %x: tensor<3x4xf32>) -> tensor<3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x12xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<3x12xf32>) -> tensor<3x12xf32>
  %h = linalg.matmul ins(%x, %w : tensor<3x4xf32>, tensor<4x12xf32>) outs(%z : tensor<3x12xf32>) -> tensor<3x12xf32>
  %shape = arith.constant dense<[3, 2, 6]> : tensor<3xi64>
  %h3 = tensor.reshape %h(%shape) : (tensor<3x12xf32>, tensor<3xi64>) -> tensor<3x2x6xf32>
  %h6 = tensor.expand_shape %h3 [[0], [1], [2, 3]] output_shape [3, 2, 2, 3] : tensor<3x2x6xf32> into tensor<3x2x2x3xf32>
  %hc = tensor.collapse_shape %h6 [[0], [1, 2], [3]] : tensor<3x2x2x3xf32> into tensor<3x4x3xf32>
  // A strided slice and an insert of a parameter block.
  %sl = tensor.extract_slice %hc[0, 1, 0] [3, 2, 3] [1, 2, 1] : tensor<3x4x3xf32> to tensor<3x2x3xf32>
  %flat = tensor.collapse_shape %sl [[0], [1, 2]] : tensor<3x2x3xf32> into tensor<3x6xf32>
  %ue = tensor.expand_shape %u [[0, 1], [2]] output_shape [1, 2, 6] : tensor<2x6xf32> into tensor<1x2x6xf32>
  %u2 = tensor.collapse_shape %ue [[0, 1], [2]] : tensor<1x2x6xf32> into tensor<2x6xf32>
  %pad = tensor.pad %flat low[0, 3] high[0, 3] {
    ^bb0(%i: index, %j: index):
      tensor.yield %zero : f32
  } : tensor<3x6xf32> to tensor<3x12xf32>
  %ins = tensor.insert_slice %u2 into %pad[1, 6] [2, 6] [1, 1] : tensor<2x6xf32> into tensor<3x12xf32>
  %e3 = tensor.empty() : tensor<3x3xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<3x3xf32>) -> tensor<3x3xf32>
  %y = linalg.matmul ins(%ins, %w2 : tensor<3x12xf32>, tensor<12x3xf32>) outs(%z3 : tensor<3x3xf32>) -> tensor<3x3xf32>
  return %y : tensor<3x3xf32>
}
