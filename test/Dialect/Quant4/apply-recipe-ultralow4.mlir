// The ultralow4 recipe on the hand-written joint graphs.
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe=recipe=ultralow4 | FileCheck %s --check-prefix=DEF
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=ultralow4 keep-first=false keep-last=false" | FileCheck %s --check-prefix=ALL
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=ultralow4 tpr=false gradscale=false" | FileCheck %s --check-prefix=NOTPR
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=ultralow4 tpr=false grad-radix=2" | FileCheck %s --check-prefix=RADIX2
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=luq keep-first=false grad-radix=4" | FileCheck %s --check-prefix=LUQ4
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=ultralow4 signed-act=true" | FileCheck %s --check-prefix=SIGNED
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=ultralow4 dgrad-phase=1" | FileCheck %s --check-prefix=PHASE
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=ultralow4 grad-rounding=stochastic" | FileCheck %s --check-prefix=GRADSR
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=ultralow4 wgrad-grad=fp8" | FileCheck %s --check-prefix=WGFP8
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-apply-recipe="recipe=ultralow4 tpr=false wgrad-grad=luq" | FileCheck %s --check-prefix=WGLUQ
// RUN: quant4-opt %quant4_src_root/examples/conv_train_step.mlir --quant4-apply-recipe=recipe=ultralow4 | FileCheck %s --check-prefix=CONV
// RUN: quant4-opt %S/Inputs/tosa_mlp_train_step.mlir --pass-pipeline="builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith),quant4-apply-recipe{recipe=ultralow4 keep-first=false keep-last=false})" | FileCheck %s --check-prefix=TOSA

// Default: layers 0 and 2 (first, last) stay FP32; layer 1 is quantized.
// DEF-LABEL: func.func @train_step(
// DEF-SAME: %[[W2:arg2]]: tensor<32x32xf32>
// DEF-SAME: %[[ALPHA:arg7]]: tensor<f32> {quant4.state = "layer1.act.pact_alpha"}, %[[GSD:arg8]]: tensor<f32> {quant4.state = "layer1.dgrad.gradscale"}, %[[GSW:arg9]]: tensor<f32> {quant4.state = "layer1.wgrad.gradscale"})
// DEF: linalg.matmul {quant4.layer = 0 : i64, quant4.layer_name = "layer0", quant4.recipe = "fp32", quant4.role = "fwd"}
// DEF: %[[H1:.*]] = linalg.generic {{.*}} ins(%{{[0-9]+}} : tensor<8x32xf32>)
// Forward: PACT UINT4 activation x SAWB INT4 weight, FP16 accumulation in
// the overflow-free chunk of uint4 x int4 (15·8 = 120: 256 terms, C48).
// DEF: %[[SX:.*]] = quant4.scale #quant4.pact %[[H1]] state(%[[ALPHA]] : tensor<f32>) for !quant4.uint<4> : tensor<8x32xf32> -> tensor<f32>
// DEF-NEXT: %[[QX:.*]] = quant4.quantize %[[H1]], %[[SX]] rounding<nearest> {stream = 8 : i64} : tensor<8x32xf32>, tensor<f32> -> tensor<8x32x!quant4.uint<4>>
// DEF-NEXT: %[[SW:.*]] = quant4.scale #quant4.sawb %[[W2]] for !quant4.int<4> : tensor<32x32xf32> -> tensor<f32>
// DEF-NEXT: %[[QW:.*]] = quant4.quantize %[[W2]], %[[SW]] rounding<nearest> {stream = 9 : i64} : tensor<32x32xf32>, tensor<f32> -> tensor<32x32x!quant4.int<4>>
// DEF-NEXT: %[[Y1:.*]] = quant4.matmul %[[QX]], %[[QW]] scales(%[[SX]], %[[SW]]) acc<f16_chunked, 256> {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.recipe = "ultralow4", quant4.role = "fwd"} : tensor<8x32x!quant4.uint<4>>, tensor<32x32x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<8x32xf32>
// DEF: linalg.matmul {quant4.layer = 2 : i64, quant4.layer_name = "layer2", quant4.recipe = "fp32", quant4.role = "fwd"}
// DEF: linalg.matmul {quant4.layer = 2 : i64, quant4.layer_name = "layer2", quant4.recipe = "fp32", quant4.role = "wgrad"}
// DEF: linalg.matmul indexing_maps = [{{.*}}] {quant4.layer = 2 : i64, quant4.layer_name = "layer2", quant4.recipe = "fp32", quant4.role = "dgrad"}
// DEF: %[[DP2:.*]] = linalg.generic
// Wgrad: the activation reuses the forward PACT scale; the gradient goes to
// the phase-1 grid (TPR) with its own GradScale state.
// DEF: %[[QXW:.*]] = quant4.quantize %[[H1]], %[[SX]] rounding<nearest> {stream = 12 : i64} : tensor<8x32xf32>, tensor<f32> -> tensor<8x32x!quant4.uint<4>>
// DEF-NEXT: %[[SGW:.*]] = quant4.scale #quant4.gradscale %[[DP2]] state(%[[GSW]] : tensor<f32>) for !quant4.log<4, 3, 1> : tensor<8x32xf32> -> tensor<f32>
// DEF-NEXT: %[[QGW:.*]] = quant4.quantize %[[DP2]], %[[SGW]] rounding<nearest> {stream = 13 : i64} : tensor<8x32xf32>, tensor<f32> -> tensor<8x32x!quant4.log<4, 3, 1>>
// DEF-NEXT: %[[DW:.*]] = quant4.matmul %[[QXW]], %[[QGW]] scales(%[[SX]], %[[SGW]]) acc<f16_chunked, 32> {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.recipe = "ultralow4", quant4.role = "wgrad", transpose_lhs}
// SAWB straight-through estimator: dW = 0 outside [-clip, clip], clip = 7 * scale.
// DEF: %[[DWM:.*]] = linalg.generic {{.*}} ins(%[[DW]], %[[W2]], %[[SW]] : tensor<32x32xf32>, tensor<32x32xf32>, tensor<f32>)
// DEF: arith.constant 7.000000e+00 : f32
// DEF: arith.cmpf ole
// DEF: arith.cmpf oge
// Dgrad: the gradient on the phase-0 grid, the weight with the forward SAWB scale.
// DEF: %[[W2T:.*]] = linalg.transpose ins(%[[W2]]
// DEF-NEXT: %[[SGD:.*]] = quant4.scale #quant4.gradscale %[[DP2]] state(%[[GSD]] : tensor<f32>) for !quant4.log<4, 3, 0> : tensor<8x32xf32> -> tensor<f32>
// DEF-NEXT: %[[QGD:.*]] = quant4.quantize %[[DP2]], %[[SGD]] rounding<nearest> {stream = 10 : i64} : tensor<8x32xf32>, tensor<f32> -> tensor<8x32x!quant4.log<4, 3, 0>>
// DEF-NEXT: %[[QWD:.*]] = quant4.quantize %[[W2T]], %[[SW]] rounding<nearest> {stream = 11 : i64} : tensor<32x32xf32>, tensor<f32> -> tensor<32x32x!quant4.int<4>>
// DEF-NEXT: %[[DH:.*]] = quant4.matmul %[[QGD]], %[[QWD]] scales(%[[SGD]], %[[SW]]) acc<f16_chunked, 64> {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.recipe = "ultralow4", quant4.role = "dgrad"}
// PACT: dX masked outside [0, alpha), dalpha = sum of dX where x >= alpha, SGD on alpha.
// DEF: %[[DHM:.*]] = linalg.generic {{.*}} ins(%[[DH]], %[[H1]], %[[ALPHA]] : tensor<8x32xf32>, tensor<8x32xf32>, tensor<f32>)
// DEF: arith.cmpf olt
// DEF: %[[DA:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} ins(%[[DH]], %[[H1]], %[[ALPHA]] : tensor<8x32xf32>, tensor<8x32xf32>, tensor<f32>)
// DEF: arith.cmpf oge
// DEF: arith.constant 0.00999999977 : f32
// DEF: %[[ANEW:.*]] = linalg.generic {{.*}} ins(%[[ALPHA]], %[[DA]] : tensor<f32>, tensor<f32>)
// The ReLU backward reads the masked gradient; the W2 update the masked dW.
// DEF: linalg.generic {{.*}} ins(%[[DHM]], %{{.*}} : tensor<8x32xf32>, tensor<8x32xf32>)
// DEF: linalg.matmul {quant4.layer = 0 : i64, quant4.layer_name = "layer0", quant4.recipe = "fp32", quant4.role = "wgrad"}
// DEF: linalg.generic {{.*}} ins(%[[W2]], %[[DWM]] :
// DEF: return %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ANEW]], %[[SGD]], %[[SGW]] :
// DEF-LABEL: func.func @train_step_init_state() -> (tensor<f32> {quant4.state = "layer1.act.pact_alpha"}, tensor<f32> {quant4.state = "layer1.dgrad.gradscale"}, tensor<f32> {quant4.state = "layer1.wgrad.gradscale"}) attributes {quant4.init_state_of = @train_step}
// DEF-NEXT: %[[A0:.*]] = arith.constant dense<1.000000e+01> : tensor<f32>
// DEF-NEXT: %[[G0:.*]] = arith.constant dense<9.765625E-4> : tensor<f32>
// DEF-NEXT: %[[G1:.*]] = arith.constant dense<9.765625E-4> : tensor<f32>
// DEF-NEXT: return %[[A0]], %[[G0]], %[[G1]] : tensor<f32>, tensor<f32>, tensor<f32>

// All layers quantized: the first layer's input (data) is signed INT4 with
// a SAWB clip, no PACT; every later layer has its alpha.
// ALL-LABEL: func.func @train_step(
// ALL-SAME: {quant4.state = "layer0.wgrad.gradscale"}, %{{.*}}: tensor<f32> {quant4.state = "layer1.act.pact_alpha"}, %{{.*}}: tensor<f32> {quant4.state = "layer1.dgrad.gradscale"}, %{{.*}}: tensor<f32> {quant4.state = "layer1.wgrad.gradscale"}, %{{.*}}: tensor<f32> {quant4.state = "layer2.act.pact_alpha"}, %{{.*}}: tensor<f32> {quant4.state = "layer2.dgrad.gradscale"}, %{{.*}}: tensor<f32> {quant4.state = "layer2.wgrad.gradscale"})
// ALL: %[[S0:.*]] = quant4.scale #quant4.sawb %arg4 for !quant4.int<4> : tensor<8x16xf32> -> tensor<f32>
// ALL-NEXT: quant4.quantize %arg4, %[[S0]] rounding<nearest> : tensor<8x16xf32>, tensor<f32> -> tensor<8x16x!quant4.int<4>>
// ALL: quant4.matmul {{.*}} acc<f16_chunked, 512> {quant4.layer = 0 : i64, quant4.layer_name = "layer0", quant4.recipe = "ultralow4", quant4.role = "fwd"}
// ALL: quant4.scale #quant4.pact %{{.*}} state(%arg8 : tensor<f32>) for !quant4.uint<4>
// ALL: quant4.scale #quant4.pact %{{.*}} state(%arg11 : tensor<f32>) for !quant4.uint<4>
// ALL: quant4.matmul {{.*}} {quant4.layer = 2 : i64, quant4.layer_name = "layer2", quant4.recipe = "ultralow4", quant4.role = "dgrad", transpose_rhs} : tensor<8x4x!quant4.log<4, 3, 0>>, tensor<32x4x!quant4.int<4>>
// ALL: quant4.matmul {{.*}} {quant4.layer = 0 : i64, quant4.layer_name = "layer0", quant4.recipe = "ultralow4", quant4.role = "wgrad"} : tensor<16x8x!quant4.int<4>>, tensor<8x32x!quant4.log<4, 3, 1>>
// ALL-NOT: linalg.matmul

// TPR and GradScale off: one phase-0 copy of the gradient, shared by dgrad
// and wgrad, with a just-in-time amax scale; the only state is alpha.
// NOTPR-LABEL: func.func @train_step(
// NOTPR-SAME: %arg6: f32, %arg7: tensor<f32> {quant4.state = "layer1.act.pact_alpha"}) ->
// NOTPR-NOT: gradscale
// NOTPR: %[[SG:.*]] = quant4.scale #quant4.amax %[[G:.*]] for !quant4.log<4, 3, 0> : tensor<8x32xf32> -> tensor<f32>
// NOTPR-NEXT: quant4.quantize %[[G]], %[[SG]] rounding<nearest> {stream = 13 : i64} : tensor<8x32xf32>, tensor<f32> -> tensor<8x32x!quant4.log<4, 3, 0>>
// NOTPR: quant4.quantize %[[G]], %[[SG]] rounding<nearest> {stream = 10 : i64} : tensor<8x32xf32>, tensor<f32> -> tensor<8x32x!quant4.log<4, 3, 0>>
// NOTPR-NOT: quant4.scale #quant4.amax %[[G]]
// NOTPR-NOT: !quant4.log<4, 3, 1>
// NOTPR: func.func @train_step_init_state() -> (tensor<f32> {quant4.state = "layer1.act.pact_alpha"})

// dgrad-phase=1 swaps the grids.
// PHASE: quant4.matmul {{.*}} quant4.role = "wgrad", transpose_lhs} : tensor<8x32x!quant4.uint<4>>, tensor<8x32x!quant4.log<4, 3, 0>>
// PHASE: quant4.matmul {{.*}} quant4.role = "dgrad"} : tensor<8x32x!quant4.log<4, 3, 1>>, tensor<32x32x!quant4.int<4>>

// Convolutions: quant4.conv2d with FP16 accumulation for the forward, wgrad
// (conv of Xᵀ and dYᵀ) and dgrad (conv of pad(dY) and flip(W)) of layer 1.
// CONV-LABEL: func.func @train_step(
// CONV-SAME: %[[K2:arg1]]: tensor<3x3x4x4xf32>
// CONV: %[[H1:.*]] = linalg.generic
// CONV: quant4.scale #quant4.pact %[[H1]] state(%arg6 : tensor<f32>) for !quant4.uint<4> : tensor<2x6x6x4xf32> -> tensor<f32>
// CONV: %[[SK:.*]] = quant4.scale #quant4.sawb %[[K2]] for !quant4.int<4> : tensor<3x3x4x4xf32> -> tensor<f32>
// CONV: quant4.conv2d %{{.*}}, %{{.*}} scales(%{{.*}}, %[[SK]]) acc<f16_chunked, 256> {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.recipe = "ultralow4", quant4.role = "fwd"} : tensor<2x6x6x4x!quant4.uint<4>>, tensor<3x3x4x4x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<2x4x4x4xf32>
// CONV: %[[DW:.*]] = quant4.conv2d {{.*}} acc<f16_chunked, 32> {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.recipe = "ultralow4", quant4.role = "wgrad"} : tensor<4x6x6x2x!quant4.uint<4>>, tensor<4x4x2x4x!quant4.log<4, 3, 1>>, tensor<f32>, tensor<f32> -> tensor<4x3x3x4xf32>
// The SAWB mask applies after the transpose back to the filter layout.
// CONV: %[[DWT:.*]] = linalg.transpose ins(%[[DW]]
// CONV: linalg.generic {{.*}} ins(%[[DWT]], %[[K2]], %[[SK]] : tensor<3x3x4x4xf32>, tensor<3x3x4x4xf32>, tensor<f32>)
// CONV: %[[PAD:.*]] = tensor.pad
// CONV: %[[FLIP:.*]] = linalg.generic {{.*}} ins(%[[K2]] :
// CONV: quant4.quantize %[[PAD]], %{{.*}} rounding<nearest> {stream = 10 : i64} : tensor<2x8x8x4xf32>, tensor<f32> -> tensor<2x8x8x4x!quant4.log<4, 3, 0>>
// CONV-NEXT: quant4.quantize %[[FLIP]], %[[SK]] rounding<nearest> {stream = 11 : i64} : tensor<3x3x4x4xf32>, tensor<f32> -> tensor<3x3x4x4x!quant4.int<4>>
// CONV-NEXT: %[[DX:.*]] = quant4.conv2d {{.*}} acc<f16_chunked, 64> {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.recipe = "ultralow4", quant4.role = "dgrad"} : tensor<2x8x8x4x!quant4.log<4, 3, 0>>, tensor<3x3x4x4x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<2x6x6x4xf32>
// CONV: linalg.generic {{.*}} ins(%[[DX]], %[[H1]], %arg6 : tensor<2x6x6x4xf32>, tensor<2x6x6x4xf32>, tensor<f32>)
// CONV: linalg.conv_2d_nhwc_hwcf {{.*}}quant4.recipe = "fp32", quant4.role = "wgrad"

// TOSA input: linalg.batch_matmul of batch 1 is collapsed to a 2-D quant4.matmul.
// TOSA-LABEL: func.func @tosa_step(
// TOSA: %[[X:.*]] = tensor.collapse_shape %arg2 {{\[}}[0, 1], [2]] : tensor<1x8x16xf32> into tensor<8x16xf32>
// TOSA-NEXT: %[[W:.*]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<1x16x32xf32> into tensor<16x32xf32>
// TOSA: quant4.scale #quant4.sawb %[[X]] for !quant4.int<4>
// TOSA: quant4.scale #quant4.sawb %[[W]] for !quant4.int<4>
// TOSA: %[[Y:.*]] = quant4.matmul {{.*}} acc<f16_chunked, 512> {quant4.layer = 0 : i64, quant4.layer_name = "layer0", quant4.recipe = "ultralow4", quant4.role = "fwd"} : tensor<8x16x!quant4.int<4>>, tensor<16x32x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<8x32xf32>
// TOSA-NEXT: tensor.expand_shape %[[Y]] {{\[}}[0, 1], [2]] output_shape [1, 8, 32] : tensor<8x32xf32> into tensor<1x8x32xf32>
// TOSA: quant4.matmul {{.*}} {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.recipe = "ultralow4", quant4.role = "wgrad"} : tensor<32x8x!quant4.uint<4>>, tensor<8x4x!quant4.log<4, 3, 1>>
// TOSA: quant4.matmul {{.*}} {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.recipe = "ultralow4", quant4.role = "dgrad"} : tensor<8x4x!quant4.log<4, 3, 0>>, tensor<4x32x!quant4.int<4>>
// TOSA: quant4.matmul {{.*}} {quant4.layer = 0 : i64, quant4.layer_name = "layer0", quant4.recipe = "ultralow4", quant4.role = "wgrad"} : tensor<16x8x!quant4.int<4>>, tensor<8x32x!quant4.log<4, 3, 1>>
// TOSA-NOT: linalg.batch_matmul

// grad-radix=2 (the radix-2 ablation, without TPR): one radix-2 copy of the
// gradient under GradScale, shared by dgrad and wgrad; activations and
// weights unchanged.
// RADIX2-LABEL: func.func @train_step(
// RADIX2: %[[SG:.*]] = quant4.scale #quant4.gradscale %[[G:.*]] state(%{{.*}}) for !quant4.log<2, 3, 0> : tensor<8x32xf32> -> tensor<f32>
// RADIX2-NEXT: quant4.quantize %[[G]], %[[SG]] rounding<nearest> {stream = {{[0-9]+}} : i64} : tensor<8x32xf32>, tensor<f32> -> tensor<8x32x!quant4.log<2, 3, 0>>
// RADIX2: quant4.quantize %[[G]], %[[SG]] rounding<nearest> {stream = {{[0-9]+}} : i64} : tensor<8x32xf32>, tensor<f32> -> tensor<8x32x!quant4.log<2, 3, 0>>
// RADIX2-NOT: !quant4.log<4
// RADIX2: func.func @train_step_init_state()

// signed-act=true: layer 1's activation takes the input-activation rule
// (signed INT4, SAWB clip): no PACT alpha state, no PACT mask.
// SIGNED-LABEL: func.func @train_step(
// SIGNED-NOT: pact_alpha
// SIGNED: quant4.scale #quant4.sawb %{{.*}} for !quant4.int<4> : tensor<8x32xf32> -> tensor<f32>
// SIGNED-NOT: #quant4.pact
// SIGNED-NOT: !quant4.uint<4>
// SIGNED: func.func @train_step_init_state()

// grad-radix=4 on LUQ: its radix-2 gradients become radix-4; stochastic
// underflow rounding kept.
// LUQ4-LABEL: func.func @train_step(
// LUQ4: quant4.quantize {{.*}} rounding<stochastic_underflow> {{.*}} -> tensor<8x32x!quant4.log<4, 3, 0>>
// LUQ4-NOT: !quant4.log<2

// grad-rounding=stochastic: both gradient copies (TPR) are rounded
// stochastically with the appended seed argument; activations and weights
// keep nearest.
// GRADSR-LABEL: func.func @train_step(
// GRADSR-SAME: %[[SEED:arg10]]: i64 {quant4.seed}
// GRADSR: quant4.quantize {{.*}} rounding<nearest> {stream = 8 : i64} {{.*}} -> tensor<8x32x!quant4.uint<4>>
// GRADSR: quant4.quantize {{.*}} rounding<nearest> {stream = 9 : i64} {{.*}} -> tensor<32x32x!quant4.int<4>>
// GRADSR: quant4.quantize {{.*}} seed %[[SEED]] rounding<stochastic> {stream = 13 : i64} {{.*}} -> tensor<8x32x!quant4.log<4, 3, 1>>
// GRADSR: quant4.quantize {{.*}} seed %[[SEED]] rounding<stochastic> {stream = 10 : i64} {{.*}} -> tensor<8x32x!quant4.log<4, 3, 0>>

// wgrad-grad=fp8 (the paper's MobileNetV2): the wgrad's gradient is FP8
// E5M2 under delayed scaling with its own state, and the wgrad accumulates
// in FP32 as the fp8 recipe does; the dgrad keeps the radix-4 phase-0 grid
// and its GradScale; the forward is unchanged.
// WGFP8-LABEL: func.func @train_step(
// WGFP8-SAME: {quant4.state = "layer1.act.pact_alpha"}, %{{.*}}: tensor<f32> {quant4.state = "layer1.dgrad.gradscale"}, %[[HIST:.*]]: tensor<16xf32> {quant4.state = "layer1.wgrad.amax_history"}, %[[SC:.*]]: tensor<f32> {quant4.state = "layer1.wgrad.scale"})
// WGFP8: quant4.matmul {{.*}} acc<f16_chunked, 256> {{.*}} quant4.role = "fwd"
// WGFP8: %[[SG:.*]], %{{.*}} = quant4.scale #quant4.delayed<history = 16> %[[G:.*]] state(%[[HIST]], %[[SC]] : tensor<16xf32>, tensor<f32>) for f8E5M2
// WGFP8-NEXT: %[[QG:.*]] = quant4.quantize %[[G]], %[[SG]] rounding<nearest_even> {{.*}} -> tensor<8x32xf8E5M2>
// WGFP8-NEXT: quant4.matmul %{{.*}}, %[[QG]] scales(%{{.*}}, %[[SG]]) acc<f32> {{.*}} quant4.role = "wgrad", transpose_lhs} : tensor<8x32x!quant4.uint<4>>, tensor<8x32xf8E5M2>
// WGFP8: quant4.scale #quant4.gradscale %[[G]] {{.*}} for !quant4.log<4, 3, 0>
// WGFP8: quant4.matmul {{.*}} acc<f16_chunked, 64> {{.*}} quant4.role = "dgrad"
// WGFP8: func.func @train_step_init_state()

// Without TPR the dgrad's copy is the shared one (site grad, GradScale),
// the wgrad's its own (site wgrad): LUQ's radix-2 grid, just-in-time amax
// scale (no state) and stochastic underflow with the seed; FP32
// accumulation as LUQ's.
// WGLUQ-LABEL: func.func @train_step(
// WGLUQ-SAME: {quant4.state = "layer1.grad.gradscale"}, %[[SEED:.*]]: i64 {quant4.seed})
// WGLUQ-NOT: layer1.wgrad
// WGLUQ: %[[SG:.*]] = quant4.scale #quant4.amax %[[G:.*]] for !quant4.log<2, 3, 0>
// WGLUQ-NEXT: quant4.quantize %[[G]], %[[SG]] seed %[[SEED]] rounding<stochastic_underflow> {{.*}} -> tensor<8x32x!quant4.log<2, 3, 0>>
// WGLUQ-NEXT: quant4.matmul {{.*}} acc<f32> {{.*}} quant4.role = "wgrad"
// WGLUQ: quant4.scale #quant4.gradscale %[[G]] {{.*}} for !quant4.log<4, 3, 0>
// WGLUQ: quant4.matmul {{.*}} acc<f16_chunked, 64> {{.*}} quant4.role = "dgrad"
