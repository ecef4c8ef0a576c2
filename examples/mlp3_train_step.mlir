// A training step of a three-layer MLP (16 -> 32 -> 32 -> 4, batch 8) in
// upstream dialects: forward, mean-squared-error loss, backward and SGD. No
// quant4 annotations: `quant4-annotate-roles` infers every GEMM's role.
// The transposes of the backward GEMMs are written in both upstream forms:
//   layer 0: H1 = relu(X·W1 + b1)   wgrad dW1 = Xᵀ·dP1   (linalg.transpose)
//   layer 1: H2 = relu(H1·W2)       wgrad dW2 = H1ᵀ·dP2  (indexing_maps)
//                                   dgrad dH1 = dP2·W2ᵀ  (linalg.transpose)
//   layer 2: Y  = H2·W3             wgrad dW3 = H2ᵀ·dY   (linalg.transpose)
//                                   dgrad dH2 = dY·W3ᵀ   (indexing_maps)
// The bias b1 is a parameter that no GEMM reads: it is updated but is not
// a layer.
//
//   quant4-opt examples/mlp3_train_step.mlir --quant4-annotate-roles
//   quant4-opt examples/mlp3_train_step.mlir --quant4-apply-recipe=recipe=ultralow4
#map = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
#scalar = affine_map<(d0, d1) -> ()>
#mk = affine_map<(m, n, k) -> (m, k)>
#km = affine_map<(m, n, k) -> (k, m)>
#kn = affine_map<(m, n, k) -> (k, n)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>
module {
  func.func @train_step(%w1: tensor<16x32xf32>, %b1: tensor<32xf32>,
                        %w2: tensor<32x32xf32>, %w3: tensor<32x4xf32>,
                        %x: tensor<8x16xf32>, %t: tensor<8x4xf32>, %lr: f32)
      -> (tensor<16x32xf32>, tensor<32xf32>, tensor<32x32xf32>,
          tensor<32x4xf32>, tensor<f32>) {
    %zero = arith.constant 0.0 : f32
    %gscale = arith.constant 0.0625 : f32   // 2 / (8 * 4)
    %mscale = arith.constant 0.03125 : f32  // 1 / (8 * 4)

    // ---- forward -------------------------------------------------------------
    %e832 = tensor.empty() : tensor<8x32xf32>
    %z832 = linalg.fill ins(%zero : f32) outs(%e832 : tensor<8x32xf32>) -> tensor<8x32xf32>
    %a1 = linalg.matmul ins(%x, %w1 : tensor<8x16xf32>, tensor<16x32xf32>)
                        outs(%z832 : tensor<8x32xf32>) -> tensor<8x32xf32>
    %p1 = linalg.generic {indexing_maps = [#map, #bias, #map], iterator_types = ["parallel", "parallel"]}
        ins(%a1, %b1 : tensor<8x32xf32>, tensor<32xf32>) outs(%e832 : tensor<8x32xf32>) {
      ^bb0(%a: f32, %b: f32, %o: f32):
        %s = arith.addf %a, %b : f32
        linalg.yield %s : f32
    } -> tensor<8x32xf32>
    %h1 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
        ins(%p1 : tensor<8x32xf32>) outs(%e832 : tensor<8x32xf32>) {
      ^bb0(%a: f32, %o: f32):
        %r = arith.maximumf %a, %zero : f32
        linalg.yield %r : f32
    } -> tensor<8x32xf32>
    %p2 = linalg.matmul ins(%h1, %w2 : tensor<8x32xf32>, tensor<32x32xf32>)
                        outs(%z832 : tensor<8x32xf32>) -> tensor<8x32xf32>
    %h2 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
        ins(%p2 : tensor<8x32xf32>) outs(%e832 : tensor<8x32xf32>) {
      ^bb0(%a: f32, %o: f32):
        %r = arith.maximumf %a, %zero : f32
        linalg.yield %r : f32
    } -> tensor<8x32xf32>
    %e84 = tensor.empty() : tensor<8x4xf32>
    %z84 = linalg.fill ins(%zero : f32) outs(%e84 : tensor<8x4xf32>) -> tensor<8x4xf32>
    %y = linalg.matmul ins(%h2, %w3 : tensor<8x32xf32>, tensor<32x4xf32>)
                       outs(%z84 : tensor<8x4xf32>) -> tensor<8x4xf32>

    // ---- loss = mean((y - t)^2), dY = 2 (y - t) / 32 ---------------------------
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

    // ---- backward: layer 2 ---------------------------------------------------
    %e328 = tensor.empty() : tensor<32x8xf32>
    %h2t = linalg.transpose ins(%h2 : tensor<8x32xf32>) outs(%e328 : tensor<32x8xf32>) permutation = [1, 0]
    %e324 = tensor.empty() : tensor<32x4xf32>
    %z324 = linalg.fill ins(%zero : f32) outs(%e324 : tensor<32x4xf32>) -> tensor<32x4xf32>
    %dw3 = linalg.matmul ins(%h2t, %dy : tensor<32x8xf32>, tensor<8x4xf32>)
                         outs(%z324 : tensor<32x4xf32>) -> tensor<32x4xf32>
    %dh2 = linalg.matmul indexing_maps = [#mk, #nk, #mn]
                         ins(%dy, %w3 : tensor<8x4xf32>, tensor<32x4xf32>)
                         outs(%z832 : tensor<8x32xf32>) -> tensor<8x32xf32>
    %dp2 = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
        ins(%dh2, %p2 : tensor<8x32xf32>, tensor<8x32xf32>) outs(%e832 : tensor<8x32xf32>) {
      ^bb0(%g: f32, %p: f32, %o: f32):
        %pos = arith.cmpf ogt, %p, %zero : f32
        %r = arith.select %pos, %g, %zero : f32
        linalg.yield %r : f32
    } -> tensor<8x32xf32>

    // ---- backward: layer 1 ---------------------------------------------------
    %e3232 = tensor.empty() : tensor<32x32xf32>
    %z3232 = linalg.fill ins(%zero : f32) outs(%e3232 : tensor<32x32xf32>) -> tensor<32x32xf32>
    %dw2 = linalg.matmul indexing_maps = [#km, #kn, #mn]
                         ins(%h1, %dp2 : tensor<8x32xf32>, tensor<8x32xf32>)
                         outs(%z3232 : tensor<32x32xf32>) -> tensor<32x32xf32>
    %w2t = linalg.transpose ins(%w2 : tensor<32x32xf32>) outs(%e3232 : tensor<32x32xf32>) permutation = [1, 0]
    %dh1 = linalg.matmul ins(%dp2, %w2t : tensor<8x32xf32>, tensor<32x32xf32>)
                         outs(%z832 : tensor<8x32xf32>) -> tensor<8x32xf32>
    %dp1 = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
        ins(%dh1, %p1 : tensor<8x32xf32>, tensor<8x32xf32>) outs(%e832 : tensor<8x32xf32>) {
      ^bb0(%g: f32, %p: f32, %o: f32):
        %pos = arith.cmpf ogt, %p, %zero : f32
        %r = arith.select %pos, %g, %zero : f32
        linalg.yield %r : f32
    } -> tensor<8x32xf32>

    // ---- backward: layer 0 (no dgrad: X is data) -------------------------------
    %e168 = tensor.empty() : tensor<16x8xf32>
    %xt = linalg.transpose ins(%x : tensor<8x16xf32>) outs(%e168 : tensor<16x8xf32>) permutation = [1, 0]
    %e1632 = tensor.empty() : tensor<16x32xf32>
    %z1632 = linalg.fill ins(%zero : f32) outs(%e1632 : tensor<16x32xf32>) -> tensor<16x32xf32>
    %dw1 = linalg.matmul ins(%xt, %dp1 : tensor<16x8xf32>, tensor<8x32xf32>)
                         outs(%z1632 : tensor<16x32xf32>) -> tensor<16x32xf32>
    %e32 = tensor.empty() : tensor<32xf32>
    %z32 = linalg.fill ins(%zero : f32) outs(%e32 : tensor<32xf32>) -> tensor<32xf32>
    %db1 = linalg.generic {indexing_maps = [#map, #bias], iterator_types = ["reduction", "parallel"]}
        ins(%dp1 : tensor<8x32xf32>) outs(%z32 : tensor<32xf32>) {
      ^bb0(%g: f32, %acc: f32):
        %s = arith.addf %acc, %g : f32
        linalg.yield %s : f32
    } -> tensor<32xf32>

    // ---- SGD: W -= lr * dW -------------------------------------------------------
    %w1n = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
        ins(%w1, %dw1 : tensor<16x32xf32>, tensor<16x32xf32>) outs(%e1632 : tensor<16x32xf32>) {
      ^bb0(%w: f32, %g: f32, %o: f32):
        %st = arith.mulf %lr, %g : f32
        %n = arith.subf %w, %st : f32
        linalg.yield %n : f32
    } -> tensor<16x32xf32>
    %b1n = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
        ins(%b1, %db1 : tensor<32xf32>, tensor<32xf32>) outs(%e32 : tensor<32xf32>) {
      ^bb0(%w: f32, %g: f32, %o: f32):
        %st = arith.mulf %lr, %g : f32
        %n = arith.subf %w, %st : f32
        linalg.yield %n : f32
    } -> tensor<32xf32>
    %w2n = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
        ins(%w2, %dw2 : tensor<32x32xf32>, tensor<32x32xf32>) outs(%e3232 : tensor<32x32xf32>) {
      ^bb0(%w: f32, %g: f32, %o: f32):
        %st = arith.mulf %lr, %g : f32
        %n = arith.subf %w, %st : f32
        linalg.yield %n : f32
    } -> tensor<32x32xf32>
    %w3n = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
        ins(%w3, %dw3 : tensor<32x4xf32>, tensor<32x4xf32>) outs(%e324 : tensor<32x4xf32>) {
      ^bb0(%w: f32, %g: f32, %o: f32):
        %st = arith.mulf %lr, %g : f32
        %n = arith.subf %w, %st : f32
        linalg.yield %n : f32
    } -> tensor<32x4xf32>
    return %w1n, %b1n, %w2n, %w3n, %loss
        : tensor<16x32xf32>, tensor<32xf32>, tensor<32x32xf32>, tensor<32x4xf32>, tensor<f32>
  }
}
