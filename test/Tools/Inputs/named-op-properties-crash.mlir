// A named linalg op with a non-dictionary `<...>` after its name: upstream
// takes it as the properties dictionary and crashes (LLVM 22.1.8).
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = arith.constant 1.0 : f32
  %0 = linalg.fill<1> ins(%c : f32) outs(%x : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
