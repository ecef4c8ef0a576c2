// quant4.matmul on the CPU for every accumulation mode, several format pairs,
// transposes, per-axis and MX block scales; compared byte for byte with
// quant4-ref (num::referenceGemm). The same runs with 1, 2 and 3 threads
// give identical bytes.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/a.npy --dtype uint8 --shape 7x20 --codes 1 --bits 4
// RUN: quant4-ref gen %t/b.npy --dtype uint8 --shape 20x5 --codes 2 --bits 4
// RUN: quant4-ref gen %t/a64.npy --dtype uint8 --shape 7x64 --codes 11 --bits 4
// RUN: quant4-ref gen %t/b64.npy --dtype uint8 --shape 64x5 --codes 12 --bits 4
// RUN: quant4-ref gen %t/sa.npy --dtype float32 --values 0.375
// RUN: quant4-ref gen %t/sb.npy --dtype float32 --values 1.25
//
// RUN: quant4-run %s --entry acc_int --input %t/a64.npy --input %t/b64.npy --input %t/sa.npy --input %t/sb.npy --output-dir %t/i1
// RUN: quant4-run %s --entry acc_int --input %t/a64.npy --input %t/b64.npy --input %t/sa.npy --input %t/sb.npy --output-dir %t/i2 --threads 2
// RUN: quant4-run %s --entry acc_int --input %t/a64.npy --input %t/b64.npy --input %t/sa.npy --input %t/sb.npy --output-dir %t/i3 --threads 3
// RUN: quant4-ref matmul %t/a64.npy %t/b64.npy %t/sa.npy %t/sb.npy %t/r.npy --lhs-format uint4 --rhs-format uint4 --acc f32
// RUN: cmp %t/i1/result0.npy %t/r.npy
// RUN: quant4-ref matmul %t/a64.npy %t/b64.npy %t/sa.npy %t/sb.npy %t/r.npy --lhs-format uint4 --rhs-format uint4 --acc f16
// RUN: cmp %t/i1/result1.npy %t/r.npy
// RUN: quant4-ref matmul %t/a64.npy %t/b64.npy %t/sa.npy %t/sb.npy %t/r.npy --lhs-format uint4 --rhs-format uint4 --acc f16_chunked:4
// RUN: cmp %t/i1/result2.npy %t/r.npy
// RUN: quant4-ref matmul %t/a64.npy %t/b64.npy %t/sa.npy %t/sb.npy %t/r.npy --lhs-format uint4 --rhs-format uint4 --acc exact
// RUN: cmp %t/i1/result3.npy %t/r.npy
// RUN: for i in 0 1 2 3; do cmp %t/i1/result$i.npy %t/i2/result$i.npy && cmp %t/i1/result$i.npy %t/i3/result$i.npy || exit 1; done
func.func @acc_int(%a: tensor<7x64x!quant4.uint<4>>, %b: tensor<64x5x!quant4.uint<4>>,
                   %sa: tensor<f32>, %sb: tensor<f32>)
    -> (tensor<7x5xf32>, tensor<7x5xf32>, tensor<7x5xf32>, tensor<7x5xf32>) {
  %0 = quant4.matmul %a, %b scales(%sa, %sb) acc<f32> : tensor<7x64x!quant4.uint<4>>, tensor<64x5x!quant4.uint<4>>, tensor<f32>, tensor<f32> -> tensor<7x5xf32>
  %1 = quant4.matmul %a, %b scales(%sa, %sb) acc<f16> : tensor<7x64x!quant4.uint<4>>, tensor<64x5x!quant4.uint<4>>, tensor<f32>, tensor<f32> -> tensor<7x5xf32>
  %2 = quant4.matmul %a, %b scales(%sa, %sb) acc<f16_chunked, 4> : tensor<7x64x!quant4.uint<4>>, tensor<64x5x!quant4.uint<4>>, tensor<f32>, tensor<f32> -> tensor<7x5xf32>
  %3 = quant4.matmul %a, %b scales(%sa, %sb) acc<exact> : tensor<7x64x!quant4.uint<4>>, tensor<64x5x!quant4.uint<4>>, tensor<f32>, tensor<f32> -> tensor<7x5xf32>
  return %0, %1, %2, %3 : tensor<7x5xf32>, tensor<7x5xf32>, tensor<7x5xf32>, tensor<7x5xf32>
}

// Log x log (the radix-4 FP4 of 4-bit training) and FP8 pairs; transposed
// operands with per-axis scales.
// RUN: quant4-ref gen %t/at.npy --dtype uint8 --shape 20x7 --codes 3 --bits 4
// RUN: quant4-ref gen %t/bt.npy --dtype uint8 --shape 5x20 --codes 4 --bits 4
// RUN: quant4-ref gen %t/a8.npy --dtype uint8 --shape 7x20 --codes 5 --bits 8
// RUN: quant4-ref gen %t/b8.npy --dtype uint8 --shape 20x5 --codes 6 --bits 8
// RUN: quant4-ref gen %t/sm.npy --dtype float32 --shape 7 --values 1,2,4,0.5,0.25,8,16
// RUN: quant4-ref gen %t/sn.npy --dtype float32 --shape 5 --values 0.125,1,3,0.75,2
// RUN: quant4-run %s --entry pairs --input %t/a.npy --input %t/b.npy --input %t/b.npy --input %t/at.npy --input %t/bt.npy --input %t/a8.npy --input %t/b8.npy --input %t/b8.npy --input %t/sa.npy --input %t/sb.npy --input %t/sm.npy --input %t/sn.npy --output-dir %t/p1
// RUN: quant4-run %s --entry pairs --input %t/a.npy --input %t/b.npy --input %t/b.npy --input %t/at.npy --input %t/bt.npy --input %t/a8.npy --input %t/b8.npy --input %t/b8.npy --input %t/sa.npy --input %t/sb.npy --input %t/sm.npy --input %t/sn.npy --output-dir %t/p2 --threads 2
// RUN: quant4-ref matmul %t/a.npy %t/b.npy %t/sa.npy %t/sb.npy %t/r.npy --lhs-format "log<4,3,0>" --rhs-format "log<4,3,0>" --acc exact
// RUN: cmp %t/p1/result0.npy %t/r.npy
// RUN: quant4-ref matmul %t/a.npy %t/b.npy %t/sa.npy %t/sb.npy %t/r.npy --lhs-format "log<4,3,0>" --rhs-format "log<4,3,1>" --acc f16
// RUN: cmp %t/p1/result1.npy %t/r.npy
// RUN: quant4-ref matmul %t/at.npy %t/bt.npy %t/sm.npy %t/sn.npy %t/r.npy --lhs-format int4 --rhs-format e2m1 --acc f16_chunked:8 --transpose-lhs --transpose-rhs --lhs-granularity axis:1 --rhs-granularity axis:0
// RUN: cmp %t/p1/result2.npy %t/r.npy
// RUN: quant4-ref matmul %t/a8.npy %t/b8.npy %t/sa.npy %t/sb.npy %t/r.npy --lhs-format e4m3 --rhs-format e5m2 --acc f32
// RUN: cmp %t/p1/result3.npy %t/r.npy
// RUN: quant4-ref matmul %t/a8.npy %t/b8.npy %t/sa.npy %t/sb.npy %t/r.npy --lhs-format e4m3 --rhs-format e4m3 --acc exact
// RUN: cmp %t/p1/result4.npy %t/r.npy
// RUN: for i in 0 1 2 3 4; do cmp %t/p1/result$i.npy %t/p2/result$i.npy || exit 1; done
func.func @pairs(%a: tensor<7x20x!quant4.log<4, 3, 0>>, %b: tensor<20x5x!quant4.log<4, 3, 0>>,
                 %bc: tensor<20x5x!quant4.log<4, 3, 1>>,
                 %at: tensor<20x7x!quant4.int<4>>, %bt: tensor<5x20xf4E2M1FN>,
                 %a8: tensor<7x20xf8E4M3FN>, %b8: tensor<20x5xf8E5M2>,
                 %b84: tensor<20x5xf8E4M3FN>,
                 %sa: tensor<f32>, %sb: tensor<f32>, %sm: tensor<7xf32>, %sn: tensor<5xf32>)
    -> (tensor<7x5xf32>, tensor<7x5xf32>, tensor<7x5xf32>, tensor<7x5xf32>, tensor<7x5xf32>) {
  %0 = quant4.matmul %a, %b scales(%sa, %sb) acc<exact> : tensor<7x20x!quant4.log<4, 3, 0>>, tensor<20x5x!quant4.log<4, 3, 0>>, tensor<f32>, tensor<f32> -> tensor<7x5xf32>
  %1 = quant4.matmul %a, %bc scales(%sa, %sb) acc<f16> : tensor<7x20x!quant4.log<4, 3, 0>>, tensor<20x5x!quant4.log<4, 3, 1>>, tensor<f32>, tensor<f32> -> tensor<7x5xf32>
  %2 = quant4.matmul %at, %bt scales(%sm, %sn) acc<f16_chunked, 8> {transpose_lhs, transpose_rhs, lhs_granularity = #quant4.granularity<axis = 1>, rhs_granularity = #quant4.granularity<axis = 0>} : tensor<20x7x!quant4.int<4>>, tensor<5x20xf4E2M1FN>, tensor<7xf32>, tensor<5xf32> -> tensor<7x5xf32>
  %3 = quant4.matmul %a8, %b8 scales(%sa, %sb) acc<f32> : tensor<7x20xf8E4M3FN>, tensor<20x5xf8E5M2>, tensor<f32>, tensor<f32> -> tensor<7x5xf32>
  %4 = quant4.matmul %a8, %b84 scales(%sa, %sb) acc<exact> : tensor<7x20xf8E4M3FN>, tensor<20x5xf8E4M3FN>, tensor<f32>, tensor<f32> -> tensor<7x5xf32>
  return %0, %1, %2, %3, %4 : tensor<7x5xf32>, tensor<7x5xf32>, tensor<7x5xf32>, tensor<7x5xf32>, tensor<7x5xf32>
}

// MX and NVFP4 flows in the graph: block scales from quant4.scale, E2M1
// quantization, GEMM with block scales along K (and NVFP4's tensor scales).
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 7x20 --logrand 7 --lo -6 --hi 3
// RUN: quant4-ref gen %t/w.npy --dtype float32 --shape 20x5 --random 8 --lo -2 --hi 2
// RUN: quant4-run %s --entry mx --input %t/x.npy --input %t/w.npy --output-dir %t/mx1
// RUN: quant4-run %s --entry mx --input %t/x.npy --input %t/w.npy --output-dir %t/mx2 --threads 2
// RUN: quant4-ref scale %t/x.npy %t/xs.npy --policy block --scale-format e8m0 --format e2m1 --granularity block:1,8
// RUN: quant4-ref scale %t/w.npy %t/ws.npy --policy block --scale-format e8m0 --format e2m1 --granularity block:8,1
// RUN: quant4-ref quantize %t/x.npy %t/xs.npy %t/xq.npy --format e2m1 --rounding nearest_even --granularity block:1,8 --scale-format e8m0
// RUN: quant4-ref quantize %t/w.npy %t/ws.npy %t/wq.npy --format e2m1 --rounding nearest_even --granularity block:8,1 --scale-format e8m0
// RUN: quant4-ref matmul %t/xq.npy %t/wq.npy %t/xs.npy %t/ws.npy %t/r.npy --lhs-format e2m1 --rhs-format e2m1 --acc f32 --lhs-granularity block:1,8 --rhs-granularity block:8,1 --lhs-scale-format e8m0 --rhs-scale-format e8m0
// RUN: cmp %t/mx1/result0.npy %t/r.npy
// RUN: quant4-ref scale %t/x.npy %t/xs.npy %t/xt.npy --policy block --scale-format e4m3 --format e2m1 --granularity block:1,4 --tensor-scale-out
// RUN: quant4-ref scale %t/w.npy %t/ws.npy %t/wt.npy --policy block --scale-format e4m3 --format e2m1 --granularity block:4,1 --tensor-scale-out
// RUN: quant4-ref quantize %t/x.npy %t/xs.npy %t/xq.npy --format e2m1 --rounding nearest_even --granularity block:1,4 --scale-format e4m3 --tensor-scale %t/xt.npy
// RUN: quant4-ref quantize %t/w.npy %t/ws.npy %t/wq.npy --format e2m1 --rounding nearest_even --granularity block:4,1 --scale-format e4m3 --tensor-scale %t/wt.npy
// RUN: quant4-ref matmul %t/xq.npy %t/wq.npy %t/xs.npy %t/ws.npy %t/r.npy --lhs-format e2m1 --rhs-format e2m1 --acc f16_chunked:2 --lhs-granularity block:1,4 --rhs-granularity block:4,1 --lhs-scale-format e4m3 --rhs-scale-format e4m3 --tensor-scales %t/xt.npy,%t/wt.npy
// RUN: cmp %t/mx1/result1.npy %t/r.npy
// RUN: cmp %t/mx1/result0.npy %t/mx2/result0.npy
// RUN: cmp %t/mx1/result1.npy %t/mx2/result1.npy
func.func @mx(%x: tensor<7x20xf32>, %w: tensor<20x5xf32>) -> (tensor<7x5xf32>, tensor<7x5xf32>) {
  %xs = quant4.scale #quant4.block<scale = f8E8M0FNU> %x for f4E2M1FN granularity<block = [1, 8]> : tensor<7x20xf32> -> tensor<7x3xf8E8M0FNU>
  %ws = quant4.scale #quant4.block<scale = f8E8M0FNU> %w for f4E2M1FN granularity<block = [8, 1]> : tensor<20x5xf32> -> tensor<3x5xf8E8M0FNU>
  %xq = quant4.quantize %x, %xs rounding<nearest_even> granularity<block = [1, 8]> : tensor<7x20xf32>, tensor<7x3xf8E8M0FNU> -> tensor<7x20xf4E2M1FN>
  %wq = quant4.quantize %w, %ws rounding<nearest_even> granularity<block = [8, 1]> : tensor<20x5xf32>, tensor<3x5xf8E8M0FNU> -> tensor<20x5xf4E2M1FN>
  %0 = quant4.matmul %xq, %wq scales(%xs, %ws) acc<f32> {lhs_granularity = #quant4.granularity<block = [1, 8]>, rhs_granularity = #quant4.granularity<block = [8, 1]>} : tensor<7x20xf4E2M1FN>, tensor<20x5xf4E2M1FN>, tensor<7x3xf8E8M0FNU>, tensor<3x5xf8E8M0FNU> -> tensor<7x5xf32>
  %ns, %nt = quant4.scale #quant4.block<scale = f8E4M3FN, tensor_scale> %x for f4E2M1FN granularity<block = [1, 4]> : tensor<7x20xf32> -> tensor<7x5xf8E4M3FN>, tensor<f32>
  %ms, %mt = quant4.scale #quant4.block<scale = f8E4M3FN, tensor_scale> %w for f4E2M1FN granularity<block = [4, 1]> : tensor<20x5xf32> -> tensor<5x5xf8E4M3FN>, tensor<f32>
  %nq = quant4.quantize %x, %ns tensor_scale %nt rounding<nearest_even> granularity<block = [1, 4]> : tensor<7x20xf32>, tensor<7x5xf8E4M3FN>, tensor<f32> -> tensor<7x20xf4E2M1FN>
  %mq = quant4.quantize %w, %ms tensor_scale %mt rounding<nearest_even> granularity<block = [4, 1]> : tensor<20x5xf32>, tensor<5x5xf8E4M3FN>, tensor<f32> -> tensor<20x5xf4E2M1FN>
  %1 = quant4.matmul %nq, %mq scales(%ns, %ms) tensor_scales(%nt, %mt) acc<f16_chunked, 2> {lhs_granularity = #quant4.granularity<block = [1, 4]>, rhs_granularity = #quant4.granularity<block = [4, 1]>} : tensor<7x20xf4E2M1FN>, tensor<20x5xf4E2M1FN>, tensor<7x5xf8E4M3FN>, tensor<5x5xf8E4M3FN>, tensor<f32>, tensor<f32> -> tensor<7x5xf32>
  return %0, %1 : tensor<7x5xf32>, tensor<7x5xf32>
}
