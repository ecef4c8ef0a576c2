// A linalg op on quantized tensors has no CPU lowering.
func.func @main(%x: tensor<4x8x!quant4.int<4>>) -> tensor<4x8x!quant4.int<4>> {
  %e = tensor.empty() : tensor<4x8x!quant4.int<4>>
  %0 = linalg.copy ins(%x : tensor<4x8x!quant4.int<4>>) outs(%e : tensor<4x8x!quant4.int<4>>) -> tensor<4x8x!quant4.int<4>>
  return %0 : tensor<4x8x!quant4.int<4>>
}
