// Forward pass of a LeNet-style CNN on 28x28x1 MNIST digits (NHWC), f32,
// static batch 64:
//   conv 5x5x1->6 + bias + ReLU   64x28x28x1 -> 64x24x24x6
//   max-pool 2x2 / 2                          -> 64x12x12x6
//   conv 5x5x6->16 + bias + ReLU              -> 64x8x8x16
//   max-pool 2x2 / 2                          -> 64x4x4x16
//   flatten (tensor.collapse_shape)           -> 64x256
//   dense 256->128 + bias + ReLU, dense 128->10 + bias -> logits 64x10
//
// quant4 model convention (docs/Training.md): every argument but the last is
// a trainable parameter, tagged {quant4.param = "<name>"}; the last argument
// is the batch; the single result is the logits. Filters are HWCF.
//
//   quant4-opt examples/lenet.mlir --quant4-build-training-step
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bias4 = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
module {
  func.func @lenet(%k1: tensor<5x5x1x6xf32> {quant4.param = "conv1.weight"},
                   %c1: tensor<6xf32> {quant4.param = "conv1.bias"},
                   %k2: tensor<5x5x6x16xf32> {quant4.param = "conv2.weight"},
                   %c2: tensor<16xf32> {quant4.param = "conv2.bias"},
                   %w3: tensor<256x128xf32> {quant4.param = "fc1.weight"},
                   %b3: tensor<128xf32> {quant4.param = "fc1.bias"},
                   %w4: tensor<128x10xf32> {quant4.param = "fc2.weight"},
                   %b4: tensor<10xf32> {quant4.param = "fc2.bias"},
                   %x: tensor<64x28x28x1xf32>) -> tensor<64x10xf32> {
    %zero = arith.constant 0.0 : f32
    %ninf = arith.constant 0xFF800000 : f32
    %window = tensor.empty() : tensor<2x2xf32>

    // conv1 + bias + ReLU, pool
    %e1 = tensor.empty() : tensor<64x24x24x6xf32>
    %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<64x24x24x6xf32>) -> tensor<64x24x24x6xf32>
    %cv1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%x, %k1 : tensor<64x28x28x1xf32>, tensor<5x5x1x6xf32>)
        outs(%z1 : tensor<64x24x24x6xf32>) -> tensor<64x24x24x6xf32>
    %r1 = linalg.generic {indexing_maps = [#id4, #bias4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%cv1, %c1 : tensor<64x24x24x6xf32>, tensor<6xf32>) outs(%e1 : tensor<64x24x24x6xf32>) {
      ^bb0(%v: f32, %b: f32, %o: f32):
        %s = arith.addf %v, %b : f32
        %r = arith.maximumf %s, %zero : f32
        linalg.yield %r : f32
    } -> tensor<64x24x24x6xf32>
    %ep1 = tensor.empty() : tensor<64x12x12x6xf32>
    %m1 = linalg.fill ins(%ninf : f32) outs(%ep1 : tensor<64x12x12x6xf32>) -> tensor<64x12x12x6xf32>
    %p1 = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
        ins(%r1, %window : tensor<64x24x24x6xf32>, tensor<2x2xf32>)
        outs(%m1 : tensor<64x12x12x6xf32>) -> tensor<64x12x12x6xf32>

    // conv2 + bias + ReLU, pool
    %e2 = tensor.empty() : tensor<64x8x8x16xf32>
    %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<64x8x8x16xf32>) -> tensor<64x8x8x16xf32>
    %cv2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%p1, %k2 : tensor<64x12x12x6xf32>, tensor<5x5x6x16xf32>)
        outs(%z2 : tensor<64x8x8x16xf32>) -> tensor<64x8x8x16xf32>
    %r2 = linalg.generic {indexing_maps = [#id4, #bias4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%cv2, %c2 : tensor<64x8x8x16xf32>, tensor<16xf32>) outs(%e2 : tensor<64x8x8x16xf32>) {
      ^bb0(%v: f32, %b: f32, %o: f32):
        %s = arith.addf %v, %b : f32
        %r = arith.maximumf %s, %zero : f32
        linalg.yield %r : f32
    } -> tensor<64x8x8x16xf32>
    %ep2 = tensor.empty() : tensor<64x4x4x16xf32>
    %m2 = linalg.fill ins(%ninf : f32) outs(%ep2 : tensor<64x4x4x16xf32>) -> tensor<64x4x4x16xf32>
    %p2 = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
        ins(%r2, %window : tensor<64x8x8x16xf32>, tensor<2x2xf32>)
        outs(%m2 : tensor<64x4x4x16xf32>) -> tensor<64x4x4x16xf32>

    // flatten (h, w, c order) and the dense layers
    %flat = tensor.collapse_shape %p2 [[0], [1, 2, 3]] : tensor<64x4x4x16xf32> into tensor<64x256xf32>
    %e3 = tensor.empty() : tensor<64x128xf32>
    %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<64x128xf32>) -> tensor<64x128xf32>
    %mm3 = linalg.matmul ins(%flat, %w3 : tensor<64x256xf32>, tensor<256x128xf32>)
                         outs(%z3 : tensor<64x128xf32>) -> tensor<64x128xf32>
    %h3 = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
        ins(%mm3, %b3 : tensor<64x128xf32>, tensor<128xf32>) outs(%e3 : tensor<64x128xf32>) {
      ^bb0(%v: f32, %b: f32, %o: f32):
        %s = arith.addf %v, %b : f32
        %r = arith.maximumf %s, %zero : f32
        linalg.yield %r : f32
    } -> tensor<64x128xf32>
    %e4 = tensor.empty() : tensor<64x10xf32>
    %z4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<64x10xf32>) -> tensor<64x10xf32>
    %mm4 = linalg.matmul ins(%h3, %w4 : tensor<64x128xf32>, tensor<128x10xf32>)
                         outs(%z4 : tensor<64x10xf32>) -> tensor<64x10xf32>
    %logits = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
        ins(%mm4, %b4 : tensor<64x10xf32>, tensor<10xf32>) outs(%e4 : tensor<64x10xf32>) {
      ^bb0(%v: f32, %b: f32, %o: f32):
        %s = arith.addf %v, %b : f32
        linalg.yield %s : f32
    } -> tensor<64x10xf32>
    return %logits : tensor<64x10xf32>
  }
}
