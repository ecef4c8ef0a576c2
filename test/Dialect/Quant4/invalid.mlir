// RUN: quant4-opt %s -split-input-file -verify-diagnostics
// One negative test per op verifier rule.

func.func @quantize_shape(%x: tensor<4x8xf32>, %s: tensor<f32>) {
  // expected-error@+1 {{'quant4.quantize' op result shape 'tensor<8x4x!quant4.int<4>>' does not match input shape 'tensor<4x8xf32>'}}
  %q = quant4.quantize %x, %s rounding<nearest> : tensor<4x8xf32>, tensor<f32> -> tensor<8x4x!quant4.int<4>>
  return
}

// -----

func.func @quantize_result_not_quantized(%x: tensor<4x8xf32>, %s: tensor<f32>) {
  // expected-error@+1 {{result #0 must be ranked tensor of quantized format}}
  %q = quant4.quantize %x, %s rounding<nearest> : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xi8>
  return
}

// -----

func.func @quantize_input_not_real(%x: tensor<4x8xi32>, %s: tensor<f32>) {
  // expected-error@+1 {{operand #0 must be ranked tensor of}}
  %q = quant4.quantize %x, %s rounding<nearest> : tensor<4x8xi32>, tensor<f32> -> tensor<4x8x!quant4.int<4>>
  return
}

// -----

func.func @per_tensor_scale_rank(%x: tensor<4x8xf32>, %s: tensor<4xf32>) {
  // expected-error@+1 {{scale must be a rank-0 tensor for per-tensor granularity, got 'tensor<4xf32>'}}
  %q = quant4.quantize %x, %s rounding<nearest> : tensor<4x8xf32>, tensor<4xf32> -> tensor<4x8x!quant4.int<4>>
  return
}

// -----

func.func @axis_out_of_range(%x: tensor<4x8xf32>, %s: tensor<4xf32>) {
  // expected-error@+1 {{granularity axis 2 is out of range for a rank-2 tensor}}
  %q = quant4.quantize %x, %s rounding<nearest> granularity<axis = 2> : tensor<4x8xf32>, tensor<4xf32> -> tensor<4x8x!quant4.int<4>>
  return
}

// -----

func.func @axis_scale_size(%x: tensor<4x8xf32>, %s: tensor<4xf32>) {
  // expected-error@+1 {{scale has 4 elements but dimension 1 has 8}}
  %q = quant4.quantize %x, %s rounding<nearest> granularity<axis = 1> : tensor<4x8xf32>, tensor<4xf32> -> tensor<4x8x!quant4.int<4>>
  return
}

// -----

func.func @axis_scale_rank(%x: tensor<4x8xf32>, %s: tensor<4x1xf32>) {
  // expected-error@+1 {{scale must be a 1-D tensor for per-axis granularity, got 'tensor<4x1xf32>'}}
  %q = quant4.quantize %x, %s rounding<nearest> granularity<axis = 0> : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8x!quant4.int<4>>
  return
}

// -----

func.func @block_rank(%x: tensor<4x64xf32>, %s: tensor<4x2xf8E8M0FNU>) {
  // expected-error@+1 {{block granularity has 1 block sizes but the tensor has rank 2}}
  %q = quant4.quantize %x, %s rounding<nearest> granularity<block = [32]> : tensor<4x64xf32>, tensor<4x2xf8E8M0FNU> -> tensor<4x64xf4E2M1FN>
  return
}

// -----

func.func @block_scale_shape(%x: tensor<4x64xf32>, %s: tensor<4x3xf8E8M0FNU>) {
  // expected-error@+1 {{scale dimension 1 must be 2 (ceildiv(64, 32)), got 3}}
  %q = quant4.quantize %x, %s rounding<nearest> granularity<block = [1, 32]> : tensor<4x64xf32>, tensor<4x3xf8E8M0FNU> -> tensor<4x64xf4E2M1FN>
  return
}

// -----

func.func @block_scale_scale_rank(%x: tensor<4x64xf32>, %s: tensor<8xf8E8M0FNU>) {
  // expected-error@+1 {{scale must have rank 2 for block granularity, got 'tensor<8xf8E8M0FNU>'}}
  %q = quant4.quantize %x, %s rounding<nearest> granularity<block = [1, 32]> : tensor<4x64xf32>, tensor<8xf8E8M0FNU> -> tensor<4x64xf4E2M1FN>
  return
}

// -----

func.func @block_scale_needs_block(%x: tensor<4x64xf32>, %s: tensor<f8E8M0FNU>) {
  // expected-error@+1 {{scale element type 'f8E8M0FNU' requires block granularity}}
  %q = quant4.quantize %x, %s rounding<nearest> : tensor<4x64xf32>, tensor<f8E8M0FNU> -> tensor<4x64xf4E2M1FN>
  return
}

// -----

func.func @tensor_scale_needs_block(%x: tensor<4x64xf32>, %s: tensor<f32>, %t: tensor<f32>) {
  // expected-error@+1 {{'tensor_scale' requires block granularity}}
  %q = quant4.quantize %x, %s tensor_scale %t rounding<nearest> : tensor<4x64xf32>, tensor<f32>, tensor<f32> -> tensor<4x64xf4E2M1FN>
  return
}

// -----

func.func @tensor_scale_rank(%x: tensor<4x64xf32>, %s: tensor<4x4xf8E4M3FN>, %t: tensor<1xf32>) {
  // expected-error@+1 {{'tensor_scale' must be a rank-0 tensor<f32>}}
  %q = quant4.quantize %x, %s tensor_scale %t rounding<nearest> granularity<block = [1, 16]> : tensor<4x64xf32>, tensor<4x4xf8E4M3FN>, tensor<1xf32> -> tensor<4x64xf4E2M1FN>
  return
}

// -----

func.func @stochastic_needs_seed(%x: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error@+1 {{rounding 'stochastic' needs a 'seed' operand}}
  %q = quant4.quantize %x, %s rounding<stochastic> : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.log<4, 3, 0>>
  return
}

// -----

func.func @seed_without_stochastic(%x: tensor<4xf32>, %s: tensor<f32>, %seed: i64) {
  // expected-error@+1 {{a 'seed' is only allowed with stochastic rounding}}
  %q = quant4.quantize %x, %s seed %seed rounding<nearest> : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.log<4, 3, 0>>
  return
}

// -----

func.func @nearest_log_on_int(%x: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error@+1 {{rounding 'nearest_log' requires a !quant4.log format, got '!quant4.int<4>'}}
  %q = quant4.quantize %x, %s rounding<nearest_log> : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.int<4>>
  return
}

// -----

func.func @underflow_on_fp4(%x: tensor<4xf32>, %s: tensor<f32>, %seed: i64) {
  // expected-error@+1 {{rounding 'stochastic_underflow' requires a !quant4.log format, got 'f4E2M1FN'}}
  %q = quant4.quantize %x, %s seed %seed rounding<stochastic_underflow> : tensor<4xf32>, tensor<f32> -> tensor<4xf4E2M1FN>
  return
}

// -----

func.func @dequantize_shape(%q: tensor<4x!quant4.int<4>>, %s: tensor<f32>) {
  // expected-error@+1 {{'quant4.dequantize' op result shape 'tensor<5xf32>' does not match input shape 'tensor<4x!quant4.int<4>>'}}
  %d = quant4.dequantize %q, %s : tensor<4x!quant4.int<4>>, tensor<f32> -> tensor<5xf32>
  return
}

// -----

func.func @dequantize_scale(%q: tensor<4x!quant4.int<4>>, %s: tensor<3xf32>) {
  // expected-error@+1 {{scale has 3 elements but dimension 0 has 4}}
  %d = quant4.dequantize %q, %s granularity<axis = 0> : tensor<4x!quant4.int<4>>, tensor<3xf32> -> tensor<4xf32>
  return
}

// -----

func.func @fake_quant_format(%x: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error@+1 {{'format' must be a quantized format (!quant4.log, !quant4.int, !quant4.uint, f4E2M1FN, f8E4M3FN or f8E5M2), got 'f16'}}
  %y = quant4.fake_quant %x, %s to f16 rounding<nearest> : tensor<4xf32>, tensor<f32>
  return
}

// -----

func.func @fake_quant_stochastic(%x: tensor<4xf32>, %s: tensor<f32>) {
  // expected-error@+1 {{rounding 'stochastic' needs a 'seed' operand}}
  %y = quant4.fake_quant %x, %s to !quant4.int<4> rounding<stochastic> : tensor<4xf32>, tensor<f32>
  return
}

// -----

func.func @scale_format(%x: tensor<4xf32>) {
  // expected-error@+1 {{'format' must be a quantized format, got 'f32'}}
  %s = quant4.scale #quant4.amax %x for f32 : tensor<4xf32> -> tensor<f32>
  return
}

// -----

func.func @scale_not_a_policy(%x: tensor<4xf32>) {
  // expected-error@+1 {{attribute 'policy' failed to satisfy constraint: scale policy attribute}}
  %s = quant4.scale #quant4.rounding<nearest> %x for !quant4.int<4> : tensor<4xf32> -> tensor<f32>
  return
}

// -----

func.func @gradscale_needs_state(%x: tensor<4xf32>) {
  // expected-error@+1 {{policy 'gradscale' takes 1 state operand(s), got 0}}
  %s = quant4.scale #quant4.gradscale %x for !quant4.log<4, 3, 0> : tensor<4xf32> -> tensor<f32>
  return
}

// -----

func.func @amax_no_extra(%x: tensor<4xf32>) {
  // expected-error@+1 {{policy 'amax' yields 0 result(s) after the scale, got 1}}
  %s, %e = quant4.scale #quant4.amax %x for !quant4.int<4> : tensor<4xf32> -> tensor<f32>, tensor<f32>
  return
}

// -----

func.func @scale_shape(%x: tensor<4x8xf32>) {
  // expected-error@+1 {{scale has 4 elements but dimension 1 has 8}}
  %s = quant4.scale #quant4.amax %x for !quant4.int<4> granularity<axis = 1> : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @amax_f32_only(%x: tensor<4x64xf32>) {
  // expected-error@+1 {{policy 'amax' produces f32 scales, got 'f8E8M0FNU'}}
  %s = quant4.scale #quant4.amax %x for f4E2M1FN granularity<block = [1, 32]> : tensor<4x64xf32> -> tensor<4x2xf8E8M0FNU>
  return
}

// -----

func.func @block_needs_block(%x: tensor<4x64xf32>) {
  // expected-error@+1 {{policy 'block' requires block granularity}}
  %s = quant4.scale #quant4.block<scale = f32> %x for f4E2M1FN : tensor<4x64xf32> -> tensor<f32>
  return
}

// -----

func.func @block_scale_type(%x: tensor<4x64xf32>) {
  // expected-error@+1 {{scale element type 'f8E4M3FN' does not match the block policy's scale format 'f8E8M0FNU'}}
  %s = quant4.scale #quant4.block<scale = f8E8M0FNU> %x for f4E2M1FN granularity<block = [1, 32]> : tensor<4x64xf32> -> tensor<4x2xf8E4M3FN>
  return
}

// -----

func.func @block_tensor_scale_rank(%x: tensor<4x64xf32>) {
  // expected-error@+1 {{the tensor scale result must be a rank-0 tensor<f32>}}
  %s, %t = quant4.scale #quant4.block<scale = f8E4M3FN, tensor_scale> %x for f4E2M1FN granularity<block = [1, 16]> : tensor<4x64xf32> -> tensor<4x4xf8E4M3FN>, tensor<1xf32>
  return
}

// -----

func.func @sawb_needs_int(%x: tensor<4xf32>) {
  // expected-error@+1 {{policy 'sawb' requires a !quant4.int format, got '!quant4.uint<4>'}}
  %s = quant4.scale #quant4.sawb %x for !quant4.uint<4> : tensor<4xf32> -> tensor<f32>
  return
}

// -----

func.func @pact_needs_uint(%x: tensor<4xf32>, %a: tensor<f32>) {
  // expected-error@+1 {{policy 'pact' requires a !quant4.uint format, got '!quant4.int<4>'}}
  %s = quant4.scale #quant4.pact %x state(%a : tensor<f32>) for !quant4.int<4> : tensor<4xf32> -> tensor<f32>
  return
}

// -----

func.func @pact_per_tensor(%x: tensor<4x8xf32>, %a: tensor<f32>) {
  // expected-error@+1 {{policy 'pact' supports only per-tensor granularity}}
  %s = quant4.scale #quant4.pact %x state(%a : tensor<f32>) for !quant4.uint<4> granularity<axis = 0> : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @pact_alpha_rank(%x: tensor<4xf32>, %a: tensor<1xf32>) {
  // expected-error@+1 {{PACT alpha must be a rank-0 tensor<f32>, got 'tensor<1xf32>'}}
  %s = quant4.scale #quant4.pact %x state(%a : tensor<1xf32>) for !quant4.uint<4> : tensor<4xf32> -> tensor<f32>
  return
}

// -----

func.func @gradscale_state_type(%x: tensor<4x8xf32>, %old: tensor<f32>) {
  // expected-error@+1 {{gradscale state type 'tensor<f32>' must match the scale type 'tensor<4xf32>'}}
  %s = quant4.scale #quant4.gradscale %x state(%old : tensor<f32>) for !quant4.log<4, 3, 0> granularity<axis = 0> : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @delayed_per_tensor(%x: tensor<4x8xf32>, %h: tensor<16xf32>, %s0: tensor<4xf32>) {
  // expected-error@+1 {{policy 'delayed' supports only per-tensor granularity}}
  %s, %h1 = quant4.scale #quant4.delayed<history = 16> %x state(%h, %s0 : tensor<16xf32>, tensor<4xf32>) for f8E4M3FN granularity<axis = 0> : tensor<4x8xf32> -> tensor<4xf32>, tensor<16xf32>
  return
}

// -----

func.func @delayed_history(%x: tensor<4xf32>, %h: tensor<8xf32>, %s0: tensor<f32>) {
  // expected-error@+1 {{amax history must be tensor<16xf32>, got 'tensor<8xf32>'}}
  %s, %h1 = quant4.scale #quant4.delayed<history = 16> %x state(%h, %s0 : tensor<8xf32>, tensor<f32>) for f8E4M3FN : tensor<4xf32> -> tensor<f32>, tensor<8xf32>
  return
}

// -----

func.func @delayed_prev_scale(%x: tensor<4xf32>, %h: tensor<16xf32>, %s0: tensor<1xf32>) {
  // expected-error@+1 {{previous-scale state type 'tensor<1xf32>' must match the scale type 'tensor<f32>'}}
  %s, %h1 = quant4.scale #quant4.delayed<history = 16> %x state(%h, %s0 : tensor<16xf32>, tensor<1xf32>) for f8E4M3FN : tensor<4xf32> -> tensor<f32>, tensor<16xf32>
  return
}

// -----

func.func @delayed_new_history(%x: tensor<4xf32>, %h: tensor<16xf32>, %s0: tensor<f32>) {
  // expected-error@+1 {{new amax history type 'tensor<15xf32>' must match the history type 'tensor<16xf32>'}}
  %s, %h1 = quant4.scale #quant4.delayed<history = 16> %x state(%h, %s0 : tensor<16xf32>, tensor<f32>) for f8E4M3FN : tensor<4xf32> -> tensor<f32>, tensor<15xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<2x3x4x!quant4.int<4>>, %b: tensor<4x5x!quant4.int<4>>, %s: tensor<f32>) {
  // expected-error@+1 {{operands must be 2-D, got 'tensor<2x3x4x!quant4.int<4>>' and 'tensor<4x5x!quant4.int<4>>'}}
  %c = quant4.matmul %a, %b scales(%s, %s) acc<f32> : tensor<2x3x4x!quant4.int<4>>, tensor<4x5x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<3x5xf32>
  return
}

// -----

func.func @matmul_k(%a: tensor<3x4x!quant4.int<4>>, %b: tensor<5x6x!quant4.int<4>>, %s: tensor<f32>) {
  // expected-error@+1 {{reduction dimensions differ: lhs has K = 4, rhs has K = 5}}
  %c = quant4.matmul %a, %b scales(%s, %s) acc<f32> : tensor<3x4x!quant4.int<4>>, tensor<5x6x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<3x6xf32>
  return
}

// -----

func.func @matmul_transposed_k(%a: tensor<3x4x!quant4.int<4>>, %b: tensor<4x6x!quant4.int<4>>, %s: tensor<f32>) {
  // expected-error@+1 {{reduction dimensions differ: lhs has K = 3, rhs has K = 4}}
  %c = quant4.matmul %a, %b scales(%s, %s) acc<f32> {transpose_lhs} : tensor<3x4x!quant4.int<4>>, tensor<4x6x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<4x6xf32>
  return
}

// -----

func.func @matmul_result(%a: tensor<3x4x!quant4.int<4>>, %b: tensor<4x6x!quant4.int<4>>, %s: tensor<f32>) {
  // expected-error@+1 {{result dimension 1 must be 6, got 5}}
  %c = quant4.matmul %a, %b scales(%s, %s) acc<f32> : tensor<3x4x!quant4.int<4>>, tensor<4x6x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<3x5xf32>
  return
}

// -----

func.func @matmul_result_type(%a: tensor<3x4x!quant4.int<4>>, %b: tensor<4x6x!quant4.int<4>>, %s: tensor<f32>) {
  // expected-error@+1 {{result #0 must be ranked tensor of 32-bit float values}}
  %c = quant4.matmul %a, %b scales(%s, %s) acc<f32> : tensor<3x4x!quant4.int<4>>, tensor<4x6x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<3x6xf16>
  return
}

// -----

func.func @matmul_operand_real(%a: tensor<3x4xf32>, %b: tensor<4x6x!quant4.int<4>>, %s: tensor<f32>) {
  // expected-error@+1 {{operand #0 must be ranked tensor of quantized format}}
  %c = quant4.matmul %a, %b scales(%s, %s) acc<f32> : tensor<3x4xf32>, tensor<4x6x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<3x6xf32>
  return
}

// -----

func.func @matmul_lhs_scale(%a: tensor<3x4x!quant4.int<4>>, %b: tensor<4x6x!quant4.int<4>>, %s: tensor<f32>, %sa: tensor<4xf32>) {
  // expected-error@+1 {{lhs scale has 4 elements but dimension 0 has 3}}
  %c = quant4.matmul %a, %b scales(%sa, %s) acc<f32> {lhs_granularity = #quant4.granularity<axis = 0>} : tensor<3x4x!quant4.int<4>>, tensor<4x6x!quant4.int<4>>, tensor<4xf32>, tensor<f32> -> tensor<3x6xf32>
  return
}

// -----

func.func @matmul_lhs_axis_k(%a: tensor<3x4x!quant4.int<4>>, %b: tensor<4x6x!quant4.int<4>>, %s: tensor<f32>, %sa: tensor<4xf32>) {
  // expected-error@+1 {{lhs per-axis scale must be along the non-reduction dimension 0}}
  %c = quant4.matmul %a, %b scales(%sa, %s) acc<f32> {lhs_granularity = #quant4.granularity<axis = 1>} : tensor<3x4x!quant4.int<4>>, tensor<4x6x!quant4.int<4>>, tensor<4xf32>, tensor<f32> -> tensor<3x6xf32>
  return
}

// -----

func.func @matmul_rhs_axis_k(%a: tensor<3x4x!quant4.int<4>>, %b: tensor<4x6x!quant4.int<4>>, %s: tensor<f32>, %sb: tensor<4xf32>) {
  // expected-error@+1 {{rhs per-axis scale must be along the non-reduction dimension 1}}
  %c = quant4.matmul %a, %b scales(%s, %sb) acc<f32> {rhs_granularity = #quant4.granularity<axis = 0>} : tensor<3x4x!quant4.int<4>>, tensor<4x6x!quant4.int<4>>, tensor<f32>, tensor<4xf32> -> tensor<3x6xf32>
  return
}

// -----

func.func @matmul_block_k(%a: tensor<2x64xf4E2M1FN>, %b: tensor<64x2xf4E2M1FN>, %sa: tensor<2x2xf8E8M0FNU>, %sb: tensor<4x2xf8E8M0FNU>) {
  // expected-error@+1 {{lhs and rhs block sizes along the reduction dimension differ (32 vs 16)}}
  %c = quant4.matmul %a, %b scales(%sa, %sb) acc<f32> {lhs_granularity = #quant4.granularity<block = [1, 32]>, rhs_granularity = #quant4.granularity<block = [16, 1]>} : tensor<2x64xf4E2M1FN>, tensor<64x2xf4E2M1FN>, tensor<2x2xf8E8M0FNU>, tensor<4x2xf8E8M0FNU> -> tensor<2x2xf32>
  return
}

// -----

func.func @matmul_tensor_scales_count(%a: tensor<2x64xf4E2M1FN>, %b: tensor<64x2xf4E2M1FN>, %sa: tensor<2x4xf8E4M3FN>, %s: tensor<f32>) {
  // expected-error@+1 {{'tensor_scales' takes one scale per operand (2), got 1}}
  %c = quant4.matmul %a, %b scales(%sa, %s) tensor_scales(%s) acc<f32> {lhs_granularity = #quant4.granularity<block = [1, 16]>} : tensor<2x64xf4E2M1FN>, tensor<64x2xf4E2M1FN>, tensor<2x4xf8E4M3FN>, tensor<f32>, tensor<f32> -> tensor<2x2xf32>
  return
}

// -----

func.func @matmul_tensor_scales_block(%a: tensor<2x64xf4E2M1FN>, %b: tensor<64x2xf4E2M1FN>, %s: tensor<f32>) {
  // expected-error@+1 {{'tensor_scales' require block granularity on an operand}}
  %c = quant4.matmul %a, %b scales(%s, %s) tensor_scales(%s, %s) acc<f32> : tensor<2x64xf4E2M1FN>, tensor<64x2xf4E2M1FN>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32> -> tensor<2x2xf32>
  return
}

// -----

func.func @matmul_tensor_scales_rank(%a: tensor<2x64xf4E2M1FN>, %b: tensor<64x2xf4E2M1FN>, %sa: tensor<2x4xf8E4M3FN>, %s: tensor<f32>, %t: tensor<1xf32>) {
  // expected-error@+1 {{each tensor scale must be a rank-0 tensor<f32>}}
  %c = quant4.matmul %a, %b scales(%sa, %s) tensor_scales(%s, %t) acc<f32> {lhs_granularity = #quant4.granularity<block = [1, 16]>} : tensor<2x64xf4E2M1FN>, tensor<64x2xf4E2M1FN>, tensor<2x4xf8E4M3FN>, tensor<f32>, tensor<f32>, tensor<1xf32> -> tensor<2x2xf32>
  return
}

// -----

// 2^-63 .. 2^63 times 2^-63 .. 2^63 does not fit the exact accumulator.
func.func @matmul_exact_unsupported(%a: tensor<2x4x!quant4.log<2, 7, 0>>, %b: tensor<4x2x!quant4.log<2, 7, 0>>, %s: tensor<f32>) {
  // expected-error@+1 {{accumulation 'exact' is not possible for '!quant4.log<2, 7, 0>' x '!quant4.log<2, 7, 0>'}}
  %c = quant4.matmul %a, %b scales(%s, %s) acc<exact> : tensor<2x4x!quant4.log<2, 7, 0>>, tensor<4x2x!quant4.log<2, 7, 0>>, tensor<f32>, tensor<f32> -> tensor<2x2xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<2x8x8x!quant4.uint<4>>, %k: tensor<3x3x3x4x!quant4.int<4>>, %s: tensor<f32>) {
  // expected-error@+1 {{input (NHWC) and filter (HWCF) must be 4-D}}
  %c = quant4.conv2d %x, %k scales(%s, %s) acc<f32> : tensor<2x8x8x!quant4.uint<4>>, tensor<3x3x3x4x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<2x6x6x4xf32>
  return
}

// -----

func.func @conv_strides(%x: tensor<2x8x8x3x!quant4.uint<4>>, %k: tensor<3x3x3x4x!quant4.int<4>>, %s: tensor<f32>) {
  // expected-error@+1 {{'strides' and 'dilations' need 2 entries each}}
  %c = quant4.conv2d %x, %k scales(%s, %s) acc<f32> {strides = array<i64: 1, 1, 1>} : tensor<2x8x8x3x!quant4.uint<4>>, tensor<3x3x3x4x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<2x6x6x4xf32>
  return
}

// -----

func.func @conv_stride_zero(%x: tensor<2x8x8x3x!quant4.uint<4>>, %k: tensor<3x3x3x4x!quant4.int<4>>, %s: tensor<f32>) {
  // expected-error@+1 {{strides and dilations must be positive, got 0}}
  %c = quant4.conv2d %x, %k scales(%s, %s) acc<f32> {strides = array<i64: 0, 1>} : tensor<2x8x8x3x!quant4.uint<4>>, tensor<3x3x3x4x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<2x6x6x4xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<2x8x8x2x!quant4.uint<4>>, %k: tensor<3x3x3x4x!quant4.int<4>>, %s: tensor<f32>) {
  // expected-error@+1 {{input has 2 channels but the filter expects 3}}
  %c = quant4.conv2d %x, %k scales(%s, %s) acc<f32> : tensor<2x8x8x2x!quant4.uint<4>>, tensor<3x3x3x4x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<2x6x6x4xf32>
  return
}

// -----

func.func @conv_window(%x: tensor<2x4x4x3x!quant4.uint<4>>, %k: tensor<3x3x3x4x!quant4.int<4>>, %s: tensor<f32>) {
  // expected-error@+1 {{filter window (5) is larger than the input (4)}}
  %c = quant4.conv2d %x, %k scales(%s, %s) acc<f32> {dilations = array<i64: 2, 2>} : tensor<2x4x4x3x!quant4.uint<4>>, tensor<3x3x3x4x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<2x1x1x4xf32>
  return
}

// -----

func.func @conv_result(%x: tensor<2x8x8x3x!quant4.uint<4>>, %k: tensor<3x3x3x4x!quant4.int<4>>, %s: tensor<f32>) {
  // expected-error@+1 {{result dimension 1 must be 3, got 6}}
  %c = quant4.conv2d %x, %k scales(%s, %s) acc<f32> {strides = array<i64: 2, 2>} : tensor<2x8x8x3x!quant4.uint<4>>, tensor<3x3x3x4x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<2x6x6x4xf32>
  return
}

// -----

func.func @conv_result_rank(%x: tensor<2x8x8x3x!quant4.uint<4>>, %k: tensor<3x3x3x4x!quant4.int<4>>, %s: tensor<f32>) {
  // expected-error@+1 {{result must be 4-D (NHWF), got 'tensor<2x6x6xf32>'}}
  %c = quant4.conv2d %x, %k scales(%s, %s) acc<f32> : tensor<2x8x8x3x!quant4.uint<4>>, tensor<3x3x3x4x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<2x6x6xf32>
  return
}

// -----

func.func @conv_input_granularity(%x: tensor<2x8x8x3x!quant4.uint<4>>, %k: tensor<3x3x3x4x!quant4.int<4>>, %s: tensor<f32>, %sx: tensor<2xf32>) {
  // expected-error@+1 {{the input scale must be per tensor}}
  %c = quant4.conv2d %x, %k scales(%sx, %s) acc<f32> {input_granularity = #quant4.granularity<axis = 0>} : tensor<2x8x8x3x!quant4.uint<4>>, tensor<3x3x3x4x!quant4.int<4>>, tensor<2xf32>, tensor<f32> -> tensor<2x6x6x4xf32>
  return
}

// -----

func.func @conv_filter_granularity(%x: tensor<2x8x8x3x!quant4.uint<4>>, %k: tensor<3x3x3x4x!quant4.int<4>>, %s: tensor<f32>, %sk: tensor<3xf32>) {
  // expected-error@+1 {{the filter scale must be per tensor or per output channel (axis 3)}}
  %c = quant4.conv2d %x, %k scales(%s, %sk) acc<f32> {filter_granularity = #quant4.granularity<axis = 2>} : tensor<2x8x8x3x!quant4.uint<4>>, tensor<3x3x3x4x!quant4.int<4>>, tensor<f32>, tensor<3xf32> -> tensor<2x6x6x4xf32>
  return
}

// -----

func.func @conv_filter_scale(%x: tensor<2x8x8x3x!quant4.uint<4>>, %k: tensor<3x3x3x4x!quant4.int<4>>, %s: tensor<f32>, %sk: tensor<3xf32>) {
  // expected-error@+1 {{filter scale has 3 elements but dimension 3 has 4}}
  %c = quant4.conv2d %x, %k scales(%s, %sk) acc<f32> {filter_granularity = #quant4.granularity<axis = 3>} : tensor<2x8x8x3x!quant4.uint<4>>, tensor<3x3x3x4x!quant4.int<4>>, tensor<f32>, tensor<3xf32> -> tensor<2x6x6x4xf32>
  return
}

// -----

func.func @conv_tensor_scales(%x: tensor<2x8x8x3x!quant4.uint<4>>, %k: tensor<3x3x3x4x!quant4.int<4>>, %s: tensor<f32>) {
  // expected-error@+1 {{'tensor_scales' are not supported on convolutions}}
  %c = quant4.conv2d %x, %k scales(%s, %s) tensor_scales(%s, %s) acc<f32> : tensor<2x8x8x3x!quant4.uint<4>>, tensor<3x3x3x4x!quant4.int<4>>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32> -> tensor<2x6x6x4xf32>
  return
}

// -----

func.func @conv_exact(%x: tensor<2x8x8x3x!quant4.log<2, 7, 0>>, %k: tensor<3x3x3x4x!quant4.log<2, 7, 0>>, %s: tensor<f32>) {
  // expected-error@+1 {{accumulation 'exact' is not possible}}
  %c = quant4.conv2d %x, %k scales(%s, %s) acc<exact> : tensor<2x8x8x3x!quant4.log<2, 7, 0>>, tensor<3x3x3x4x!quant4.log<2, 7, 0>>, tensor<f32>, tensor<f32> -> tensor<2x6x6x4xf32>
  return
}

// -----

func.func @constant_shape() {
  // expected-error@+1 {{codes shape 'tensor<3xui8>' does not match result shape 'tensor<4x!quant4.int<4>>'}}
  %c = quant4.constant dense<[1, 2, 3]> : tensor<3xui8> -> tensor<4x!quant4.int<4>>
  return
}

// -----

func.func @constant_code_range() {
  // expected-error@+1 {{code 16 at index 1 does not fit the 4-bit format '!quant4.log<4, 3, 0>'}}
  %c = quant4.constant dense<[1, 16]> : tensor<2xui8> -> tensor<2x!quant4.log<4, 3, 0>>
  return
}

// -----

func.func @constant_codes_type() {
  // expected-error@+1 {{attribute 'codes' failed to satisfy constraint: dense ui8 elements (format codes)}}
  %c = quant4.constant dense<[1, 2]> : tensor<2xi8> -> tensor<2x!quant4.int<4>>
  return
}

// -----

func.func @dropout_ratio_one(%x: tensor<4x8xf32>, %seed: i64) {
  // expected-error@+1 {{'quant4.dropout' op 'ratio' must be in [0, 1), got 1}}
  %y = quant4.dropout %x seed %seed ratio 1.0 : tensor<4x8xf32>
  return
}

// -----

func.func @dropout_ratio_negative(%x: tensor<4x8xf32>, %seed: i64) {
  // expected-error@+1 {{'quant4.dropout' op 'ratio' must be in [0, 1), got -2.500000e-01}}
  %y = quant4.dropout %x seed %seed ratio -0.25 : tensor<4x8xf32>
  return
}

// -----

func.func @dropout_f16(%x: tensor<4x8xf16>, %seed: i64) {
  // expected-error@+1 {{'quant4.dropout' op operand #0 must be ranked tensor of 32-bit float values}}
  %y = quant4.dropout %x seed %seed ratio 0.5 : tensor<4x8xf16>
  return
}

// -----

func.func @pact_calibrate_needs_uint(%x: tensor<4xf32>, %a: tensor<f32>) -> tensor<f32> {
  // expected-error@+1 {{PACT calibrates for a !quant4.uint format, got '!quant4.int<4>'}}
  %r = quant4.pact_calibrate %x, %a for !quant4.int<4> : tensor<4xf32>
  return %r : tensor<f32>
}
