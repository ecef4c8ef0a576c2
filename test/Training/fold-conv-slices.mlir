// RUN: quant4-opt %s --pass-pipeline='builtin.module(func.func(quant4-fold-conv-slices))' | FileCheck %s

// The data gradient of a 3x3 convolution on a 1-padded 4x4 input, as
// quant4-build-training-step writes it: dY spread into zeros padded by 2,
// the stride-1 convolution with the flipped filter over the whole padded
// input (6x6), and the pad's derivative keeping the interior 4x4. After the
// pass the convolution computes the 4x4 it keeps, from the window of the
// padded dY it reads (6x6, of which dY sits at offset 1: a smaller
// insert_slice into zeros), and keeps its attributes.
// CHECK-LABEL: func.func @dgrad
// CHECK:      %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2x6x6x5xf32>)
// CHECK:      %[[P:.*]] = tensor.insert_slice %arg0 into %[[F]][0, 1, 1, 0] [2, 4, 4, 5] [1, 1, 1, 1] : tensor<2x4x4x5xf32> into tensor<2x6x6x5xf32>
// CHECK:      %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2x4x4x3xf32>)
// CHECK:      %[[R:.*]] = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, quant4.layer = 1 : i64, quant4.role = "dgrad", strides = dense<1> : tensor<2xi64>}
// CHECK-SAME:   ins(%[[P]], %arg1 : tensor<2x6x6x5xf32>, tensor<3x3x5x3xf32>) outs(%[[Z]] : tensor<2x4x4x3xf32>)
// CHECK-NOT:  tensor.extract_slice
// CHECK:      return %[[R]]
func.func @dgrad(%g: tensor<2x4x4x5xf32>, %wf: tensor<3x3x5x3xf32>) -> tensor<2x4x4x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8x8x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x8x8x5xf32>) -> tensor<2x8x8x5xf32>
  %p = tensor.insert_slice %g into %f[0, 2, 2, 0] [2, 4, 4, 5] [1, 1, 1, 1] : tensor<2x4x4x5xf32> into tensor<2x8x8x5xf32>
  %e2 = tensor.empty() : tensor<2x6x6x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x6x6x3xf32>) -> tensor<2x6x6x3xf32>
  %r = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>, quant4.role = "dgrad", quant4.layer = 1 : i64}
      ins(%p, %wf : tensor<2x8x8x5xf32>, tensor<3x3x5x3xf32>) outs(%z : tensor<2x6x6x3xf32>) -> tensor<2x6x6x3xf32>
  %s = tensor.extract_slice %r[0, 1, 1, 0] [2, 4, 4, 3] [1, 1, 1, 1] : tensor<2x6x6x3xf32> to tensor<2x4x4x3xf32>
  return %s : tensor<2x4x4x3xf32>
}

// Dilation 2 reads a window (kh-1)·2 = 4 taller; a stride-2 spread dY
// (insert_slice with strides) stays inside it; an init that is no fill is
// sliced too.
// CHECK-LABEL: func.func @dilated
// CHECK:      %[[P:.*]] = tensor.insert_slice %arg0 into %{{.*}}[0, 1, 1, 0] [1, 3, 3, 2] [1, 2, 2, 1] : tensor<1x3x3x2xf32> into tensor<1x7x7x2xf32>
// CHECK:      %[[I:.*]] = tensor.extract_slice %arg2[0, 2, 2, 0] [1, 3, 3, 2] [1, 1, 1, 1]
// CHECK:      linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK-SAME:   ins(%[[P]], %arg1 : tensor<1x7x7x2xf32>, tensor<3x3x2x2xf32>) outs(%[[I]] : tensor<1x3x3x2xf32>)
func.func @dilated(%g: tensor<1x3x3x2xf32>, %wf: tensor<3x3x2x2xf32>, %init: tensor<1x7x7x2xf32>) -> tensor<1x3x3x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x11x11x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x11x11x2xf32>) -> tensor<1x11x11x2xf32>
  %p = tensor.insert_slice %g into %f[0, 3, 3, 0] [1, 3, 3, 2] [1, 2, 2, 1] : tensor<1x3x3x2xf32> into tensor<1x11x11x2xf32>
  %r = linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %wf : tensor<1x11x11x2xf32>, tensor<3x3x2x2xf32>) outs(%init : tensor<1x7x7x2xf32>) -> tensor<1x7x7x2xf32>
  %s = tensor.extract_slice %r[0, 2, 2, 0] [1, 3, 3, 2] [1, 1, 1, 1] : tensor<1x7x7x2xf32> to tensor<1x3x3x2xf32>
  return %s : tensor<1x3x3x2xf32>
}

// When the window cuts the inserted dY, the window stays an extract_slice.
// CHECK-LABEL: func.func @window_cuts_insert
// CHECK:      %[[W:.*]] = tensor.extract_slice %{{.*}}[0, 2, 2, 0] [1, 3, 3, 1] [1, 1, 1, 1] : tensor<1x6x6x1xf32> to tensor<1x3x3x1xf32>
// CHECK:      linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[W]], %arg1 : tensor<1x3x3x1xf32>, tensor<3x3x1x1xf32>) outs(%{{.*}} : tensor<1x1x1x1xf32>)
func.func @window_cuts_insert(%g: tensor<1x4x4x1xf32>, %wf: tensor<3x3x1x1xf32>) -> tensor<1x1x1x1xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x6x6x1xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x6x6x1xf32>) -> tensor<1x6x6x1xf32>
  %p = tensor.insert_slice %g into %f[0, 1, 1, 0] [1, 4, 4, 1] [1, 1, 1, 1] : tensor<1x4x4x1xf32> into tensor<1x6x6x1xf32>
  %e2 = tensor.empty() : tensor<1x4x4x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  %r = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %wf : tensor<1x6x6x1xf32>, tensor<3x3x1x1xf32>) outs(%z : tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  %s = tensor.extract_slice %r[0, 2, 2, 0] [1, 1, 1, 1] [1, 1, 1, 1] : tensor<1x4x4x1xf32> to tensor<1x1x1x1xf32>
  return %s : tensor<1x1x1x1xf32>
}

// Left alone: a strided convolution, a slice that cuts N or F or has
// strides, a convolution with another use.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-5: tensor.extract_slice %{{.*}} : tensor<2x6x6x3xf32> to
// CHECK-NOT: tensor.extract_slice
// CHECK: return
func.func @kept(%x: tensor<2x8x8x5xf32>, %x2: tensor<2x13x13x5xf32>, %wf: tensor<3x3x5x3xf32>)
    -> (tensor<2x4x4x3xf32>, tensor<1x4x4x3xf32>, tensor<2x4x4x2xf32>, tensor<2x3x3x3xf32>, tensor<2x4x4x3xf32>, tensor<2x6x6x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x6x6x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x6x6x3xf32>) -> tensor<2x6x6x3xf32>
  %r1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x2, %wf : tensor<2x13x13x5xf32>, tensor<3x3x5x3xf32>) outs(%z : tensor<2x6x6x3xf32>) -> tensor<2x6x6x3xf32>
  %s1 = tensor.extract_slice %r1[0, 1, 1, 0] [2, 4, 4, 3] [1, 1, 1, 1] : tensor<2x6x6x3xf32> to tensor<2x4x4x3xf32>
  %r2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %wf : tensor<2x8x8x5xf32>, tensor<3x3x5x3xf32>) outs(%z : tensor<2x6x6x3xf32>) -> tensor<2x6x6x3xf32>
  %s2 = tensor.extract_slice %r2[1, 1, 1, 0] [1, 4, 4, 3] [1, 1, 1, 1] : tensor<2x6x6x3xf32> to tensor<1x4x4x3xf32>
  %r3 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %wf : tensor<2x8x8x5xf32>, tensor<3x3x5x3xf32>) outs(%z : tensor<2x6x6x3xf32>) -> tensor<2x6x6x3xf32>
  %s3 = tensor.extract_slice %r3[0, 1, 1, 1] [2, 4, 4, 2] [1, 1, 1, 1] : tensor<2x6x6x3xf32> to tensor<2x4x4x2xf32>
  %r4 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %wf : tensor<2x8x8x5xf32>, tensor<3x3x5x3xf32>) outs(%z : tensor<2x6x6x3xf32>) -> tensor<2x6x6x3xf32>
  %s4 = tensor.extract_slice %r4[0, 0, 0, 0] [2, 3, 3, 3] [1, 2, 2, 1] : tensor<2x6x6x3xf32> to tensor<2x3x3x3xf32>
  %r5 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %wf : tensor<2x8x8x5xf32>, tensor<3x3x5x3xf32>) outs(%z : tensor<2x6x6x3xf32>) -> tensor<2x6x6x3xf32>
  %s5 = tensor.extract_slice %r5[0, 1, 1, 0] [2, 4, 4, 3] [1, 1, 1, 1] : tensor<2x6x6x3xf32> to tensor<2x4x4x3xf32>
  return %s1, %s2, %s3, %s4, %s5, %r5 : tensor<2x4x4x3xf32>, tensor<1x4x4x3xf32>, tensor<2x4x4x2xf32>, tensor<2x3x3x3xf32>, tensor<2x4x4x3xf32>, tensor<2x6x6x3xf32>
}
