// Two forward functions (quant4-run train needs --forward to pick one);
// @small takes 3 features per sample, not an MNIST image.
func.func @small(%w: tensor<3x10xf32> {quant4.param = "fc.weight"}, %x: tensor<4x3xf32>) -> tensor<4x10xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x10xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x10xf32>) -> tensor<4x10xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x10xf32>) outs(%z : tensor<4x10xf32>) -> tensor<4x10xf32>
  return %y : tensor<4x10xf32>
}
func.func @g2(%w: tensor<784x10xf32> {quant4.param = "fc.weight"}, %x: tensor<4x784xf32>) -> tensor<4x10xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x10xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x10xf32>) -> tensor<4x10xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x784xf32>, tensor<784x10xf32>) outs(%z : tensor<4x10xf32>) -> tensor<4x10xf32>
  return %y : tensor<4x10xf32>
}
