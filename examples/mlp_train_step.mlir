// A complete training step of a two-layer MLP (16 -> 32 -> 4, batch 8) in
// upstream dialects: forward, mean-squared-error loss, backward and SGD.
// Its five GEMMs are the forward, dgrad and wgrad GEMMs that a 4-bit training
// recipe quantizes (the first layer needs no dgrad):
//   layer 1: H = relu(X·W1)          wgrad dW1 = Xᵀ·dHpre
//   layer 2: Y = H·W2                wgrad dW2 = Hᵀ·dY, dgrad dH = dY·W2ᵀ
//
//   quant4-opt examples/mlp_train_step.mlir --quant4-quantize-gemms
#map = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<(d0, d1) -> ()>
module {
  func.func @train_step(%w1: tensor<16x32xf32>, %w2: tensor<32x4xf32>,
                        %x: tensor<8x16xf32>, %t: tensor<8x4xf32>,
                        %lr: f32)
      -> (tensor<16x32xf32>, tensor<32x4xf32>, tensor<f32>) {
    %zero = arith.constant 0.0 : f32
    // 2 / (batch · outputs) = 2 / 32
    %gscale = arith.constant 0.0625 : f32
    // 1 / 32 for the mean
    %mscale = arith.constant 0.03125 : f32

    // ---- forward -----------------------------------------------------------
    %e832 = tensor.empty() : tensor<8x32xf32>
    %z832 = linalg.fill ins(%zero : f32) outs(%e832 : tensor<8x32xf32>) -> tensor<8x32xf32>
    %hpre = linalg.matmul ins(%x, %w1 : tensor<8x16xf32>, tensor<16x32xf32>)
                          outs(%z832 : tensor<8x32xf32>) -> tensor<8x32xf32>
    %h = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
        ins(%hpre : tensor<8x32xf32>) outs(%e832 : tensor<8x32xf32>) {
      ^bb0(%a: f32, %o: f32):
        %r = arith.maximumf %a, %zero : f32
        linalg.yield %r : f32
    } -> tensor<8x32xf32>
    %e84 = tensor.empty() : tensor<8x4xf32>
    %z84 = linalg.fill ins(%zero : f32) outs(%e84 : tensor<8x4xf32>) -> tensor<8x4xf32>
    %y = linalg.matmul ins(%h, %w2 : tensor<8x32xf32>, tensor<32x4xf32>)
                       outs(%z84 : tensor<8x4xf32>) -> tensor<8x4xf32>

    // ---- loss = mean((y - t)^2), dY = 2 (y - t) / 32 -------------------------
    %diff = linalg.sub ins(%y, %t : tensor<8x4xf32>, tensor<8x4xf32>)
                       outs(%e84 : tensor<8x4xf32>) -> tensor<8x4xf32>
    %e0 = tensor.empty() : tensor<f32>
    %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
    %sse = linalg.generic {indexing_maps = [#map, #scalar], iterator_types = ["reduction", "reduction"]}
        ins(%diff : tensor<8x4xf32>) outs(%z0 : tensor<f32>) {
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
        ins(%diff : tensor<8x4xf32>) outs(%e84 : tensor<8x4xf32>) {
      ^bb0(%d: f32, %o: f32):
        %g = arith.mulf %d, %gscale : f32
        linalg.yield %g : f32
    } -> tensor<8x4xf32>

    // ---- backward ------------------------------------------------------------
    // wgrad of layer 2: dW2 = Hᵀ · dY
    %e328 = tensor.empty() : tensor<32x8xf32>
    %ht = linalg.transpose ins(%h : tensor<8x32xf32>) outs(%e328 : tensor<32x8xf32>) permutation = [1, 0]
    %e324 = tensor.empty() : tensor<32x4xf32>
    %z324 = linalg.fill ins(%zero : f32) outs(%e324 : tensor<32x4xf32>) -> tensor<32x4xf32>
    %dw2 = linalg.matmul ins(%ht, %dy : tensor<32x8xf32>, tensor<8x4xf32>)
                         outs(%z324 : tensor<32x4xf32>) -> tensor<32x4xf32>
    // dgrad of layer 2: dH = dY · W2ᵀ
    %e432 = tensor.empty() : tensor<4x32xf32>
    %w2t = linalg.transpose ins(%w2 : tensor<32x4xf32>) outs(%e432 : tensor<4x32xf32>) permutation = [1, 0]
    %dh = linalg.matmul ins(%dy, %w2t : tensor<8x4xf32>, tensor<4x32xf32>)
                        outs(%z832 : tensor<8x32xf32>) -> tensor<8x32xf32>
    // ReLU backward: dHpre = dH where Hpre > 0
    %dhpre = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
        ins(%dh, %hpre : tensor<8x32xf32>, tensor<8x32xf32>) outs(%e832 : tensor<8x32xf32>) {
      ^bb0(%g: f32, %p: f32, %o: f32):
        %pos = arith.cmpf ogt, %p, %zero : f32
        %r = arith.select %pos, %g, %zero : f32
        linalg.yield %r : f32
    } -> tensor<8x32xf32>
    // wgrad of layer 1: dW1 = Xᵀ · dHpre
    %e168 = tensor.empty() : tensor<16x8xf32>
    %xt = linalg.transpose ins(%x : tensor<8x16xf32>) outs(%e168 : tensor<16x8xf32>) permutation = [1, 0]
    %e1632 = tensor.empty() : tensor<16x32xf32>
    %z1632 = linalg.fill ins(%zero : f32) outs(%e1632 : tensor<16x32xf32>) -> tensor<16x32xf32>
    %dw1 = linalg.matmul ins(%xt, %dhpre : tensor<16x8xf32>, tensor<8x32xf32>)
                         outs(%z1632 : tensor<16x32xf32>) -> tensor<16x32xf32>

    // ---- SGD update: W -= lr · dW ---------------------------------------------
    %w1n = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
        ins(%w1, %dw1 : tensor<16x32xf32>, tensor<16x32xf32>) outs(%e1632 : tensor<16x32xf32>) {
      ^bb0(%w: f32, %g: f32, %o: f32):
        %step = arith.mulf %lr, %g : f32
        %n = arith.subf %w, %step : f32
        linalg.yield %n : f32
    } -> tensor<16x32xf32>
    %w2n = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
        ins(%w2, %dw2 : tensor<32x4xf32>, tensor<32x4xf32>) outs(%e324 : tensor<32x4xf32>) {
      ^bb0(%w: f32, %g: f32, %o: f32):
        %step = arith.mulf %lr, %g : f32
        %n = arith.subf %w, %step : f32
        linalg.yield %n : f32
    } -> tensor<32x4xf32>
    return %w1n, %w2n, %loss : tensor<16x32xf32>, tensor<32x4xf32>, tensor<f32>
  }
}
