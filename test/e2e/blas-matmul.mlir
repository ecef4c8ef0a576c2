// f32 linalg.matmul runs on OpenBLAS (quant4-cpu-blas-matmul ->
// quant4_rt_matmul_f32 -> cblas_sgemm): default maps, transposed-operand
// maps, an operand fed by linalg.transpose, accumulation into a non-zero
// init, dynamic shapes. The inputs are small integers (0..7), so every
// product and partial sum is exact in float32 and any summation order gives
// the same bits: the results are compared byte for byte with quant4-ref
// fmatmul (a double-precision loop), at 1 and 2 threads.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/a.npy --dtype float32 --shape 6x37 --codes 1 --bits 3
// RUN: quant4-ref gen %t/b.npy --dtype float32 --shape 37x7 --codes 2 --bits 3
// RUN: quant4-ref gen %t/at.npy --dtype float32 --shape 37x6 --codes 3 --bits 3
// RUN: quant4-ref gen %t/bt.npy --dtype float32 --shape 7x37 --codes 4 --bits 3
// RUN: quant4-ref gen %t/c.npy --dtype float32 --shape 6x7 --codes 5 --bits 3
// RUN: quant4-run %s --entry f --input %t/a.npy --input %t/b.npy --input %t/at.npy --input %t/bt.npy --input %t/c.npy --output-dir %t/o1
// RUN: quant4-run %s --entry f --input %t/a.npy --input %t/b.npy --input %t/at.npy --input %t/bt.npy --input %t/c.npy --output-dir %t/o2 --threads 2
// RUN: quant4-ref fmatmul %t/a.npy %t/b.npy %t/r.npy
// RUN: cmp %t/o1/result0.npy %t/r.npy
// RUN: cmp %t/o1/result5.npy %t/r.npy
// RUN: quant4-ref fmatmul %t/at.npy %t/b.npy %t/r.npy --transpose-a
// RUN: cmp %t/o1/result1.npy %t/r.npy
// RUN: cmp %t/o1/result3.npy %t/r.npy
// RUN: quant4-ref fmatmul %t/a.npy %t/bt.npy %t/r.npy --transpose-b
// RUN: cmp %t/o1/result2.npy %t/r.npy
// RUN: quant4-ref fmatmul %t/a.npy %t/b.npy %t/r.npy --init %t/c.npy
// RUN: cmp %t/o1/result4.npy %t/r.npy
// RUN: for i in 0 1 2 3 4 5; do cmp %t/o1/result$i.npy %t/o2/result$i.npy || exit 1; done
//
// The lowered IR calls the runtime instead of looping:
// RUN: quant4-opt %s --quant4-cpu-pipeline | FileCheck %s
// CHECK: llvm.func @quant4_rt_matmul_f32(
// CHECK-NOT: linalg.matmul
#mA = affine_map<(m, n, k) -> (m, k)>
#mAt = affine_map<(m, n, k) -> (k, m)>
#mB = affine_map<(m, n, k) -> (k, n)>
#mBt = affine_map<(m, n, k) -> (n, k)>
#mC = affine_map<(m, n, k) -> (m, n)>
func.func @f(%a: tensor<6x37xf32>, %b: tensor<37x7xf32>, %at: tensor<37x6xf32>,
             %bt: tensor<7x37xf32>, %c: tensor<6x7xf32>)
    -> (tensor<6x7xf32>, tensor<6x7xf32>, tensor<6x7xf32>, tensor<6x7xf32>,
        tensor<6x7xf32>, tensor<?x?xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x7xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<6x7xf32>) -> tensor<6x7xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<6x37xf32>, tensor<37x7xf32>) outs(%z : tensor<6x7xf32>) -> tensor<6x7xf32>
  %1 = linalg.matmul indexing_maps = [#mAt, #mB, #mC] ins(%at, %b : tensor<37x6xf32>, tensor<37x7xf32>) outs(%z : tensor<6x7xf32>) -> tensor<6x7xf32>
  %2 = linalg.matmul indexing_maps = [#mA, #mBt, #mC] ins(%a, %bt : tensor<6x37xf32>, tensor<7x37xf32>) outs(%z : tensor<6x7xf32>) -> tensor<6x7xf32>
  %te = tensor.empty() : tensor<6x37xf32>
  %t = linalg.transpose ins(%at : tensor<37x6xf32>) outs(%te : tensor<6x37xf32>) permutation = [1, 0]
  %3 = linalg.matmul ins(%t, %b : tensor<6x37xf32>, tensor<37x7xf32>) outs(%z : tensor<6x7xf32>) -> tensor<6x7xf32>
  %4 = linalg.matmul ins(%a, %b : tensor<6x37xf32>, tensor<37x7xf32>) outs(%c : tensor<6x7xf32>) -> tensor<6x7xf32>
  %ad = tensor.cast %a : tensor<6x37xf32> to tensor<?x?xf32>
  %bd = tensor.cast %b : tensor<37x7xf32> to tensor<?x?xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %ad, %c0 : tensor<?x?xf32>
  %n = tensor.dim %bd, %c1 : tensor<?x?xf32>
  %ed = tensor.empty(%m, %n) : tensor<?x?xf32>
  %zd = linalg.fill ins(%zero : f32) outs(%ed : tensor<?x?xf32>) -> tensor<?x?xf32>
  %5 = linalg.matmul ins(%ad, %bd : tensor<?x?xf32>, tensor<?x?xf32>) outs(%zd : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<6x7xf32>, tensor<6x7xf32>, tensor<6x7xf32>, tensor<6x7xf32>, tensor<6x7xf32>, tensor<?x?xf32>
}
