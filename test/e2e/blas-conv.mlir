// f32 linalg.conv_2d_nhwc_hwcf runs as im2col + OpenBLAS
// (quant4-cpu-blas-conv -> quant4_rt_conv2d_f32): strides, dilations, a
// zero init and accumulation into a non-zero one. The inputs are small
// integers (0..7), so every product and partial sum is exact in float32 and
// any summation order gives the same bits: the results are compared byte
// for byte with the loops of convert-linalg-to-loops (--no-blas), at 1 and
// 2 threads.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 3x11x10x5 --codes 1 --bits 3
// RUN: quant4-ref gen %t/k.npy --dtype float32 --shape 3x2x5x7 --codes 2 --bits 3
// RUN: quant4-ref gen %t/c.npy --dtype float32 --shape 3x9x9x7 --codes 3 --bits 3
// RUN: quant4-run %s --entry f --input %t/x.npy --input %t/k.npy --input %t/c.npy --output-dir %t/blas1
// RUN: quant4-run %s --entry f --input %t/x.npy --input %t/k.npy --input %t/c.npy --output-dir %t/blas2 --threads 2
// RUN: quant4-run %s --entry f --input %t/x.npy --input %t/k.npy --input %t/c.npy --output-dir %t/loops --no-blas
// RUN: for i in 0 1; do cmp %t/blas1/result$i.npy %t/loops/result$i.npy && cmp %t/blas2/result$i.npy %t/loops/result$i.npy || exit 1; done
//
// The lowered IR calls the runtime instead of looping:
// RUN: quant4-opt %s --quant4-cpu-pipeline | FileCheck %s
// CHECK: llvm.func @quant4_rt_conv2d_f32(
// RUN: quant4-opt %s --quant4-cpu-pipeline=blas=false | FileCheck %s --check-prefix=LOOPS
// LOOPS-NOT: quant4_rt_conv2d_f32
func.func @f(%x: tensor<3x11x10x5xf32>, %k: tensor<3x2x5x7xf32>,
             %c: tensor<3x9x9x7xf32>)
    -> (tensor<3x5x4x7xf32>, tensor<3x9x9x7xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x5x4x7xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<3x5x4x7xf32>) -> tensor<3x5x4x7xf32>
  // Stride 2 x 2, dilation 1 x 3: OH = (11 - 2 - 1)/2 + 1 = 5,
  // OW = (10 - 3 - 1)/2 + 1 = 4.
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<[1, 3]> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %k : tensor<3x11x10x5xf32>, tensor<3x2x5x7xf32>) outs(%z : tensor<3x5x4x7xf32>) -> tensor<3x5x4x7xf32>
  %1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %k : tensor<3x11x10x5xf32>, tensor<3x2x5x7xf32>) outs(%c : tensor<3x9x9x7xf32>) -> tensor<3x9x9x7xf32>
  return %0, %1 : tensor<3x5x4x7xf32>, tensor<3x9x9x7xf32>
}
