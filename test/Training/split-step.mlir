// quant4-build-training-step{split=true} (issue 21): the step as a gradient
// function and an update function, which data-parallel training runs with
// an all-reduce of the gradients in between. Their composition gives the
// same bits as the fused step, for SGD and AdamW.
// RUN: quant4-opt %s --quant4-build-training-step=split=true | FileCheck %s
// RUN: quant4-opt %s "--quant4-build-training-step=split=true optimizer=adamw" | FileCheck %s --check-prefix=ADAMW
// RUN: not quant4-opt %s --quant4-build-training-step=split=true --quant4-build-training-step=split=true 2>&1 | FileCheck %s --check-prefix=TWICE

// The model: a dense layer, a BatchNorm-like buffer (a running mean the
// forward updates), ReLU, a second dense layer.
func.func @net(%w1: tensor<8x16xf32> {quant4.param = "fc1.weight"},
               %rm: tensor<16xf32> {quant4.buffer = "bn.running_mean"},
               %w2: tensor<16x4xf32> {quant4.param = "fc2.weight"},
               %x: tensor<4x8xf32>) -> (tensor<4x4xf32>, tensor<16xf32> {quant4.buffer = "bn.running_mean"}) {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 0.25 : f32
  %e1 = tensor.empty() : tensor<4x16xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<4x8xf32>, tensor<8x16xf32>) outs(%z1 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<4x16xf32>) outs(%e1 : tensor<4x16xf32>) {
    ^bb0(%v: f32, %o: f32):
      %m = arith.maximumf %v, %zero : f32
      linalg.yield %m : f32
  } -> tensor<4x16xf32>
  // The buffer's update: rm·0.25 (no gradient flows through it).
  %e0 = tensor.empty() : tensor<16xf32>
  %rm2 = linalg.generic {indexing_maps = [affine_map<(j) -> (j)>, affine_map<(j) -> (j)>], iterator_types = ["parallel"]}
      ins(%rm : tensor<16xf32>) outs(%e0 : tensor<16xf32>) {
    ^bb0(%v: f32, %o: f32):
      %m = arith.mulf %v, %c : f32
      linalg.yield %m : f32
  } -> tensor<16xf32>
  %e2 = tensor.empty() : tensor<4x4xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x4xf32>) -> tensor<4x4xf32>
  %y = linalg.matmul ins(%r, %w2 : tensor<4x16xf32>, tensor<16x4xf32>) outs(%z2 : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y, %rm2 : tensor<4x4xf32>, tensor<16xf32>
}

// CHECK-LABEL: func.func @net_grad_step(
// CHECK-SAME: %{{.+}}: tensor<8x16xf32> {quant4.param = "fc1.weight"}, %{{.+}}: tensor<16xf32> {quant4.buffer = "bn.running_mean"}, %{{.+}}: tensor<16x4xf32> {quant4.param = "fc2.weight"}, %{{.+}}: tensor<4x8xf32> {quant4.batch}, %{{.+}}: tensor<4xi32> {quant4.labels})
// CHECK-SAME: -> (tensor<8x16xf32> {quant4.grad = "fc1.weight"}, tensor<16x4xf32> {quant4.grad = "fc2.weight"}, tensor<16xf32> {quant4.buffer = "bn.running_mean"}, tensor<f32> {quant4.loss}, tensor<i32> {quant4.correct})
// CHECK-SAME: attributes {quant4.forward = @net
// CHECK: linalg.matmul {{.*}}quant4.role = "wgrad"
// CHECK-NOT: quant4.hyper
// CHECK-LABEL: func.func @net_update_step(
// CHECK-SAME: %{{.+}}: tensor<8x16xf32> {quant4.param = "fc1.weight"}, %{{.+}}: tensor<16x4xf32> {quant4.param = "fc2.weight"}, %{{.+}}: tensor<8x16xf32> {quant4.grad = "fc1.weight"}, %{{.+}}: tensor<16x4xf32> {quant4.grad = "fc2.weight"}, %{{.+}}: tensor<8x16xf32> {quant4.momentum = "fc1.weight"}, %{{.+}}: tensor<16x4xf32> {quant4.momentum = "fc2.weight"}, %{{.+}}: tensor<f32> {quant4.hyper = "lr"}, %{{.+}}: tensor<f32> {quant4.hyper = "momentum"}, %{{.+}}: tensor<f32> {quant4.hyper = "weight_decay"})
// CHECK-SAME: -> (tensor<8x16xf32> {quant4.param = "fc1.weight"}, tensor<16x4xf32> {quant4.param = "fc2.weight"}, tensor<8x16xf32> {quant4.momentum = "fc1.weight"}, tensor<16x4xf32> {quant4.momentum = "fc2.weight"})
// CHECK-NOT: linalg.matmul
// CHECK: return

// ADAMW-LABEL: func.func @net_update_step(
// ADAMW-SAME: {quant4.momentum = "fc2.weight"}, %{{.+}}: tensor<8x16xf32> {quant4.second_moment = "fc1.weight"}, %{{.+}}: tensor<16x4xf32> {quant4.second_moment = "fc2.weight"}, %{{.+}}: tensor<f32> {quant4.hyper = "lr"}, %{{.+}}: tensor<f32> {quant4.hyper = "beta1"}, %{{.+}}: tensor<f32> {quant4.hyper = "beta2"}, %{{.+}}: tensor<f32> {quant4.hyper = "epsilon"}, %{{.+}}: tensor<f32> {quant4.hyper = "weight_decay"}, %{{.+}}: tensor<f32> {quant4.hyper = "step"})
// ADAMW: math.powf

// TWICE: error: quant4-build-training-step: @net_grad_step already exists

// The composition against the fused step, on random data: the same bits
// for every parameter, optimizer state, buffer, loss and correct count.
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/w1.npy --dtype float32 --shape 8x16 --random 1
// RUN: quant4-ref gen %t/rm.npy --dtype float32 --shape 16 --random 2
// RUN: quant4-ref gen %t/w2.npy --dtype float32 --shape 16x4 --random 3
// RUN: quant4-ref gen %t/m1.npy --dtype float32 --shape 8x16 --random 4
// RUN: quant4-ref gen %t/m2.npy --dtype float32 --shape 16x4 --random 5
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 4x8 --random 6
// RUN: quant4-ref gen %t/y.npy --dtype int32 --shape 4 --values 0,3,1,2
// RUN: quant4-opt %s --quant4-build-training-step -o %t/fused.mlir
// RUN: quant4-opt %s --quant4-build-training-step=split=true -o %t/split.mlir
// RUN: quant4-run %t/fused.mlir --entry net_train_step --input %t/w1.npy --input %t/rm.npy --input %t/w2.npy --input %t/m1.npy --input %t/m2.npy --input %t/x.npy --input %t/y.npy --scalar 0.1 --scalar 0.9 --scalar 0.001 --output-dir %t/fused
// RUN: quant4-run %t/split.mlir --entry net_grad_step --input %t/w1.npy --input %t/rm.npy --input %t/w2.npy --input %t/x.npy --input %t/y.npy --output-dir %t/grad
// RUN: quant4-run %t/split.mlir --entry net_update_step --input %t/w1.npy --input %t/w2.npy --input %t/grad/result0.npy --input %t/grad/result1.npy --input %t/m1.npy --input %t/m2.npy --scalar 0.1 --scalar 0.9 --scalar 0.001 --output-dir %t/update
// Fused results: w1, rm, w2, m1, m2, loss, correct.
// RUN: cmp %t/fused/result0.npy %t/update/result0.npy
// RUN: cmp %t/fused/result1.npy %t/grad/result2.npy
// RUN: cmp %t/fused/result2.npy %t/update/result1.npy
// RUN: cmp %t/fused/result3.npy %t/update/result2.npy
// RUN: cmp %t/fused/result4.npy %t/update/result3.npy
// RUN: cmp %t/fused/result5.npy %t/grad/result3.npy
// RUN: cmp %t/fused/result6.npy %t/grad/result4.npy
// The parameters did move.
// RUN: not cmp -s %t/w1.npy %t/update/result0.npy
