// RUN: quant4-opt %s --quant4-cpu-blas-conv -split-input-file | FileCheck %s

// A static f32 linalg.conv_2d_nhwc_hwcf becomes a call of
// quant4_rt_conv2d_f32(input, filter, init, strideH, strideW, dilationH,
// dilationW, accumulate, out). A zero-filled init is not read (accumulate =
// 0, the output buffer stands in for it).
// CHECK: func.func private @quant4_rt_conv2d_f32(memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, i64, i64, i32, memref<*xf32>)
// CHECK-LABEL: func.func @strided(
// CHECK-SAME: %[[X:.*]]: tensor<2x9x9x3xf32>, %[[K:.*]]: tensor<3x3x3x4xf32>)
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<2x3x4x4xf32>
// CHECK: bufferization.to_buffer %[[X]] read_only
// CHECK: bufferization.to_buffer %[[K]] read_only
// CHECK: %[[SH:.*]] = arith.constant 2 : i64
// CHECK-NEXT: %[[SW:.*]] = arith.constant 1 : i64
// CHECK-NEXT: %[[DH:.*]] = arith.constant 1 : i64
// CHECK-NEXT: %[[DW:.*]] = arith.constant 2 : i64
// CHECK-NEXT: %[[ACC:.*]] = arith.constant 0 : i32
// CHECK: call @quant4_rt_conv2d_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[SH]], %[[SW]], %[[DH]], %[[DW]], %[[ACC]], %{{.*}})
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
func.func @strided(%x: tensor<2x9x9x3xf32>, %k: tensor<3x3x3x4xf32>) -> tensor<2x3x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x4x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32>
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<[2, 1]> : tensor<2xi64>}
       ins(%x, %k : tensor<2x9x9x3xf32>, tensor<3x3x3x4xf32>) outs(%z : tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32>
  return %0 : tensor<2x3x4x4xf32>
}

// -----

// Any other init is accumulated into.
// CHECK-LABEL: func.func @accumulate(
// CHECK-SAME: %{{.*}}: tensor<1x4x4x2xf32>, %{{.*}}: tensor<2x2x2x3xf32>, %[[INIT:.*]]: tensor<1x3x3x3xf32>)
// CHECK: bufferization.to_buffer %[[INIT]] read_only
// CHECK: %[[ONE:.*]] = arith.constant 1 : i32
// CHECK: call @quant4_rt_conv2d_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ONE]], %{{.*}})
func.func @accumulate(%x: tensor<1x4x4x2xf32>, %k: tensor<2x2x2x3xf32>, %init: tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32> {
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %k : tensor<1x4x4x2xf32>, tensor<2x2x2x3xf32>) outs(%init : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
  return %0 : tensor<1x3x3x3xf32>
}

// -----

// Other element types and dynamic shapes are left alone.
// CHECK-LABEL: func.func @f16(
// CHECK: linalg.conv_2d_nhwc_hwcf
// CHECK-LABEL: func.func @dynamic(
// CHECK: linalg.conv_2d_nhwc_hwcf
func.func @f16(%x: tensor<1x4x4x2xf16>, %k: tensor<2x2x2x3xf16>, %init: tensor<1x3x3x3xf16>) -> tensor<1x3x3x3xf16> {
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %k : tensor<1x4x4x2xf16>, tensor<2x2x2x3xf16>) outs(%init : tensor<1x3x3x3xf16>) -> tensor<1x3x3x3xf16>
  return %0 : tensor<1x3x3x3xf16>
}
func.func @dynamic(%x: tensor<?x4x4x2xf32>, %k: tensor<2x2x2x3xf32>, %init: tensor<?x3x3x3xf32>) -> tensor<?x3x3x3xf32> {
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %k : tensor<?x4x4x2xf32>, tensor<2x2x2x3xf32>) outs(%init : tensor<?x3x3x3xf32>) -> tensor<?x3x3x3xf32>
  return %0 : tensor<?x3x3x3xf32>
}
