// Role analysis on a split step's gradient function (issue 21): with no
// optimizer update in the function, each wgrad is attributed through the
// result tagged quant4.grad with its parameter's name (R3). Here two layers
// read the same input, as a residual block's first convolution and its
// downsampling projection do, so the other R3 rule (the wgrad reads the
// layer's input activation) could not tell their wgrads apart.
// RUN: quant4-opt %s --quant4-build-training-step=split=true --quant4-annotate-roles | FileCheck %s
// RUN: quant4-opt %s --quant4-build-training-step --quant4-annotate-roles | FileCheck %s --check-prefix=FUSED

func.func @block(%w1: tensor<8x8xf32> {quant4.param = "conv1"},
                 %wd: tensor<8x8xf32> {quant4.param = "downsample"},
                 %w3: tensor<8x4xf32> {quant4.param = "fc"},
                 %x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  %h1 = linalg.matmul ins(%x, %w1 : tensor<2x8xf32>, tensor<8x8xf32>) outs(%z : tensor<2x8xf32>) -> tensor<2x8xf32>
  %h2 = linalg.matmul ins(%x, %wd : tensor<2x8xf32>, tensor<8x8xf32>) outs(%z : tensor<2x8xf32>) -> tensor<2x8xf32>
  %s = linalg.add ins(%h1, %h2 : tensor<2x8xf32>, tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  %e2 = tensor.empty() : tensor<2x4xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%s, %w3 : tensor<2x8xf32>, tensor<8x4xf32>) outs(%z2 : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// CHECK-LABEL: func.func @block_grad_step(
// CHECK-DAG: linalg.matmul {{.*}}quant4.layer = 0 : i64, quant4.layer_name = "conv1", quant4.role = "wgrad"
// CHECK-DAG: linalg.matmul {{.*}}quant4.layer = 1 : i64, quant4.layer_name = "downsample", quant4.role = "wgrad"
// CHECK-DAG: linalg.matmul {{.*}}quant4.layer = 2 : i64, quant4.layer_name = "fc", quant4.role = "wgrad"
// CHECK-LABEL: func.func @block_update_step(

// FUSED-LABEL: func.func @block_train_step(
// FUSED-DAG: linalg.matmul {{.*}}quant4.layer = 0 : i64, quant4.layer_name = "conv1", quant4.role = "wgrad"
// FUSED-DAG: linalg.matmul {{.*}}quant4.layer = 1 : i64, quant4.layer_name = "downsample", quant4.role = "wgrad"
