// The generated step runs under quant4-run (quant4-cpu-pipeline, JIT, .npy
// in/out). With W = 0 every logit is 0: loss = log 2, every prediction is
// class 0 (ties go to the first class), and with lr = 1, momentum = 0,
// weight decay = 0 the new momentum buffer is the gradient
// dW = Xᵀ·(softmax − onehot)/B = [[-0.25, 0.25], [0, 0], [0, 0]].
// RUN: quant4-opt %s --quant4-build-training-step -o %t.mlir
// RUN: quant4-run %t.mlir --entry net_train_step --input %S/Inputs/w0.npy --input %S/Inputs/v0.npy --input %S/Inputs/x.npy --input %S/Inputs/labels.npy --input %S/Inputs/one.npy --input %S/Inputs/zero.npy --input %S/Inputs/zero.npy --output-dir %t.out --print 2>/dev/null | FileCheck %s
// CHECK: result0: tensor<3x2xf32>
// CHECK-NEXT: {{\[}}[0.25, -0.25], [0, 0], [0, 0]]
// CHECK: result1: tensor<3x2xf32>
// CHECK-NEXT: {{\[}}[-0.25, 0.25], [0, 0], [0, 0]]
// CHECK: result2: tensor<f32>
// CHECK-NEXT: 0.69314718
// CHECK: result3: tensor<i32>
// CHECK-NEXT: 2
func.func @net(%w: tensor<3x2xf32> {quant4.param = "fc.weight"}, %x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
