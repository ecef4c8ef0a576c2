// RUN: quant4-opt %s | FileCheck %s
// RUN: quant4-opt %s | quant4-opt | FileCheck %s
// RUN: quant4-opt %s --mlir-print-op-generic | quant4-opt | FileCheck %s
// Round trip of every type, attribute and op of the quant4 dialect.

// CHECK-LABEL: func.func @types
// CHECK-SAME: tensor<4x!quant4.log<4, 3, 0>>
// CHECK-SAME: tensor<4x!quant4.log<4, 3, 1>>
// CHECK-SAME: tensor<4x!quant4.log<2, 3, 0>>
// CHECK-SAME: tensor<4x!quant4.log<8, 2, 0>>
// CHECK-SAME: tensor<4x!quant4.log<16, 2, 1>>
// CHECK-SAME: tensor<4x!quant4.log<4, 3, 0, 3>>
// CHECK-SAME: tensor<4x!quant4.log<2, 7, 0>>
// CHECK-SAME: tensor<4x!quant4.int<2>>
// CHECK-SAME: tensor<4x!quant4.int<8>>
// CHECK-SAME: tensor<4x!quant4.uint<4>>
func.func @types(%a: tensor<4x!quant4.log<4, 3, 0>>,
                 %b: tensor<4x!quant4.log<4, 3, 1, 4>>,
                 %c: tensor<4x!quant4.log<2, 3, 0>>,
                 %d: tensor<4x!quant4.log<8, 2, 0>>,
                 %e: tensor<4x!quant4.log<16, 2, 1>>,
                 %f: tensor<4x!quant4.log<4, 3, 0, 3>>,
                 %g: tensor<4x!quant4.log<2, 7, 0>>,
                 %h: tensor<4x!quant4.int<2>>,
                 %i: tensor<4x!quant4.int<8>>,
                 %j: tensor<4x!quant4.uint<4>>) {
  return
}

// CHECK-LABEL: func.func @attributes
// CHECK-SAME: acc = [#quant4.acc<f32>, #quant4.acc<f16>, #quant4.acc<f16_chunked, 64>, #quant4.acc<exact>]
// CHECK-SAME: gran = [#quant4.granularity<tensor>, #quant4.granularity<axis = 1>, #quant4.granularity<block = [1, 32]>]
// CHECK-SAME: policies = [#quant4.amax, #quant4.amax<pow2>, #quant4.gradscale, #quant4.delayed<history = 16>, #quant4.delayed<history = 8, margin = 1>, #quant4.sawb, #quant4.pact, #quant4.block<scale = f8E8M0FNU>, #quant4.block<scale = f8E4M3FN, tensor_scale>]
// CHECK-SAME: rounding = [#quant4.rounding<nearest>, #quant4.rounding<nearest_log>, #quant4.rounding<nearest_even>, #quant4.rounding<stochastic>, #quant4.rounding<stochastic_underflow>]
func.func @attributes() attributes {
    rounding = [#quant4.rounding<nearest>, #quant4.rounding<nearest_log>,
                #quant4.rounding<nearest_even>, #quant4.rounding<stochastic>,
                #quant4.rounding<stochastic_underflow>],
    acc = [#quant4.acc<f32>, #quant4.acc<f16>, #quant4.acc<f16_chunked, 64>,
           #quant4.acc<exact>],
    gran = [#quant4.granularity<tensor>, #quant4.granularity<axis = 1>,
            #quant4.granularity<block = [1, 32]>],
    policies = [#quant4.amax, #quant4.amax<pow2>, #quant4.gradscale,
                #quant4.delayed<history = 16, margin = 0>,
                #quant4.delayed<history = 8, margin = 1>, #quant4.sawb,
                #quant4.pact, #quant4.block<scale = f8E8M0FNU>,
                #quant4.block<scale = f8E4M3FN, tensor_scale>]} {
  return
}

// CHECK-LABEL: func.func @quantize_ops
func.func @quantize_ops(%x: tensor<8x64xf32>, %s: tensor<f32>, %seed: i64,
                        %sa: tensor<64xf32>, %mx: tensor<8x2xf8E8M0FNU>,
                        %nv: tensor<8x4xf8E4M3FN>, %ts: tensor<f32>) {
  // CHECK: %[[Q:.*]] = quant4.quantize %{{.*}}, %{{.*}} rounding<nearest> : tensor<8x64xf32>, tensor<f32> -> tensor<8x64x!quant4.log<4, 3, 0>>
  %q = quant4.quantize %x, %s rounding<nearest>
      : tensor<8x64xf32>, tensor<f32> -> tensor<8x64x!quant4.log<4, 3, 0>>
  // CHECK: quant4.quantize %{{.*}}, %{{.*}} seed %{{.*}} rounding<stochastic_underflow> {stream = 7 : i64} : tensor<8x64xf32>, tensor<f32> -> tensor<8x64x!quant4.log<2, 3, 0>>
  %q2 = quant4.quantize %x, %s seed %seed rounding<stochastic_underflow> {stream = 7}
      : tensor<8x64xf32>, tensor<f32> -> tensor<8x64x!quant4.log<2, 3, 0>>
  // CHECK: quant4.quantize %{{.*}}, %{{.*}} rounding<nearest_even> granularity<axis = 1> : tensor<8x64xf32>, tensor<64xf32> -> tensor<8x64x!quant4.int<4>>
  %q3 = quant4.quantize %x, %sa rounding<nearest_even> granularity<axis = 1>
      : tensor<8x64xf32>, tensor<64xf32> -> tensor<8x64x!quant4.int<4>>
  // CHECK: quant4.quantize %{{.*}}, %{{.*}} rounding<nearest> granularity<block = [1, 32]> : tensor<8x64xf32>, tensor<8x2xf8E8M0FNU> -> tensor<8x64xf4E2M1FN>
  %q4 = quant4.quantize %x, %mx rounding<nearest> granularity<block = [1, 32]>
      : tensor<8x64xf32>, tensor<8x2xf8E8M0FNU> -> tensor<8x64xf4E2M1FN>
  // CHECK: quant4.quantize %{{.*}}, %{{.*}} tensor_scale %{{.*}} seed %{{.*}} rounding<stochastic> granularity<block = [1, 16]> : tensor<8x64xf32>, tensor<8x4xf8E4M3FN>, tensor<f32> -> tensor<8x64xf4E2M1FN>
  %q5 = quant4.quantize %x, %nv tensor_scale %ts seed %seed rounding<stochastic>
      granularity<block = [1, 16]>
      : tensor<8x64xf32>, tensor<8x4xf8E4M3FN>, tensor<f32> -> tensor<8x64xf4E2M1FN>
  // CHECK: quant4.dequantize %[[Q]], %{{.*}} : tensor<8x64x!quant4.log<4, 3, 0>>, tensor<f32> -> tensor<8x64xf32>
  %d = quant4.dequantize %q, %s
      : tensor<8x64x!quant4.log<4, 3, 0>>, tensor<f32> -> tensor<8x64xf32>
  // CHECK: quant4.dequantize %{{.*}}, %{{.*}} tensor_scale %{{.*}} granularity<block = [1, 16]> : tensor<8x64xf4E2M1FN>, tensor<8x4xf8E4M3FN>, tensor<f32> -> tensor<8x64xbf16>
  %d2 = quant4.dequantize %q5, %nv tensor_scale %ts granularity<block = [1, 16]>
      : tensor<8x64xf4E2M1FN>, tensor<8x4xf8E4M3FN>, tensor<f32> -> tensor<8x64xbf16>
  // CHECK: quant4.fake_quant %{{.*}}, %{{.*}} to f8E5M2 rounding<nearest_even> : tensor<8x64xf32>, tensor<f32>
  %f = quant4.fake_quant %x, %s to f8E5M2 rounding<nearest_even>
      : tensor<8x64xf32>, tensor<f32>
  // CHECK: quant4.fake_quant %{{.*}}, %{{.*}} seed %{{.*}} to !quant4.uint<4> rounding<stochastic> granularity<axis = 1> {stream = 2 : i64} : tensor<8x64xf32>, tensor<64xf32>
  %f2 = quant4.fake_quant %x, %sa seed %seed to !quant4.uint<4> rounding<stochastic>
      granularity<axis = 1> {stream = 2} : tensor<8x64xf32>, tensor<64xf32>
  // CHECK: quant4.dropout %{{.*}} seed %{{.*}} ratio 2.500000e-01 {stream = 1099511627776 : i64} : tensor<8x64xf32>
  %r = quant4.dropout %x seed %seed ratio 0.25 {stream = 1099511627776} : tensor<8x64xf32>
  // CHECK: quant4.dropout %{{.*}} seed %{{.*}} ratio 5.000000e-01 : tensor<8x64xf32>
  %r2 = quant4.dropout %x seed %seed ratio 0.5 : tensor<8x64xf32>
  return
}

// CHECK-LABEL: func.func @scale_ops
func.func @scale_ops(%x: tensor<8x64xf32>, %s0: tensor<f32>,
                     %h0: tensor<16xf32>, %alpha: tensor<f32>) {
  // CHECK: quant4.scale #quant4.amax %{{.*}} for !quant4.int<4> : tensor<8x64xf32> -> tensor<f32>
  %a = quant4.scale #quant4.amax %x for !quant4.int<4> : tensor<8x64xf32> -> tensor<f32>
  // CHECK: quant4.scale #quant4.amax<pow2> %{{.*}} for !quant4.log<4, 3, 0> granularity<axis = 0> : tensor<8x64xf32> -> tensor<8xf32>
  %a2 = quant4.scale #quant4.amax<pow2> %x for !quant4.log<4, 3, 0>
      granularity<axis = 0> : tensor<8x64xf32> -> tensor<8xf32>
  // CHECK: quant4.scale #quant4.gradscale %{{.*}} state(%{{.*}} : tensor<f32>) for !quant4.log<4, 3, 0> : tensor<8x64xf32> -> tensor<f32>
  %g = quant4.scale #quant4.gradscale %x state(%s0 : tensor<f32>)
      for !quant4.log<4, 3, 0> : tensor<8x64xf32> -> tensor<f32>
  // CHECK: quant4.scale #quant4.delayed<history = 16> %{{.*}} state(%{{.*}}, %{{.*}} : tensor<16xf32>, tensor<f32>) for f8E4M3FN : tensor<8x64xf32> -> tensor<f32>, tensor<16xf32>
  %d, %h1 = quant4.scale #quant4.delayed<history = 16> %x
      state(%h0, %s0 : tensor<16xf32>, tensor<f32>) for f8E4M3FN
      : tensor<8x64xf32> -> tensor<f32>, tensor<16xf32>
  // CHECK: quant4.scale #quant4.sawb %{{.*}} for !quant4.int<4> : tensor<8x64xf32> -> tensor<f32>
  %w = quant4.scale #quant4.sawb %x for !quant4.int<4> : tensor<8x64xf32> -> tensor<f32>
  // CHECK: quant4.scale #quant4.pact %{{.*}} state(%{{.*}} : tensor<f32>) for !quant4.uint<4> : tensor<8x64xf32> -> tensor<f32>
  %p = quant4.scale #quant4.pact %x state(%alpha : tensor<f32>) for !quant4.uint<4>
      : tensor<8x64xf32> -> tensor<f32>
  // CHECK: quant4.scale #quant4.block<scale = f8E8M0FNU> %{{.*}} for f4E2M1FN granularity<block = [1, 32]> : tensor<8x64xf32> -> tensor<8x2xf8E8M0FNU>
  %mx = quant4.scale #quant4.block<scale = f8E8M0FNU> %x for f4E2M1FN
      granularity<block = [1, 32]> : tensor<8x64xf32> -> tensor<8x2xf8E8M0FNU>
  // CHECK: quant4.scale #quant4.block<scale = f8E4M3FN, tensor_scale> %{{.*}} for f4E2M1FN granularity<block = [16, 16]> : tensor<8x64xf32> -> tensor<1x4xf8E4M3FN>, tensor<f32>
  %nv, %nvt = quant4.scale #quant4.block<scale = f8E4M3FN, tensor_scale> %x
      for f4E2M1FN granularity<block = [16, 16]>
      : tensor<8x64xf32> -> tensor<1x4xf8E4M3FN>, tensor<f32>
  return
}

// CHECK-LABEL: func.func @gemm_ops
func.func @gemm_ops(%a: tensor<8x64x!quant4.uint<4>>, %b: tensor<64x16x!quant4.int<4>>,
                    %g: tensor<8x16x!quant4.log<4, 3, 1>>, %s: tensor<f32>,
                    %sn: tensor<64xf32>,
                    %x: tensor<2x9x9x3x!quant4.uint<4>>, %k: tensor<3x3x3x4x!quant4.int<4>>,
                    %sk: tensor<4xf32>,
                    %ma: tensor<8x64xf4E2M1FN>, %mb: tensor<64x16xf4E2M1FN>,
                    %msa: tensor<8x4xf8E4M3FN>, %msb: tensor<4x1xf8E4M3FN>) {
  // CHECK: quant4.matmul %{{.*}}, %{{.*}} scales(%{{.*}}, %{{.*}}) acc<f16> : tensor<8x64x!quant4.uint<4>>, tensor<64x16x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<8x16xf32>
  %y = quant4.matmul %a, %b scales(%s, %s) acc<f16>
      : tensor<8x64x!quant4.uint<4>>, tensor<64x16x!quant4.int<4>>, tensor<f32>, tensor<f32>
      -> tensor<8x16xf32>
  // dgrad: dX = dY · Wᵀ, with the weights' transpose as an attribute.
  // CHECK: quant4.matmul %{{.*}}, %{{.*}} scales(%{{.*}}, %{{.*}}) acc<exact> {rhs_granularity = #quant4.granularity<axis = 0>, transpose_rhs} : tensor<8x16x!quant4.log<4, 3, 1>>, tensor<64x16x!quant4.int<4>>, tensor<f32>, tensor<64xf32> -> tensor<8x64xf32>
  %dx = quant4.matmul %g, %b scales(%s, %sn) acc<exact>
      {rhs_granularity = #quant4.granularity<axis = 0>, transpose_rhs}
      : tensor<8x16x!quant4.log<4, 3, 1>>, tensor<64x16x!quant4.int<4>>, tensor<f32>,
        tensor<64xf32> -> tensor<8x64xf32>
  // CHECK: quant4.matmul {{.*}} acc<f16_chunked, 32> {transpose_lhs}
  %dw = quant4.matmul %a, %g scales(%s, %s) acc<f16_chunked, 32> {transpose_lhs}
      : tensor<8x64x!quant4.uint<4>>, tensor<8x16x!quant4.log<4, 3, 1>>, tensor<f32>,
        tensor<f32> -> tensor<64x16xf32>
  // NVFP4: 16-element blocks along K with per-tensor FP32 scales.
  // CHECK: quant4.matmul %{{.*}}, %{{.*}} scales(%{{.*}}, %{{.*}}) tensor_scales(%{{.*}}, %{{.*}}) acc<f32> {lhs_granularity = #quant4.granularity<block = [1, 16]>, rhs_granularity = #quant4.granularity<block = [16, 16]>}
  %nv = quant4.matmul %ma, %mb scales(%msa, %msb) tensor_scales(%s, %s) acc<f32>
      {lhs_granularity = #quant4.granularity<block = [1, 16]>,
       rhs_granularity = #quant4.granularity<block = [16, 16]>}
      : tensor<8x64xf4E2M1FN>, tensor<64x16xf4E2M1FN>, tensor<8x4xf8E4M3FN>,
        tensor<4x1xf8E4M3FN>, tensor<f32>, tensor<f32> -> tensor<8x16xf32>
  // CHECK: quant4.conv2d %{{.*}}, %{{.*}} scales(%{{.*}}, %{{.*}}) acc<f16> {filter_granularity = #quant4.granularity<axis = 3>, strides = array<i64: 2, 2>} : tensor<2x9x9x3x!quant4.uint<4>>, tensor<3x3x3x4x!quant4.int<4>>, tensor<f32>, tensor<4xf32> -> tensor<2x4x4x4xf32>
  %c = quant4.conv2d %x, %k scales(%s, %sk) acc<f16>
      {filter_granularity = #quant4.granularity<axis = 3>, strides = array<i64: 2, 2>}
      : tensor<2x9x9x3x!quant4.uint<4>>, tensor<3x3x3x4x!quant4.int<4>>, tensor<f32>,
        tensor<4xf32> -> tensor<2x4x4x4xf32>
  // CHECK: quant4.conv2d {{.*}} acc<f32> {dilations = array<i64: 2, 2>}
  %c2 = quant4.conv2d %x, %k scales(%s, %s) acc<f32> {dilations = array<i64: 2, 2>}
      : tensor<2x9x9x3x!quant4.uint<4>>, tensor<3x3x3x4x!quant4.int<4>>, tensor<f32>,
        tensor<f32> -> tensor<2x5x5x4xf32>
  return
}

// CHECK-LABEL: func.func @constant
// CHECK: quant4.constant dense<[0, 1, 7, 15]> : tensor<4xui8> -> tensor<4x!quant4.log<4, 3, 0>>
func.func @constant() -> tensor<4x!quant4.log<4, 3, 0>> {
  %c = quant4.constant dense<[0, 1, 7, 15]> : tensor<4xui8> -> tensor<4x!quant4.log<4, 3, 0>>
  return %c : tensor<4x!quant4.log<4, 3, 0>>
}

// CHECK-LABEL: func.func @pact_calibrate
// CHECK: quant4.pact_calibrate %{{.*}}, %{{.*}} for !quant4.uint<4> : tensor<8x32xf32>
func.func @pact_calibrate(%x: tensor<8x32xf32>, %a: tensor<f32>) -> tensor<f32> {
  %r = quant4.pact_calibrate %x, %a for !quant4.uint<4> : tensor<8x32xf32>
  return %r : tensor<f32>
}
