// One training step of a 2-layer MLP (batch 4, 6 -> 5 -> 3, MSE loss, SGD
// with lr = 0.125), hand-written in linalg + quant4: int4/uint4 forward GEMMs
// with amax scales, gradients in the radix-4 log format with stochastic
// rounding, backward GEMMs on transposed quantized operands. The whole graph
// goes through quant4-cpu-pipeline; every output is compared byte for byte
// with the same step evaluated op by op by quant4-ref (Numerics library).
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 4x6 --random 1 --lo -2 --hi 2
// RUN: quant4-ref gen %t/t.npy --dtype float32 --shape 4x3 --random 2 --lo -1 --hi 1
// RUN: quant4-ref gen %t/w1.npy --dtype float32 --shape 6x5 --random 3 --lo -1 --hi 1
// RUN: quant4-ref gen %t/w2.npy --dtype float32 --shape 5x3 --random 4 --lo -1 --hi 1
// RUN: quant4-run %s --entry step --input %t/x.npy --input %t/t.npy --input %t/w1.npy --input %t/w2.npy --output-dir %t/out --threads 2
//
// Forward.
// RUN: quant4-ref scale %t/x.npy %t/sx.npy --policy amax --format int4
// RUN: quant4-ref quantize %t/x.npy %t/sx.npy %t/xq.npy --format int4 --rounding nearest
// RUN: quant4-ref scale %t/w1.npy %t/sw1.npy --policy amax --format int4
// RUN: quant4-ref quantize %t/w1.npy %t/sw1.npy %t/w1q.npy --format int4 --rounding nearest
// RUN: quant4-ref matmul %t/xq.npy %t/w1q.npy %t/sx.npy %t/sw1.npy %t/h.npy --lhs-format int4 --rhs-format int4 --acc exact
// RUN: quant4-ref relu %t/h.npy %t/a.npy
// RUN: quant4-ref scale %t/a.npy %t/sa.npy --policy amax --format uint4
// RUN: quant4-ref quantize %t/a.npy %t/sa.npy %t/aq.npy --format uint4 --rounding nearest
// RUN: quant4-ref scale %t/w2.npy %t/sw2.npy --policy amax --format int4
// RUN: quant4-ref quantize %t/w2.npy %t/sw2.npy %t/w2q.npy --format int4 --rounding nearest
// RUN: quant4-ref matmul %t/aq.npy %t/w2q.npy %t/sa.npy %t/sw2.npy %t/y.npy --lhs-format uint4 --rhs-format int4 --acc f16
// RUN: cmp %t/out/result0.npy %t/y.npy
// Backward.
// RUN: quant4-ref sub %t/y.npy %t/t.npy %t/dy.npy
// RUN: quant4-ref scale %t/dy.npy %t/sdy.npy --policy amax --format "log<4,3,0>"
// RUN: quant4-ref quantize %t/dy.npy %t/sdy.npy %t/dyq.npy --format "log<4,3,0>" --rounding stochastic --seed 1 --stream 1
// RUN: quant4-ref matmul %t/aq.npy %t/dyq.npy %t/sa.npy %t/sdy.npy %t/dw2.npy --lhs-format uint4 --rhs-format "log<4,3,0>" --acc f32 --transpose-lhs
// RUN: quant4-ref matmul %t/dyq.npy %t/w2q.npy %t/sdy.npy %t/sw2.npy %t/da.npy --lhs-format "log<4,3,0>" --rhs-format int4 --acc f32 --transpose-rhs
// RUN: quant4-ref relu_grad %t/h.npy %t/da.npy %t/dh.npy
// RUN: quant4-ref scale %t/dh.npy %t/sdh.npy --policy amax --format "log<4,3,0>"
// RUN: quant4-ref quantize %t/dh.npy %t/sdh.npy %t/dhq.npy --format "log<4,3,0>" --rounding stochastic --seed 1 --stream 2
// RUN: quant4-ref matmul %t/xq.npy %t/dhq.npy %t/sx.npy %t/sdh.npy %t/dw1.npy --lhs-format int4 --rhs-format "log<4,3,0>" --acc f32 --transpose-lhs
// RUN: quant4-ref sgd %t/w1.npy %t/dw1.npy 0.125 %t/w1n.npy
// RUN: quant4-ref sgd %t/w2.npy %t/dw2.npy 0.125 %t/w2n.npy
// RUN: cmp %t/out/result1.npy %t/w1n.npy
// RUN: cmp %t/out/result2.npy %t/w2n.npy
// RUN: cmp %t/out/result3.npy %t/dw1.npy

#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @step(%x: tensor<4x6xf32>, %t: tensor<4x3xf32>, %w1: tensor<6x5xf32>, %w2: tensor<5x3xf32>)
    -> (tensor<4x3xf32>, tensor<6x5xf32>, tensor<5x3xf32>, tensor<6x5xf32>) {
  %zero = arith.constant 0.0 : f32
  %lr = arith.constant 0.125 : f32
  %seed = arith.constant 1 : i64
  // Forward: h = Q(x) Q(w1), a = relu(h), y = Q(a) Q(w2).
  %sx = quant4.scale #quant4.amax %x for !quant4.int<4> : tensor<4x6xf32> -> tensor<f32>
  %xq = quant4.quantize %x, %sx rounding<nearest> : tensor<4x6xf32>, tensor<f32> -> tensor<4x6x!quant4.int<4>>
  %sw1 = quant4.scale #quant4.amax %w1 for !quant4.int<4> : tensor<6x5xf32> -> tensor<f32>
  %w1q = quant4.quantize %w1, %sw1 rounding<nearest> : tensor<6x5xf32>, tensor<f32> -> tensor<6x5x!quant4.int<4>>
  %h = quant4.matmul %xq, %w1q scales(%sx, %sw1) acc<exact> : tensor<4x6x!quant4.int<4>>, tensor<6x5x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<4x5xf32>
  %e45 = tensor.empty() : tensor<4x5xf32>
  %a = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<4x5xf32>) outs(%e45 : tensor<4x5xf32>) {
  ^bb0(%v: f32, %o: f32):
    %p = arith.cmpf ogt, %v, %zero : f32
    %r = arith.select %p, %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x5xf32>
  %sa = quant4.scale #quant4.amax %a for !quant4.uint<4> : tensor<4x5xf32> -> tensor<f32>
  %aq = quant4.quantize %a, %sa rounding<nearest> : tensor<4x5xf32>, tensor<f32> -> tensor<4x5x!quant4.uint<4>>
  %sw2 = quant4.scale #quant4.amax %w2 for !quant4.int<4> : tensor<5x3xf32> -> tensor<f32>
  %w2q = quant4.quantize %w2, %sw2 rounding<nearest> : tensor<5x3xf32>, tensor<f32> -> tensor<5x3x!quant4.int<4>>
  %y = quant4.matmul %aq, %w2q scales(%sa, %sw2) acc<f16> : tensor<4x5x!quant4.uint<4>>, tensor<5x3x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<4x3xf32>
  // Backward of 1/2 |y - t|^2: dy = y - t.
  %e43 = tensor.empty() : tensor<4x3xf32>
  %dy = linalg.sub ins(%y, %t : tensor<4x3xf32>, tensor<4x3xf32>) outs(%e43 : tensor<4x3xf32>) -> tensor<4x3xf32>
  %sdy = quant4.scale #quant4.amax %dy for !quant4.log<4, 3, 0> : tensor<4x3xf32> -> tensor<f32>
  %dyq = quant4.quantize %dy, %sdy seed %seed rounding<stochastic> {stream = 1} : tensor<4x3xf32>, tensor<f32> -> tensor<4x3x!quant4.log<4, 3, 0>>
  // wgrad dW2 = Q(a)^T Q(dy); dgrad dA = Q(dy) Q(w2)^T.
  %dw2 = quant4.matmul %aq, %dyq scales(%sa, %sdy) acc<f32> {transpose_lhs} : tensor<4x5x!quant4.uint<4>>, tensor<4x3x!quant4.log<4, 3, 0>>, tensor<f32>, tensor<f32> -> tensor<5x3xf32>
  %da = quant4.matmul %dyq, %w2q scales(%sdy, %sw2) acc<f32> {transpose_rhs} : tensor<4x3x!quant4.log<4, 3, 0>>, tensor<5x3x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<4x5xf32>
  %dh = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%h, %da : tensor<4x5xf32>, tensor<4x5xf32>) outs(%e45 : tensor<4x5xf32>) {
  ^bb0(%hv: f32, %g: f32, %o: f32):
    %p = arith.cmpf ogt, %hv, %zero : f32
    %r = arith.select %p, %g, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x5xf32>
  %sdh = quant4.scale #quant4.amax %dh for !quant4.log<4, 3, 0> : tensor<4x5xf32> -> tensor<f32>
  %dhq = quant4.quantize %dh, %sdh seed %seed rounding<stochastic> {stream = 2} : tensor<4x5xf32>, tensor<f32> -> tensor<4x5x!quant4.log<4, 3, 0>>
  %dw1 = quant4.matmul %xq, %dhq scales(%sx, %sdh) acc<f32> {transpose_lhs} : tensor<4x6x!quant4.int<4>>, tensor<4x5x!quant4.log<4, 3, 0>>, tensor<f32>, tensor<f32> -> tensor<6x5xf32>
  // SGD: w - lr * dw.
  %e65 = tensor.empty() : tensor<6x5xf32>
  %w1n = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%w1, %dw1 : tensor<6x5xf32>, tensor<6x5xf32>) outs(%e65 : tensor<6x5xf32>) {
  ^bb0(%w: f32, %g: f32, %o: f32):
    %s = arith.mulf %lr, %g : f32
    %r = arith.subf %w, %s : f32
    linalg.yield %r : f32
  } -> tensor<6x5xf32>
  %e53 = tensor.empty() : tensor<5x3xf32>
  %w2n = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%w2, %dw2 : tensor<5x3xf32>, tensor<5x3xf32>) outs(%e53 : tensor<5x3xf32>) {
  ^bb0(%w: f32, %g: f32, %o: f32):
    %s = arith.mulf %lr, %g : f32
    %r = arith.subf %w, %s : f32
    linalg.yield %r : f32
  } -> tensor<5x3xf32>
  return %y, %w1n, %w2n, %dw1 : tensor<4x3xf32>, tensor<6x5xf32>, tensor<5x3xf32>, tensor<6x5xf32>
}
