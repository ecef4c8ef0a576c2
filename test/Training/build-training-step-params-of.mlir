// RUN: quant4-opt %s --quant4-build-training-step | FileCheck %s
//
// The default selection of forward functions skips parameters functions
// (quant4.params_of, as the ONNX importer writes @main_params): only @main
// gets a training step, with no error about @main_params' signature.
// CHECK-LABEL: func.func @main(
// CHECK-LABEL: func.func @main_train_step(
// CHECK-LABEL: func.func @main_params()
// CHECK-NOT: @main_params_train_step
func.func @main(%w: tensor<3x2xf32> {quant4.param = "w"}, %x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
func.func @main_params() -> (tensor<3x2xf32> {quant4.param = "w"}) attributes {quant4.params_of = @main} {
  %w = arith.constant dense<0.5> : tensor<3x2xf32>
  return %w : tensor<3x2xf32>
}
