// RUN: not quant4-opt %s --quant4-cpu-copy-kernels=min-elements=1 2>&1 | FileCheck %s

// CHECK: error: 'quant4_rt_copy_f32' is declared with another type
func.func private @quant4_rt_copy_f32(memref<*xf32>)
func.func @t(%a: memref<2x3xf32>, %b: memref<3x2xf32>) {
  linalg.transpose ins(%a : memref<2x3xf32>) outs(%b : memref<3x2xf32>) permutation = [1, 0]
  return
}
