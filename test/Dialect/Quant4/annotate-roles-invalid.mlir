// RUN: quant4-opt %s -split-input-file -verify-diagnostics --quant4-annotate-roles
// (A malformed quant4.role is rejected by the dialect verifier when the IR is
// parsed: invalid-attrs.mlir; annotate-roles-unverified.mlir has the
// analysis's own check.)

// A GEMM of two inputs whose result is just returned: nothing to classify by.
func.func @unclassifiable(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>, %c: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error@+1 {{'linalg.matmul' op cannot be classified as forward, dgrad or wgrad: it reads no parameter}}
  %y = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x4xf32>) outs(%c : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

// Shared weights: two independent forward GEMMs read the same parameter.
func.func @shared_weight(%w: tensor<16x16xf32> {quant4.param = "tied"}, %a: tensor<8x16xf32>, %b: tensor<8x16xf32>,
                         %c: tensor<8x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  // expected-note@+1 {{first forward GEMM here}}
  %y = linalg.matmul ins(%a, %w : tensor<8x16xf32>, tensor<16x16xf32>) outs(%c : tensor<8x16xf32>) -> tensor<8x16xf32>
  // expected-error@+1 {{'linalg.matmul' op cannot be classified: it is a second forward GEMM of layer 'tied'}}
  %z = linalg.matmul ins(%b, %w : tensor<8x16xf32>, tensor<16x16xf32>) outs(%c : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %y, %z : tensor<8x16xf32>, tensor<8x16xf32>
}

// -----

// An explicit forward GEMM with no parameter operand and no layer name.
func.func @explicit_without_weight(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>, %c: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error@+1 {{'linalg.matmul' op cannot be classified as forward, dgrad or wgrad}}
  %y = linalg.matmul {quant4.role = "fwd"} ins(%a, %b : tensor<8x16xf32>, tensor<16x4xf32>) outs(%c : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

// R5: a named activation GEMM layer whose dgrad does not read the gradient
// of its forward GEMM.
func.func @activation_layer_bad_dgrad(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>, %c: tensor<8x4xf32>, %d: tensor<8x16xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>) {
  %y = linalg.matmul {quant4.role = "fwd", quant4.layer_name = "att"} ins(%a, %b : tensor<8x16xf32>, tensor<16x4xf32>) outs(%c : tensor<8x4xf32>) -> tensor<8x4xf32>
  // expected-error@+1 {{'linalg.matmul' op is a dgrad GEMM of the activation GEMM layer 'att' but not exactly one operand depends on its forward GEMM}}
  %z = linalg.matmul {quant4.role = "dgrad", quant4.layer_name = "att"} ins(%d, %b : tensor<8x16xf32>, tensor<16x4xf32>) outs(%c : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %y, %z : tensor<8x4xf32>, tensor<8x4xf32>
}
