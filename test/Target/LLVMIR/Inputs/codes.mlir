// A function on 4-bit codes with a quant4 argument attribute: once lowered,
// its quant4.signature holds quant4 types.
func.func @codes(%x: tensor<4x!quant4.int<4>> {quant4.param = "w"})
    -> tensor<4x!quant4.int<4>> {
  return %x : tensor<4x!quant4.int<4>>
}
