// Transposes run as the runtime's blocked strided copy
// (quant4-cpu-copy-kernels -> quant4_rt_copy_*): the layouts of a
// convolution's weights and activations (FCHW <-> HWCF, NCHW <-> NHWC), a
// plain 2-D transpose with block tails, a transposed subview, int8 codes
// and a data gradient's flipped and transposed filter (a linalg.generic
// with a map -d + 2). The results are compared byte for byte with the loops of
// convert-linalg-to-loops (copy-min-elements=0), at 1 and 3 threads.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/w.npy --dtype float32 --shape 40x24x3x3 --codes 1 --bits 8
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 8x33x5x5 --codes 2 --bits 8
// RUN: quant4-ref gen %t/m.npy --dtype float32 --shape 67x130 --codes 3 --bits 8
// RUN: quant4-ref gen %t/c.npy --dtype int8 --shape 100x70 --codes 4 --bits 7
// RUN: quant4-run %s --entry f --input %t/w.npy --input %t/x.npy --input %t/m.npy --input %t/c.npy --output-dir %t/k1
// RUN: quant4-run %s --entry f --input %t/w.npy --input %t/x.npy --input %t/m.npy --input %t/c.npy --output-dir %t/k3 --threads 3
// RUN: quant4-opt %s --quant4-cpu-pipeline=copy-min-elements=0 -o %t/loops.mlir
// RUN: quant4-run %t/loops.mlir --entry f --input %t/w.npy --input %t/x.npy --input %t/m.npy --input %t/c.npy --output-dir %t/loops
// RUN: for i in 0 1 2 3 4 5; do cmp %t/k1/result$i.npy %t/loops/result$i.npy && cmp %t/k3/result$i.npy %t/loops/result$i.npy || exit 1; done
//
// The default pipeline calls the runtime for every transpose here; the
// loops version has none.
// RUN: quant4-opt %s --quant4-cpu-pipeline | FileCheck %s
// CHECK-COUNT-4: llvm.call @quant4_rt_copy_f32(
// CHECK: llvm.call @quant4_rt_copy_i8(
// CHECK: llvm.call @quant4_rt_copy_f32(
// RUN: FileCheck %s --check-prefix=LOOPS --input-file=%t/loops.mlir
// LOOPS-NOT: quant4_rt_copy
func.func @f(%w: tensor<40x24x3x3xf32>, %x: tensor<8x33x5x5xf32>,
             %m: tensor<67x130xf32>, %c: tensor<100x70xi8>)
    -> (tensor<3x3x24x40xf32>, tensor<8x5x5x33xf32>, tensor<130x67xf32>,
        tensor<120x67xf32>, tensor<70x100xi8>, tensor<3x3x40x24xf32>) {
  %e0 = tensor.empty() : tensor<3x3x24x40xf32>
  %hwcf = linalg.transpose ins(%w : tensor<40x24x3x3xf32>) outs(%e0 : tensor<3x3x24x40xf32>) permutation = [2, 3, 1, 0]
  %e1 = tensor.empty() : tensor<8x5x5x33xf32>
  %nhwc = linalg.transpose ins(%x : tensor<8x33x5x5xf32>) outs(%e1 : tensor<8x5x5x33xf32>) permutation = [0, 2, 3, 1]
  %e2 = tensor.empty() : tensor<130x67xf32>
  %mt = linalg.transpose ins(%m : tensor<67x130xf32>) outs(%e2 : tensor<130x67xf32>) permutation = [1, 0]
  // Columns 10..129 of m, transposed.
  %s = tensor.extract_slice %m[0, 10] [67, 120] [1, 1] : tensor<67x130xf32> to tensor<67x120xf32>
  %e3 = tensor.empty() : tensor<120x67xf32>
  %st = linalg.transpose ins(%s : tensor<67x120xf32>) outs(%e3 : tensor<120x67xf32>) permutation = [1, 0]
  %e4 = tensor.empty() : tensor<70x100xi8>
  %ct = linalg.transpose ins(%c : tensor<100x70xi8>) outs(%e4 : tensor<70x100xi8>) permutation = [1, 0]
  %e5 = tensor.empty() : tensor<3x3x40x24xf32>
  %flip = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (-d0 + 2, -d1 + 2, d3, d2)>,
                                           affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                          iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%hwcf : tensor<3x3x24x40xf32>) outs(%e5 : tensor<3x3x40x24xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
  } -> tensor<3x3x40x24xf32>
  return %hwcf, %nhwc, %mt, %st, %ct, %flip : tensor<3x3x24x40xf32>, tensor<8x5x5x33xf32>, tensor<130x67xf32>, tensor<120x67xf32>, tensor<70x100xi8>, tensor<3x3x40x24xf32>
}
