// group-scales (default true): in a layer whose forward GEMM is a depthwise
// or grouped convolution, the weight gets one SAWB scale per channel
// (depthwise filter HWC: axis 2) or per group (GFHWC: axis 0), and the
// activation one amax scale per channel or group (input axis 3) instead of
// PACT's single clip: PACT's alpha state and its backward mask are gone for
// those layers. The data-gradient convolution reads the same per-channel
// weight scales, and its gradient operand gets one amax scale per channel
// or group (output-gradient axis 3) instead of GradScale's single state.
// group-scales=false gives the per-tensor rules of every other layer.
// RUN: quant4-opt %s --quant4-build-training-step --quant4-apply-recipe="recipe=ultralow4 keep-first=false keep-last=false" | FileCheck %s
// RUN: quant4-opt %s --quant4-build-training-step --quant4-apply-recipe="recipe=ultralow4 keep-first=false keep-last=false group-scales=false" | FileCheck %s --check-prefix=TENSOR
// RUN: quant4-opt %s --quant4-build-training-step --quant4-apply-recipe="recipe=luq keep-first=false keep-last=false" | FileCheck %s --check-prefix=LUQ

func.func @net(%w0: tensor<3x3x2x4xf32> {quant4.param = "stem"},
               %wd: tensor<3x3x4xf32> {quant4.param = "dw"},
               %wg: tensor<2x2x1x1x2xf32> {quant4.param = "gw"},
               %w2: tensor<64x10xf32> {quant4.param = "fc"},
               %x: tensor<2x8x8x2xf32>) -> tensor<2x10xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<2x6x6x4xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x6x6x4xf32>) -> tensor<2x6x6x4xf32>
  %y0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w0 : tensor<2x8x8x2xf32>, tensor<3x3x2x4xf32>) outs(%z0 : tensor<2x6x6x4xf32>) -> tensor<2x6x6x4xf32>
  %r0 = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>],
                        iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y0 : tensor<2x6x6x4xf32>) outs(%e0 : tensor<2x6x6x4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.maximumf %v, %zero : f32
      linalg.yield %r : f32
  } -> tensor<2x6x6x4xf32>
  %e1 = tensor.empty() : tensor<2x4x4x4xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32>
  %y1 = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%r0, %wd : tensor<2x6x6x4xf32>, tensor<3x3x4xf32>) outs(%z1 : tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32>
  %g = tensor.expand_shape %y1 [[0], [1], [2], [3, 4]] output_shape [2, 4, 4, 2, 2] : tensor<2x4x4x4xf32> into tensor<2x4x4x2x2xf32>
  %e2 = tensor.empty() : tensor<2x4x4x2x2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x4x4x2x2xf32>) -> tensor<2x4x4x2x2xf32>
  %y2 = linalg.conv_2d_nhwgc_gfhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%g, %wg : tensor<2x4x4x2x2xf32>, tensor<2x2x1x1x2xf32>) outs(%z2 : tensor<2x4x4x2x2xf32>) -> tensor<2x4x4x2x2xf32>
  %f = tensor.collapse_shape %y2 [[0], [1, 2, 3, 4]] : tensor<2x4x4x2x2xf32> into tensor<2x64xf32>
  %e3 = tensor.empty() : tensor<2x10xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x10xf32>) -> tensor<2x10xf32>
  %y3 = linalg.matmul ins(%f, %w2 : tensor<2x64xf32>, tensor<64x10xf32>) outs(%z3 : tensor<2x10xf32>) -> tensor<2x10xf32>
  return %y3 : tensor<2x10xf32>
}

// The training step has no PACT alpha for the ReLU-fed depthwise layer and
// no GradScale state for the two layers' dgrads.
// CHECK-LABEL: func.func @net_train_step(
// CHECK-NOT: dw.act.pact_alpha
// CHECK-NOT: dw.dgrad.gradscale
// CHECK-NOT: gw.dgrad.gradscale
// CHECK-SAME: -> (

// The depthwise layer: per-channel activation (unsigned: it reads a ReLU)
// and weight scales, then the fake-quantized convolution.
// CHECK: %[[SA:.+]] = quant4.scale #quant4.amax %{{.+}} for !quant4.uint<4> granularity<axis = 3> : tensor<2x6x6x4xf32> -> tensor<4xf32>
// CHECK-NEXT: quant4.fake_quant %{{.+}}, %[[SA]] to !quant4.uint<4> rounding<nearest> granularity<axis = 3>
// CHECK-NEXT: %[[SW:.+]] = quant4.scale #quant4.sawb %{{.+}} for !quant4.int<4> granularity<axis = 2> : tensor<3x3x4xf32> -> tensor<4xf32>
// CHECK-NEXT: quant4.fake_quant %{{.+}}, %[[SW]] to !quant4.int<4> rounding<nearest> granularity<axis = 2>
// CHECK-NEXT: linalg.depthwise_conv_2d_nhwc_hwc {{.*}}quant4.layer_name = "dw"{{.*}}"fwd"
// The grouped layer: per group (activation axis 3 of NHWGC, signed: it
// reads a convolution, so a SAWB clip per group; filter axis 0 of GFHWC).
// CHECK: quant4.scale #quant4.sawb %{{.+}} for !quant4.int<4> granularity<axis = 3> : tensor<2x4x4x2x2xf32> -> tensor<2xf32>
// CHECK: %[[SG:.+]] = quant4.scale #quant4.sawb %{{.+}} for !quant4.int<4> granularity<axis = 0> : tensor<2x2x1x1x2xf32> -> tensor<2xf32>
// CHECK: linalg.conv_2d_nhwgc_gfhwc {{.*}}quant4.layer_name = "gw"{{.*}}"fwd"
// The dgrads: the gradient per group / channel (amax), the flipped filters
// (channel and group axes unchanged) with the forward's scales.
// CHECK: %[[SGG:.+]] = quant4.scale #quant4.amax %{{.+}} for !quant4.log<4, 3, 0> granularity<axis = 3> : tensor<2x4x4x2x2xf32> -> tensor<2xf32>
// CHECK-NEXT: quant4.fake_quant %{{.+}}, %[[SGG]] to !quant4.log<4, 3, 0> rounding<nearest> granularity<axis = 3> {stream = 18 : i64}
// CHECK-NEXT: quant4.fake_quant %{{.+}}, %[[SG]] to !quant4.int<4> rounding<nearest> granularity<axis = 0>
// CHECK-NEXT: linalg.conv_2d_nhwgc_gfhwc {{.*}}quant4.layer_name = "gw"{{.*}}"dgrad"
// CHECK: %[[SGD:.+]] = quant4.scale #quant4.amax %{{.+}} for !quant4.log<4, 3, 0> granularity<axis = 3> : tensor<2x8x8x4xf32> -> tensor<4xf32>
// CHECK-NEXT: quant4.fake_quant %{{.+}}, %[[SGD]] to !quant4.log<4, 3, 0> rounding<nearest> granularity<axis = 3> {stream = 10 : i64}
// CHECK-NEXT: quant4.fake_quant %{{.+}}, %[[SW]] to !quant4.int<4> rounding<nearest> granularity<axis = 2>
// CHECK-NEXT: linalg.depthwise_conv_2d_nhwc_hwc {{.*}}quant4.layer_name = "dw"{{.*}}"dgrad"
// CHECK-LABEL: func.func @net_train_step_init_state()
// CHECK-NOT: pact_alpha
// CHECK: return

// TENSOR-LABEL: func.func @net_train_step(
// TENSOR-SAME: {quant4.state = "dw.act.pact_alpha"}
// TENSOR-SAME: {quant4.state = "dw.dgrad.gradscale"}
// TENSOR: quant4.scale #quant4.pact %{{.+}} for !quant4.uint<4> : tensor<2x6x6x4xf32> -> tensor<f32>
// TENSOR: quant4.scale #quant4.sawb %{{.+}} for !quant4.int<4> : tensor<3x3x4xf32> -> tensor<f32>
// TENSOR: linalg.depthwise_conv_2d_nhwc_hwc {{.*}}quant4.layer_name = "dw"{{.*}}"fwd"
// TENSOR-NOT: granularity<axis
// TENSOR-LABEL: func.func @net_train_step_init_state()

// LUQ (unsigned amax activations after a ReLU, SAWB weights): the same
// per-channel scales.
// LUQ-LABEL: func.func @net_train_step(
// LUQ: quant4.scale #quant4.amax %{{.+}} for !quant4.uint<4> granularity<axis = 3> : tensor<2x6x6x4xf32> -> tensor<4xf32>
// LUQ: quant4.scale #quant4.sawb %{{.+}} for !quant4.int<4> granularity<axis = 2> : tensor<3x3x4xf32> -> tensor<4xf32>
// LUQ's gradients (amax, stochastic underflow) per group and per channel in
// the two dgrads.
// LUQ: quant4.fake_quant {{.*}} to !quant4.log<2, 3, 0> rounding<stochastic_underflow> granularity<axis = 3> {stream = 18 : i64} : tensor<2x4x4x2x2xf32>, tensor<2xf32>
// LUQ: quant4.fake_quant {{.*}} to !quant4.log<2, 3, 0> rounding<stochastic_underflow> granularity<axis = 3> {stream = 10 : i64} : tensor<2x8x8x4xf32>, tensor<4xf32>
