// Finite-difference check of linalg.matmul with transposed operand maps
// (A stored K x M, B stored N x K) and of linalg.transpose.
// RUN: quant4-gradcheck %s | FileCheck %s
// CHECK: grad wt: {{.*}}: OK
// CHECK: grad v: {{.*}}: OK
// CHECK: gradcheck: PASS
func.func @f(%wt: tensor<3x6xf32> {quant4.param = "wt"},
             %v: tensor<6x5xf32> {quant4.param = "v"},
             %x: tensor<5x6xf32>) -> tensor<5x3xf32> {
  %zero = arith.constant 0.0 : f32
  // h (5x6) = xᵀ... with A = v (K=6 x M=5) transposed: h[m, n] = Σ_k v[k, m] x[n, k]
  %e = tensor.empty() : tensor<5x5xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<5x5xf32>) -> tensor<5x5xf32>
  %h = linalg.matmul
      indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%v, %x : tensor<6x5xf32>, tensor<5x6xf32>) outs(%z : tensor<5x5xf32>) -> tensor<5x5xf32>
  // xw (5x3) = x · wtᵀ with B stored N x K
  %e2 = tensor.empty() : tensor<5x3xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<5x3xf32>) -> tensor<5x3xf32>
  %xw = linalg.matmul
      indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %wt : tensor<5x6xf32>, tensor<3x6xf32>) outs(%z2 : tensor<5x3xf32>) -> tensor<5x3xf32>
  // y = hᵀ · xw through an explicit linalg.transpose
  %et = tensor.empty() : tensor<5x5xf32>
  %ht = linalg.transpose ins(%h : tensor<5x5xf32>) outs(%et : tensor<5x5xf32>) permutation = [1, 0]
  %y = linalg.matmul ins(%ht, %xw : tensor<5x5xf32>, tensor<5x3xf32>) outs(%z2 : tensor<5x3xf32>) -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}
