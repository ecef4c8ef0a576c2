// RUN: quant4-opt %s -split-input-file -canonicalize | FileCheck %s
// Folding of quantize / dequantize / fake_quant on constants goes through the
// Numerics library. Expected codes and values are worked out by hand from the
// format definitions in docs/Formats.md (log<4,3,0>: code = sign<<3 | e,
// |value| = 4^(e-4) for e = 1..7, e = 0 is zero; int<4>: two's complement).

// Linear-midpoint rounding (C10): 2.4 < 2.5 -> 1 (e=4), 2.6 -> 4 (e=5); 100
// saturates to 64 (e=7); 0.01 is above 1/128 (half the smallest level 1/64),
// so -0.01 -> -1/64 (code 8|1 = 9); 0.005 is below it -> 0.
// CHECK-LABEL: func.func @fold_quantize_log
// CHECK: %[[C:.*]] = quant4.constant dense<[0, 4, 4, 5, 7, 9, 0]> : tensor<7xui8> -> tensor<7x!quant4.log<4, 3, 0>>
// CHECK-NEXT: return %[[C]]
func.func @fold_quantize_log() -> tensor<7x!quant4.log<4, 3, 0>> {
  %x = arith.constant dense<[0.0, 1.0, 2.4, 2.6, 100.0, -0.01, 0.005]> : tensor<7xf32>
  %s = arith.constant dense<1.0> : tensor<f32>
  %q = quant4.quantize %x, %s rounding<nearest> : tensor<7xf32>, tensor<f32> -> tensor<7x!quant4.log<4, 3, 0>>
  return %q : tensor<7x!quant4.log<4, 3, 0>>
}

// -----

// Log-domain midpoint (C11): between 1 and 4 the threshold is 2, so 2.4 -> 4.
// CHECK-LABEL: func.func @fold_quantize_log_domain
// CHECK: quant4.constant dense<[4, 5, 5]> : tensor<3xui8>
func.func @fold_quantize_log_domain() -> tensor<3x!quant4.log<4, 3, 0>> {
  %x = arith.constant dense<[1.9, 2.1, 2.4]> : tensor<3xf32>
  %s = arith.constant dense<1.0> : tensor<f32>
  %q = quant4.quantize %x, %s rounding<nearest_log> : tensor<3xf32>, tensor<f32> -> tensor<3x!quant4.log<4, 3, 0>>
  return %q : tensor<3x!quant4.log<4, 3, 0>>
}

// -----

// Per-axis scales along dimension 1: x / [1, 2] = [[1, 1], [3, 2]].
// CHECK-LABEL: func.func @fold_quantize_per_axis
// CHECK: quant4.constant dense<{{\[}}[1, 1], [3, 2]]> : tensor<2x2xui8> -> tensor<2x2x!quant4.int<4>>
func.func @fold_quantize_per_axis() -> tensor<2x2x!quant4.int<4>> {
  %x = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %s = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %q = quant4.quantize %x, %s rounding<nearest> granularity<axis = 1> : tensor<2x2xf32>, tensor<2xf32> -> tensor<2x2x!quant4.int<4>>
  return %q : tensor<2x2x!quant4.int<4>>
}

// -----

// int<4> with scale 0.5: x/s = [0.52, 0.48, -7.8, 20] -> [1, 0, -7 (saturated
// from -8), 7] -> [0.5, 0, -3.5, 3.5].
// CHECK-LABEL: func.func @fold_fake_quant_int4
// CHECK: arith.constant dense<[5.000000e-01, 0.000000e+00, -3.500000e+00, 3.500000e+00]> : tensor<4xf32>
func.func @fold_fake_quant_int4() -> tensor<4xf32> {
  %x = arith.constant dense<[0.26, 0.24, -3.9, 10.0]> : tensor<4xf32>
  %s = arith.constant dense<0.5> : tensor<f32>
  %y = quant4.fake_quant %x, %s to !quant4.int<4> rounding<nearest> : tensor<4xf32>, tensor<f32>
  return %y : tensor<4xf32>
}

// -----

// Codes 0, 4, 5, 9, 15 of log<4,3,0> are 0, 1, 4, -1/64, -64; times 0.5.
// CHECK-LABEL: func.func @fold_dequantize
// CHECK: arith.constant dense<[0.000000e+00, 5.000000e-01, 2.000000e+00, -7.812500e-03, -3.200000e+01]> : tensor<5xf32>
func.func @fold_dequantize() -> tensor<5xf32> {
  %q = quant4.constant dense<[0, 4, 5, 9, 15]> : tensor<5xui8> -> tensor<5x!quant4.log<4, 3, 0>>
  %s = arith.constant dense<0.5> : tensor<f32>
  %d = quant4.dequantize %q, %s : tensor<5x!quant4.log<4, 3, 0>>, tensor<f32> -> tensor<5xf32>
  return %d : tensor<5xf32>
}

// -----

// The second TPR phase: phase-1 levels are 2·4^(e-4): code 5 is 8, code 6 is 32.
// CHECK-LABEL: func.func @fold_dequantize_phase1
// CHECK: arith.constant dense<[8.000000e+00, 3.200000e+01]> : tensor<2xf32>
func.func @fold_dequantize_phase1() -> tensor<2xf32> {
  %q = quant4.constant dense<[5, 6]> : tensor<2xui8> -> tensor<2x!quant4.log<4, 3, 1>>
  %s = arith.constant dense<1.0> : tensor<f32>
  %d = quant4.dequantize %q, %s : tensor<2x!quant4.log<4, 3, 1>>, tensor<f32> -> tensor<2xf32>
  return %d : tensor<2xf32>
}

// -----

// Stochastic rounding with a constant seed folds, and the same key
// (seed, stream) gives the same codes: both ops become one constant.
// CHECK-LABEL: func.func @fold_stochastic_same_key
// CHECK: %[[C:.*]] = quant4.constant
// CHECK-NOT: quant4.constant
// CHECK: return %[[C]], %[[C]]
func.func @fold_stochastic_same_key() -> (tensor<4x!quant4.log<4, 3, 0>>, tensor<4x!quant4.log<4, 3, 0>>) {
  %x = arith.constant dense<[0.3, 1.7, -2.2, 9.0]> : tensor<4xf32>
  %s = arith.constant dense<1.0> : tensor<f32>
  %seed = arith.constant 42 : i64
  %a = quant4.quantize %x, %s seed %seed rounding<stochastic> {stream = 3} : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.log<4, 3, 0>>
  %b = quant4.quantize %x, %s seed %seed rounding<stochastic> {stream = 3} : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.log<4, 3, 0>>
  return %a, %b : tensor<4x!quant4.log<4, 3, 0>>, tensor<4x!quant4.log<4, 3, 0>>
}

// -----

// Values already on the grid are unchanged by stochastic rounding.
// CHECK-LABEL: func.func @fold_stochastic_on_grid
// CHECK: quant4.constant dense<[4, 5, 12]> : tensor<3xui8>
func.func @fold_stochastic_on_grid() -> tensor<3x!quant4.log<4, 3, 0>> {
  %x = arith.constant dense<[1.0, 4.0, -1.0]> : tensor<3xf32>
  %s = arith.constant dense<1.0> : tensor<f32>
  %seed = arith.constant 7 : i64
  %q = quant4.quantize %x, %s seed %seed rounding<stochastic> : tensor<3xf32>, tensor<f32> -> tensor<3x!quant4.log<4, 3, 0>>
  return %q : tensor<3x!quant4.log<4, 3, 0>>
}

// -----

// A non-constant input is left alone.
// CHECK-LABEL: func.func @no_fold
// CHECK: quant4.quantize
func.func @no_fold(%x: tensor<4xf32>) -> tensor<4x!quant4.int<4>> {
  %s = arith.constant dense<1.0> : tensor<f32>
  %q = quant4.quantize %x, %s rounding<nearest> : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.int<4>>
  return %q : tensor<4x!quant4.int<4>>
}

// -----

// quantize(dequantize(q, s), s) is q when every code survives the round trip.
// CHECK-LABEL: func.func @requantize
// CHECK-SAME: (%[[Q:.*]]: tensor<4x!quant4.log<4, 3, 0>>)
// CHECK-NOT: quant4.quantize
// CHECK: return %[[Q]]
func.func @requantize(%q: tensor<4x!quant4.log<4, 3, 0>>) -> tensor<4x!quant4.log<4, 3, 0>> {
  %s = arith.constant dense<0.375> : tensor<f32>
  %d = quant4.dequantize %q, %s : tensor<4x!quant4.log<4, 3, 0>>, tensor<f32> -> tensor<4xf32>
  %r = quant4.quantize %d, %s rounding<nearest> : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.log<4, 3, 0>>
  return %r : tensor<4x!quant4.log<4, 3, 0>>
}

// -----

// A different scale on the way back is not a round trip.
// CHECK-LABEL: func.func @requantize_other_scale
// CHECK: quant4.dequantize
// CHECK: quant4.quantize
func.func @requantize_other_scale(%q: tensor<4x!quant4.log<4, 3, 0>>) -> tensor<4x!quant4.log<4, 3, 0>> {
  %s = arith.constant dense<0.375> : tensor<f32>
  %s2 = arith.constant dense<0.5> : tensor<f32>
  %d = quant4.dequantize %q, %s : tensor<4x!quant4.log<4, 3, 0>>, tensor<f32> -> tensor<4xf32>
  %r = quant4.quantize %d, %s2 rounding<nearest> : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.log<4, 3, 0>>
  return %r : tensor<4x!quant4.log<4, 3, 0>>
}

// -----

// MX-style block scales (E8M0) along [1, 2] blocks, E2M1 elements:
// x / s = [[0.5, 1.5, 2.0, 1.5], [6.0, 12 (saturates to 6), 1.0, 1.25]].
// E2M1 codes of 0.5, 1, 1.5, 2, 6 are 1, 2, 3, 4, 7; 1.25 is a tie between
// 1 (code 2) and 1.5 (code 3): `nearest` goes away from zero, `nearest_even`
// to the even code.
// CHECK-LABEL: func.func @fold_mx_blocks
// CHECK: quant4.constant dense<{{\[}}[1, 3, 4, 3], [7, 7, 2, 3]]> : tensor<2x4xui8> -> tensor<2x4xf4E2M1FN>
// CHECK: quant4.constant dense<{{\[}}[1, 3, 4, 3], [7, 7, 2, 2]]> : tensor<2x4xui8> -> tensor<2x4xf4E2M1FN>
func.func @fold_mx_blocks() -> (tensor<2x4xf4E2M1FN>, tensor<2x4xf4E2M1FN>) {
  %x = arith.constant dense<[[1.0, 3.0, 1.0, 0.75], [6.0, 12.0, 4.0, 5.0]]> : tensor<2x4xf32>
  %s = arith.constant dense<[[2.0, 0.5], [1.0, 4.0]]> : tensor<2x2xf8E8M0FNU>
  %a = quant4.quantize %x, %s rounding<nearest> granularity<block = [1, 2]> : tensor<2x4xf32>, tensor<2x2xf8E8M0FNU> -> tensor<2x4xf4E2M1FN>
  %b = quant4.quantize %x, %s rounding<nearest_even> granularity<block = [1, 2]> : tensor<2x4xf32>, tensor<2x2xf8E8M0FNU> -> tensor<2x4xf4E2M1FN>
  return %a, %b : tensor<2x4xf4E2M1FN>, tensor<2x4xf4E2M1FN>
}

// -----

// A GEMM operand quantized from a transposed tensor with a per-tensor scale
// and a nearest rule reads the untransposed codes instead: the dgrad reuses
// the forward's weight codes (transpose_rhs), the wgrad quantizes x itself
// (transpose_lhs, a fresh quantize), and the transposes die.
// CHECK-LABEL: func.func @fold_transpose_into_matmul
// CHECK-NOT: linalg.transpose
// CHECK: %[[QW:.*]] = quant4.quantize %[[W:.*]], %[[SW:.*]] rounding<nearest> {stream = 1 : i64} : tensor<8x4xf32>, tensor<f32> -> tensor<8x4x!quant4.int<4>>
// CHECK-NOT: linalg.transpose
// CHECK: quant4.matmul %{{.*}}, %[[QW]] {{.*}} acc<f16> :
// CHECK-NOT: linalg.transpose
// CHECK: quant4.matmul %{{.*}}, %[[QW]] {{.*}}acc<f16> {transpose_rhs}
// CHECK-NOT: linalg.transpose
// CHECK: %[[QX:.*]] = quant4.quantize %[[X:.*]], %{{.*}} rounding<nearest_even> {stream = 4 : i64} : tensor<2x8xf32>, tensor<f32> -> tensor<2x8x!quant4.uint<4>>
// CHECK-NOT: linalg.transpose
// CHECK: quant4.matmul %[[QX]], %{{.*}} {{.*}}acc<f32> {transpose_lhs}
// CHECK-NOT: linalg.transpose
// CHECK: return
func.func @fold_transpose_into_matmul(%x: tensor<2x8xf32>, %w: tensor<8x4xf32>,
    %g: tensor<2x4xf32>, %sx: tensor<f32>, %sw: tensor<f32>, %sg: tensor<f32>)
    -> (tensor<2x4xf32>, tensor<2x8xf32>, tensor<8x4xf32>) {
  %qw = quant4.quantize %w, %sw rounding<nearest> {stream = 1} : tensor<8x4xf32>, tensor<f32> -> tensor<8x4x!quant4.int<4>>
  %qx0 = quant4.quantize %x, %sx rounding<nearest> {stream = 2} : tensor<2x8xf32>, tensor<f32> -> tensor<2x8x!quant4.int<4>>
  %y = quant4.matmul %qx0, %qw scales(%sx, %sw) acc<f16> : tensor<2x8x!quant4.int<4>>, tensor<8x4x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<2x4xf32>
  %e0 = tensor.empty() : tensor<4x8xf32>
  %wt = linalg.transpose ins(%w : tensor<8x4xf32>) outs(%e0 : tensor<4x8xf32>) permutation = [1, 0]
  %qwt = quant4.quantize %wt, %sw rounding<nearest> {stream = 3} : tensor<4x8xf32>, tensor<f32> -> tensor<4x8x!quant4.int<4>>
  %qg = quant4.quantize %g, %sg rounding<nearest> : tensor<2x4xf32>, tensor<f32> -> tensor<2x4x!quant4.log<4, 3, 0>>
  %dx = quant4.matmul %qg, %qwt scales(%sg, %sw) acc<f16> : tensor<2x4x!quant4.log<4, 3, 0>>, tensor<4x8x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<2x8xf32>
  %e1 = tensor.empty() : tensor<8x2xf32>
  %xt = linalg.transpose ins(%x : tensor<2x8xf32>) outs(%e1 : tensor<8x2xf32>) permutation = [1, 0]
  %qxt = quant4.quantize %xt, %sx rounding<nearest_even> {stream = 4} : tensor<8x2xf32>, tensor<f32> -> tensor<8x2x!quant4.uint<4>>
  %qg2 = quant4.quantize %g, %sg rounding<nearest> : tensor<2x4xf32>, tensor<f32> -> tensor<2x4x!quant4.log<4, 3, 1>>
  %dw = quant4.matmul %qxt, %qg2 scales(%sx, %sg) acc<f32> : tensor<8x2x!quant4.uint<4>>, tensor<2x4x!quant4.log<4, 3, 1>>, tensor<f32>, tensor<f32> -> tensor<8x4xf32>
  return %y, %dx, %dw : tensor<2x4xf32>, tensor<2x8xf32>, tensor<8x4xf32>
}

// -----

// Not folded: stochastic rounding depends on the element index (which the
// transpose changes), and a per-axis scale follows the transposed axes.
// CHECK-LABEL: func.func @keep_transpose
// CHECK-COUNT-2: linalg.transpose
// CHECK-NOT: transpose_rhs
func.func @keep_transpose(%w: tensor<8x4xf32>, %g: tensor<2x4xf32>,
    %sw: tensor<f32>, %sa: tensor<8xf32>, %sg: tensor<f32>, %seed: i64)
    -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %e0 = tensor.empty() : tensor<4x8xf32>
  %wt = linalg.transpose ins(%w : tensor<8x4xf32>) outs(%e0 : tensor<4x8xf32>) permutation = [1, 0]
  %qg = quant4.quantize %g, %sg rounding<nearest> : tensor<2x4xf32>, tensor<f32> -> tensor<2x4x!quant4.log<4, 3, 0>>
  %qs = quant4.quantize %wt, %sw seed %seed rounding<stochastic> : tensor<4x8xf32>, tensor<f32> -> tensor<4x8x!quant4.int<4>>
  %a = quant4.matmul %qg, %qs scales(%sg, %sw) acc<f32> : tensor<2x4x!quant4.log<4, 3, 0>>, tensor<4x8x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<2x8xf32>
  %e1 = tensor.empty() : tensor<4x8xf32>
  %wt2 = linalg.transpose ins(%w : tensor<8x4xf32>) outs(%e1 : tensor<4x8xf32>) permutation = [1, 0]
  %qa = quant4.quantize %wt2, %sa rounding<nearest> granularity<axis = 1> : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8x!quant4.int<4>>
  %b = quant4.matmul %qg, %qa scales(%sg, %sa) acc<f32> {rhs_granularity = #quant4.granularity<axis = 1>} : tensor<2x4x!quant4.log<4, 3, 0>>, tensor<4x8x!quant4.int<4>>, tensor<f32>, tensor<8xf32> -> tensor<2x8xf32>
  return %a, %b : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Dropout with ratio 0 is the identity; any other ratio stays.
// CHECK-LABEL: func.func @dropout_zero
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[S:.*]]: i64)
// CHECK-NEXT: %[[Y:.*]] = quant4.dropout %[[X]] seed %[[S]] ratio 1.000000e-01
// CHECK-NEXT: return %[[X]], %[[Y]]
func.func @dropout_zero(%x: tensor<4x8xf32>, %seed: i64) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %a = quant4.dropout %x seed %seed ratio 0.0 : tensor<4x8xf32>
  %b = quant4.dropout %x seed %seed ratio 0.1 : tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}
