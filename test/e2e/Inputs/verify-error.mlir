func.func @main(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<4x!quant4.int<4>> {
  %0 = quant4.quantize %x, %s rounding<stochastic> : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.int<4>>
  return %0 : tensor<4x!quant4.int<4>>
}
