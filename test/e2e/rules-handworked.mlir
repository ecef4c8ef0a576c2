// The numerics rules users depend on, run through the real pipeline
// (quant4-run: quant4-cpu-pipeline, the runtime and the fast kernels) and
// compared with values worked out by hand from docs/Formats.md — not with
// quant4-ref's evaluation, which calls the same Numerics library and so
// agrees with the runtime even when a rule is wrong. `quant4-ref print`
// only prints the result files (codes as integers, floats exactly);
// `paste` joins them into one line per result. Every function but
// @block_scales (block-scale policies have no Q4A lowering) also runs on the
// Q4A simulator (convert-quant4-to-q4a, quant4-translate, quant4-sim) and is
// checked against the same constants.
//
// RUN: rm -rf %t && mkdir -p %t

// ---------------------------------------------------------------------------
// Radix-4 nearest rounding (C10, C12, C6, C20) in both Two-Phase-Rounding
// phases. Scale 0.5, so the encoder sees x/s = 2x (exact in float32).
// Phase 0, log<4,3,0> (default bias 4): levels 4^(k-4), k = 1..7
// (1/64, 1/16, 1/4, 1, 4, 16, 64). The NearestLinear threshold between
// 4^(n-1) and 4^n is 2.5*4^(n-1) and a tie goes up (away from zero):
//   x/s              nearest          nearest_even (tie -> even code)
//   2.5-2^-22   -> 4 (1)     below the tie      4
//   2.5         -> 5 (4)     tie up             4 (codes 4|5: even 4)
//   2.5+2^-22   -> 5 (4)     above              5
//  -2.5         -> 13 (-4)   sign bit 8 + 5     12 (-1)
//   0.625       -> 4 (1)     tie 0.25|1         4
//   10          -> 6 (16)    tie 4|16           6
//   40          -> 7 (64)    tie 16|64          6 (codes 6|7: even 6)
//   0.0390625   -> 2 (1/16)  tie 1/64|1/16      2
//   0.0078125   -> 1 (1/64)  tie 0|1/64 (a/2)   0 (zero tie goes to 0)
//   2^-7-2^-31  -> 0         below a/2          0
//   1000        -> 7 (64)    saturates (C9)     7
//  -0           -> 8 (-0)    negative zero (C7) 8
//   10-2^-20    -> 5 (4)     below the tie      5
// Dequantized: decode * 0.5 (C20).
// RUN: quant4-ref gen %t/x0.npy --dtype float32 --shape 13 --values 0x1.3ffffep+0,1.25,0x1.400002p+0,-1.25,0.3125,5,20,0.01953125,0.00390625,0x1.fffffep-9,500,-0.0,0x1.3ffffep+2
// RUN: quant4-ref gen %t/half.npy --dtype float32 --values 0.5
// RUN: quant4-run %s --entry radix4_phase0 --input %t/x0.npy --input %t/half.npy --output-dir %t/p0
// RUN: for i in 0 1 2; do quant4-ref print %t/p0/result$i.npy | paste -sd' ' -; done | FileCheck %s --check-prefix=PHASE0 --match-full-lines
// RUN: quant4-opt %s --convert-quant4-to-q4a=entry=radix4_phase0 --q4a-synchronize | quant4-translate --q4a-to-bin -o %t/p0.q4a
// RUN: quant4-sim %t/p0.q4a --strict-sync --input %t/x0.npy --input %t/half.npy --output-dir %t/p0sim
// RUN: for i in 0 1 2; do quant4-ref print %t/p0sim/result$i.npy | paste -sd' ' -; done | FileCheck %s --check-prefix=PHASE0 --match-full-lines
// PHASE0:      4 5 5 13 4 6 7 2 1 0 7 8 5
// PHASE0-NEXT: 0.5 2 2 -2 0.5 8 32 0.03125 0.0078125 0 32 -0 2
// PHASE0-NEXT: 4 4 5 12 4 6 6 2 0 0 7 8 5
func.func @radix4_phase0(%x: tensor<13xf32>, %s: tensor<f32>)
    -> (tensor<13x!quant4.log<4, 3, 0>>, tensor<13xf32>,
        tensor<13x!quant4.log<4, 3, 0>>) {
  %q = quant4.quantize %x, %s rounding<nearest> : tensor<13xf32>, tensor<f32> -> tensor<13x!quant4.log<4, 3, 0>>
  %d = quant4.dequantize %q, %s : tensor<13x!quant4.log<4, 3, 0>>, tensor<f32> -> tensor<13xf32>
  %e = quant4.quantize %x, %s rounding<nearest_even> : tensor<13xf32>, tensor<f32> -> tensor<13x!quant4.log<4, 3, 0>>
  return %q, %d, %e : tensor<13x!quant4.log<4, 3, 0>>, tensor<13xf32>, tensor<13x!quant4.log<4, 3, 0>>
}

// Phase 1, log<4,3,1>: levels 2*4^(k-4) (1/32, 1/8, 1/2, 2, 8, 32, 128),
// thresholds 2.5*2*4^(n-1) = 5*4^(n-1): 0.078125, 0.3125, 1.25, 5, 20, 80,
// and 1/64 to zero. The same codes as phase 0 at twice the values:
//   x/s: 5-2^-21 -> 4 (2); 5 -> 5 (8); 5+2^-21 -> 5; -5 -> 13 (-8);
//   1.25 -> 4 (2); 20 -> 6 (32); 80 -> 7 (128); 0.078125 -> 2 (1/8);
//   0.015625 -> 1 (1/32); 2^-6-2^-30 -> 0; 1000 -> 7; -0 -> 8; 20-2^-19 -> 5.
// nearest_even sends the ties 5, -5, 80, 0.015625 to the even codes 4, 12,
// 6, 0. Dequantized: decode * 0.5.
// RUN: quant4-ref gen %t/x1.npy --dtype float32 --shape 13 --values 0x1.3ffffep+1,2.5,0x1.400002p+1,-2.5,0.625,10,40,0.0390625,0.0078125,0x1.fffffep-8,500,-0.0,0x1.3ffffep+3
// RUN: quant4-run %s --entry radix4_phase1 --input %t/x1.npy --input %t/half.npy --output-dir %t/p1
// RUN: for i in 0 1 2; do quant4-ref print %t/p1/result$i.npy | paste -sd' ' -; done | FileCheck %s --check-prefix=PHASE1 --match-full-lines
// RUN: quant4-opt %s --convert-quant4-to-q4a=entry=radix4_phase1 --q4a-synchronize | quant4-translate --q4a-to-bin -o %t/p1.q4a
// RUN: quant4-sim %t/p1.q4a --strict-sync --input %t/x1.npy --input %t/half.npy --output-dir %t/p1sim
// RUN: for i in 0 1 2; do quant4-ref print %t/p1sim/result$i.npy | paste -sd' ' -; done | FileCheck %s --check-prefix=PHASE1 --match-full-lines
// PHASE1:      4 5 5 13 4 6 7 2 1 0 7 8 5
// PHASE1-NEXT: 1 4 4 -4 1 16 64 0.0625 0.015625 0 64 -0 4
// PHASE1-NEXT: 4 4 5 12 4 6 6 2 0 0 7 8 5
func.func @radix4_phase1(%x: tensor<13xf32>, %s: tensor<f32>)
    -> (tensor<13x!quant4.log<4, 3, 1>>, tensor<13xf32>,
        tensor<13x!quant4.log<4, 3, 1>>) {
  %q = quant4.quantize %x, %s rounding<nearest> : tensor<13xf32>, tensor<f32> -> tensor<13x!quant4.log<4, 3, 1>>
  %d = quant4.dequantize %q, %s : tensor<13x!quant4.log<4, 3, 1>>, tensor<f32> -> tensor<13xf32>
  %e = quant4.quantize %x, %s rounding<nearest_even> : tensor<13xf32>, tensor<f32> -> tensor<13x!quant4.log<4, 3, 1>>
  return %q, %d, %e : tensor<13x!quant4.log<4, 3, 1>>, tensor<13xf32>, tensor<13x!quant4.log<4, 3, 1>>
}

// ---------------------------------------------------------------------------
// INT4 / UINT4 saturation (C5, C7, C8, C9), nearest, scale 1.
// int4 levels -7..7; anything at or beyond 7 in magnitude saturates to +-7,
// and -7 is code 0b1001 = 9 (two's complement). Code 0b1000 (-8) is never
// produced — not even for -8 itself. NaN -> code 0; -0 -> code 0 (one zero).
//   7 -> 7; 7.4 -> 7; 1e30 -> 7; +inf -> 7; -7 -> 9; -7.5 -> 9; -8 -> 9;
//   -1e30 -> 9; -inf -> 9; nan -> 0; -0 -> 0; 2.5 -> 3 (tie away from 0);
//   -2.5 -> -3 = code 13; -0.5 -> -1 = code 15 (tie away);
//   0.5-2^-25 -> 0.
// Dequantized: the integers (scale 1), -0 and NaN give +0.
// Decoding (C5) of the codes 8, 9, 7, 15: -8 (decodes, never encoded), -7,
// 7, -1.
// uint4 levels 0..15: 15, 15.4, 1e30, +inf -> 15; every negative input
// (-1, -inf, -0, -1e30) and NaN -> 0; 7.5 -> 8 (tie up); 0.5 -> 1;
// 0.5-2^-25 -> 0; 14.5 -> 15 (tie up); 14.5-2^-20 -> 14; 3 -> 3.
// RUN: quant4-ref gen %t/xi.npy --dtype float32 --shape 15 --values 7,7.4,1e30,inf,-7,-7.5,-8,-1e30,-inf,nan,-0.0,2.5,-2.5,-0.5,0x1.fffffep-2
// RUN: quant4-ref gen %t/xu.npy --dtype float32 --shape 15 --values 15,15.4,1e30,inf,-1,-inf,nan,-0.0,7.5,0.5,0x1.fffffep-2,-1e30,14.5,0x1.cffffep+3,3
// RUN: quant4-ref gen %t/ci.npy --dtype uint8 --shape 4 --values 8,9,7,15
// RUN: quant4-ref gen %t/one.npy --dtype float32 --values 1.0
// RUN: quant4-run %s --entry int_saturation --input %t/xi.npy --input %t/xu.npy --input %t/ci.npy --input %t/one.npy --output-dir %t/int
// RUN: for i in 0 1 2 3 4; do quant4-ref print %t/int/result$i.npy | paste -sd' ' -; done | FileCheck %s --check-prefix=INT --match-full-lines
// RUN: quant4-opt %s --convert-quant4-to-q4a=entry=int_saturation --q4a-synchronize | quant4-translate --q4a-to-bin -o %t/int.q4a
// RUN: quant4-sim %t/int.q4a --strict-sync --input %t/xi.npy --input %t/xu.npy --input %t/ci.npy --input %t/one.npy --output-dir %t/intsim
// RUN: for i in 0 1 2 3 4; do quant4-ref print %t/intsim/result$i.npy | paste -sd' ' -; done | FileCheck %s --check-prefix=INT --match-full-lines
// INT:      7 7 7 7 9 9 9 9 9 0 0 3 13 15 0
// INT-NEXT: 7 7 7 7 -7 -7 -7 -7 -7 0 0 3 -3 -1 0
// INT-NEXT: -8 -7 7 -1
// INT-NEXT: 15 15 15 15 0 0 0 0 8 1 0 0 15 14 3
// INT-NEXT: 15 15 15 15 0 0 0 0 8 1 0 0 15 14 3
func.func @int_saturation(%xi: tensor<15xf32>, %xu: tensor<15xf32>,
                          %ci: tensor<4x!quant4.int<4>>, %s: tensor<f32>)
    -> (tensor<15x!quant4.int<4>>, tensor<15xf32>, tensor<4xf32>,
        tensor<15x!quant4.uint<4>>, tensor<15xf32>) {
  %qi = quant4.quantize %xi, %s rounding<nearest> : tensor<15xf32>, tensor<f32> -> tensor<15x!quant4.int<4>>
  %di = quant4.dequantize %qi, %s : tensor<15x!quant4.int<4>>, tensor<f32> -> tensor<15xf32>
  %dc = quant4.dequantize %ci, %s : tensor<4x!quant4.int<4>>, tensor<f32> -> tensor<4xf32>
  %qu = quant4.quantize %xu, %s rounding<nearest> : tensor<15xf32>, tensor<f32> -> tensor<15x!quant4.uint<4>>
  %du = quant4.dequantize %qu, %s : tensor<15x!quant4.uint<4>>, tensor<f32> -> tensor<15xf32>
  return %qi, %di, %dc, %qu, %du : tensor<15x!quant4.int<4>>, tensor<15xf32>, tensor<4xf32>, tensor<15x!quant4.uint<4>>, tensor<15xf32>
}

// ---------------------------------------------------------------------------
// One stochastic-rounding draw (C13, C15) for seed 42, stream 1, indices
// 0..3. C15 defines the draw u as word 0 of Philox4x32-10 with counter
// (index, 0, stream, 0) and key (seed, 0); 10 Philox rounds are not hand
// work, so u comes from Inputs/philox_draws.py, an implementation of the
// published algorithm that checks itself against Random123's known answers
// and shares no code with quant4 (its output is checked here too).
// C13: round up iff u*(b-a) < (m-a)*2^32. For each index the script gives
// the largest float32 m that stays down and the next float32, which goes
// up; the same (seed, stream, index) draws the same u in every op:
//   int4 on (0, 1):       "down" inputs -> code 0, "up" inputs -> code 1;
//   log<4,3,0> on (1, 4): "down" -> code 4 (1.0), "up" -> code 5 (4.0).
// A draw off by more than one float32 step of m*, or a comparison with <=,
// flips one of these.
// RUN: %python %S/Inputs/philox_draws.py 42 1 4 | FileCheck %s --check-prefix=DRAW
// DRAW:      index 0: u = 43202409 (0x02933769)
// DRAW-NEXT:   int4: down at 0x1.499bb4p-7, up at 0x1.499bb6p-7
// DRAW-NEXT:   log4: down at 0x1.07b9a6p+0, up at 0x1.07b9a8p+0
// DRAW-NEXT: index 1: u = 553619769 (0x20ff9139)
// DRAW-NEXT:   int4: down at 0x1.07fc88p-3, up at 0x1.07fc8ap-3
// DRAW-NEXT:   log4: down at 0x1.62feb2p+0, up at 0x1.62feb4p+0
// DRAW-NEXT: index 2: u = 913916025 (0x36794079)
// DRAW-NEXT:   int4: down at 0x1.b3ca02p-3, up at 0x1.b3ca04p-3
// DRAW-NEXT:   log4: down at 0x1.a36bcp+0, up at 0x1.a36bc2p+0
// DRAW-NEXT: index 3: u = 512608197 (0x1e8dc7c5)
// DRAW-NEXT:   int4: down at 0x1.e8dc7cp-4, up at 0x1.e8dc7ep-4
// DRAW-NEXT:   log4: down at 0x1.5ba956p+0, up at 0x1.5ba958p+0
// RUN: quant4-ref gen %t/idown.npy --dtype float32 --shape 4 --values 0x1.499bb4p-7,0x1.07fc88p-3,0x1.b3ca02p-3,0x1.e8dc7cp-4
// RUN: quant4-ref gen %t/iup.npy --dtype float32 --shape 4 --values 0x1.499bb6p-7,0x1.07fc8ap-3,0x1.b3ca04p-3,0x1.e8dc7ep-4
// RUN: quant4-ref gen %t/ldown.npy --dtype float32 --shape 4 --values 0x1.07b9a6p+0,0x1.62feb2p+0,0x1.a36bcp+0,0x1.5ba956p+0
// RUN: quant4-ref gen %t/lup.npy --dtype float32 --shape 4 --values 0x1.07b9a8p+0,0x1.62feb4p+0,0x1.a36bc2p+0,0x1.5ba958p+0
// RUN: quant4-run %s --entry stochastic_draw --input %t/idown.npy --input %t/iup.npy --input %t/ldown.npy --input %t/lup.npy --input %t/one.npy --output-dir %t/sr
// RUN: for i in 0 1 2 3; do quant4-ref print %t/sr/result$i.npy | paste -sd' ' -; done | FileCheck %s --check-prefix=SR --match-full-lines
// RUN: quant4-opt %s --convert-quant4-to-q4a=entry=stochastic_draw --q4a-synchronize | quant4-translate --q4a-to-bin -o %t/sr.q4a
// RUN: quant4-sim %t/sr.q4a --strict-sync --input %t/idown.npy --input %t/iup.npy --input %t/ldown.npy --input %t/lup.npy --input %t/one.npy --output-dir %t/srsim
// RUN: for i in 0 1 2 3; do quant4-ref print %t/srsim/result$i.npy | paste -sd' ' -; done | FileCheck %s --check-prefix=SR --match-full-lines
// SR:      0 0 0 0
// SR-NEXT: 1 1 1 1
// SR-NEXT: 4 4 4 4
// SR-NEXT: 5 5 5 5
// quant4-run --seed S adds S to the IR's seed (docs/Lowering.md): seed 41 + 1
// is the same key, so the same codes.
// RUN: quant4-run %s --entry stochastic_draw_41 --seed 1 --input %t/idown.npy --input %t/iup.npy --input %t/ldown.npy --input %t/lup.npy --input %t/one.npy --output-dir %t/sr41
// RUN: for i in 0 1 2 3; do quant4-ref print %t/sr41/result$i.npy | paste -sd' ' -; done | FileCheck %s --check-prefix=SR --match-full-lines
func.func @stochastic_draw(%idown: tensor<4xf32>, %iup: tensor<4xf32>,
                           %ldown: tensor<4xf32>, %lup: tensor<4xf32>,
                           %s: tensor<f32>)
    -> (tensor<4x!quant4.int<4>>, tensor<4x!quant4.int<4>>,
        tensor<4x!quant4.log<4, 3, 0>>, tensor<4x!quant4.log<4, 3, 0>>) {
  %seed = arith.constant 42 : i64
  %0 = quant4.quantize %idown, %s seed %seed rounding<stochastic> {stream = 1} : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.int<4>>
  %1 = quant4.quantize %iup, %s seed %seed rounding<stochastic> {stream = 1} : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.int<4>>
  %2 = quant4.quantize %ldown, %s seed %seed rounding<stochastic> {stream = 1} : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.log<4, 3, 0>>
  %3 = quant4.quantize %lup, %s seed %seed rounding<stochastic> {stream = 1} : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.log<4, 3, 0>>
  return %0, %1, %2, %3 : tensor<4x!quant4.int<4>>, tensor<4x!quant4.int<4>>, tensor<4x!quant4.log<4, 3, 0>>, tensor<4x!quant4.log<4, 3, 0>>
}
func.func @stochastic_draw_41(%idown: tensor<4xf32>, %iup: tensor<4xf32>,
                              %ldown: tensor<4xf32>, %lup: tensor<4xf32>,
                              %s: tensor<f32>)
    -> (tensor<4x!quant4.int<4>>, tensor<4x!quant4.int<4>>,
        tensor<4x!quant4.log<4, 3, 0>>, tensor<4x!quant4.log<4, 3, 0>>) {
  %seed = arith.constant 41 : i64
  %0 = quant4.quantize %idown, %s seed %seed rounding<stochastic> {stream = 1} : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.int<4>>
  %1 = quant4.quantize %iup, %s seed %seed rounding<stochastic> {stream = 1} : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.int<4>>
  %2 = quant4.quantize %ldown, %s seed %seed rounding<stochastic> {stream = 1} : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.log<4, 3, 0>>
  %3 = quant4.quantize %lup, %s seed %seed rounding<stochastic> {stream = 1} : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.log<4, 3, 0>>
  return %0, %1, %2, %3 : tensor<4x!quant4.int<4>>, tensor<4x!quant4.int<4>>, tensor<4x!quant4.log<4, 3, 0>>, tensor<4x!quant4.log<4, 3, 0>>
}

// ---------------------------------------------------------------------------
// Block scales (C37, C38, "Block-scale policy"), E2M1 elements, blocks of 4
// along a 1x20 row, element rounding nearest_even:
//   block 0: 2688 0 0 0            block 1: 13 1 -2 0.5
//   block 2: 0 0 0 0               block 3: 2^-8 3*2^-10 2^-11 -2^-9
//   block 4: 8-2^-21 0 0 0
// NVFP4 (E4M3 scales + tensor scale): s_t = amax/(6*448) = 2688/2688 = 1.
// Block scale = E4M3 nearest-even of (amax_b/6)/s_t, except that the zero
// code becomes 0x01 (2^-9) — the floor that keeps every block scale valid:
//   b0: 448 -> 0x7E = 126           b1: 2.1667 -> 2.25 = 0x41 = 65
//   b2: 0 -> code 0 -> floor 0x01   b3: 2^-8/6 = 0.00065 < 2^-10 (half of
//   the smallest subnormal 2^-9) -> code 0 -> floor 0x01
//   b4: 1.3333 -> between 1.3125 and 1.375 (step 1/8) -> 1.375 = 0x3B = 59
// Elements x/(scale*s_t), E2M1 nearest_even:
//   b0 /448: 6 0 0 0 -> 7 0 0 0
//   b1 /2.25: 5.78 -> 6 (7), 0.44 -> 0.5 (1), -0.89 -> -1 (code 10),
//             0.22 -> 0 (0)
//   b2: zeros           b3 /2^-9: 2 (4), 1.5 (3), 0.25 tie -> 0 (0), -1 (10)
//   b4 /1.375: 5.82 -> 6 (7)
// Dequantized (decode * scale) * s_t: 2688 0 0 0 | 13.5 1.125 -2.25 0 |
//   0 0 0 0 | 2^-8 3*2^-10 0 -2^-9 | 8.25 0 0 0.
// E4M3 scales without a tensor scale: E4M3(amax_b/6), never the zero code:
// the same five codes.
// MX (E8M0 scales): shared_exp = floor(log2 amax_b) - 2, code + 127:
//   b0: floor(log2 2688) = 11 -> 9 -> 136   b1: 13 -> 3 -> 1 -> 128
//   b2: all zero -> code 0 (2^-127)       b3: 2^-8 -> -10 -> 117
//   b4: floor(log2(8-2^-21)) = 2 -> 0 -> 127 (just below 8: one binade
//       lower, and its element clips to 6)
// Elements: b0 /512: 5.25 -> 6 (7); b1 /2: 6.5 -> saturates 6 (7), 0.5 (1),
//   -1 (10), 0.25 tie -> 0 (0); b3 /2^-10: 4 (6), 3 (5), 0.5 (1), -2 (12);
//   b4 /1: 7.99 -> saturates 6 (7).
// Dequantized: 3072 0 0 0 | 12 1 -2 0 | 0 0 0 0 | 2^-8 3*2^-10 2^-11 -2^-9 |
//   6 0 0 0.
// RUN: quant4-ref gen %t/xb.npy --dtype float32 --shape 1x20 --values 2688,0,0,0,13,1,-2,0.5,0,0,0,0,0x1p-8,0x1.8p-9,0x1p-11,-0x1p-9,0x1.fffffep+2,0,0,0
// RUN: quant4-run %s --entry block_scales --input %t/xb.npy --output-dir %t/blk
// RUN: for i in 0 1 2 3 4 5 6 7; do quant4-ref print %t/blk/result$i.npy | paste -sd' ' -; done | FileCheck %s --check-prefix=BLOCK --match-full-lines
// BLOCK:      126 65 1 1 59
// BLOCK-NEXT: 1
// BLOCK-NEXT: 7 0 0 0 7 1 10 0 0 0 0 0 4 3 0 10 7 0 0 0
// BLOCK-NEXT: 2688 0 0 0 13.5 1.125 -2.25 0 0 0 0 0 0.00390625 0.0029296875 0 -0.001953125 8.25 0 0 0
// BLOCK-NEXT: 126 65 1 1 59
// BLOCK-NEXT: 136 128 0 117 127
// BLOCK-NEXT: 7 0 0 0 7 1 10 0 0 0 0 0 6 5 1 12 7 0 0 0
// BLOCK-NEXT: 3072 0 0 0 12 1 -2 0 0 0 0 0 0.00390625 0.0029296875 0.00048828125 -0.001953125 6 0 0 0
func.func @block_scales(%x: tensor<1x20xf32>)
    -> (tensor<1x5xf8E4M3FN>, tensor<f32>, tensor<1x20xf4E2M1FN>,
        tensor<1x20xf32>, tensor<1x5xf8E4M3FN>, tensor<1x5xf8E8M0FNU>,
        tensor<1x20xf4E2M1FN>, tensor<1x20xf32>) {
  %ns, %nt = quant4.scale #quant4.block<scale = f8E4M3FN, tensor_scale> %x for f4E2M1FN granularity<block = [1, 4]> : tensor<1x20xf32> -> tensor<1x5xf8E4M3FN>, tensor<f32>
  %nq = quant4.quantize %x, %ns tensor_scale %nt rounding<nearest_even> granularity<block = [1, 4]> : tensor<1x20xf32>, tensor<1x5xf8E4M3FN>, tensor<f32> -> tensor<1x20xf4E2M1FN>
  %nd = quant4.dequantize %nq, %ns tensor_scale %nt granularity<block = [1, 4]> : tensor<1x20xf4E2M1FN>, tensor<1x5xf8E4M3FN>, tensor<f32> -> tensor<1x20xf32>
  %es = quant4.scale #quant4.block<scale = f8E4M3FN> %x for f4E2M1FN granularity<block = [1, 4]> : tensor<1x20xf32> -> tensor<1x5xf8E4M3FN>
  %ms = quant4.scale #quant4.block<scale = f8E8M0FNU> %x for f4E2M1FN granularity<block = [1, 4]> : tensor<1x20xf32> -> tensor<1x5xf8E8M0FNU>
  %mq = quant4.quantize %x, %ms rounding<nearest_even> granularity<block = [1, 4]> : tensor<1x20xf32>, tensor<1x5xf8E8M0FNU> -> tensor<1x20xf4E2M1FN>
  %md = quant4.dequantize %mq, %ms granularity<block = [1, 4]> : tensor<1x20xf4E2M1FN>, tensor<1x5xf8E8M0FNU> -> tensor<1x20xf32>
  return %ns, %nt, %nq, %nd, %es, %ms, %mq, %md : tensor<1x5xf8E4M3FN>, tensor<f32>, tensor<1x20xf4E2M1FN>, tensor<1x20xf32>, tensor<1x5xf8E4M3FN>, tensor<1x5xf8E8M0FNU>, tensor<1x20xf4E2M1FN>, tensor<1x20xf32>
}

// ---------------------------------------------------------------------------
// FP16 accumulation overflow (C42, C9, C43, C44, C45): log<4,3,0> x
// log<4,3,0>, K = 27, B all code 7 (64), so the products are 64 * a:
// a = 1/4, 1, 4, 16, 64 (codes 3..7) give 16, 64, 256, 1024, 4096; code 15
// (-64) gives -4096; code 0 gives 0.
//   row 0: 16 16 64 64 64 256 256 256 1024 1024 1024, 4096 x15, 0
//          partial sums 16, 32, ..., 4064, 8160, ..., 65504 are all FP16
//          values (multiples of 32 above 32768), so f16 = 65504 = FP16 max.
//   row 1: the same with a last product of 16: 65504 + 16 = 65520 is the
//          tie between 65504 and 2^16; nearest-even picks 2^16 -> +Inf.
//   row 2: 4096 x16 then -4096 x11: the 16th add reaches 2^16 -> +Inf, and
//          Inf - 4096 stays Inf (every add is rounded, C42); the exact sum
//          is 65536 - 45056 = 20480.
//   row 3: -4096 x16, then zeros: -Inf.
// f16_chunked(8): chunks of 8 k summed in FP16, then in float32:
//   row 0: 992 + 23552 + 32768 + 8192 = 65504; row 1: ... + 8208 = 65520;
//   row 2: 32768 + 32768 - 32768 - 12288 = 20480; row 3: -65536.
// f32 and exact: the exact sums 65504, 65520, 20480, -65536.
// Scales are applied after the sum (C45): sa = 0.5, sb = 1 halve every
// result, and an overflowed sum stays +-Inf:
// RUN: quant4-ref gen %t/fa.npy --dtype uint8 --shape 4x27 --values 3,3,4,4,4,5,5,5,6,6,6,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,0,3,3,4,4,4,5,5,5,6,6,6,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,3,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,0,0,0,0,0,0,0,0,0,0,0
// RUN: quant4-ref gen %t/fb.npy --dtype uint8 --shape 27x1 --values 7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7
// RUN: quant4-run %s --entry f16_overflow --input %t/fa.npy --input %t/fb.npy --input %t/half.npy --input %t/one.npy --output-dir %t/f16
// RUN: for i in 0 1 2 3; do quant4-ref print %t/f16/result$i.npy | paste -sd' ' -; done | FileCheck %s --check-prefix=F16 --match-full-lines
// RUN: quant4-opt %s --convert-quant4-to-q4a=entry=f16_overflow --q4a-synchronize | quant4-translate --q4a-to-bin -o %t/f16.q4a
// RUN: quant4-sim %t/f16.q4a --strict-sync --input %t/fa.npy --input %t/fb.npy --input %t/half.npy --input %t/one.npy --output-dir %t/f16sim
// RUN: for i in 0 1 2 3; do quant4-ref print %t/f16sim/result$i.npy | paste -sd' ' -; done | FileCheck %s --check-prefix=F16 --match-full-lines
// F16:      32752 inf inf -inf
// F16-NEXT: 32752 32760 10240 -32768
// F16-NEXT: 32752 32760 10240 -32768
// F16-NEXT: 32752 32760 10240 -32768
func.func @f16_overflow(%a: tensor<4x27x!quant4.log<4, 3, 0>>,
                        %b: tensor<27x1x!quant4.log<4, 3, 0>>,
                        %sa: tensor<f32>, %sb: tensor<f32>)
    -> (tensor<4x1xf32>, tensor<4x1xf32>, tensor<4x1xf32>, tensor<4x1xf32>) {
  %0 = quant4.matmul %a, %b scales(%sa, %sb) acc<f16> : tensor<4x27x!quant4.log<4, 3, 0>>, tensor<27x1x!quant4.log<4, 3, 0>>, tensor<f32>, tensor<f32> -> tensor<4x1xf32>
  %1 = quant4.matmul %a, %b scales(%sa, %sb) acc<f16_chunked, 8> : tensor<4x27x!quant4.log<4, 3, 0>>, tensor<27x1x!quant4.log<4, 3, 0>>, tensor<f32>, tensor<f32> -> tensor<4x1xf32>
  %2 = quant4.matmul %a, %b scales(%sa, %sb) acc<f32> : tensor<4x27x!quant4.log<4, 3, 0>>, tensor<27x1x!quant4.log<4, 3, 0>>, tensor<f32>, tensor<f32> -> tensor<4x1xf32>
  %3 = quant4.matmul %a, %b scales(%sa, %sb) acc<exact> : tensor<4x27x!quant4.log<4, 3, 0>>, tensor<27x1x!quant4.log<4, 3, 0>>, tensor<f32>, tensor<f32> -> tensor<4x1xf32>
  return %0, %1, %2, %3 : tensor<4x1xf32>, tensor<4x1xf32>, tensor<4x1xf32>, tensor<4x1xf32>
}
