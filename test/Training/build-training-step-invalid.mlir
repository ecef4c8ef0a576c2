// RUN: quant4-opt %s --quant4-build-training-step -split-input-file -verify-diagnostics

// An op that depends on a parameter and has no derivative rule.
func.func @atan(%w: tensor<4x3xf32>, %x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%z : tensor<2x3xf32>) -> tensor<2x3xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) {
    ^bb0(%v: f32, %o: f32):
      // expected-error@+1 {{'math.atan' op in the body of a linalg.generic is not differentiable by quant4-build-training-step: it has no derivative rule (ScalarAdjointOpInterface)}}
      %r = math.atan %v : f32
      linalg.yield %r : f32
  } -> tensor<2x3xf32>
  return %s : tensor<2x3xf32>
}

// -----

// A reduction into a broadcast (constant) result index.
func.func @reduce(%w: tensor<4x3xf32>, %x: tensor<2x4xf32>) -> tensor<2x1xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%z : tensor<2x3xf32>) -> tensor<2x3xf32>
  %e1 = tensor.empty() : tensor<2x1xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x1xf32>) -> tensor<2x1xf32>
  // expected-error@+1 {{'linalg.generic' op is not supported by quant4-build-training-step: its result indexing map is not a projected permutation}}
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, 0)>], iterator_types = ["parallel", "reduction"]}
      ins(%y : tensor<2x3xf32>) outs(%z1 : tensor<2x1xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.addf %v, %o : f32
      linalg.yield %r : f32
  } -> tensor<2x1xf32>
  return %s : tensor<2x1xf32>
}

// -----

// An op of another dialect on the parameter path.
func.func @tosa(%w: tensor<2x3xf32>, %x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error@+1 {{'tosa.sin' op is not supported by quant4-build-training-step: it has no derivative rule}}
  %s = tosa.sin %w : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %s : tensor<2x3xf32>
}

// -----

// Unsupported ops are reported even where they do not reach the loss.
func.func @dead(%w: tensor<2x3xf32>, %x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error@+1 {{'tosa.cos' op is not supported by quant4-build-training-step: it has no derivative rule}}
  %unused = tosa.cos %w : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %w : tensor<2x3xf32>
}

// -----

// Ops that only see the batch need no derivative: no diagnostic for this one.
// expected-error@+1 {{forward function @no_params needs at least one parameter and the batch argument}}
func.func @no_params(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  return %x : tensor<2x3xf32>
}

// -----

// expected-error@+1 {{forward function @two_results returns 2 values}}
func.func @two_results(%w: tensor<3xf32>, %x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  return %x, %x : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// expected-error@+1 {{forward function @dynamic has argument 1 that is not a statically shaped f32 or integer tensor}}
func.func @dynamic(%w: tensor<3xf32>, %x: tensor<?x3xf32>) -> tensor<2x3xf32> {
  %c = arith.constant dense<0.0> : tensor<2x3xf32>
  return %c : tensor<2x3xf32>
}

// -----

// expected-error@+1 {{forward function @batch_mismatch returns logits for 4 samples but its batch has 2}}
func.func @batch_mismatch(%w: tensor<4x3xf32>, %x: tensor<2x3xf32>) -> tensor<4x3xf32> {
  return %w : tensor<4x3xf32>
}

// -----

// expected-error@+1 {{forward function @rank1 does not return an f32 tensor of logits of rank 2 or more}}
func.func @rank1(%w: tensor<2xf32>, %x: tensor<2x3xf32>) -> tensor<2xf32> {
  return %w : tensor<2xf32>
}

// -----

// expected-error@+1 {{forward function @only_buffers has no parameter (every argument before the batch is a buffer)}}
func.func @only_buffers(%m: tensor<3xf32> {quant4.buffer = "m"}, %x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  return %x : tensor<2x3xf32>
}

// -----

// expected-error@+1 {{forward function @unknown_buffer returns 2 values and result 1 is not an updated buffer (quant4.buffer naming a buffer argument)}}
func.func @unknown_buffer(%w: tensor<2x3xf32>, %m: tensor<3xf32> {quant4.buffer = "m"}, %x: tensor<2x3xf32>)
    -> (tensor<2x3xf32>, tensor<3xf32> {quant4.buffer = "other"}) {
  return %w, %m : tensor<2x3xf32>, tensor<3xf32>
}

// -----

// expected-error@+1 {{forward function @buffer_twice updates buffer 'm' twice}}
func.func @buffer_twice(%w: tensor<2x3xf32>, %m: tensor<3xf32> {quant4.buffer = "m"}, %x: tensor<2x3xf32>)
    -> (tensor<2x3xf32>, tensor<3xf32> {quant4.buffer = "m"}, tensor<3xf32> {quant4.buffer = "m"}) {
  return %w, %m, %m : tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// expected-error@+1 {{forward function @int_param has argument 0 that is not a statically shaped f32 tensor}}
func.func @int_param(%w: tensor<3xi32>, %x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  return %x : tensor<2x3xf32>
}

// -----

// expected-error@+1 {{@exists_train_step already exists}}
func.func @exists(%w: tensor<2x3xf32>, %x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  return %w : tensor<2x3xf32>
}
func.func private @exists_train_step()
