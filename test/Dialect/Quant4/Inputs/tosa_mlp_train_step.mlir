// A two-layer MLP training step written in TOSA (batch 8, 16 -> 32 -> 4),
// without annotations. Lowered by upstream --tosa-to-linalg-named and
// --tosa-to-linalg, its GEMMs become linalg.batch_matmul (batch 1) and its
// transposes linalg.transpose.
func.func @tosa_step(%w1: tensor<1x16x32xf32>, %w2: tensor<1x32x4xf32>,
                     %x: tensor<1x8x16xf32>, %t: tensor<1x8x4xf32>,
                     %lr: tensor<1x1x1xf32>)
    -> (tensor<1x16x32xf32>, tensor<1x32x4xf32>) {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zero = "tosa.const"() <{values = dense<0.0> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  // forward
  %h = tosa.matmul %x, %w1, %zp, %zp : (tensor<1x8x16xf32>, tensor<1x16x32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x32xf32>
  %pos = tosa.greater %h, %zero : (tensor<1x8x32xf32>, tensor<1x1x1xf32>) -> tensor<1x8x32xi1>
  %r = tosa.select %pos, %h, %zero : (tensor<1x8x32xi1>, tensor<1x8x32xf32>, tensor<1x1x1xf32>) -> tensor<1x8x32xf32>
  %y = tosa.matmul %r, %w2, %zp, %zp : (tensor<1x8x32xf32>, tensor<1x32x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x4xf32>
  // loss gradient (L = 0.5 |y - t|^2)
  %dy = tosa.sub %y, %t : (tensor<1x8x4xf32>, tensor<1x8x4xf32>) -> tensor<1x8x4xf32>
  // layer 1 backward
  %rt = tosa.transpose %r {perms = array<i32: 0, 2, 1>} : (tensor<1x8x32xf32>) -> tensor<1x32x8xf32>
  %dw2 = tosa.matmul %rt, %dy, %zp, %zp : (tensor<1x32x8xf32>, tensor<1x8x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x32x4xf32>
  %w2t = tosa.transpose %w2 {perms = array<i32: 0, 2, 1>} : (tensor<1x32x4xf32>) -> tensor<1x4x32xf32>
  %dr = tosa.matmul %dy, %w2t, %zp, %zp : (tensor<1x8x4xf32>, tensor<1x4x32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x32xf32>
  %dh = tosa.select %pos, %dr, %zero : (tensor<1x8x32xi1>, tensor<1x8x32xf32>, tensor<1x1x1xf32>) -> tensor<1x8x32xf32>
  // layer 0 backward
  %xt = tosa.transpose %x {perms = array<i32: 0, 2, 1>} : (tensor<1x8x16xf32>) -> tensor<1x16x8xf32>
  %dw1 = tosa.matmul %xt, %dh, %zp, %zp : (tensor<1x16x8xf32>, tensor<1x8x32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x16x32xf32>
  // SGD
  %s1 = tosa.mul %lr, %dw1, %shift : (tensor<1x1x1xf32>, tensor<1x16x32xf32>, tensor<1xi8>) -> tensor<1x16x32xf32>
  %w1n = tosa.sub %w1, %s1 : (tensor<1x16x32xf32>, tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
  %s2 = tosa.mul %lr, %dw2, %shift : (tensor<1x1x1xf32>, tensor<1x32x4xf32>, tensor<1xi8>) -> tensor<1x32x4xf32>
  %w2n = tosa.sub %w2, %s2 : (tensor<1x32x4xf32>, tensor<1x32x4xf32>) -> tensor<1x32x4xf32>
  return %w1n, %w2n : tensor<1x16x32xf32>, tensor<1x32x4xf32>
}
