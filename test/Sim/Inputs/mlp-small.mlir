// examples/mlp.mlir at test size: a 24-16-16-10 MLP, static batch 4 (the
// same ops, fewer elements), for the simulator cross-check.
//
// quant4 model convention (docs/Training.md): every argument but the last is
// a trainable parameter, tagged {quant4.param = "<name>"}; the last argument
// is the batch; the single result is the logits tensor<Bx10xf32>. Weights are
// stored (in, out) so that a layer is Y = X·W + b.
//
//   quant4-opt examples/mlp.mlir --quant4-build-training-step
#id = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
module {
  func.func @mlp(%w1: tensor<24x16xf32> {quant4.param = "fc1.weight"},
                 %b1: tensor<16xf32> {quant4.param = "fc1.bias"},
                 %w2: tensor<16x16xf32> {quant4.param = "fc2.weight"},
                 %b2: tensor<16xf32> {quant4.param = "fc2.bias"},
                 %w3: tensor<16x10xf32> {quant4.param = "fc3.weight"},
                 %b3: tensor<10xf32> {quant4.param = "fc3.bias"},
                 %x: tensor<4x24xf32>) -> tensor<4x10xf32> {
    %zero = arith.constant 0.0 : f32

    // fc1 + bias + ReLU
    %e1 = tensor.empty() : tensor<4x16xf32>
    %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x16xf32>) -> tensor<4x16xf32>
    %mm1 = linalg.matmul ins(%x, %w1 : tensor<4x24xf32>, tensor<24x16xf32>)
                         outs(%z1 : tensor<4x16xf32>) -> tensor<4x16xf32>
    %a1 = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
        ins(%mm1, %b1 : tensor<4x16xf32>, tensor<16xf32>) outs(%e1 : tensor<4x16xf32>) {
      ^bb0(%v: f32, %b: f32, %o: f32):
        %s = arith.addf %v, %b : f32
        linalg.yield %s : f32
    } -> tensor<4x16xf32>
    %h1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%a1 : tensor<4x16xf32>) outs(%e1 : tensor<4x16xf32>) {
      ^bb0(%v: f32, %o: f32):
        %r = arith.maximumf %v, %zero : f32
        linalg.yield %r : f32
    } -> tensor<4x16xf32>

    // fc2 + bias + ReLU
    %mm2 = linalg.matmul ins(%h1, %w2 : tensor<4x16xf32>, tensor<16x16xf32>)
                         outs(%z1 : tensor<4x16xf32>) -> tensor<4x16xf32>
    %a2 = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
        ins(%mm2, %b2 : tensor<4x16xf32>, tensor<16xf32>) outs(%e1 : tensor<4x16xf32>) {
      ^bb0(%v: f32, %b: f32, %o: f32):
        %s = arith.addf %v, %b : f32
        linalg.yield %s : f32
    } -> tensor<4x16xf32>
    %h2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%a2 : tensor<4x16xf32>) outs(%e1 : tensor<4x16xf32>) {
      ^bb0(%v: f32, %o: f32):
        %r = arith.maximumf %v, %zero : f32
        linalg.yield %r : f32
    } -> tensor<4x16xf32>

    // fc3 + bias: logits
    %e3 = tensor.empty() : tensor<4x10xf32>
    %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<4x10xf32>) -> tensor<4x10xf32>
    %mm3 = linalg.matmul ins(%h2, %w3 : tensor<4x16xf32>, tensor<16x10xf32>)
                         outs(%z3 : tensor<4x10xf32>) -> tensor<4x10xf32>
    %logits = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
        ins(%mm3, %b3 : tensor<4x10xf32>, tensor<10xf32>) outs(%e3 : tensor<4x10xf32>) {
      ^bb0(%v: f32, %b: f32, %o: f32):
        %s = arith.addf %v, %b : f32
        linalg.yield %s : f32
    } -> tensor<4x10xf32>
    return %logits : tensor<4x10xf32>
  }
}
