// The CPU pipeline times compiled ops only with profile=true.
// RUN: quant4-opt %s --quant4-cpu-pipeline='profile=true' | FileCheck %s
// RUN: quant4-opt %s --quant4-cpu-pipeline | FileCheck %s --check-prefix=NOPROF

// CHECK-DAG: llvm.func @quant4_rt_profile_begin() -> i64
// CHECK-DAG: llvm.func @quant4_rt_profile_end(i32, i32, i64)
// CHECK:     llvm.func @relu
// CHECK:       %[[C:.*]] = llvm.mlir.constant(7 : i32)
// CHECK:       %[[T0:.*]] = llvm.call @quant4_rt_profile_begin()
// CHECK:       llvm.intr.maximum
// CHECK:       llvm.call @quant4_rt_profile_end(%[[C]], %{{.*}}, %[[T0]])
// NOPROF-NOT: quant4_rt_profile
func.func @relu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %z = arith.constant dense<0.0> : tensor<4xf32>
  %r = arith.maximumf %x, %z : tensor<4xf32>
  return %r : tensor<4xf32>
}
