// quant4.scale under every policy, and quantize/dequantize with per-axis and
// per-block scales (f32 blocks, MX E8M0 blocks, NVFP4 two-level blocks), on
// the CPU; compared byte for byte with quant4-ref (Numerics called directly).
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 6x12 --logrand 5 --lo -8 --hi 5
// RUN: quant4-ref gen %t/prev.npy --dtype float32 --values 0.125
// RUN: quant4-ref gen %t/hist.npy --dtype float32 --shape 4 --values 3,0,96,1
// RUN: quant4-ref gen %t/old.npy --dtype float32 --values 2
// RUN: quant4-ref gen %t/alpha.npy --dtype float32 --values 6.5
//
// RUN: quant4-run %s --entry policies --input %t/x.npy --input %t/prev.npy --input %t/hist.npy --input %t/old.npy --input %t/alpha.npy --output-dir %t/p
// RUN: quant4-ref scale %t/x.npy %t/r.npy --policy amax --format int4
// RUN: cmp %t/p/result0.npy %t/r.npy
// RUN: quant4-ref scale %t/x.npy %t/r.npy --policy amax_pow2 --format "log<4,3,0>"
// RUN: cmp %t/p/result1.npy %t/r.npy
// RUN: quant4-ref scale %t/x.npy %t/prev.npy %t/r.npy --policy gradscale --format "log<4,3,0>"
// RUN: cmp %t/p/result2.npy %t/r.npy
// RUN: quant4-ref scale %t/x.npy %t/hist.npy %t/old.npy %t/r.npy %t/r2.npy --policy delayed:1 --format e4m3
// RUN: cmp %t/p/result3.npy %t/r.npy
// RUN: cmp %t/p/result4.npy %t/r2.npy
// RUN: quant4-ref scale %t/x.npy %t/r.npy --policy sawb --format int4
// RUN: cmp %t/p/result5.npy %t/r.npy
// RUN: quant4-ref scale %t/x.npy %t/alpha.npy %t/r.npy --policy pact --format uint4
// RUN: cmp %t/p/result6.npy %t/r.npy
// RUN: quant4-ref scale %t/x.npy %t/r.npy --policy amax --format int4 --granularity axis:1
// RUN: cmp %t/p/result7.npy %t/r.npy
func.func @policies(%x: tensor<6x12xf32>, %prev: tensor<f32>,
                    %hist: tensor<4xf32>, %old: tensor<f32>, %alpha: tensor<f32>)
    -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<4xf32>,
        tensor<f32>, tensor<f32>, tensor<12xf32>) {
  %0 = quant4.scale #quant4.amax %x for !quant4.int<4> : tensor<6x12xf32> -> tensor<f32>
  %1 = quant4.scale #quant4.amax<pow2> %x for !quant4.log<4, 3, 0> : tensor<6x12xf32> -> tensor<f32>
  %2 = quant4.scale #quant4.gradscale %x state(%prev : tensor<f32>) for !quant4.log<4, 3, 0> : tensor<6x12xf32> -> tensor<f32>
  %3, %4 = quant4.scale #quant4.delayed<history = 4, margin = 1> %x state(%hist, %old : tensor<4xf32>, tensor<f32>) for f8E4M3FN : tensor<6x12xf32> -> tensor<f32>, tensor<4xf32>
  %5 = quant4.scale #quant4.sawb %x for !quant4.int<4> : tensor<6x12xf32> -> tensor<f32>
  %6 = quant4.scale #quant4.pact %x state(%alpha : tensor<f32>) for !quant4.uint<4> : tensor<6x12xf32> -> tensor<f32>
  %7 = quant4.scale #quant4.amax %x for !quant4.int<4> granularity<axis = 1> : tensor<6x12xf32> -> tensor<12xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<12xf32>
}

// Block scales computed in the graph, then used to quantize and dequantize.
// RUN: quant4-run %s --entry blocks --input %t/x.npy --output-dir %t/b
// MX: E8M0 block scales over blocks of 2x4 (ragged), E2M1 elements.
// RUN: quant4-ref scale %t/x.npy %t/mx_s.npy --policy block --scale-format e8m0 --format e2m1 --granularity block:2,5
// RUN: cmp %t/b/result0.npy %t/mx_s.npy
// RUN: quant4-ref quantize %t/x.npy %t/mx_s.npy %t/mx_q.npy --format e2m1 --rounding nearest_even --granularity block:2,5 --scale-format e8m0
// RUN: cmp %t/b/result1.npy %t/mx_q.npy
// RUN: quant4-ref dequantize %t/mx_q.npy %t/mx_s.npy %t/r.npy --format e2m1 --granularity block:2,5 --scale-format e8m0
// RUN: cmp %t/b/result2.npy %t/r.npy
// NVFP4: E4M3 block scales of 1x4 plus a per-tensor FP32 scale.
// RUN: quant4-ref scale %t/x.npy %t/nv_s.npy %t/nv_t.npy --policy block --scale-format e4m3 --format e2m1 --granularity block:1,4 --tensor-scale-out
// RUN: cmp %t/b/result3.npy %t/nv_s.npy
// RUN: cmp %t/b/result4.npy %t/nv_t.npy
// RUN: quant4-ref quantize %t/x.npy %t/nv_s.npy %t/nv_q.npy --format e2m1 --rounding stochastic --seed 9 --stream 2 --granularity block:1,4 --scale-format e4m3 --tensor-scale %t/nv_t.npy
// RUN: cmp %t/b/result5.npy %t/nv_q.npy
// RUN: quant4-ref dequantize %t/nv_q.npy %t/nv_s.npy %t/r.npy --format e2m1 --granularity block:1,4 --scale-format e4m3 --tensor-scale %t/nv_t.npy
// RUN: cmp %t/b/result6.npy %t/r.npy
// f32 block scales (amax per block) and a fake_quant with them.
// RUN: quant4-ref scale %t/x.npy %t/f_s.npy --policy block --scale-format f32 --format int4 --granularity block:3,3
// RUN: cmp %t/b/result7.npy %t/f_s.npy
// RUN: quant4-ref fake_quant %t/x.npy %t/f_s.npy %t/r.npy --format int4 --rounding nearest --granularity block:3,3
// RUN: cmp %t/b/result8.npy %t/r.npy
func.func @blocks(%x: tensor<6x12xf32>)
    -> (tensor<3x3xf8E8M0FNU>, tensor<6x12xf4E2M1FN>, tensor<6x12xf32>,
        tensor<6x3xf8E4M3FN>, tensor<f32>, tensor<6x12xf4E2M1FN>, tensor<6x12xf32>,
        tensor<2x4xf32>, tensor<6x12xf32>) {
  %ms = quant4.scale #quant4.block<scale = f8E8M0FNU> %x for f4E2M1FN granularity<block = [2, 5]> : tensor<6x12xf32> -> tensor<3x3xf8E8M0FNU>
  %mq = quant4.quantize %x, %ms rounding<nearest_even> granularity<block = [2, 5]> : tensor<6x12xf32>, tensor<3x3xf8E8M0FNU> -> tensor<6x12xf4E2M1FN>
  %md = quant4.dequantize %mq, %ms granularity<block = [2, 5]> : tensor<6x12xf4E2M1FN>, tensor<3x3xf8E8M0FNU> -> tensor<6x12xf32>
  %ns, %nt = quant4.scale #quant4.block<scale = f8E4M3FN, tensor_scale> %x for f4E2M1FN granularity<block = [1, 4]> : tensor<6x12xf32> -> tensor<6x3xf8E4M3FN>, tensor<f32>
  %seed = arith.constant 9 : i64
  %nq = quant4.quantize %x, %ns tensor_scale %nt seed %seed rounding<stochastic> granularity<block = [1, 4]> {stream = 2} : tensor<6x12xf32>, tensor<6x3xf8E4M3FN>, tensor<f32> -> tensor<6x12xf4E2M1FN>
  %nd = quant4.dequantize %nq, %ns tensor_scale %nt granularity<block = [1, 4]> : tensor<6x12xf4E2M1FN>, tensor<6x3xf8E4M3FN>, tensor<f32> -> tensor<6x12xf32>
  %fs = quant4.scale #quant4.block<scale = f32> %x for !quant4.int<4> granularity<block = [3, 3]> : tensor<6x12xf32> -> tensor<2x4xf32>
  %fq = quant4.fake_quant %x, %fs to !quant4.int<4> rounding<nearest> granularity<block = [3, 3]> : tensor<6x12xf32>, tensor<2x4xf32>
  return %ms, %mq, %md, %ns, %nt, %nq, %nd, %fs, %fq : tensor<3x3xf8E8M0FNU>, tensor<6x12xf4E2M1FN>, tensor<6x12xf32>, tensor<6x3xf8E4M3FN>, tensor<f32>, tensor<6x12xf4E2M1FN>, tensor<6x12xf32>, tensor<2x4xf32>, tensor<6x12xf32>
}

// E4M3 block scales without a tensor scale: e4m3BlockScaleCode(amax_block /
// max(fmt)), never the zero code (C38). Blocks of 1x4 that are all zero
// (with a -0), that underflow E4M3 (tiny amax), that hold a NaN, and
// ordinary ones: the all-zero and underflowing blocks take code 0x01 (2^-9).
// RUN: quant4-ref gen %t/e.npy --dtype float32 --shape 3x8 --values 1,2,-3,0.5,0,-0,0,0,1e-30,-2e-30,0,1e-31,7,-100,0.01,3,nan,1,2,3,448,5000,-1,0.25
// RUN: quant4-run %s --entry e4m3blocks --input %t/e.npy --output-dir %t/e
// RUN: quant4-ref scale %t/e.npy %t/e_s.npy --policy block --scale-format e4m3 --format e2m1 --granularity block:1,4
// RUN: cmp %t/e/result0.npy %t/e_s.npy
// RUN: quant4-ref quantize %t/e.npy %t/e_s.npy %t/e_q.npy --format e2m1 --rounding nearest_even --granularity block:1,4 --scale-format e4m3
// RUN: cmp %t/e/result1.npy %t/e_q.npy
// RUN: quant4-ref dequantize %t/e_q.npy %t/e_s.npy %t/r.npy --format e2m1 --granularity block:1,4 --scale-format e4m3
// RUN: cmp %t/e/result2.npy %t/r.npy
// By hand: amax 3 -> 3/6 = 0.5 (0x30); all zero -> 0x01; 2e-30/6 underflows
// -> 0x01; 100/6 = 16.67 -> 16 (0x58); NaN -> 0x7F; 5000/6 -> 448 (0x7E).
// RUN: quant4-ref gen %t/e_s_hand.npy --dtype uint8 --shape 3x2 --values 48,1,1,88,127,126
// RUN: cmp %t/e/result0.npy %t/e_s_hand.npy
func.func @e4m3blocks(%x: tensor<3x8xf32>)
    -> (tensor<3x2xf8E4M3FN>, tensor<3x8xf4E2M1FN>, tensor<3x8xf32>) {
  %s = quant4.scale #quant4.block<scale = f8E4M3FN> %x for f4E2M1FN granularity<block = [1, 4]> : tensor<3x8xf32> -> tensor<3x2xf8E4M3FN>
  %q = quant4.quantize %x, %s rounding<nearest_even> granularity<block = [1, 4]> : tensor<3x8xf32>, tensor<3x2xf8E4M3FN> -> tensor<3x8xf4E2M1FN>
  %d = quant4.dequantize %q, %s granularity<block = [1, 4]> : tensor<3x8xf4E2M1FN>, tensor<3x2xf8E4M3FN> -> tensor<3x8xf32>
  return %s, %q, %d : tensor<3x2xf8E4M3FN>, tensor<3x8xf4E2M1FN>, tensor<3x8xf32>
}

// Per-axis scales on dequantize, axis 0.
// RUN: quant4-ref gen %t/c.npy --dtype uint8 --shape 6x12 --codes 8 --bits 4
// RUN: quant4-ref gen %t/sa.npy --dtype float32 --shape 6 --values 0.5,1,2,0.25,3,0.0625
// RUN: quant4-run %s --entry axis --input %t/c.npy --input %t/sa.npy --output-dir %t/a
// RUN: quant4-ref dequantize %t/c.npy %t/sa.npy %t/r.npy --format "log<4,3,0>" --granularity axis:0
// RUN: cmp %t/a/result0.npy %t/r.npy
func.func @axis(%c: tensor<6x12x!quant4.log<4, 3, 0>>, %s: tensor<6xf32>) -> tensor<6x12xf32> {
  %0 = quant4.dequantize %c, %s granularity<axis = 0> : tensor<6x12x!quant4.log<4, 3, 0>>, tensor<6xf32> -> tensor<6x12xf32>
  return %0 : tensor<6x12xf32>
}
