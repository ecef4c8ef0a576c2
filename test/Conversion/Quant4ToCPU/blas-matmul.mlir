// RUN: quant4-opt %s --quant4-cpu-blas-matmul -split-input-file | FileCheck %s

// f32 linalg.matmul becomes a call of quant4_rt_matmul_f32(A, B, init,
// transA, transB, accumulate, out). A zero-filled init is not read
// (accumulate = 0, the output buffer stands in for it); a
// linalg.transpose-fed operand is read in place, transposed.
// CHECK: func.func private @quant4_rt_matmul_f32(memref<*xf32>, memref<*xf32>, memref<*xf32>, i32, i32, i32, memref<*xf32>)
// CHECK-LABEL: func.func @zero_init(
// CHECK-SAME: %[[A:.*]]: tensor<37x6xf32>, %[[B:.*]]: tensor<37x7xf32>)
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<6x7xf32>
// CHECK: bufferization.to_buffer %[[A]] read_only
// CHECK: bufferization.to_buffer %[[B]] read_only
// CHECK-DAG: %[[T1:.*]] = arith.constant 1 : i32
// CHECK-DAG: %[[F0:.*]] = arith.constant 0 : i32
// CHECK: call @quant4_rt_matmul_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[T1]], %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NOT: linalg.matmul
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
func.func @zero_init(%at: tensor<37x6xf32>, %b: tensor<37x7xf32>) -> tensor<6x7xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x7xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<6x7xf32>) -> tensor<6x7xf32>
  %te = tensor.empty() : tensor<6x37xf32>
  %t = linalg.transpose ins(%at : tensor<37x6xf32>) outs(%te : tensor<6x37xf32>) permutation = [1, 0]
  %0 = linalg.matmul ins(%t, %b : tensor<6x37xf32>, tensor<37x7xf32>) outs(%z : tensor<6x7xf32>) -> tensor<6x7xf32>
  return %0 : tensor<6x7xf32>
}

// -----

// Other element types are left alone.
// CHECK-LABEL: func.func @f16(
// CHECK: linalg.matmul
// CHECK-NOT: call
func.func @f16(%a: tensor<4x4xf16>, %b: tensor<4x4xf16>, %c: tensor<4x4xf16>) -> tensor<4x4xf16> {
  %0 = linalg.matmul ins(%a, %b : tensor<4x4xf16>, tensor<4x4xf16>) outs(%c : tensor<4x4xf16>) -> tensor<4x4xf16>
  return %0 : tensor<4x4xf16>
}
