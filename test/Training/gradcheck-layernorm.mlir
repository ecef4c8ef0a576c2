// Finite-difference check of the scalar rules of a layer normalisation and
// a GELU as the ONNX importer writes them: mean and variance as sum
// reductions (the square as math.powf), math.rsqrt, a per-feature scale
// and shift, and GELU = x/2 · (1 + erf(x/√2)); then tanh.
// RUN: quant4-gradcheck %s | FileCheck %s
// CHECK: grad w1: {{.*}}: OK
// CHECK: grad gamma: {{.*}}: OK
// CHECK: grad beta: {{.*}}: OK
// CHECK: grad w2: {{.*}}: OK
// CHECK: gradcheck: PASS
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @layernorm(%w1: tensor<4x6xf32> {quant4.param = "w1"},
                     %gamma: tensor<6xf32> {quant4.param = "gamma"},
                     %beta: tensor<6xf32> {quant4.param = "beta"},
                     %w2: tensor<6x3xf32> {quant4.param = "w2"},
                     %x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e26 = tensor.empty() : tensor<2x6xf32>
  %z26 = linalg.fill ins(%zero : f32) outs(%e26 : tensor<2x6xf32>) -> tensor<2x6xf32>
  %y = linalg.matmul ins(%x, %w1 : tensor<2x4xf32>, tensor<4x6xf32>) outs(%z26 : tensor<2x6xf32>) -> tensor<2x6xf32>
  %e2 = tensor.empty() : tensor<2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2xf32>) -> tensor<2xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%y : tensor<2x6xf32>) outs(%z2 : tensor<2xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.addf %o, %v : f32
      linalg.yield %r : f32
  } -> tensor<2xf32>
  %c = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %sum : tensor<2x6xf32>, tensor<2xf32>) outs(%e26 : tensor<2x6xf32>) {
    ^bb0(%v: f32, %s: f32, %o: f32):
      %n = arith.constant 6.0 : f32
      %m = arith.divf %s, %n : f32
      %r = arith.subf %v, %m : f32
      linalg.yield %r : f32
  } -> tensor<2x6xf32>
  %sq = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%c : tensor<2x6xf32>) outs(%z2 : tensor<2xf32>) {
    ^bb0(%v: f32, %o: f32):
      %two = arith.constant 2.0 : f32
      %p = math.powf %v, %two : f32
      %r = arith.addf %o, %p : f32
      linalg.yield %r : f32
  } -> tensor<2xf32>
  %ln = linalg.generic {indexing_maps = [#id, #row, #col, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c, %sq, %gamma, %beta : tensor<2x6xf32>, tensor<2xf32>, tensor<6xf32>, tensor<6xf32>) outs(%e26 : tensor<2x6xf32>) {
    ^bb0(%v: f32, %s: f32, %g: f32, %b: f32, %o: f32):
      %n = arith.constant 6.0 : f32
      %eps = arith.constant 1.0e-5 : f32
      %var = arith.divf %s, %n : f32
      %ve = arith.addf %var, %eps : f32
      %inv = math.rsqrt %ve : f32
      %nv = arith.mulf %v, %inv : f32
      %sc = arith.mulf %nv, %g : f32
      %r = arith.addf %sc, %b : f32
      linalg.yield %r : f32
  } -> tensor<2x6xf32>
  %gelu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%ln : tensor<2x6xf32>) outs(%e26 : tensor<2x6xf32>) {
    ^bb0(%v: f32, %o: f32):
      %half = arith.constant 0.5 : f32
      %one = arith.constant 1.0 : f32
      %isq2 = arith.constant 0.707106781 : f32
      %s = arith.mulf %v, %isq2 : f32
      %e = math.erf %s : f32
      %e1 = arith.addf %e, %one : f32
      %h = arith.mulf %v, %half : f32
      %g = arith.mulf %h, %e1 : f32
      %t = math.tanh %g : f32
      linalg.yield %t : f32
  } -> tensor<2x6xf32>
  %e23 = tensor.empty() : tensor<2x3xf32>
  %z23 = linalg.fill ins(%zero : f32) outs(%e23 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %l = linalg.matmul ins(%gelu, %w2 : tensor<2x6xf32>, tensor<6x3xf32>) outs(%z23 : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %l : tensor<2x3xf32>
}
