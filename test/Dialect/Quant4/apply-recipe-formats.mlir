// luq, mxfp4, nvfp4, fp8 and fp32 on the three-layer MLP (layer 1 quantized;
// first and last layers FP32 by default) and on the CNN.
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe=recipe=luq | FileCheck %s --check-prefix=LUQ
// RUN: quant4-opt %quant4_src_root/examples/conv_train_step.mlir --quant4-apply-recipe=recipe=luq | FileCheck %s --check-prefix=LUQCONV
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe=recipe=mxfp4 | FileCheck %s --check-prefix=MX
// RUN: quant4-opt %quant4_src_root/examples/conv_train_step.mlir --quant4-apply-recipe=recipe=mxfp4 | FileCheck %s --check-prefix=MXCONV
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe=recipe=nvfp4 | FileCheck %s --check-prefix=NV
// RUN: quant4-opt %quant4_src_root/examples/conv_train_step.mlir --quant4-apply-recipe=recipe=nvfp4 | FileCheck %s --check-prefix=NVCONV
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe=recipe=fp8 | FileCheck %s --check-prefix=FP8
// RUN: quant4-opt %quant4_src_root/examples/conv_train_step.mlir --quant4-apply-recipe=recipe=fp8 | FileCheck %s --check-prefix=FP8CONV
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe=recipe=fp32 | FileCheck %s --check-prefix=FP32

// The LUQ recipe: INT4 SAWB weights, UINT4 amax activations, radix-2 FP4 gradients with
// stochastic underflow (seeded by an appended argument), FP32 accumulation.
// LUQ-LABEL: func.func @train_step(
// LUQ-SAME: %arg6: f32, %[[SEED:arg7]]: i64 {quant4.seed}) ->
// LUQ: quant4.scale #quant4.amax %{{.*}} for !quant4.uint<4>
// LUQ: quant4.scale #quant4.sawb %arg2 for !quant4.int<4>
// LUQ: quant4.matmul {{.*}} acc<f32> {{{.*}}quant4.recipe = "luq", quant4.role = "fwd"} : tensor<8x32x!quant4.uint<4>>, tensor<32x32x!quant4.int<4>>
// LUQ: %[[SG:.*]] = quant4.scale #quant4.amax %[[G:.*]] for !quant4.log<2, 3, 0> : tensor<8x32xf32> -> tensor<f32>
// LUQ-NEXT: quant4.quantize %[[G]], %[[SG]] seed %[[SEED]] rounding<stochastic_underflow> {stream = 13 : i64} : tensor<8x32xf32>, tensor<f32> -> tensor<8x32x!quant4.log<2, 3, 0>>
// LUQ: quant4.matmul {{.*}} acc<f32> {{{.*}}quant4.role = "wgrad", transpose_lhs} : tensor<8x32x!quant4.uint<4>>, tensor<8x32x!quant4.log<2, 3, 0>>
// LUQ: quant4.quantize %[[G]], %[[SG]] seed %[[SEED]] rounding<stochastic_underflow> {stream = 10 : i64}
// LUQ: quant4.matmul {{.*}} acc<f32> {{{.*}}quant4.role = "dgrad"} : tensor<8x32x!quant4.log<2, 3, 0>>, tensor<32x32x!quant4.int<4>>
// LUQ-NOT: quant4.pact
// LUQ: func.func @train_step_init_state() attributes {quant4.init_state_of = @train_step}
// LUQ-NEXT: return

// LUQCONV: quant4.conv2d {{.*}} acc<f32> {{{.*}}quant4.role = "fwd"} : tensor<2x6x6x4x!quant4.uint<4>>, tensor<3x3x4x4x!quant4.int<4>>
// LUQCONV: quant4.conv2d {{.*}} acc<f32> {{{.*}}quant4.role = "wgrad"} : tensor<4x6x6x2x!quant4.uint<4>>, tensor<4x4x2x4x!quant4.log<2, 3, 0>>
// LUQCONV: quant4.conv2d {{.*}} acc<f32> {{{.*}}quant4.role = "dgrad"} : tensor<2x8x8x4x!quant4.log<2, 3, 0>>, tensor<3x3x4x4x!quant4.int<4>>

// The MXFP4 recipe: E2M1 elements with E8M0 scales per 32 elements along K (per layout).
// MX-LABEL: func.func @train_step(
// MX-SAME: %arg6: f32) ->
// MX: quant4.scale #quant4.block<scale = f8E8M0FNU> %{{.*}} for f4E2M1FN granularity<block = [1, 32]> : tensor<8x32xf32> -> tensor<8x1xf8E8M0FNU>
// MX: quant4.scale #quant4.block<scale = f8E8M0FNU> %arg2 for f4E2M1FN granularity<block = [32, 1]> : tensor<32x32xf32> -> tensor<1x32xf8E8M0FNU>
// MX: quant4.matmul {{.*}} acc<f32> {lhs_granularity = #quant4.granularity<block = [1, 32]>, {{.*}}quant4.role = "fwd", rhs_granularity = #quant4.granularity<block = [32, 1]>} : tensor<8x32xf4E2M1FN>, tensor<32x32xf4E2M1FN>, tensor<8x1xf8E8M0FNU>, tensor<1x32xf8E8M0FNU>
// wgrad reads Hᵀ through transpose_lhs: K is dimension 0 of both operands.
// MX: quant4.matmul {{.*}} acc<f32> {lhs_granularity = #quant4.granularity<block = [32, 1]>, {{.*}}quant4.role = "wgrad", rhs_granularity = #quant4.granularity<block = [32, 1]>, transpose_lhs}
// MX: quant4.matmul {{.*}} acc<f32> {lhs_granularity = #quant4.granularity<block = [1, 32]>, {{.*}}quant4.role = "dgrad", rhs_granularity = #quant4.granularity<block = [32, 1]>}
// MX-NOT: quant4.state

// Convolutions with block scales are fake-quantized (blocks along the input
// channels) and keep their linalg op (FP32 accumulation).
// MXCONV: quant4.fake_quant %{{.*}}, %{{.*}} to f4E2M1FN rounding<nearest> granularity<block = [1, 1, 1, 32]> {stream = 8 : i64} : tensor<2x6x6x4xf32>, tensor<2x6x6x1xf8E8M0FNU>
// MXCONV: quant4.fake_quant %arg1, %{{.*}} to f4E2M1FN rounding<nearest> granularity<block = [1, 1, 32, 1]> {stream = 9 : i64} : tensor<3x3x4x4xf32>, tensor<3x3x1x4xf8E8M0FNU>
// MXCONV: linalg.conv_2d_nhwc_hwcf {{.*}}quant4.recipe = "mxfp4", quant4.role = "fwd"

// The NVFP4 recipe: E2M1 with E4M3 block scales and an FP32 tensor scale; 1x16 blocks
// for activations and gradients, 16x16 for weights; RNE, stochastic on
// gradients.
// NV-LABEL: func.func @train_step(
// NV-SAME: %[[SEED:arg7]]: i64 {quant4.seed}) ->
// NV: %[[SX:.*]], %[[TX:.*]] = quant4.scale #quant4.block<scale = f8E4M3FN, tensor_scale> %{{.*}} for f4E2M1FN granularity<block = [1, 16]> : tensor<8x32xf32> -> tensor<8x2xf8E4M3FN>, tensor<f32>
// NV-NEXT: quant4.quantize %{{.*}}, %[[SX]] tensor_scale %[[TX]] rounding<nearest_even> granularity<block = [1, 16]>
// NV-NEXT: %[[SW:.*]], %[[TW:.*]] = quant4.scale #quant4.block<scale = f8E4M3FN, tensor_scale> %arg2 for f4E2M1FN granularity<block = [16, 16]> : tensor<32x32xf32> -> tensor<2x2xf8E4M3FN>, tensor<f32>
// NV: quant4.matmul {{.*}} scales(%[[SX]], %[[SW]]) tensor_scales(%[[TX]], %[[TW]]) acc<f32> {{.*}}quant4.role = "fwd"
// NV: quant4.quantize {{.*}} seed %[[SEED]] rounding<stochastic> granularity<block = [16, 1]> {stream = 13 : i64}
// NV: quant4.matmul {{.*}}quant4.role = "wgrad"
// NV: quant4.quantize {{.*}} seed %[[SEED]] rounding<stochastic> granularity<block = [1, 16]> {stream = 10 : i64}
// NV: quant4.matmul {{.*}}quant4.role = "dgrad"

// NVCONV: quant4.fake_quant %arg1, %{{.*}} tensor_scale %{{.*}} to f4E2M1FN rounding<nearest_even> granularity<block = [1, 1, 16, 16]>
// NVCONV: quant4.fake_quant {{.*}} seed %arg6 to f4E2M1FN rounding<stochastic> granularity<block = [1, 1, 16, 1]>

// The FP8 recipe: E4M3 forward, E5M2 gradients, delayed scaling with (history, scale)
// state per tensor: activation, weight, gradient.
// FP8-LABEL: func.func @train_step(
// FP8-SAME: %[[HX:arg7]]: tensor<16xf32> {quant4.state = "layer1.act.amax_history"}, %[[SX0:arg8]]: tensor<f32> {quant4.state = "layer1.act.scale"}, %[[HW:arg9]]: tensor<16xf32> {quant4.state = "layer1.weight.amax_history"}, %[[SW0:arg10]]: tensor<f32> {quant4.state = "layer1.weight.scale"}, %[[HG:arg11]]: tensor<16xf32> {quant4.state = "layer1.grad.amax_history"}, %[[SG0:arg12]]: tensor<f32> {quant4.state = "layer1.grad.scale"})
// FP8: %[[SX:.*]], %[[HX1:.*]] = quant4.scale #quant4.delayed<history = 16> %{{.*}} state(%[[HX]], %[[SX0]] : tensor<16xf32>, tensor<f32>) for f8E4M3FN
// FP8-NEXT: quant4.quantize {{.*}} rounding<nearest_even> {{.*}} -> tensor<8x32xf8E4M3FN>
// FP8-NEXT: %[[SW:.*]], %[[HW1:.*]] = quant4.scale #quant4.delayed<history = 16> %arg2 state(%[[HW]], %[[SW0]] : tensor<16xf32>, tensor<f32>) for f8E4M3FN
// FP8: quant4.matmul {{.*}} acc<f32> {{.*}}quant4.role = "fwd"} : tensor<8x32xf8E4M3FN>, tensor<32x32xf8E4M3FN>
// FP8: %[[SG:.*]], %[[HG1:.*]] = quant4.scale #quant4.delayed<history = 16> %{{.*}} state(%[[HG]], %[[SG0]] : tensor<16xf32>, tensor<f32>) for f8E5M2
// FP8: quant4.matmul {{.*}}quant4.role = "wgrad", transpose_lhs} : tensor<8x32xf8E4M3FN>, tensor<8x32xf8E5M2>
// FP8: quant4.matmul {{.*}}quant4.role = "dgrad"} : tensor<8x32xf8E5M2>, tensor<32x32xf8E4M3FN>
// FP8: return {{.*}}, %[[HX1]], %[[SX]], %[[HW1]], %[[SW]], %[[HG1]], %[[SG]] :
// FP8: func.func @train_step_init_state() -> (tensor<16xf32> {quant4.state = "layer1.act.amax_history"}
// FP8-NEXT: arith.constant dense<0.000000e+00> : tensor<16xf32>
// FP8-NEXT: arith.constant dense<1.000000e+00> : tensor<f32>

// FP8CONV: quant4.conv2d {{.*}} acc<f32> {{{.*}}quant4.role = "fwd"} : tensor<2x6x6x4xf8E4M3FN>, tensor<3x3x4x4xf8E4M3FN>
// FP8CONV: quant4.conv2d {{.*}} acc<f32> {{{.*}}quant4.role = "dgrad"} : tensor<2x8x8x4xf8E5M2>, tensor<3x3x4x4xf8E4M3FN>

// The FP32 recipe: nothing is quantized; the GEMMs only get their roles.
// FP32-LABEL: func.func @train_step(
// FP32-SAME: %arg6: f32) ->
// FP32-NOT: quant4.scale
// FP32-NOT: quant4.quantize
// FP32: linalg.matmul {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.recipe = "fp32", quant4.role = "fwd"}
// FP32-NOT: quant4.matmul
