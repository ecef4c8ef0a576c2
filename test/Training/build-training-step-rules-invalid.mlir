// RUN: quant4-opt %s --quant4-build-training-step -split-input-file -verify-diagnostics
//
// The forms the linalg.generic derivative rule refuses (lib/Training/Rules/
// Generic.cpp), one per rule.

// A product reduction: only addf, maximumf, maxnumf, minimumf and minnumf
// combine.
func.func @product(%w: tensor<2x3xf32>, %x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<2xf32>
  %i = linalg.fill ins(%one : f32) outs(%e : tensor<2xf32>) -> tensor<2xf32>
  // expected-error@+1 {{'linalg.generic' op is not supported by quant4-build-training-step: its reduction combines with 'arith.mulf'}}
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%w : tensor<2x3xf32>) outs(%i : tensor<2xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.mulf %o, %v : f32
      linalg.yield %r : f32
  } -> tensor<2xf32>
  %r = tensor.expand_shape %p [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  return %r : tensor<2x1xf32>
}

// -----

// The init is read twice (not `out = combine(out, e)`).
func.func @reads_out(%w: tensor<2x3xf32>, %x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2xf32>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<2xf32>) -> tensor<2xf32>
  // expected-error@+1 {{its body reads the init (output) value other than as `out = combine(out, e)`}}
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%w : tensor<2x3xf32>) outs(%i : tensor<2xf32>) {
    ^bb0(%v: f32, %o: f32):
      %m = arith.mulf %o, %v : f32
      %r = arith.addf %o, %m : f32
      linalg.yield %r : f32
  } -> tensor<2xf32>
  %r = tensor.expand_shape %p [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  return %r : tensor<2x1xf32>
}

// -----

// A map with a reduction loop.
func.func @map_reduces(%w: tensor<2x3xf32>, %x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %e = tensor.empty() : tensor<2xf32>
  // expected-error@+1 {{its body does not read the init (output) value but it has reduction loops}}
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%w : tensor<2x3xf32>) outs(%e : tensor<2xf32>) {
    ^bb0(%v: f32, %o: f32):
      linalg.yield %v : f32
  } -> tensor<2xf32>
  %r = tensor.expand_shape %p [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  return %r : tensor<2x1xf32>
}

// -----

// A max reduction whose init depends on a parameter.
func.func @max_varied_init(%w: tensor<2x3xf32>, %b: tensor<2xf32>, %x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  // expected-error@+1 {{its init (output) value depends on a parameter}}
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%w : tensor<2x3xf32>) outs(%b : tensor<2xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.maximumf %o, %v : f32
      linalg.yield %r : f32
  } -> tensor<2xf32>
  %r = tensor.expand_shape %p [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  return %r : tensor<2x1xf32>
}

// -----

// A parameter captured by the body and used other than by tensor.extract.
func.func @captured(%w: tensor<2x3xf32>, %x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %c0 = arith.constant 0 : index
  %e = tensor.empty() : tensor<2x3xf32>
  // expected-error@+1 {{its body uses a parameter-dependent value from above other than by tensor.extract}}
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) {
    ^bb0(%v: f32, %o: f32):
      %d = tensor.dim %w, %c0 : tensor<2x3xf32>
      %f = arith.index_cast %d : index to i32
      %g = arith.sitofp %f : i32 to f32
      %r = arith.mulf %v, %g : f32
      linalg.yield %r : f32
  } -> tensor<2x3xf32>
  return %p : tensor<2x3xf32>
}

// -----

// An operand read through a map that is not a projected permutation.
func.func @shifted(%w: tensor<4x3xf32>, %x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %e = tensor.empty() : tensor<2x3xf32>
  // expected-error@+1 {{operand 0 has an indexing map that is not a projected permutation}}
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0 * 2, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<4x3xf32>) outs(%e : tensor<2x3xf32>) {
    ^bb0(%v: f32, %o: f32):
      linalg.yield %v : f32
  } -> tensor<2x3xf32>
  return %p : tensor<2x3xf32>
}

// -----

// A sum whose dropped loop is marked parallel.
func.func @parallel_dropped(%w: tensor<2x3xf32>, %x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2xf32>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<2xf32>) -> tensor<2xf32>
  // expected-error@+1 {{its reduction loops are not exactly the loops its result does not index}}
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<2x3xf32>) outs(%i : tensor<2xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.addf %o, %v : f32
      linalg.yield %r : f32
  } -> tensor<2xf32>
  %r = tensor.expand_shape %p [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  return %r : tensor<2x1xf32>
}

// -----

// Two results.
func.func @two_results(%w: tensor<2x3xf32>, %x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %e = tensor.empty() : tensor<2x3xf32>
  // expected-error@+1 {{'linalg.generic' op is not supported by quant4-build-training-step: expected a single tensor result}}
  %p:2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<2x3xf32>) outs(%e, %e : tensor<2x3xf32>, tensor<2x3xf32>) {
    ^bb0(%v: f32, %o: f32, %o2: f32):
      linalg.yield %v, %v : f32, f32
  } -> (tensor<2x3xf32>, tensor<2x3xf32>)
  return %p#0 : tensor<2x3xf32>
}
