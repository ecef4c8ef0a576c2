// linalg.broadcast with a malformed `dimensions` list: the same upstream
// parser bug as linalg.transpose (test/Tools/upstream-parser-crash.mlir).
func.func @f(%a: tensor<2xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = linalg.broadcast ins(%a : tensor<2xf32>) outs(%b : tensor<2x3xf32>) dimensions = [1, x
  return %0 : tensor<2x3xf32>
}
