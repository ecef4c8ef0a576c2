// Finite-difference check of linalg.conv_2d_nhwc_hwcf (stride 1, on a
// zero-padded input: tensor.pad), a per-channel bias and tensor.collapse_shape.
// RUN: quant4-gradcheck %s | FileCheck %s
// CHECK: grad k1: {{.*}}: OK
// CHECK: grad c1: {{.*}}: OK
// CHECK: grad k2: {{.*}}: OK
// CHECK: grad w: {{.*}}: OK
// CHECK: gradcheck: PASS
func.func @cnn(%k1: tensor<3x3x2x3xf32> {quant4.param = "k1"},
               %c1: tensor<3xf32> {quant4.param = "c1"},
               %k2: tensor<2x2x3x2xf32> {quant4.param = "k2"},
               %w: tensor<18x3xf32> {quant4.param = "w"},
               %x: tensor<2x5x5x2xf32>) -> tensor<2x3xf32> {
  %zero = arith.constant 0.0 : f32
  %xp = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
    ^bb0(%i: index, %j: index, %k: index, %l: index):
      tensor.yield %zero : f32
  } : tensor<2x5x5x2xf32> to tensor<2x7x7x2xf32>
  %e1 = tensor.empty() : tensor<2x5x5x3xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x5x5x3xf32>) -> tensor<2x5x5x3xf32>
  %y1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%xp, %k1 : tensor<2x7x7x2xf32>, tensor<3x3x2x3xf32>) outs(%z1 : tensor<2x5x5x3xf32>) -> tensor<2x5x5x3xf32>
  %h1 = linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>],
                        iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y1, %c1 : tensor<2x5x5x3xf32>, tensor<3xf32>) outs(%e1 : tensor<2x5x5x3xf32>) {
    ^bb0(%v: f32, %b: f32, %o: f32):
      %s = arith.addf %v, %b : f32
      linalg.yield %s : f32
  } -> tensor<2x5x5x3xf32>
  // A second convolution whose input depends on parameters (dgrad path).
  %e2 = tensor.empty() : tensor<2x3x3x2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x3x3x2xf32>) -> tensor<2x3x3x2xf32>
  %y2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%h1, %k2 : tensor<2x5x5x3xf32>, tensor<2x2x3x2xf32>) outs(%z2 : tensor<2x3x3x2xf32>) -> tensor<2x3x3x2xf32>
  %flat = tensor.collapse_shape %y2 [[0], [1, 2, 3]] : tensor<2x3x3x2xf32> into tensor<2x18xf32>
  %e3 = tensor.empty() : tensor<2x3xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%flat, %w : tensor<2x18xf32>, tensor<18x3xf32>) outs(%z3 : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
