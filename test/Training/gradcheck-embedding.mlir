// Finite-difference check of the gather rule (an embedding lookup: a
// linalg.generic whose body reads a parameter with tensor.extract at a
// token id, as the ONNX importer writes Gather): its adjoint is a
// scatter-add over the batch (ids in [0, 8), so they repeat). Then the mean
// over the sequence and a linear layer.
// RUN: quant4-gradcheck %s | FileCheck %s
// CHECK: grad embed: {{.*}}: OK
// CHECK: grad w: {{.*}}: OK
// CHECK: gradcheck: PASS
func.func @embedding(%embed: tensor<10x4xf32> {quant4.param = "embed"},
                     %w: tensor<4x3xf32> {quant4.param = "w"},
                     %ids: tensor<2x5xi64>) -> tensor<2x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x5x4xf32>
  %h = linalg.generic {indexing_maps = [affine_map<(b, t, d) -> (b, t)>, affine_map<(b, t, d) -> (b, t, d)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%ids : tensor<2x5xi64>) outs(%e : tensor<2x5x4xf32>) {
    ^bb0(%id: i64, %o: f32):
      %i = arith.index_cast %id : i64 to index
      %c0 = arith.constant 0 : index
      %c9 = arith.constant 9 : index
      %lo = arith.maxsi %i, %c0 : index
      %cl = arith.minsi %lo, %c9 : index
      %d = linalg.index 2 : index
      %v = tensor.extract %embed[%cl, %d] : tensor<10x4xf32>
      linalg.yield %v : f32
  } -> tensor<2x5x4xf32>
  %e2 = tensor.empty() : tensor<2x4xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %mean = linalg.generic {indexing_maps = [affine_map<(b, d, t) -> (b, t, d)>, affine_map<(b, d, t) -> (b, d)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%h : tensor<2x5x4xf32>) outs(%z2 : tensor<2x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %k = arith.constant 0.2 : f32
      %s = arith.mulf %v, %k : f32
      %r = arith.addf %o, %s : f32
      linalg.yield %r : f32
  } -> tensor<2x4xf32>
  %e3 = tensor.empty() : tensor<2x3xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%mean, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%z3 : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
