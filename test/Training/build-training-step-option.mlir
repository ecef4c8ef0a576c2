// RUN: quant4-opt %s --quant4-build-training-step=forward=net | FileCheck %s
// RUN: not quant4-opt %s --quant4-build-training-step=forward=nope 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not quant4-opt %s --quant4-build-training-step 2>&1 | FileCheck %s --check-prefix=ALL
//
// A function that does not exist is one line at the module's location, not
// the error plus the module printed as a note (this file's module is
// implicit: no line; examples/mlp.mlir's is written out: the error, the
// source line and its caret).
// RUN: not quant4-opt %s --quant4-build-training-step=forward=nope 2>&1 >/dev/null | FileCheck %s --check-prefix=MISSING --implicit-check-not=note --implicit-check-not=module
// RUN: not quant4-opt %s --quant4-build-training-step=forward=nope 2>&1 >/dev/null | count 1
// RUN: not quant4-opt %quant4_src_root/examples/mlp.mlir --quant4-build-training-step=forward=nope 2>&1 >/dev/null | FileCheck %s --check-prefix=MODULE --implicit-check-not=note
// RUN: not quant4-opt %quant4_src_root/examples/mlp.mlir --quant4-build-training-step=forward=nope 2>&1 >/dev/null | count 3
// An unknown optimizer is one line.
// RUN: not quant4-opt %s --quant4-build-training-step=optimizer=lamb 2>&1 | FileCheck %s --check-prefix=OPTIMIZER
// OPTIMIZER: error: quant4-build-training-step: optimizer 'lamb' is not one of sgd, adamw
// MODULE: mlp.mlir:{{[0-9]+}}:1: error: quant4-build-training-step: no function @nope in the module
// MODULE-NEXT: {{^}}module {
// MODULE-NEXT: {{^}}^

// Only the named function is differentiated; the helper with another
// signature is left alone.
// CHECK-LABEL: func.func @net(
// CHECK-LABEL: func.func @net_train_step(
// CHECK-NOT: func.func @helper_train_step
// MISSING: error: quant4-build-training-step: no function @nope in the module
// ALL: error: quant4-build-training-step: forward function @helper returns 2 values
func.func @net(%w: tensor<3x2xf32>, %x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
func.func @helper(%a: tensor<2xf32>, %b: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  return %a, %b : tensor<2xf32>, tensor<2xf32>
}
