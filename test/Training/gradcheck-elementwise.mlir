// Finite-difference check of the scalar-body derivative rules of
// element-wise linalg.generic (addf, subf, mulf, divf, negf, maximumf,
// minimumf, select/cmpf, math.exp, log, tanh, sqrt) and of named
// element-wise linalg ops (linalg.add, sub, mul, div, max, exp, broadcast).
// RUN: quant4-gradcheck %s | FileCheck %s
// CHECK: grad w: {{.*}}: OK
// CHECK: grad s: {{.*}}: OK
// CHECK: grad r: {{.*}}: OK
// CHECK: grad w2: {{.*}}: OK
// CHECK: gradcheck: PASS
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @ew(%w: tensor<5x6xf32> {quant4.param = "w"},
              %s: tensor<6xf32> {quant4.param = "s"},
              %r: tensor<4x6xf32> {quant4.param = "r"},
              %w2: tensor<6x3xf32> {quant4.param = "w2"},
              %x: tensor<4x5xf32>) -> tensor<4x3xf32> {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<4x6xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x6xf32>) -> tensor<4x6xf32>
  %h = linalg.matmul ins(%x, %w : tensor<4x5xf32>, tensor<5x6xf32>) outs(%z : tensor<4x6xf32>) -> tensor<4x6xf32>
  // Smooth scalar functions of h and the broadcast row s.
  %a = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %s : tensor<4x6xf32>, tensor<6xf32>) outs(%e : tensor<4x6xf32>) {
    ^bb0(%v: f32, %b: f32, %o: f32):
      %t = math.tanh %v : f32
      %bb = arith.mulf %b, %b : f32
      %den = arith.addf %bb, %one : f32
      %q = arith.divf %t, %den : f32
      %ex = math.exp %b : f32
      %vv = arith.mulf %v, %v : f32
      %vv1 = arith.addf %vv, %one : f32
      %lg = math.log %vv1 : f32
      %sq = math.sqrt %vv1 : f32
      %m1 = arith.mulf %q, %ex : f32
      %m2 = arith.subf %m1, %lg : f32
      %m3 = arith.addf %m2, %sq : f32
      %n = arith.negf %m3 : f32
      linalg.yield %n : f32
  } -> tensor<4x6xf32>
  // Piecewise ops: select on a comparison, minimumf, maximumf.
  %c = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %r : tensor<4x6xf32>, tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
    ^bb0(%v: f32, %q: f32, %o: f32):
      %pos = arith.cmpf ogt, %q, %zero : f32
      %vq = arith.mulf %v, %q : f32
      %sel = arith.select %pos, %vq, %v : f32
      %mn = arith.minimumf %sel, %one : f32
      %mx = arith.maximumf %mn, %q : f32
      linalg.yield %mx : f32
  } -> tensor<4x6xf32>
  // Named element-wise ops (generalized by the pass).
  %bs = linalg.broadcast ins(%s : tensor<6xf32>) outs(%e : tensor<4x6xf32>) dimensions = [0]
  %ad = linalg.add ins(%c, %bs : tensor<4x6xf32>, tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) -> tensor<4x6xf32>
  %ml = linalg.mul ins(%ad, %r : tensor<4x6xf32>, tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) -> tensor<4x6xf32>
  %ex = linalg.exp ins(%r : tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) -> tensor<4x6xf32>
  %dv = linalg.div ins(%ml, %ex : tensor<4x6xf32>, tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) -> tensor<4x6xf32>
  %sb = linalg.sub ins(%dv, %h : tensor<4x6xf32>, tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) -> tensor<4x6xf32>
  %relu = linalg.max ins(%sb, %z : tensor<4x6xf32>, tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) -> tensor<4x6xf32>
  %e3 = tensor.empty() : tensor<4x3xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<4x3xf32>) -> tensor<4x3xf32>
  %y = linalg.matmul ins(%relu, %w2 : tensor<4x6xf32>, tensor<6x3xf32>) outs(%z3 : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}
