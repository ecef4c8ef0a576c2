// Short failure: a bad pass option is one diagnostic at the location of the
// op the pass runs on, not the error plus that op printed as a note (a
// diagnostic emitted on an op prints it, --mlir-print-op-on-diagnostic: for
// a module pass, the whole module). This file's module is implicit (its
// location has no line: the error is one line); the module of
// examples/mlp3_train_step.mlir and a function are written out (the error
// line, the source line and its caret).
//
// RUN: not quant4-opt %s --quant4-apply-recipe=recipe=foo 2>&1 >/dev/null | FileCheck %s --check-prefix=RECIPE
// RUN: not quant4-opt %s --quant4-apply-recipe=recipe=foo 2>&1 >/dev/null | count 1
// RECIPE: pass-option-errors.mlir:0:0: error: option 'recipe': unknown recipe 'foo' (expected one of ultralow4, luq, mxfp4, nvfp4, fp8, fp32)
//
// RUN: not quant4-opt %s --quant4-apply-recipe="recipe=ultralow4 dgrad-phase=3" 2>&1 >/dev/null | FileCheck %s --check-prefix=PHASE
// RUN: not quant4-opt %s --quant4-apply-recipe="recipe=ultralow4 dgrad-phase=3" 2>&1 >/dev/null | count 1
// PHASE: error: option 'dgrad-phase': must be 0 or 1, got 3
//
// RUN: not quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe=recipe=foo 2>&1 >/dev/null | FileCheck %s --check-prefix=MODULE --implicit-check-not=note
// RUN: not quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe=recipe=foo 2>&1 >/dev/null | count 3
// MODULE: mlp3_train_step.mlir:{{[0-9]+}}:1: error: option 'recipe': unknown recipe 'foo'
// MODULE-NEXT: {{^}}module {
// MODULE-NEXT: {{^}}^
//
// RUN: not quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=ultralow4 overrides=7:fp32" 2>&1 >/dev/null | FileCheck %s --check-prefix=LAYER --implicit-check-not=note
// RUN: not quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=ultralow4 overrides=7:fp32" 2>&1 >/dev/null | count 3
// LAYER: error: option 'overrides': function @train_step has no layer '7'
//
// RUN: not quant4-opt %s --quant4-quantize-gemms=rounding=up 2>&1 >/dev/null | FileCheck %s --check-prefix=ROUND --implicit-check-not=note
// RUN: not quant4-opt %s --quant4-quantize-gemms=rounding=up 2>&1 >/dev/null | count 3
// ROUND: pass-option-errors.mlir:[[@LINE+2]]:1: error: option 'rounding': unknown rounding 'up'

func.func @step(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x2xf32>)
                     outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
