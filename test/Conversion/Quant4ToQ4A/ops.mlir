// RUN: quant4-opt %s --split-input-file --convert-quant4-to-q4a | FileCheck %s
// RUN: quant4-opt %s --split-input-file --convert-quant4-to-q4a="sp-size=4096" | FileCheck %s --check-prefix=SMALL

// Stochastic, per-axis quantization with a seed argument; GradScale.
// CHECK-LABEL: q4a.program @quant_axis
// CHECK-SAME: inputs([#q4a.tensor<"arg0", 0, tensor<4x8xf32>>, #q4a.tensor<"arg1", 128, tensor<8xf32>>, #q4a.tensor<"arg2", 192, tensor<i64>>, #q4a.tensor<"arg3", 256, tensor<f32>>])
// CHECK-SAME: outputs([#q4a.tensor<"result0", {{[0-9]+}}, tensor<4x8x!quant4.log<4, 3, 1>>>, #q4a.tensor<"result1", {{[0-9]+}}, tensor<f32>>])
// CHECK: q4a.xld xd = x1
// CHECK: q4a.li xd = x2, imm = 7
// The scale index of element g is (g / 1) mod 8: x3 = 1 | 8 << 32.
// CHECK: q4a.li xd = x3, imm = 34359738369
// CHECK: q4a.quant fmt = !quant4.log<4, 3, 1>, rnd = stochastic, n = 32, {{.*}} key = x1, grp = x3, ts = f0
// CHECK: q4a.vred red = amax, axis = all, init = 0, rows = 1, cols = 32
// CHECK: q4a.sgrad fd = f2, fs = f3, fa = f1, fmt = !quant4.log<4, 3, 0>
// CHECK: q4a.halt
func.func @quant_axis(%x: tensor<4x8xf32>, %s: tensor<8xf32>, %seed: i64,
                      %g0: tensor<f32>)
    -> (tensor<4x8x!quant4.log<4, 3, 1>>, tensor<f32>) {
  %q = quant4.quantize %x, %s seed %seed rounding<stochastic> granularity<axis = 1> {stream = 7}
      : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8x!quant4.log<4, 3, 1>>
  %g = quant4.scale #quant4.gradscale %x state(%g0 : tensor<f32>)
      for !quant4.log<4, 3, 0> : tensor<4x8xf32> -> tensor<f32>
  return %q, %g : tensor<4x8x!quant4.log<4, 3, 1>>, tensor<f32>
}

// -----

// Delayed scaling (scale from the old history, then push), SAWB, PACT,
// dequantize and fake_quant.
// CHECK-LABEL: q4a.program @scales
// CHECK: q4a.sdly fd = f2, fs = f3, fmt = f8E4M3FN, pow2 = 0, margin = 1, h = 4
// CHECK-NEXT: q4a.hpush fa = f1, h = 4
// CHECK: q4a.ssawb fd = f2, fmt = !quant4.int<4>, {{.*}} n = 32
// CHECK: q4a.spact fd = f2, fa = f1, fmt = !quant4.uint<4>
// CHECK: q4a.deq fmt = !quant4.int<4>, n = 32
// CHECK: q4a.quant fmt = !quant4.uint<4>, rnd = nearest_even, n = 32
// CHECK-NEXT: q4a.deq fmt = !quant4.uint<4>, n = 32
func.func @scales(%x: tensor<4x8xf32>, %h: tensor<4xf32>, %s0: tensor<f32>,
                  %alpha: tensor<f32>, %q: tensor<4x8x!quant4.int<4>>)
    -> (tensor<f32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %s, %h1 = quant4.scale #quant4.delayed<history = 4, margin = 1> %x
      state(%h, %s0 : tensor<4xf32>, tensor<f32>) for f8E4M3FN
      : tensor<4x8xf32> -> tensor<f32>, tensor<4xf32>
  %w = quant4.scale #quant4.sawb %x for !quant4.int<4> : tensor<4x8xf32> -> tensor<f32>
  %p = quant4.scale #quant4.pact %x state(%alpha : tensor<f32>)
      for !quant4.uint<4> : tensor<4x8xf32> -> tensor<f32>
  %d = quant4.dequantize %q, %w : tensor<4x8x!quant4.int<4>>, tensor<f32> -> tensor<4x8xf32>
  %f = quant4.fake_quant %x, %p to !quant4.uint<4> rounding<nearest_even>
      : tensor<4x8xf32>, tensor<f32>
  return %s, %h1, %w, %p, %d, %f : tensor<f32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A GEMM larger than the array: 40x24 output tiles of 32x32 / 8x32, K split
// into chunks by a small scratchpad; transposed lhs; per-column rhs scales;
// exact accumulation. With the default scratchpad the whole 40-row block of
// A (100x40, transposed: lda = 40) stays in the SP and one B panel feeds the
// MMAs of both row tiles (accumulator tiles 0 and 1, A at +32 elements).
// CHECK-LABEL: q4a.program @gemm
// CHECK: q4a.mcfg fa = !quant4.log<4, 3, 0>, fb = !quant4.int<4>, acc = exact, chunk = 0
// CHECK: q4a.dma_ld sp = [[A:0x[0-9a-f]+]], dram = 0x0, rows = 1, bytes = 4000
// CHECK: q4a.dma_ld sp = [[B:0x[0-9a-f]+]], {{.*}} bytes = 2400
// CHECK: q4a.mma tile = 0, accum = 0, ta = 1, tb = 0, m = 32, n = 24, k = 100, a = [[A]], b = [[B]], lda = 40, ldb = 24
// CHECK-NEXT: q4a.mma tile = 1, accum = 0, ta = 1, tb = 0, m = 8, n = 24, k = 100, {{.*}} b = [[B]], lda = 40, ldb = 24
// CHECK: q4a.mst tile = 0, m = 32, n = 24, {{.*}} sam = 0, {{.*}} sbm = 1
// CHECK: q4a.mst tile = 1, m = 8, n = 24
// SMALL-LABEL: q4a.program @gemm
// SMALL-SAME: sp_size = 4096
// SMALL: q4a.mma tile = 0, accum = 0, ta = 1, tb = 0, m = 32, n = 24, k = [[K:[0-9]+]],
// SMALL: q4a.mma tile = 0, accum = 1, ta = 1, tb = 0, m = 32, n = 24
// SMALL: q4a.mst tile = 0, m = 32, n = 24
func.func @gemm(%a: tensor<100x40x!quant4.log<4, 3, 0>>, %b: tensor<100x24x!quant4.int<4>>,
                %sa: tensor<f32>, %sb: tensor<24xf32>) -> tensor<40x24xf32> {
  %c = quant4.matmul %a, %b scales(%sa, %sb) acc<exact>
      {transpose_lhs, rhs_granularity = #quant4.granularity<axis = 1>}
      : tensor<100x40x!quant4.log<4, 3, 0>>, tensor<100x24x!quant4.int<4>>,
        tensor<f32>, tensor<24xf32> -> tensor<40x24xf32>
  return %c : tensor<40x24xf32>
}

// -----

// Elementwise generic with a select, a per-row max reduction, an f32 matmul.
// CHECK-LABEL: q4a.program @vector
// CHECK: q4a.vop fn = cmp.gt, n = 32
// CHECK-NEXT: q4a.vop fn = sel, n = 32
// CHECK: q4a.vred red = max, axis = row, init = 1, rows = 4, cols = 8
// CHECK: q4a.mcfg fa = f32, fb = f32, acc = f32, chunk = 0
// CHECK: q4a.mma tile = 0, accum = 0, ta = 0, tb = 0, m = 4, n = 4, k = 8
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @vector(%x: tensor<4x8xf32>, %y: tensor<8x4xf32>) -> (tensor<4x8xf32>, tensor<4xf32>, tensor<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
    ^bb0(%a: f32, %o: f32):
      %p = arith.cmpf ogt, %a, %zero : f32
      %s = arith.select %p, %a, %zero : f32
      linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %e4 = tensor.empty() : tensor<4xf32>
  %i4 = linalg.fill ins(%ninf : f32) outs(%e4 : tensor<4xf32>) -> tensor<4xf32>
  %m = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x8xf32>) outs(%i4 : tensor<4xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %mx = arith.maximumf %acc, %a : f32
      linalg.yield %mx : f32
  } -> tensor<4xf32>
  %e44 = tensor.empty() : tensor<4x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e44 : tensor<4x4xf32>) -> tensor<4x4xf32>
  %mm = linalg.matmul ins(%x, %y : tensor<4x8xf32>, tensor<8x4xf32>) outs(%z : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %r, %m, %mm : tensor<4x8xf32>, tensor<4xf32>, tensor<4x4xf32>
}
