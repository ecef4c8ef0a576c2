// Finite-difference check of the linalg.generic rule on reductions: a
// softmax over the classes written as the importer writes it (a max
// reduction, exp of the shifted values, a sum reduction, a division), the
// log of a probability, and a min reduction added back as a per-row bias.
// RUN: quant4-gradcheck %s | FileCheck %s
// CHECK: grad w1: {{.*}}: OK
// CHECK: grad w2: {{.*}}: OK
// CHECK: loss: {{.*}}: OK
// CHECK: gradcheck: PASS
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @softmax(%w1: tensor<4x5xf32> {quant4.param = "w1"},
                   %w2: tensor<5x3xf32> {quant4.param = "w2"},
                   %x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %pinf = arith.constant 0x7F800000 : f32
  %e25 = tensor.empty() : tensor<2x5xf32>
  %z25 = linalg.fill ins(%zero : f32) outs(%e25 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %y = linalg.matmul ins(%x, %w1 : tensor<2x4xf32>, tensor<4x5xf32>) outs(%z25 : tensor<2x5xf32>) -> tensor<2x5xf32>
  %e2 = tensor.empty() : tensor<2xf32>
  %mi = linalg.fill ins(%ninf : f32) outs(%e2 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%y : tensor<2x5xf32>) outs(%mi : tensor<2xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.maximumf %o, %v : f32
      linalg.yield %r : f32
  } -> tensor<2xf32>
  %ex = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %max : tensor<2x5xf32>, tensor<2xf32>) outs(%e25 : tensor<2x5xf32>) {
    ^bb0(%v: f32, %m: f32, %o: f32):
      %d = arith.subf %v, %m : f32
      %r = math.exp %d : f32
      linalg.yield %r : f32
  } -> tensor<2x5xf32>
  %si = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2xf32>) -> tensor<2xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%ex : tensor<2x5xf32>) outs(%si : tensor<2xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.addf %v, %o : f32
      linalg.yield %r : f32
  } -> tensor<2xf32>
  %lp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%ex, %sum : tensor<2x5xf32>, tensor<2xf32>) outs(%e25 : tensor<2x5xf32>) {
    ^bb0(%v: f32, %s: f32, %o: f32):
      %p = arith.divf %v, %s : f32
      %r = math.log %p : f32
      linalg.yield %r : f32
  } -> tensor<2x5xf32>
  %ni = linalg.fill ins(%pinf : f32) outs(%e2 : tensor<2xf32>) -> tensor<2xf32>
  %min = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%y : tensor<2x5xf32>) outs(%ni : tensor<2xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.minimumf %o, %v : f32
      linalg.yield %r : f32
  } -> tensor<2xf32>
  %e23 = tensor.empty() : tensor<2x3xf32>
  %z23 = linalg.fill ins(%zero : f32) outs(%e23 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %l = linalg.matmul ins(%lp, %w2 : tensor<2x5xf32>, tensor<5x3xf32>) outs(%z23 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %out = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%l, %min : tensor<2x3xf32>, tensor<2xf32>) outs(%e23 : tensor<2x3xf32>) {
    ^bb0(%v: f32, %m: f32, %o: f32):
      %r = arith.addf %v, %m : f32
      linalg.yield %r : f32
  } -> tensor<2x3xf32>
  return %out : tensor<2x3xf32>
}
