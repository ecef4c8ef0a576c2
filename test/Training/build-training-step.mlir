// RUN: quant4-opt %s --quant4-build-training-step -split-input-file | FileCheck %s

// A single dense layer: the full generated signature, the loss, the
// gradient GEMM and the SGD update.
// CHECK-LABEL: func.func @net(
// CHECK-LABEL: func.func @net_train_step(
// CHECK-SAME: %[[W:[a-zA-Z0-9_]+]]: tensor<3x2xf32> {quant4.param = "fc.weight"}, %[[V:[a-zA-Z0-9_]+]]: tensor<3x2xf32> {quant4.momentum = "fc.weight"},
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<4x3xf32> {quant4.batch}, %[[L:[a-zA-Z0-9_]+]]: tensor<4xi32> {quant4.labels},
// CHECK-SAME: %[[LR:[a-zA-Z0-9_]+]]: tensor<f32> {quant4.hyper = "lr"}, %[[MU:[a-zA-Z0-9_]+]]: tensor<f32> {quant4.hyper = "momentum"}, %[[WD:[a-zA-Z0-9_]+]]: tensor<f32> {quant4.hyper = "weight_decay"})
// CHECK-SAME: -> (tensor<3x2xf32> {quant4.param = "fc.weight"}, tensor<3x2xf32> {quant4.momentum = "fc.weight"}, tensor<f32> {quant4.loss}, tensor<i32> {quant4.correct})
// CHECK-SAME: attributes {quant4.forward = @net, quant4.num_layers = 1 : i64}
// CHECK: %[[Y:[a-zA-Z0-9_]+]] = linalg.matmul {quant4.layer = 0 : i64, quant4.role = "fwd"} ins(%[[X]], %[[W]] :
// Row maximum, then sum of exp(y - max) (numerically stable softmax).
// CHECK: %[[MAX:[a-zA-Z0-9_]+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[Y]] :
// CHECK: arith.maximumf
// CHECK: %[[SUM:[a-zA-Z0-9_]+]] = linalg.generic {{.*}} ins(%[[Y]], %[[MAX]] :
// CHECK: arith.subf
// CHECK: math.exp
// The logit of the label, then the mean of max + log(sum) - logit.
// CHECK: %[[PICK:[a-zA-Z0-9_]+]] = linalg.generic {{.*}} ins(%[[Y]], %[[L]] :
// CHECK: linalg.index 1
// CHECK: %[[LSUM:[a-zA-Z0-9_]+]] = linalg.generic {{.*}} ins(%[[MAX]], %[[SUM]], %[[PICK]] :
// CHECK: math.log
// CHECK: %[[LOSS:[a-zA-Z0-9_]+]] = linalg.generic {{.*}} ins(%[[LSUM]] : tensor<f32>)
// CHECK: arith.mulf %{{.*}}, %[[INVB:[a-zA-Z0-9_]+]] : f32
// dY = (softmax - onehot) / B
// CHECK: %[[DY:[a-zA-Z0-9_]+]] = linalg.generic {{.*}} ins(%[[Y]], %[[MAX]], %[[SUM]], %[[L]] :
// First arg-max, then the count of correct predictions.
// CHECK: %[[PRED:[a-zA-Z0-9_]+]] = linalg.generic {{.*}} ins(%[[Y]], %[[MAX]] : {{.*}} outs(%{{.*}} : tensor<4xi32>)
// CHECK: arith.cmpf oeq
// CHECK: arith.minsi
// CHECK: %[[CORRECT:[a-zA-Z0-9_]+]] = linalg.generic {{.*}} ins(%[[PRED]], %[[L]] :
// No dgrad for the batch; wgrad dW = Xᵀ·dY.
// CHECK-NOT: quant4.role = "dgrad"
// CHECK: %[[XT:[a-zA-Z0-9_]+]] = linalg.transpose ins(%[[X]] : tensor<4x3xf32>) {{.*}} permutation = [1, 0]
// CHECK: %[[DW:[a-zA-Z0-9_]+]] = linalg.matmul {quant4.layer = 0 : i64, quant4.role = "wgrad"} ins(%[[XT]], %[[DY]] :
// SGD: g' = g + wd·p; v' = mu·v + g'; p' = p - lr·v'
// CHECK-DAG: %[[LRS:[a-zA-Z0-9_]+]] = tensor.extract %[[LR]][]
// CHECK-DAG: %[[MUS:[a-zA-Z0-9_]+]] = tensor.extract %[[MU]][]
// CHECK-DAG: %[[WDS:[a-zA-Z0-9_]+]] = tensor.extract %[[WD]][]
// CHECK: %[[UPD:[a-zA-Z0-9_]+]]:2 = linalg.generic {{.*}} ins(%[[W]], %[[DW]], %[[V]] :
// CHECK: ^bb0(%[[P:[a-zA-Z0-9_]+]]: f32, %[[G:[a-zA-Z0-9_]+]]: f32, %[[VV:[a-zA-Z0-9_]+]]: f32,
// CHECK: %[[T0:[a-zA-Z0-9_]+]] = arith.mulf %[[WDS]], %[[P]]
// CHECK: %[[G2:[a-zA-Z0-9_]+]] = arith.addf %[[G]], %[[T0]]
// CHECK: %[[T1:[a-zA-Z0-9_]+]] = arith.mulf %[[MUS]], %[[VV]]
// CHECK: %[[V2:[a-zA-Z0-9_]+]] = arith.addf %[[T1]], %[[G2]]
// CHECK: %[[T2:[a-zA-Z0-9_]+]] = arith.mulf %[[LRS]], %[[V2]]
// CHECK: %[[P2:[a-zA-Z0-9_]+]] = arith.subf %[[P]], %[[T2]]
// CHECK: linalg.yield %[[P2]], %[[V2]]
// CHECK: return %[[UPD]]#0, %[[UPD]]#1, %[[LOSS]], %[[CORRECT]]
func.func @net(%w: tensor<3x2xf32> {quant4.param = "fc.weight"}, %x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Two layers with ReLU: dgrad of the second layer, the ReLU derivative
// (gradient to the first operand of maximumf when it is >=), the bias
// gradient summed over the batch dimension. Unnamed parameters are p<i>.
// CHECK-LABEL: func.func @two_train_step(
// CHECK-SAME: {quant4.param = "p0"}
// CHECK: %[[H:[a-zA-Z0-9_]+]] = linalg.matmul {quant4.layer = 0 : i64, quant4.role = "fwd"}
// CHECK: %[[S:[a-zA-Z0-9_]+]] = linalg.generic
// CHECK: %[[A:[a-zA-Z0-9_]+]] = linalg.generic
// CHECK: %[[Y:[a-zA-Z0-9_]+]] = linalg.matmul {quant4.layer = 1 : i64, quant4.role = "fwd"} ins(%[[A]], %[[W2:[a-zA-Z0-9_]+]] :
// CHECK: %[[W2T:[a-zA-Z0-9_]+]] = linalg.transpose ins(%[[W2]] : tensor<5x2xf32>)
// CHECK: %[[DA:[a-zA-Z0-9_]+]] = linalg.matmul {quant4.layer = 1 : i64, quant4.role = "dgrad"} ins(%[[DY:[a-zA-Z0-9_]+]], %[[W2T]] :
// CHECK: linalg.matmul {quant4.layer = 1 : i64, quant4.role = "wgrad"} ins(%{{.*}}, %[[DY]] :
// CHECK: %[[DS:[a-zA-Z0-9_]+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[S]], %[[DA]] :
// CHECK: ^bb0(%[[SV:[a-zA-Z0-9_]+]]: f32, %[[GV:[a-zA-Z0-9_]+]]: f32, %{{.*}}: f32):
// CHECK: %[[GE:[a-zA-Z0-9_]+]] = arith.cmpf oge, %[[SV]], %{{.*}} : f32
// CHECK: %[[R:[a-zA-Z0-9_]+]] = arith.select %[[GE]], %[[GV]], %{{.*}} : f32
// CHECK: linalg.yield %[[R]]
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}, #[[BIAS:[a-zA-Z0-9_]+]]], iterator_types = ["reduction", "parallel"]} ins(%[[H]], %{{.*}}, %[[DS]] : {{.*}}) outs(%{{.*}} : tensor<5xf32>)
// CHECK: linalg.matmul {quant4.layer = 0 : i64, quant4.role = "wgrad"}
// CHECK-NOT: quant4.role = "dgrad"
// CHECK: return
#id = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
func.func @two(%w1: tensor<3x5xf32>, %b1: tensor<5xf32>, %w2: tensor<5x2xf32>, %x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x5xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x5xf32>) -> tensor<4x5xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<4x3xf32>, tensor<3x5xf32>) outs(%z : tensor<4x5xf32>) -> tensor<4x5xf32>
  %s = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b1 : tensor<4x5xf32>, tensor<5xf32>) outs(%e : tensor<4x5xf32>) {
    ^bb0(%v: f32, %b: f32, %o: f32):
      %r = arith.addf %v, %b : f32
      linalg.yield %r : f32
  } -> tensor<4x5xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x5xf32>) outs(%e : tensor<4x5xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.maximumf %v, %zero : f32
      linalg.yield %r : f32
  } -> tensor<4x5xf32>
  %e2 = tensor.empty() : tensor<4x2xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul ins(%a, %w2 : tensor<4x5xf32>, tensor<5x2xf32>) outs(%z2 : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Convolution (stride 2) and max pooling. dgrad: dY spread by the stride
// into a zero tensor padded by (K-1)·d, convolved with the flipped filter;
// wgrad: a convolution of Xᵀ (C,H,W,N) with dYᵀ (OH,OW,N,F), stride = forward
// dilation, dilation = forward stride. Pooling backward: the first arg-max
// offset per window, then one strided slice update per window offset.
// CHECK-LABEL: func.func @cnn_train_step(
// CHECK: %[[C1:[a-zA-Z0-9_]+]] = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, quant4.layer = 0 : i64, quant4.role = "fwd", strides = dense<2> : tensor<2xi64>} ins(%[[X1:[a-zA-Z0-9_]+]], %[[K1:[a-zA-Z0-9_]+]] :
// CHECK: %[[Y2:[a-zA-Z0-9_]+]] = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, quant4.layer = 1 : i64, quant4.role = "fwd", strides = dense<1> : tensor<2xi64>} ins(%[[C1]], %[[K2:[a-zA-Z0-9_]+]] :
// CHECK: %[[P:[a-zA-Z0-9_]+]] = linalg.pooling_nhwc_max
// Pooling backward.
// CHECK: %[[ARG:[a-zA-Z0-9_]+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%[[Y2]], %[[P]], %{{.*}} : tensor<2x2x2x4xf32>, tensor<2x1x1x4xf32>, tensor<2x2xf32>) outs(%{{.*}} : tensor<2x1x1x4xi32>)
// CHECK-COUNT-4: tensor.insert_slice
// Layer 1 dgrad (its input depends on conv1.weight) and wgrad.
// CHECK: %[[FLIP:[a-zA-Z0-9_]+]] = linalg.generic {indexing_maps = [#[[FLIPMAP:[a-zA-Z0-9_]+]], #{{.*}}]{{.*}} ins(%[[K2]] : tensor<3x3x4x4xf32>) outs(%{{.*}} : tensor<3x3x4x4xf32>)
// CHECK: %[[SPREAD:[a-zA-Z0-9_]+]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 2, 2, 0] [2, 2, 2, 4] [1, 1, 1, 1] : tensor<2x2x2x4xf32> into tensor<2x6x6x4xf32>
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, quant4.layer = 1 : i64, quant4.role = "dgrad", strides = dense<1> : tensor<2xi64>} ins(%[[SPREAD]], %[[FLIP]] : tensor<2x6x6x4xf32>, tensor<3x3x4x4xf32>) outs(%{{.*}} : tensor<2x4x4x4xf32>)
// CHECK: linalg.transpose ins(%[[C1]] : tensor<2x4x4x4xf32>) {{.*}} permutation = [3, 1, 2, 0]
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, quant4.layer = 1 : i64, quant4.role = "wgrad", strides = dense<1> : tensor<2xi64>} {{.*}} -> tensor<4x3x3x4xf32>
// Layer 0: wgrad only (the batch needs no gradient); the stride becomes
// the dilation, and the 9x9 input gives a 3x3 filter exactly.
// CHECK: linalg.transpose ins(%[[X1]] : tensor<2x9x9x2xf32>) {{.*}} permutation = [3, 1, 2, 0]
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, quant4.layer = 0 : i64, quant4.role = "wgrad", strides = dense<1> : tensor<2xi64>} {{.*}} -> tensor<2x3x3x4xf32>
// CHECK-NOT: quant4.layer = 0 : i64, quant4.role = "dgrad"
// CHECK: return
func.func @cnn(%k1: tensor<3x3x2x4xf32>, %k2: tensor<3x3x4x4xf32>, %x: tensor<2x9x9x2xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<2x4x4x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %k1 : tensor<2x9x9x2xf32>, tensor<3x3x2x4xf32>) outs(%z : tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32>
  %e2 = tensor.empty() : tensor<2x2x2x4xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x2x2x4xf32>) -> tensor<2x2x2x4xf32>
  %y2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%y, %k2 : tensor<2x4x4x4xf32>, tensor<3x3x4x4xf32>) outs(%z2 : tensor<2x2x2x4xf32>) -> tensor<2x2x2x4xf32>
  %win = tensor.empty() : tensor<2x2xf32>
  %ep = tensor.empty() : tensor<2x1x1x4xf32>
  %m = linalg.fill ins(%ninf : f32) outs(%ep : tensor<2x1x1x4xf32>) -> tensor<2x1x1x4xf32>
  %p = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%y2, %win : tensor<2x2x2x4xf32>, tensor<2x2xf32>) outs(%m : tensor<2x1x1x4xf32>) -> tensor<2x1x1x4xf32>
  %flat = tensor.collapse_shape %p [[0], [1, 2, 3]] : tensor<2x1x1x4xf32> into tensor<2x4xf32>
  return %flat : tensor<2x4xf32>
}

// -----

// batch_matmul of two activations: its layer has no parameter to be named
// after, so it is named gemm<layer> (on the forward function too, which
// also gets its role); the gradient of the left operand is the dgrad, that
// of the right operand the wgrad (docs/Recipes.md, R5).
// CHECK-LABEL: func.func @bmm(
// CHECK: linalg.batch_matmul {quant4.layer_name = "gemm1", quant4.role = "fwd"}
// CHECK-LABEL: func.func @bmm_train_step(
// CHECK: linalg.batch_matmul {quant4.layer = 1 : i64, quant4.layer_name = "gemm1", quant4.role = "fwd"}
// CHECK: linalg.batch_matmul {quant4.layer = 1 : i64, quant4.layer_name = "gemm1", quant4.role = "dgrad"}
// CHECK: linalg.batch_matmul {quant4.layer = 1 : i64, quant4.layer_name = "gemm1", quant4.role = "wgrad"}
// CHECK: linalg.matmul {quant4.layer = 0 : i64, quant4.role = "wgrad"}
func.func @bmm(%w: tensor<2x8xf32>, %x: tensor<2x2xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  %h = linalg.matmul ins(%x, %w : tensor<2x2xf32>, tensor<2x8xf32>) outs(%z : tensor<2x8xf32>) -> tensor<2x8xf32>
  %a = tensor.expand_shape %h [[0], [1, 2]] output_shape [2, 2, 4] : tensor<2x8xf32> into tensor<2x2x4xf32>
  %b = tensor.expand_shape %h [[0], [1, 2]] output_shape [2, 4, 2] : tensor<2x8xf32> into tensor<2x4x2xf32>
  %e3 = tensor.empty() : tensor<2x2x2xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x2x2xf32>) -> tensor<2x2x2xf32>
  %c = linalg.batch_matmul ins(%a, %b : tensor<2x2x4xf32>, tensor<2x4x2xf32>) outs(%z3 : tensor<2x2x2xf32>) -> tensor<2x2x2xf32>
  %flat = tensor.collapse_shape %c [[0], [1, 2]] : tensor<2x2x2xf32> into tensor<2x4xf32>
  return %flat : tensor<2x4xf32>
}
