// Finite-difference check of the depthwise (stride 2, padded input) and
// grouped (2 groups, dilation 2) convolution rules and of sum pooling (an
// average pool is a sum pool and a division), in a small CNN. The input is
// scaled per channel by a parameter first, so that the depthwise data
// gradient is checked too.
// RUN: quant4-gradcheck %s | FileCheck %s
// CHECK: grad scale: {{.*}}: OK
// CHECK: grad dw: {{.*}}: OK
// CHECK: grad gw: {{.*}}: OK
// CHECK: grad w: {{.*}}: OK
// CHECK: gradcheck: PASS
func.func @cnn(%scale: tensor<4xf32> {quant4.param = "scale"},
               %dw: tensor<3x3x4xf32> {quant4.param = "dw"},
               %gw: tensor<2x3x2x2x2xf32> {quant4.param = "gw"},
               %w: tensor<24x3xf32> {quant4.param = "w"},
               %x: tensor<2x7x7x4xf32>) -> tensor<2x3xf32> {
  %zero = arith.constant 0.0 : f32
  // Depthwise 3x3, stride 2, on the input padded by 1: 9x9 -> 4x4.
  %ex = tensor.empty() : tensor<2x7x7x4xf32>
  %xs = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %scale : tensor<2x7x7x4xf32>, tensor<4xf32>) outs(%ex : tensor<2x7x7x4xf32>) {
    ^bb0(%v: f32, %k: f32, %o: f32):
      %r = arith.mulf %v, %k : f32
      linalg.yield %r : f32
  } -> tensor<2x7x7x4xf32>
  %xp = tensor.pad %xs low[0, 1, 1, 0] high[0, 1, 1, 0] {
    ^bb0(%a: index, %b: index, %c: index, %d: index):
      tensor.yield %zero : f32
  } : tensor<2x7x7x4xf32> to tensor<2x9x9x4xf32>
  %e1 = tensor.empty() : tensor<2x4x4x4xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32>
  %y1 = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%xp, %dw : tensor<2x9x9x4xf32>, tensor<3x3x4xf32>) outs(%z1 : tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32>
  // Grouped: 2 groups of 2 channels, 3 filters each, 2x2 with dilation 2:
  // 4x4 -> 2x2.
  %g = tensor.expand_shape %y1 [[0], [1], [2], [3, 4]] output_shape [2, 4, 4, 2, 2] : tensor<2x4x4x4xf32> into tensor<2x4x4x2x2xf32>
  %e2 = tensor.empty() : tensor<2x2x2x2x3xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x2x2x2x3xf32>) -> tensor<2x2x2x2x3xf32>
  %y2 = linalg.conv_2d_nhwgc_gfhwc {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%g, %gw : tensor<2x4x4x2x2xf32>, tensor<2x3x2x2x2xf32>) outs(%z2 : tensor<2x2x2x2x3xf32>) -> tensor<2x2x2x2x3xf32>
  %y2c = tensor.collapse_shape %y2 [[0], [1], [2], [3, 4]] : tensor<2x2x2x2x3xf32> into tensor<2x2x2x6xf32>
  // Sum pool 2x2, stride 1 over the 4x4 depthwise output: 3x3; then the
  // 2x2 grouped output and the pooled corner are concatenated by features.
  %win = tensor.empty() : tensor<2x2xf32>
  %e3 = tensor.empty() : tensor<2x3x3x4xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x3x3x4xf32>) -> tensor<2x3x3x4xf32>
  %p = linalg.pooling_nhwc_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%y1, %win : tensor<2x4x4x4xf32>, tensor<2x2xf32>) outs(%z3 : tensor<2x3x3x4xf32>) -> tensor<2x3x3x4xf32>
  %pc = tensor.extract_slice %p[0, 0, 0, 0] [2, 2, 2, 4] [1, 1, 1, 1] : tensor<2x3x3x4xf32> to tensor<2x2x2x4xf32>
  %pa = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%pc : tensor<2x2x2x4xf32>) outs(%pc : tensor<2x2x2x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %four = arith.constant 4.0 : f32
      %r = arith.divf %v, %four : f32
      linalg.yield %r : f32
  } -> tensor<2x2x2x4xf32>
  %f1 = tensor.collapse_shape %y2c [[0], [1, 2, 3]] : tensor<2x2x2x6xf32> into tensor<2x24xf32>
  %f2 = tensor.collapse_shape %pa [[0], [1, 2, 3]] : tensor<2x2x2x4xf32> into tensor<2x16xf32>
  %s1 = tensor.extract_slice %f2[0, 0] [2, 8] [1, 1] : tensor<2x16xf32> to tensor<2x8xf32>
  %cat0 = tensor.empty() : tensor<2x32xf32>
  %cat1 = tensor.insert_slice %f1 into %cat0[0, 0] [2, 24] [1, 1] : tensor<2x24xf32> into tensor<2x32xf32>
  %cat = tensor.insert_slice %s1 into %cat1[0, 24] [2, 8] [1, 1] : tensor<2x8xf32> into tensor<2x32xf32>
  %h = tensor.extract_slice %cat[0, 4] [2, 24] [1, 1] : tensor<2x32xf32> to tensor<2x24xf32>
  %e4 = tensor.empty() : tensor<2x3xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%h, %w : tensor<2x24xf32>, tensor<24x3xf32>) outs(%z4 : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
