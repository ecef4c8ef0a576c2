// examples/lenet.mlir at test size, for the simulator cross-check
// (test/Sim/crosscheck-lenet.test): the same op kinds in the same order —
// conv + bias + ReLU, 2x2/2 max-pool, twice; flatten
// (tensor.collapse_shape); dense + bias + ReLU; dense + bias — with batch 2,
// a 20x20x1 input and fewer channels:
//   conv 5x5x1->4 + bias + ReLU   2x20x20x1 -> 2x16x16x4
//   max-pool 2x2 / 2                        -> 2x8x8x4
//   conv 5x5x4->8 + bias + ReLU             -> 2x4x4x8
//   max-pool 2x2 / 2                        -> 2x2x2x8
//   flatten                                 -> 2x32
//   dense 32->16 + bias + ReLU, dense 16->10 + bias -> logits 2x10
//
//   quant4-opt test/Sim/Inputs/lenet-small.mlir --quant4-build-training-step
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bias4 = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
module {
  func.func @lenet(%k1: tensor<5x5x1x4xf32> {quant4.param = "conv1.weight"},
                   %c1: tensor<4xf32> {quant4.param = "conv1.bias"},
                   %k2: tensor<5x5x4x8xf32> {quant4.param = "conv2.weight"},
                   %c2: tensor<8xf32> {quant4.param = "conv2.bias"},
                   %w3: tensor<32x16xf32> {quant4.param = "fc1.weight"},
                   %b3: tensor<16xf32> {quant4.param = "fc1.bias"},
                   %w4: tensor<16x10xf32> {quant4.param = "fc2.weight"},
                   %b4: tensor<10xf32> {quant4.param = "fc2.bias"},
                   %x: tensor<2x20x20x1xf32>) -> tensor<2x10xf32> {
    %zero = arith.constant 0.0 : f32
    %ninf = arith.constant 0xFF800000 : f32
    %window = tensor.empty() : tensor<2x2xf32>

    // conv1 + bias + ReLU, pool
    %e1 = tensor.empty() : tensor<2x16x16x4xf32>
    %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x16x16x4xf32>) -> tensor<2x16x16x4xf32>
    %cv1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%x, %k1 : tensor<2x20x20x1xf32>, tensor<5x5x1x4xf32>)
        outs(%z1 : tensor<2x16x16x4xf32>) -> tensor<2x16x16x4xf32>
    %r1 = linalg.generic {indexing_maps = [#id4, #bias4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%cv1, %c1 : tensor<2x16x16x4xf32>, tensor<4xf32>) outs(%e1 : tensor<2x16x16x4xf32>) {
      ^bb0(%v: f32, %b: f32, %o: f32):
        %s = arith.addf %v, %b : f32
        %r = arith.maximumf %s, %zero : f32
        linalg.yield %r : f32
    } -> tensor<2x16x16x4xf32>
    %ep1 = tensor.empty() : tensor<2x8x8x4xf32>
    %m1 = linalg.fill ins(%ninf : f32) outs(%ep1 : tensor<2x8x8x4xf32>) -> tensor<2x8x8x4xf32>
    %p1 = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
        ins(%r1, %window : tensor<2x16x16x4xf32>, tensor<2x2xf32>)
        outs(%m1 : tensor<2x8x8x4xf32>) -> tensor<2x8x8x4xf32>

    // conv2 + bias + ReLU, pool
    %e2 = tensor.empty() : tensor<2x4x4x8xf32>
    %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x4x4x8xf32>) -> tensor<2x4x4x8xf32>
    %cv2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%p1, %k2 : tensor<2x8x8x4xf32>, tensor<5x5x4x8xf32>)
        outs(%z2 : tensor<2x4x4x8xf32>) -> tensor<2x4x4x8xf32>
    %r2 = linalg.generic {indexing_maps = [#id4, #bias4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%cv2, %c2 : tensor<2x4x4x8xf32>, tensor<8xf32>) outs(%e2 : tensor<2x4x4x8xf32>) {
      ^bb0(%v: f32, %b: f32, %o: f32):
        %s = arith.addf %v, %b : f32
        %r = arith.maximumf %s, %zero : f32
        linalg.yield %r : f32
    } -> tensor<2x4x4x8xf32>
    %ep2 = tensor.empty() : tensor<2x2x2x8xf32>
    %m2 = linalg.fill ins(%ninf : f32) outs(%ep2 : tensor<2x2x2x8xf32>) -> tensor<2x2x2x8xf32>
    %p2 = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
        ins(%r2, %window : tensor<2x4x4x8xf32>, tensor<2x2xf32>)
        outs(%m2 : tensor<2x2x2x8xf32>) -> tensor<2x2x2x8xf32>

    // flatten (h, w, c order) and the dense layers
    %flat = tensor.collapse_shape %p2 [[0], [1, 2, 3]] : tensor<2x2x2x8xf32> into tensor<2x32xf32>
    %e3 = tensor.empty() : tensor<2x16xf32>
    %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x16xf32>) -> tensor<2x16xf32>
    %mm3 = linalg.matmul ins(%flat, %w3 : tensor<2x32xf32>, tensor<32x16xf32>)
                         outs(%z3 : tensor<2x16xf32>) -> tensor<2x16xf32>
    %h3 = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
        ins(%mm3, %b3 : tensor<2x16xf32>, tensor<16xf32>) outs(%e3 : tensor<2x16xf32>) {
      ^bb0(%v: f32, %b: f32, %o: f32):
        %s = arith.addf %v, %b : f32
        %r = arith.maximumf %s, %zero : f32
        linalg.yield %r : f32
    } -> tensor<2x16xf32>
    %e4 = tensor.empty() : tensor<2x10xf32>
    %z4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<2x10xf32>) -> tensor<2x10xf32>
    %mm4 = linalg.matmul ins(%h3, %w4 : tensor<2x16xf32>, tensor<16x10xf32>)
                         outs(%z4 : tensor<2x10xf32>) -> tensor<2x10xf32>
    %logits = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
        ins(%mm4, %b4 : tensor<2x10xf32>, tensor<10xf32>) outs(%e4 : tensor<2x10xf32>) {
      ^bb0(%v: f32, %b: f32, %o: f32):
        %s = arith.addf %v, %b : f32
        linalg.yield %s : f32
    } -> tensor<2x10xf32>
    return %logits : tensor<2x10xf32>
  }
}
