// Role inference on hand-written joint graphs without annotations.
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-annotate-roles | FileCheck %s --check-prefix=MLP
// RUN: quant4-opt %quant4_src_root/examples/conv_train_step.mlir --quant4-annotate-roles | FileCheck %s --check-prefix=CONV
// RUN: quant4-opt %S/Inputs/tosa_mlp_train_step.mlir --pass-pipeline="builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,quant4-annotate-roles))" | FileCheck %s --check-prefix=TOSA
// RUN: quant4-opt %s -split-input-file --quant4-annotate-roles | FileCheck %s
// Idempotent: re-running on annotated output gives the same annotations.
// RUN: quant4-opt %quant4_src_root/examples/mlp3_train_step.mlir --quant4-annotate-roles --quant4-annotate-roles | FileCheck %s --check-prefix=MLP

// The three-layer MLP; transposes as linalg.transpose and as indexing_maps.
// MLP-LABEL: func.func @train_step
// MLP-SAME: %[[W1:arg0]]: tensor<16x32xf32>, %[[B1:arg1]]: tensor<32xf32>, %[[W2:arg2]]: tensor<32x32xf32>, %[[W3:arg3]]: tensor<32x4xf32>, %[[X:arg4]]: tensor<8x16xf32>
// MLP-SAME: attributes {quant4.num_layers = 3 : i64}
// MLP: linalg.matmul {quant4.layer = 0 : i64, quant4.layer_name = "layer0", quant4.role = "fwd"} ins(%[[X]], %[[W1]] :
// MLP: linalg.matmul {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.role = "fwd"} ins(%{{.*}}, %[[W2]] :
// MLP: linalg.matmul {quant4.layer = 2 : i64, quant4.layer_name = "layer2", quant4.role = "fwd"} ins(%{{.*}}, %[[W3]] :
// MLP: %[[H2T:.*]] = linalg.transpose
// MLP: linalg.matmul {quant4.layer = 2 : i64, quant4.layer_name = "layer2", quant4.role = "wgrad"} ins(%[[H2T]], %{{.*}} : tensor<32x8xf32>, tensor<8x4xf32>)
// MLP: linalg.matmul indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}] {quant4.layer = 2 : i64, quant4.layer_name = "layer2", quant4.role = "dgrad"} ins(%{{.*}}, %[[W3]] : tensor<8x4xf32>, tensor<32x4xf32>)
// MLP: linalg.matmul indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}] {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.role = "wgrad"} ins(%{{.*}}, %{{.*}} : tensor<8x32xf32>, tensor<8x32xf32>)
// MLP: %[[W2T:.*]] = linalg.transpose ins(%[[W2]]
// MLP: linalg.matmul {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.role = "dgrad"} ins(%{{.*}}, %[[W2T]] :
// MLP: %[[XT:.*]] = linalg.transpose ins(%[[X]]
// MLP: linalg.matmul {quant4.layer = 0 : i64, quant4.layer_name = "layer0", quant4.role = "wgrad"} ins(%[[XT]], %{{.*}} :
// MLP-NOT: linalg.matmul
// MLP: return

// CNN: forward convolutions, wgrad as conv(Xᵀ, dYᵀ), dgrad as conv(pad(dY), flip(W)).
// CONV-LABEL: func.func @train_step
// CONV-SAME: %[[K1:arg0]]: tensor<3x3x1x4xf32>, %[[K2:arg1]]: tensor<3x3x4x4xf32>, %[[W3:arg2]]: tensor<64x3xf32>
// CONV-SAME: attributes {quant4.num_layers = 3 : i64}
// CONV: linalg.conv_2d_nhwc_hwcf {{{.*}}quant4.layer = 0 : i64, quant4.layer_name = "layer0", quant4.role = "fwd"{{.*}}} ins(%{{.*}}, %[[K1]] :
// CONV: linalg.conv_2d_nhwc_hwcf {{{.*}}quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.role = "fwd"{{.*}}} ins(%{{.*}}, %[[K2]] :
// CONV: linalg.matmul {quant4.layer = 2 : i64, quant4.layer_name = "layer2", quant4.role = "fwd"} ins(%collapsed, %[[W3]] :
// CONV: linalg.matmul {quant4.layer = 2 : i64, quant4.layer_name = "layer2", quant4.role = "wgrad"}
// CONV: linalg.matmul {quant4.layer = 2 : i64, quant4.layer_name = "layer2", quant4.role = "dgrad"}
// CONV: linalg.conv_2d_nhwc_hwcf {{{.*}}quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.role = "wgrad"{{.*}}} ins(%{{.*}}, %{{.*}} : tensor<4x6x6x2xf32>, tensor<4x4x2x4xf32>)
// CONV: %[[PAD:.*]] = tensor.pad
// CONV: %[[FLIP:.*]] = linalg.generic {{.*}} ins(%[[K2]] :
// CONV: linalg.conv_2d_nhwc_hwcf {{{.*}}quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.role = "dgrad"{{.*}}} ins(%[[PAD]], %[[FLIP]] :
// CONV: linalg.conv_2d_nhwc_hwcf {{{.*}}quant4.layer = 0 : i64, quant4.layer_name = "layer0", quant4.role = "wgrad"{{.*}}} ins(%{{.*}}, %{{.*}} : tensor<1x8x8x2xf32>, tensor<6x6x2x4xf32>)
// CONV-NOT: linalg.conv_2d
// CONV: return

// TOSA after tosa-to-linalg-named: linalg.batch_matmul and linalg.transpose.
// TOSA-LABEL: func.func @tosa_step
// TOSA-SAME: %[[W1:arg0]]: tensor<1x16x32xf32>, %[[W2:arg1]]: tensor<1x32x4xf32>
// TOSA-SAME: attributes {quant4.num_layers = 2 : i64}
// TOSA: linalg.batch_matmul {quant4.layer = 0 : i64, quant4.layer_name = "layer0", quant4.role = "fwd"} ins(%{{.*}}, %[[W1]] :
// TOSA: linalg.batch_matmul {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.role = "fwd"} ins(%{{.*}}, %[[W2]] :
// TOSA: linalg.batch_matmul {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.role = "wgrad"}
// TOSA: linalg.batch_matmul {quant4.layer = 1 : i64, quant4.layer_name = "layer1", quant4.role = "dgrad"}
// TOSA: linalg.batch_matmul {quant4.layer = 0 : i64, quant4.layer_name = "layer0", quant4.role = "wgrad"}
// TOSA-NOT: linalg.batch_matmul

// A step that returns gradients instead of updating: parameters are marked
// with quant4.param (which also names the layer); the wgrad is found through
// the forward activation it reads.
// CHECK-LABEL: func.func @returns_gradients
// CHECK-SAME: attributes {quant4.num_layers = 1 : i64}
// CHECK: linalg.matmul {quant4.layer = 0 : i64, quant4.layer_name = "fc", quant4.role = "fwd"}
// CHECK: linalg.matmul indexing_maps = [{{.*}}] {quant4.layer = 0 : i64, quant4.layer_name = "fc", quant4.role = "wgrad"}
func.func @returns_gradients(%w: tensor<16x4xf32> {quant4.param = "fc"}, %x: tensor<8x16xf32>,
                             %t: tensor<8x4xf32>) -> tensor<16x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<8x16xf32>, tensor<16x4xf32>) outs(%z : tensor<8x4xf32>) -> tensor<8x4xf32>
  %dy = linalg.sub ins(%y, %t : tensor<8x4xf32>, tensor<8x4xf32>) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %e2 = tensor.empty() : tensor<16x4xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<16x4xf32>) -> tensor<16x4xf32>
  %dw = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %dy : tensor<8x16xf32>, tensor<8x4xf32>) outs(%z2 : tensor<16x4xf32>) -> tensor<16x4xf32>
  return %dw : tensor<16x4xf32>
}

// -----

// Explicit annotations win: the second GEMM reads the parameter next to an
// input that does not depend on the forward GEMM, so inference alone would
// call it a second forward GEMM (an error); it is declared the dgrad of "fc".
// An SGD-with-momentum velocity is updated and returned but read by no GEMM:
// it is not a layer, and the wgrad is found through the update chain.
// CHECK-LABEL: func.func @explicit_and_momentum
// CHECK-SAME: attributes {quant4.num_layers = 1 : i64}
// CHECK: linalg.matmul {quant4.layer = 0 : i64, quant4.layer_name = "fc", quant4.role = "fwd"} ins(%arg4, %arg0 :
// CHECK: linalg.matmul {quant4.layer = 0 : i64, quant4.layer_name = "fc", quant4.role = "dgrad"} ins(%arg1, %{{.*}} :
// CHECK: linalg.matmul {quant4.layer = 0 : i64, quant4.layer_name = "fc", quant4.role = "wgrad"} ins(%arg2, %{{.*}} :
func.func @explicit_and_momentum(%w: tensor<16x4xf32> {quant4.param = "fc"}, %b: tensor<8x4xf32>,
                                 %xt: tensor<16x8xf32>, %v: tensor<16x4xf32>, %x: tensor<8x16xf32>)
    -> (tensor<16x4xf32>, tensor<16x4xf32>, tensor<8x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<8x16xf32>, tensor<16x4xf32>) outs(%z : tensor<8x4xf32>) -> tensor<8x4xf32>
  %e3 = tensor.empty() : tensor<4x16xf32>
  %wt = linalg.transpose ins(%w : tensor<16x4xf32>) outs(%e3 : tensor<4x16xf32>) permutation = [1, 0]
  %e4 = tensor.empty() : tensor<8x16xf32>
  %other = linalg.matmul {quant4.role = "dgrad", quant4.layer_name = "fc"}
      ins(%b, %wt : tensor<8x4xf32>, tensor<4x16xf32>) outs(%e4 : tensor<8x16xf32>) -> tensor<8x16xf32>
  %e2 = tensor.empty() : tensor<16x4xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<16x4xf32>) -> tensor<16x4xf32>
  %dw = linalg.matmul ins(%xt, %y : tensor<16x8xf32>, tensor<8x4xf32>) outs(%z2 : tensor<16x4xf32>) -> tensor<16x4xf32>
  %vn = linalg.add ins(%v, %dw : tensor<16x4xf32>, tensor<16x4xf32>) outs(%e2 : tensor<16x4xf32>) -> tensor<16x4xf32>
  %wn = linalg.sub ins(%w, %vn : tensor<16x4xf32>, tensor<16x4xf32>) outs(%e2 : tensor<16x4xf32>) -> tensor<16x4xf32>
  return %wn, %vn, %other : tensor<16x4xf32>, tensor<16x4xf32>, tensor<8x16xf32>
}
