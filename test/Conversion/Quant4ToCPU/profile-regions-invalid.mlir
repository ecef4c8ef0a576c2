// RUN: not quant4-opt %s --quant4-cpu-profile-regions 2>&1 | FileCheck %s

// CHECK: error: 'quant4_rt_profile_begin' or 'quant4_rt_profile_end' is declared with another type
func.func private @quant4_rt_profile_begin() -> i32
func.func @f(%a: memref<4xf32>) {
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%a : memref<4xf32>)
  return
}
