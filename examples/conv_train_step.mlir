// A training step of a small CNN in upstream dialects (NHWC activations,
// HWCF filters, batch 2): conv 3x3 (1 -> 4) + ReLU, conv 3x3 (4 -> 4) + ReLU,
// flatten, fully connected 64 -> 3, mean-squared-error loss, backward, SGD.
// The backward convolutions use the forms that quant4-annotate-roles
// recognizes (docs/Recipes.md, "Convolutions"):
//   wgrad  dW[kh,kw,c,f] = conv_2d_nhwc_hwcf(Xᵀ, dYᵀ) transposed back, with
//          Xᵀ = transpose(X, [3,1,2,0]) (channels as batch) and
//          dYᵀ = transpose(dY, [1,2,0,3]) (the batch as input channels);
//   dgrad  dX = conv_2d_nhwc_hwcf(pad(dY, k-1), flip(W)) where flip is a
//          copy-only linalg.generic reversing kh, kw and swapping c, f.
// The first convolution has no dgrad (its input is data).
//
//   quant4-opt examples/conv_train_step.mlir --quant4-annotate-roles
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#flip = affine_map<(d0, d1, d2, d3) -> (2 - d0, 2 - d1, d3, d2)>
#map = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<(d0, d1) -> ()>
module {
  func.func @train_step(%k1: tensor<3x3x1x4xf32>, %k2: tensor<3x3x4x4xf32>,
                        %w3: tensor<64x3xf32>, %x: tensor<2x8x8x1xf32>,
                        %t: tensor<2x3xf32>, %lr: f32)
      -> (tensor<3x3x1x4xf32>, tensor<3x3x4x4xf32>, tensor<64x3xf32>, tensor<f32>) {
    %zero = arith.constant 0.0 : f32
    %gscale = arith.constant 0.33333334 : f32   // 2 / (2 * 3)
    %mscale = arith.constant 0.16666667 : f32   // 1 / (2 * 3)

    // ---- forward -------------------------------------------------------------
    %e1 = tensor.empty() : tensor<2x6x6x4xf32>
    %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x6x6x4xf32>) -> tensor<2x6x6x4xf32>
    %c1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%x, %k1 : tensor<2x8x8x1xf32>, tensor<3x3x1x4xf32>) outs(%z1 : tensor<2x6x6x4xf32>) -> tensor<2x6x6x4xf32>
    %h1 = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%c1 : tensor<2x6x6x4xf32>) outs(%e1 : tensor<2x6x6x4xf32>) {
      ^bb0(%a: f32, %o: f32):
        %r = arith.maximumf %a, %zero : f32
        linalg.yield %r : f32
    } -> tensor<2x6x6x4xf32>
    %e2 = tensor.empty() : tensor<2x4x4x4xf32>
    %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32>
    %c2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%h1, %k2 : tensor<2x6x6x4xf32>, tensor<3x3x4x4xf32>) outs(%z2 : tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32>
    %h2 = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%c2 : tensor<2x4x4x4xf32>) outs(%e2 : tensor<2x4x4x4xf32>) {
      ^bb0(%a: f32, %o: f32):
        %r = arith.maximumf %a, %zero : f32
        linalg.yield %r : f32
    } -> tensor<2x4x4x4xf32>
    %flat = tensor.collapse_shape %h2 [[0], [1, 2, 3]] : tensor<2x4x4x4xf32> into tensor<2x64xf32>
    %e23 = tensor.empty() : tensor<2x3xf32>
    %z23 = linalg.fill ins(%zero : f32) outs(%e23 : tensor<2x3xf32>) -> tensor<2x3xf32>
    %y = linalg.matmul ins(%flat, %w3 : tensor<2x64xf32>, tensor<64x3xf32>)
                       outs(%z23 : tensor<2x3xf32>) -> tensor<2x3xf32>

    // ---- loss = mean((y - t)^2), dY = 2 (y - t) / 6 ----------------------------
    %diff = linalg.sub ins(%y, %t : tensor<2x3xf32>, tensor<2x3xf32>)
                       outs(%e23 : tensor<2x3xf32>) -> tensor<2x3xf32>
    %e0 = tensor.empty() : tensor<f32>
    %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
    %sse = linalg.generic {indexing_maps = [#map, #scalar], iterator_types = ["reduction", "reduction"]}
        ins(%diff : tensor<2x3xf32>) outs(%z0 : tensor<f32>) {
      ^bb0(%d: f32, %acc: f32):
        %sq = arith.mulf %d, %d : f32
        %s = arith.addf %acc, %sq : f32
        linalg.yield %s : f32
    } -> tensor<f32>
    %loss = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []}
        ins(%sse : tensor<f32>) outs(%e0 : tensor<f32>) {
      ^bb0(%s: f32, %o: f32):
        %m = arith.mulf %s, %mscale : f32
        linalg.yield %m : f32
    } -> tensor<f32>
    %dy = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
        ins(%diff : tensor<2x3xf32>) outs(%e23 : tensor<2x3xf32>) {
      ^bb0(%d: f32, %o: f32):
        %g = arith.mulf %d, %gscale : f32
        linalg.yield %g : f32
    } -> tensor<2x3xf32>

    // ---- backward: fully connected (layer 2) ------------------------------------
    %e642 = tensor.empty() : tensor<64x2xf32>
    %flatt = linalg.transpose ins(%flat : tensor<2x64xf32>) outs(%e642 : tensor<64x2xf32>) permutation = [1, 0]
    %e643 = tensor.empty() : tensor<64x3xf32>
    %z643 = linalg.fill ins(%zero : f32) outs(%e643 : tensor<64x3xf32>) -> tensor<64x3xf32>
    %dw3 = linalg.matmul ins(%flatt, %dy : tensor<64x2xf32>, tensor<2x3xf32>)
                         outs(%z643 : tensor<64x3xf32>) -> tensor<64x3xf32>
    %e364 = tensor.empty() : tensor<3x64xf32>
    %w3t = linalg.transpose ins(%w3 : tensor<64x3xf32>) outs(%e364 : tensor<3x64xf32>) permutation = [1, 0]
    %e264 = tensor.empty() : tensor<2x64xf32>
    %z264 = linalg.fill ins(%zero : f32) outs(%e264 : tensor<2x64xf32>) -> tensor<2x64xf32>
    %dflat = linalg.matmul ins(%dy, %w3t : tensor<2x3xf32>, tensor<3x64xf32>)
                           outs(%z264 : tensor<2x64xf32>) -> tensor<2x64xf32>
    %dh2 = tensor.expand_shape %dflat [[0], [1, 2, 3]] output_shape [2, 4, 4, 4] : tensor<2x64xf32> into tensor<2x4x4x4xf32>
    %dc2 = linalg.generic {indexing_maps = [#id4, #id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%dh2, %c2 : tensor<2x4x4x4xf32>, tensor<2x4x4x4xf32>) outs(%e2 : tensor<2x4x4x4xf32>) {
      ^bb0(%g: f32, %p: f32, %o: f32):
        %pos = arith.cmpf ogt, %p, %zero : f32
        %r = arith.select %pos, %g, %zero : f32
        linalg.yield %r : f32
    } -> tensor<2x4x4x4xf32>

    // ---- backward: conv 2 (layer 1) ---------------------------------------------
    // wgrad: dK2 = transpose(conv(H1ᵀ, dC2ᵀ))
    %e4662 = tensor.empty() : tensor<4x6x6x2xf32>
    %h1t = linalg.transpose ins(%h1 : tensor<2x6x6x4xf32>) outs(%e4662 : tensor<4x6x6x2xf32>) permutation = [3, 1, 2, 0]
    %e4424 = tensor.empty() : tensor<4x4x2x4xf32>
    %dc2t = linalg.transpose ins(%dc2 : tensor<2x4x4x4xf32>) outs(%e4424 : tensor<4x4x2x4xf32>) permutation = [1, 2, 0, 3]
    %e4334 = tensor.empty() : tensor<4x3x3x4xf32>
    %z4334 = linalg.fill ins(%zero : f32) outs(%e4334 : tensor<4x3x3x4xf32>) -> tensor<4x3x3x4xf32>
    %dk2c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%h1t, %dc2t : tensor<4x6x6x2xf32>, tensor<4x4x2x4xf32>) outs(%z4334 : tensor<4x3x3x4xf32>) -> tensor<4x3x3x4xf32>
    %ek2 = tensor.empty() : tensor<3x3x4x4xf32>
    %dk2 = linalg.transpose ins(%dk2c : tensor<4x3x3x4xf32>) outs(%ek2 : tensor<3x3x4x4xf32>) permutation = [1, 2, 0, 3]
    // dgrad: dH1 = conv(pad(dC2, 2), flip(K2))
    %dc2p = tensor.pad %dc2 low[0, 2, 2, 0] high[0, 2, 2, 0] {
      ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
        tensor.yield %zero : f32
    } : tensor<2x4x4x4xf32> to tensor<2x8x8x4xf32>
    %k2f = linalg.generic {indexing_maps = [#flip, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%k2 : tensor<3x3x4x4xf32>) outs(%ek2 : tensor<3x3x4x4xf32>) {
      ^bb0(%a: f32, %o: f32):
        linalg.yield %a : f32
    } -> tensor<3x3x4x4xf32>
    %dh1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%dc2p, %k2f : tensor<2x8x8x4xf32>, tensor<3x3x4x4xf32>) outs(%z1 : tensor<2x6x6x4xf32>) -> tensor<2x6x6x4xf32>
    %dc1 = linalg.generic {indexing_maps = [#id4, #id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%dh1, %c1 : tensor<2x6x6x4xf32>, tensor<2x6x6x4xf32>) outs(%e1 : tensor<2x6x6x4xf32>) {
      ^bb0(%g: f32, %p: f32, %o: f32):
        %pos = arith.cmpf ogt, %p, %zero : f32
        %r = arith.select %pos, %g, %zero : f32
        linalg.yield %r : f32
    } -> tensor<2x6x6x4xf32>

    // ---- backward: conv 1 (layer 0): wgrad only ------------------------------------
    %e1882 = tensor.empty() : tensor<1x8x8x2xf32>
    %xt = linalg.transpose ins(%x : tensor<2x8x8x1xf32>) outs(%e1882 : tensor<1x8x8x2xf32>) permutation = [3, 1, 2, 0]
    %e6624 = tensor.empty() : tensor<6x6x2x4xf32>
    %dc1t = linalg.transpose ins(%dc1 : tensor<2x6x6x4xf32>) outs(%e6624 : tensor<6x6x2x4xf32>) permutation = [1, 2, 0, 3]
    %e1334 = tensor.empty() : tensor<1x3x3x4xf32>
    %z1334 = linalg.fill ins(%zero : f32) outs(%e1334 : tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
    %dk1c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%xt, %dc1t : tensor<1x8x8x2xf32>, tensor<6x6x2x4xf32>) outs(%z1334 : tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
    %ek1 = tensor.empty() : tensor<3x3x1x4xf32>
    %dk1 = linalg.transpose ins(%dk1c : tensor<1x3x3x4xf32>) outs(%ek1 : tensor<3x3x1x4xf32>) permutation = [1, 2, 0, 3]

    // ---- SGD -------------------------------------------------------------------
    %k1n = linalg.generic {indexing_maps = [#id4, #id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%k1, %dk1 : tensor<3x3x1x4xf32>, tensor<3x3x1x4xf32>) outs(%ek1 : tensor<3x3x1x4xf32>) {
      ^bb0(%w: f32, %g: f32, %o: f32):
        %st = arith.mulf %lr, %g : f32
        %n = arith.subf %w, %st : f32
        linalg.yield %n : f32
    } -> tensor<3x3x1x4xf32>
    %k2n = linalg.generic {indexing_maps = [#id4, #id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%k2, %dk2 : tensor<3x3x4x4xf32>, tensor<3x3x4x4xf32>) outs(%ek2 : tensor<3x3x4x4xf32>) {
      ^bb0(%w: f32, %g: f32, %o: f32):
        %st = arith.mulf %lr, %g : f32
        %n = arith.subf %w, %st : f32
        linalg.yield %n : f32
    } -> tensor<3x3x4x4xf32>
    %w3n = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
        ins(%w3, %dw3 : tensor<64x3xf32>, tensor<64x3xf32>) outs(%e643 : tensor<64x3xf32>) {
      ^bb0(%w: f32, %g: f32, %o: f32):
        %st = arith.mulf %lr, %g : f32
        %n = arith.subf %w, %st : f32
        linalg.yield %n : f32
    } -> tensor<64x3xf32>
    return %k1n, %k2n, %w3n, %loss
        : tensor<3x3x1x4xf32>, tensor<3x3x4x4xf32>, tensor<64x3xf32>, tensor<f32>
  }
}
