// RUN: quant4-opt %s --split-input-file --convert-quant4-to-q4a="sp-size=1024" --verify-diagnostics

// A convolution whose smallest tile (32 x 32 outputs) cannot fit a
// 1024-byte scratchpad.
func.func @conv(%x: tensor<1x40x40x1x!quant4.int<4>>, %k: tensor<3x3x1x32x!quant4.int<4>>,
                %s: tensor<f32>) -> tensor<1x38x38x32xf32> {
  // expected-error@+1 {{'quant4.conv2d' op needs 4384 bytes of scratchpad for one convolution tile, but the 1024-byte scratchpad is too small}}
  %y = quant4.conv2d %x, %k scales(%s, %s) acc<f32>
      : tensor<1x40x40x1x!quant4.int<4>>, tensor<3x3x1x32x!quant4.int<4>>,
        tensor<f32>, tensor<f32> -> tensor<1x38x38x32xf32>
  return %y : tensor<1x38x38x32xf32>
}

// -----

// A convolution whose init is not zero.
func.func @conv_init(%x: tensor<1x4x4x1xf32>, %k: tensor<3x3x1x2xf32>,
                     %o: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  // expected-error@+1 {{'linalg.conv_2d_nhwc_hwcf' op needs a zero-filled init on Q4A}}
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %k : tensor<1x4x4x1xf32>, tensor<3x3x1x2xf32>) outs(%o : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

func.func @block(%x: tensor<4x64xf32>, %s: tensor<4x2xf32>) -> tensor<4x64xf4E2M1FN> {
  // expected-error@+1 {{'quant4.quantize' op block granularity is not supported by the Q4A lowering}}
  %q = quant4.quantize %x, %s rounding<nearest> granularity<block = [1, 32]>
      : tensor<4x64xf32>, tensor<4x2xf32> -> tensor<4x64xf4E2M1FN>
  return %q : tensor<4x64xf4E2M1FN>
}

// -----

func.func @unsupported(%x: tensor<4x8xf32>) -> tensor<8x4xf32> {
  // expected-error@+1 {{'tensor.concat' op is not supported by the Q4A lowering}}
  %s = tensor.concat dim(0) %x, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<8x8xf32>
  %r = tensor.empty() : tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
func.func @body(%x: tensor<8xf32>) -> tensor<8xf32> {
  %e = tensor.empty() : tensor<8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
    ^bb0(%a: f32, %o: f32):
      // expected-error@+1 {{'math.sin' op is not supported by the Q4A vector unit}}
      %s = math.sin %a : f32
      linalg.yield %s : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

// A transpose whose rows cannot fit a 1024-byte scratchpad.
func.func @too_big(%x: tensor<2x200xf32>) -> tensor<200x2xf32> {
  %e = tensor.empty() : tensor<200x2xf32>
  // expected-error@+1 {{'linalg.transpose' op needs 1632 bytes of scratchpad for two rows, but the 1024-byte scratchpad is too small}}
  %t = linalg.transpose ins(%x : tensor<2x200xf32>) outs(%e : tensor<200x2xf32>) permutation = [1, 0]
  return %t : tensor<200x2xf32>
}

// -----

// Argument types are checked before any storage is sized from them (an
// index or memref argument crashed the lowering; found by mlir-fuzzer).
// expected-error@+1 {{'arg0' has type 'index', which is not a Q4A input/output type}}
func.func @index_arg(%i: index) -> tensor<4xf32> {
  %c = arith.constant dense<1.0> : tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

// expected-error@+1 {{'arg0' has type 'memref<memref<4xf32>>', which is not a Q4A input/output type}}
func.func @memref_arg(%slot: memref<memref<4xf32>>) {
  %a = memref.alloc() : memref<4xf32>
  memref.store %a, %slot[] : memref<memref<4xf32>>
  return
}

// -----

// expected-error@+1 {{'arg1' has type 'tensor<?xf32>', which is not a Q4A input/output type}}
func.func @dynamic_arg(%x: tensor<4xf32>, %y: tensor<?xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// A product reduction: no combiner of the vector unit computes it.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row2 = affine_map<(d0, d1) -> (d0)>
func.func @product(%x: tensor<4x8xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'linalg.generic' op reductions must combine the accumulator with addf, subf (accumulator - x), maximumf or minimumf (addi, subi, maxsi, minsi) to be lowered to Q4A}}
  %p = linalg.generic {indexing_maps = [#id2, #row2], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x8xf32>) outs(%init : tensor<4xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %m = arith.mulf %acc, %a : f32
      linalg.yield %m : f32
  } -> tensor<4xf32>
  return %p : tensor<4xf32>
}

// -----

// x - accumulator alternates the signs of the terms.
#id3 = affine_map<(d0, d1) -> (d0, d1)>
#row3 = affine_map<(d0, d1) -> (d0)>
func.func @alternating(%x: tensor<4x8xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'linalg.generic' op reduction computes x - accumulator, whose terms alternate in sign; only accumulator - x (a sum of negated terms) lowers to Q4A}}
  %p = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x8xf32>) outs(%init : tensor<4xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %m = arith.subf %a, %acc : f32
      linalg.yield %m : f32
  } -> tensor<4xf32>
  return %p : tensor<4xf32>
}

// -----

// Per-axis scales lower for amax and SAWB only: a per-channel GradScale
// state has no Q4A form yet.
func.func @axis_gradscale(%x: tensor<4x8xf32>, %s: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error@+1 {{'quant4.scale' op per-axis scales are supported by the Q4A lowering for the amax and sawb policies only}}
  %r = quant4.scale #quant4.gradscale %x state(%s : tensor<8xf32>) for !quant4.log<4, 3, 0> granularity<axis = 1> : tensor<4x8xf32> -> tensor<8xf32>
  return %r : tensor<8xf32>
}
