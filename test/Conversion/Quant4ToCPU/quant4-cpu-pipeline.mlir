// RUN: quant4-opt %s --quant4-cpu-pipeline | FileCheck %s

// The pipeline reaches the LLVM dialect: runtime calls take unranked memrefs
// as (rank, descriptor pointer) pairs; public functions get a C interface and
// keep their tensor signature for quant4-run.
// CHECK-NOT: quant4.quantize
// CHECK-NOT: func.func
// CHECK-DAG: llvm.func @quant4_rt_quantize_f32(i64, !llvm.ptr, i64, !llvm.ptr, i64, !llvm.ptr, f32, i32, i64, i32, i64, i64, i64, !llvm.ptr)
// CHECK-DAG: llvm.func @quant4_rt_scale_amax_f32(i64, !llvm.ptr, i64, !llvm.ptr, i64, i32, i64, !llvm.ptr)
// CHECK-DAG: llvm.mlir.global private constant @__quant4_gran_tensor(dense<0> : tensor<2xi64>)
// CHECK: llvm.func @train(
// CHECK-SAME: attributes {llvm.emit_c_interface, quant4.signature = (tensor<4x8xf32>) -> (tensor<4x8x!quant4.int<4>>, tensor<f32>)}
// CHECK: llvm.call @quant4_rt_scale_amax_f32(
// CHECK: llvm.call @quant4_rt_quantize_f32(
// CHECK: llvm.func @_mlir_ciface_train(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
func.func @train(%x: tensor<4x8xf32>) -> (tensor<4x8x!quant4.int<4>>, tensor<f32>) {
  %s = quant4.scale #quant4.amax %x for !quant4.int<4> : tensor<4x8xf32> -> tensor<f32>
  %q = quant4.quantize %x, %s rounding<nearest> : tensor<4x8xf32>, tensor<f32> -> tensor<4x8x!quant4.int<4>>
  return %q, %s : tensor<4x8x!quant4.int<4>>, tensor<f32>
}
