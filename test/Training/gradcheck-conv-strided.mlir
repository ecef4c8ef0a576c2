// Finite-difference check of linalg.conv_2d_nhwc_hwcf with strides (2, 3)
// and (2, 1), dilation (1, 2), and input sizes that leave rows/columns
// unused (the wgrad convolution then produces a larger filter that is
// sliced; the dgrad input spreads dY by the strides).
// RUN: quant4-gradcheck %s | FileCheck %s
// CHECK: grad k1: {{.*}}: OK
// CHECK: grad k2: {{.*}}: OK
// CHECK: grad w: {{.*}}: OK
// CHECK: gradcheck: PASS
func.func @cnn(%k1: tensor<3x2x1x2xf32> {quant4.param = "k1"},
               %k2: tensor<2x2x2x2xf32> {quant4.param = "k2"},
               %w: tensor<4x3xf32> {quant4.param = "w"},
               %x: tensor<3x11x9x1xf32>) -> tensor<3x3xf32> {
  %zero = arith.constant 0.0 : f32
  // H: (11 - 3) / 2 + 1 = 5; W: (9 - 2) / 3 + 1 = 3 (column 8 unused)
  %e1 = tensor.empty() : tensor<3x5x3x2xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<3x5x3x2xf32>) -> tensor<3x5x3x2xf32>
  %y1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<[2, 3]> : tensor<2xi64>}
      ins(%x, %k1 : tensor<3x11x9x1xf32>, tensor<3x2x1x2xf32>) outs(%z1 : tensor<3x5x3x2xf32>) -> tensor<3x5x3x2xf32>
  // H: (5 - 2) / 2 + 1 = 2 (row 4 unused); W: dilation 2, (3 - 3) / 1 + 1 = 1
  %e2 = tensor.empty() : tensor<3x2x1x2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<3x2x1x2xf32>) -> tensor<3x2x1x2xf32>
  %y2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<[2, 1]> : tensor<2xi64>}
      ins(%y1, %k2 : tensor<3x5x3x2xf32>, tensor<2x2x2x2xf32>) outs(%z2 : tensor<3x2x1x2xf32>) -> tensor<3x2x1x2xf32>
  %flat = tensor.collapse_shape %y2 [[0], [1, 2, 3]] : tensor<3x2x1x2xf32> into tensor<3x4xf32>
  %e3 = tensor.empty() : tensor<3x3xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<3x3xf32>) -> tensor<3x3xf32>
  %y = linalg.matmul ins(%flat, %w : tensor<3x4xf32>, tensor<4x3xf32>) outs(%z3 : tensor<3x3xf32>) -> tensor<3x3xf32>
  return %y : tensor<3x3xf32>
}
