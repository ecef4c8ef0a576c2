// RUN: quant4-opt %s -split-input-file -verify-diagnostics --quant4-quantize-by-recipe="fp8-history=4" | FileCheck %s
// Stage 3 of quant4-apply-recipe on a step as stages 1 and 2 leave it: a
// GEMM annotated with its recipe, the state arguments and results found by
// their quant4.state names (here written by hand).

// CHECK-LABEL: func.func @step(
// CHECK-SAME: %[[W:[a-z0-9]+]]: tensor<16x4xf32> {quant4.param = "fc"}, %[[X:[a-z0-9]+]]: tensor<8x16xf32>,
// CHECK-SAME: %[[AH:[a-z0-9]+]]: tensor<4xf32> {quant4.state = "fc.act.amax_history"}, %[[AS:[a-z0-9]+]]: tensor<f32> {quant4.state = "fc.act.scale"},
// CHECK-SAME: %[[WH:[a-z0-9]+]]: tensor<4xf32> {quant4.state = "fc.weight.amax_history"}, %[[WS:[a-z0-9]+]]: tensor<f32> {quant4.state = "fc.weight.scale"})
// CHECK: %[[SX:.*]], %[[HX:.*]] = quant4.scale #quant4.delayed<history = 4> %[[X]] state(%[[AH]], %[[AS]] : tensor<4xf32>, tensor<f32>) for f8E4M3FN
// CHECK: %[[QX:.*]] = quant4.quantize %[[X]], %[[SX]] rounding<nearest_even> :
// CHECK: %[[SW:.*]], %[[HW:.*]] = quant4.scale #quant4.delayed<history = 4> %[[W]] state(%[[WH]], %[[WS]] : tensor<4xf32>, tensor<f32>) for f8E4M3FN
// CHECK: %[[QW:.*]] = quant4.quantize %[[W]], %[[SW]] rounding<nearest_even> {stream = 1 : i64}
// CHECK: %[[Y:.*]] = quant4.matmul %[[QX]], %[[QW]] scales(%[[SX]], %[[SW]]) acc<f32> {quant4.layer = 0 : i64, quant4.layer_name = "fc", quant4.recipe = "fp8", quant4.role = "fwd"}
// CHECK: return %[[Y]], %[[HX]], %[[SX]], %[[HW]], %[[SW]] :
func.func @step(%w: tensor<16x4xf32> {quant4.param = "fc"}, %x: tensor<8x16xf32>,
                %ah: tensor<4xf32> {quant4.state = "fc.act.amax_history"}, %as: tensor<f32> {quant4.state = "fc.act.scale"},
                %wh: tensor<4xf32> {quant4.state = "fc.weight.amax_history"}, %ws: tensor<f32> {quant4.state = "fc.weight.scale"})
    -> (tensor<8x4xf32>,
        tensor<4xf32> {quant4.state = "fc.act.amax_history"}, tensor<f32> {quant4.state = "fc.act.scale"},
        tensor<4xf32> {quant4.state = "fc.weight.amax_history"}, tensor<f32> {quant4.state = "fc.weight.scale"}) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %y = linalg.matmul {quant4.recipe = "fp8", quant4.role = "fwd", quant4.layer = 0 : i64, quant4.layer_name = "fc"}
      ins(%x, %w : tensor<8x16xf32>, tensor<16x4xf32>) outs(%z : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %y, %ah, %as, %wh, %ws : tensor<8x4xf32>, tensor<4xf32>, tensor<f32>, tensor<4xf32>, tensor<f32>
}

// -----

// The weight's state is missing (e.g. stage 2 ran with other options).
// expected-error@+1 {{function @step has no state argument quant4.state = "fc.weight.amax_history" (run quant4-thread-recipe-state with the same options first)}}
func.func @step(%w: tensor<16x4xf32> {quant4.param = "fc"}, %x: tensor<8x16xf32>,
                %ah: tensor<4xf32> {quant4.state = "fc.act.amax_history"}, %as: tensor<f32> {quant4.state = "fc.act.scale"})
    -> (tensor<8x4xf32>, tensor<4xf32> {quant4.state = "fc.act.amax_history"}, tensor<f32> {quant4.state = "fc.act.scale"}) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %y = linalg.matmul {quant4.recipe = "fp8", quant4.role = "fwd", quant4.layer_name = "fc"}
      ins(%x, %w : tensor<8x16xf32>, tensor<16x4xf32>) outs(%z : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %y, %ah, %as : tensor<8x4xf32>, tensor<4xf32>, tensor<f32>
}

// -----

// A stochastic rounding (NVFP4's gradient in the wgrad) needs the seed
// argument (or seed=N).
// expected-error@+1 {{function @step has no argument tagged quant4.seed for stochastic rounding}}
func.func @step(%w: tensor<16x4xf32> {quant4.param = "fc"}, %x: tensor<8x16xf32>) -> (tensor<8x4xf32>, tensor<16x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %y = linalg.matmul {quant4.recipe = "nvfp4", quant4.role = "fwd", quant4.layer_name = "fc"}
      ins(%x, %w : tensor<8x16xf32>, tensor<16x4xf32>) outs(%z : tensor<8x4xf32>) -> tensor<8x4xf32>
  %et = tensor.empty() : tensor<16x8xf32>
  %xt = linalg.transpose ins(%x : tensor<8x16xf32>) outs(%et : tensor<16x8xf32>) permutation = [1, 0]
  %ew = tensor.empty() : tensor<16x4xf32>
  %zw = linalg.fill ins(%zero : f32) outs(%ew : tensor<16x4xf32>) -> tensor<16x4xf32>
  %dw = linalg.matmul {quant4.recipe = "nvfp4", quant4.role = "wgrad", quant4.layer_name = "fc"}
      ins(%xt, %y : tensor<16x8xf32>, tensor<8x4xf32>) outs(%zw : tensor<16x4xf32>) -> tensor<16x4xf32>
  return %y, %dw : tensor<8x4xf32>, tensor<16x4xf32>
}
