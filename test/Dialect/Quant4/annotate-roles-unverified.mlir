// RUN: quant4-opt %s --mlir-very-unsafe-disable-verifier-on-parsing -verify-diagnostics --quant4-annotate-roles
// The role analysis checks the annotations it reads itself, for IR that no
// verifier has seen (e.g. written by a pass just before): parsed IR with a
// malformed role is rejected earlier by the dialect (invalid-attrs.mlir).

func.func @bad_role(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>, %c: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error@+1 {{'linalg.matmul' op has an invalid 'quant4.role' annotation "backward" (expected "fwd", "dgrad" or "wgrad")}}
  %y = linalg.matmul {quant4.role = "backward"} ins(%a, %b : tensor<8x16xf32>, tensor<16x4xf32>) outs(%c : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}
