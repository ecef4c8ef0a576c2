// Finite-difference check of quant4.dropout's derivative rule (the same
// mask and scale on the gradient): a seed argument after the batch, as the
// ONNX importer writes for random dropout, becomes the step's quant4.seed
// argument; both dropouts (two streams) draw from it.
// RUN: quant4-gradcheck %s | FileCheck %s
// RUN: quant4-opt %s --quant4-build-training-step | FileCheck %s --check-prefix=STEP
// RUN: quant4-opt %s --quant4-build-training-step --quant4-apply-recipe="recipe=luq keep-first=false keep-last=false" | FileCheck %s --check-prefix=LUQ
// CHECK: grad w1: {{.*}}: OK
// CHECK: grad w2: {{.*}}: OK
// CHECK: gradcheck: PASS
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @drop(%w1: tensor<6x16xf32> {quant4.param = "w1"},
                %w2: tensor<16x4xf32> {quant4.param = "w2"},
                %x: tensor<5x6xf32>, %seed: i64 {quant4.seed}) -> tensor<5x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<5x16xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<5x16xf32>) -> tensor<5x16xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<5x6xf32>, tensor<6x16xf32>) outs(%z1 : tensor<5x16xf32>) -> tensor<5x16xf32>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<5x16xf32>) outs(%e1 : tensor<5x16xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = math.tanh %v : f32
      linalg.yield %r : f32
  } -> tensor<5x16xf32>
  %d = quant4.dropout %t seed %seed ratio 0.5 {stream = 1099511627776} : tensor<5x16xf32>
  %d2 = quant4.dropout %d seed %seed ratio 0.25 {stream = 1099511627777} : tensor<5x16xf32>
  %e2 = tensor.empty() : tensor<5x4xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<5x4xf32>) -> tensor<5x4xf32>
  %y = linalg.matmul ins(%d2, %w2 : tensor<5x16xf32>, tensor<16x4xf32>) outs(%z2 : tensor<5x4xf32>) -> tensor<5x4xf32>
  return %y : tensor<5x4xf32>
}

// The step takes the seed last; the backward applies each mask again, in
// reverse order, with the forward's stream.
// STEP-LABEL: func.func @drop_train_step(
// STEP-SAME: %[[SEED:[a-z0-9]+]]: i64 {quant4.seed}) ->
// STEP: quant4.dropout %{{.*}} seed %[[SEED]] ratio 5.000000e-01 {stream = 1099511627776 : i64}
// STEP: quant4.dropout %{{.*}} seed %[[SEED]] ratio 2.500000e-01 {stream = 1099511627777 : i64}
// STEP: quant4.dropout %{{.*}} seed %[[SEED]] ratio 2.500000e-01 {stream = 1099511627777 : i64}
// STEP: quant4.dropout %{{.*}} seed %[[SEED]] ratio 5.000000e-01 {stream = 1099511627776 : i64}

// A recipe with stochastic rounding shares the step's seed (no second seed
// argument); its streams (8·layer + 2·role + operand) stay below 2^40.
// LUQ-LABEL: func.func @drop_train_step(
// LUQ-SAME: %[[SEED:[a-z0-9]+]]: i64 {quant4.seed}
// LUQ-NOT: quant4.seed
// LUQ: ) ->
// LUQ: quant4.quantize {{.*}} seed %[[SEED]] rounding<stochastic_underflow>
