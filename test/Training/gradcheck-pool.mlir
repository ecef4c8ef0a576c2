// Finite-difference check of linalg.pooling_nhwc_max: non-overlapping 2x2/2
// windows, then overlapping 3x3/1 windows (an input element in several
// windows collects the gradient of each window it is the maximum of).
// RUN: quant4-gradcheck %s | FileCheck %s
// CHECK: grad k: {{.*}}: OK
// CHECK: grad w: {{.*}}: OK
// CHECK: gradcheck: PASS
func.func @pool(%k: tensor<1x1x1x2xf32> {quant4.param = "k"},
                %w: tensor<8x3xf32> {quant4.param = "w"},
                %x: tensor<2x8x8x1xf32>) -> tensor<2x3xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %e1 = tensor.empty() : tensor<2x8x8x2xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x8x8x2xf32>) -> tensor<2x8x8x2xf32>
  %y1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %k : tensor<2x8x8x1xf32>, tensor<1x1x1x2xf32>) outs(%z1 : tensor<2x8x8x2xf32>) -> tensor<2x8x8x2xf32>
  %win2 = tensor.empty() : tensor<2x2xf32>
  %ep = tensor.empty() : tensor<2x4x4x2xf32>
  %m = linalg.fill ins(%ninf : f32) outs(%ep : tensor<2x4x4x2xf32>) -> tensor<2x4x4x2xf32>
  %p = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%y1, %win2 : tensor<2x8x8x2xf32>, tensor<2x2xf32>) outs(%m : tensor<2x4x4x2xf32>) -> tensor<2x4x4x2xf32>
  %win3 = tensor.empty() : tensor<3x3xf32>
  %ep2 = tensor.empty() : tensor<2x2x2x2xf32>
  %m2 = linalg.fill ins(%ninf : f32) outs(%ep2 : tensor<2x2x2x2xf32>) -> tensor<2x2x2x2xf32>
  %p2 = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %win3 : tensor<2x4x4x2xf32>, tensor<3x3xf32>) outs(%m2 : tensor<2x2x2x2xf32>) -> tensor<2x2x2x2xf32>
  %flat = tensor.collapse_shape %p2 [[0], [1, 2, 3]] : tensor<2x2x2x2xf32> into tensor<2x8xf32>
  %e3 = tensor.empty() : tensor<2x3xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%flat, %w : tensor<2x8xf32>, tensor<8x3xf32>) outs(%z3 : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
