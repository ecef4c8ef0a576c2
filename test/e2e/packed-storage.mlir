// Packed 4-bit storage (two codes per byte, docs/Lowering.md) end to end:
// odd element counts, 0-d and 1-element tensors, quantize -> matmul ->
// dequantize chains, codes passed in and out through quant4-run's .npy
// boundary (one uint8 code per element), tensor ops on packed tensors
// (byte-storage fallback), mixing with dynamically shaped (byte-storage)
// tensors. Every result is compared byte for byte with quant4-ref, and the
// runs with 1, 2 and 3 threads give identical bytes.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 7x13 --random 1 --lo -3 --hi 3
// RUN: quant4-ref gen %t/w.npy --dtype float32 --shape 13x5 --random 2 --lo -1 --hi 1
// RUN: quant4-ref gen %t/sx.npy --dtype float32 --values 0.375
// RUN: quant4-ref gen %t/sw.npy --dtype float32 --values 0.125
//
// RUN: quant4-run %s --entry chain --input %t/x.npy --input %t/w.npy --input %t/sx.npy --input %t/sw.npy --output-dir %t/c1
// RUN: quant4-run %s --entry chain --input %t/x.npy --input %t/w.npy --input %t/sx.npy --input %t/sw.npy --output-dir %t/c2 --threads 2
// RUN: quant4-run %s --entry chain --input %t/x.npy --input %t/w.npy --input %t/sx.npy --input %t/sw.npy --output-dir %t/c3 --threads 3
// RUN: quant4-ref quantize %t/x.npy %t/sx.npy %t/xq.npy --format int4 --rounding nearest
// RUN: quant4-ref quantize %t/w.npy %t/sw.npy %t/wq.npy --format "log<4,3,0>" --rounding stochastic --seed 7 --stream 3
// RUN: cmp %t/c1/result0.npy %t/xq.npy
// RUN: cmp %t/c1/result1.npy %t/wq.npy
// RUN: quant4-ref matmul %t/xq.npy %t/wq.npy %t/sx.npy %t/sw.npy %t/y.npy --lhs-format int4 --rhs-format "log<4,3,0>" --acc exact
// RUN: cmp %t/c1/result2.npy %t/y.npy
// RUN: quant4-ref matmul %t/xq.npy %t/wq.npy %t/sx.npy %t/sw.npy %t/y.npy --lhs-format int4 --rhs-format "log<4,3,0>" --acc f16
// RUN: cmp %t/c1/result3.npy %t/y.npy
// RUN: quant4-ref dequantize %t/xq.npy %t/sx.npy %t/xd.npy --format int4
// RUN: cmp %t/c1/result4.npy %t/xd.npy
// RUN: quant4-ref matmul %t/xq.npy %t/xq.npy %t/sx.npy %t/sx.npy %t/g.npy --lhs-format int4 --rhs-format int4 --acc f32 --transpose-lhs
// RUN: cmp %t/c1/result5.npy %t/g.npy
// RUN: for i in 0 1 2 3 4 5; do cmp %t/c1/result$i.npy %t/c2/result$i.npy && cmp %t/c1/result$i.npy %t/c3/result$i.npy || exit 1; done
func.func @chain(%x: tensor<7x13xf32>, %w: tensor<13x5xf32>, %sx: tensor<f32>, %sw: tensor<f32>)
    -> (tensor<7x13x!quant4.int<4>>, tensor<13x5x!quant4.log<4, 3, 0>>, tensor<7x5xf32>, tensor<7x5xf32>, tensor<7x13xf32>, tensor<13x13xf32>) {
  %seed = arith.constant 7 : i64
  %xq = quant4.quantize %x, %sx rounding<nearest> : tensor<7x13xf32>, tensor<f32> -> tensor<7x13x!quant4.int<4>>
  %wq = quant4.quantize %w, %sw seed %seed rounding<stochastic> {stream = 3} : tensor<13x5xf32>, tensor<f32> -> tensor<13x5x!quant4.log<4, 3, 0>>
  %y = quant4.matmul %xq, %wq scales(%sx, %sw) acc<exact> : tensor<7x13x!quant4.int<4>>, tensor<13x5x!quant4.log<4, 3, 0>>, tensor<f32>, tensor<f32> -> tensor<7x5xf32>
  %y16 = quant4.matmul %xq, %wq scales(%sx, %sw) acc<f16> : tensor<7x13x!quant4.int<4>>, tensor<13x5x!quant4.log<4, 3, 0>>, tensor<f32>, tensor<f32> -> tensor<7x5xf32>
  %xd = quant4.dequantize %xq, %sx : tensor<7x13x!quant4.int<4>>, tensor<f32> -> tensor<7x13xf32>
  %g = quant4.matmul %xq, %xq scales(%sx, %sx) acc<f32> {transpose_lhs} : tensor<7x13x!quant4.int<4>>, tensor<7x13x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<13x13xf32>
  return %xq, %wq, %y, %y16, %xd, %g : tensor<7x13x!quant4.int<4>>, tensor<13x5x!quant4.log<4, 3, 0>>, tensor<7x5xf32>, tensor<7x5xf32>, tensor<7x13xf32>, tensor<13x13xf32>
}

// 0-d and 1-element tensors (one byte, the code in the low nibble).
// RUN: quant4-ref gen %t/x0.npy --dtype float32 --values -1.3
// RUN: quant4-ref gen %t/x1.npy --dtype float32 --shape 1 --values 2.6
// RUN: quant4-ref gen %t/s0.npy --dtype float32 --values 0.5
// RUN: quant4-run %s --entry scalars --input %t/x0.npy --input %t/x1.npy --input %t/s0.npy --output-dir %t/s --print | FileCheck %s --check-prefix=SCALARS
// RUN: quant4-ref quantize %t/x0.npy %t/s0.npy %t/q0.npy --format int4 --rounding nearest
// RUN: quant4-ref quantize %t/x1.npy %t/s0.npy %t/q1.npy --format uint4 --rounding nearest
// RUN: cmp %t/s/result0.npy %t/q0.npy
// RUN: cmp %t/s/result1.npy %t/q1.npy
// RUN: quant4-ref dequantize %t/q0.npy %t/s0.npy %t/d0.npy --format int4
// RUN: cmp %t/s/result2.npy %t/d0.npy
// SCALARS: result0: tensor<!quant4.int<4>>
// SCALARS-NEXT: 13
// SCALARS: result1: tensor<1x!quant4.uint<4>>
// SCALARS-NEXT: [5]
// SCALARS: result2: tensor<f32>
// SCALARS-NEXT: -1.5
// SCALARS: result3: tensor<1xf32>
// SCALARS-NEXT: [2.5]
func.func @scalars(%x0: tensor<f32>, %x1: tensor<1xf32>, %s: tensor<f32>)
    -> (tensor<!quant4.int<4>>, tensor<1x!quant4.uint<4>>, tensor<f32>, tensor<1xf32>) {
  %q0 = quant4.quantize %x0, %s rounding<nearest> : tensor<f32>, tensor<f32> -> tensor<!quant4.int<4>>
  %q1 = quant4.quantize %x1, %s rounding<nearest> : tensor<1xf32>, tensor<f32> -> tensor<1x!quant4.uint<4>>
  %d0 = quant4.dequantize %q0, %s : tensor<!quant4.int<4>>, tensor<f32> -> tensor<f32>
  %d1 = quant4.dequantize %q1, %s : tensor<1x!quant4.uint<4>>, tensor<f32> -> tensor<1xf32>
  return %q0, %q1, %d0, %d1 : tensor<!quant4.int<4>>, tensor<1x!quant4.uint<4>>, tensor<f32>, tensor<1xf32>
}

// Codes in and out through the .npy boundary (packed by quant4-run before
// the call, unpacked after it): identity on an odd count, an extract_slice
// at an odd element offset, a cast to a dynamic (byte-storage) shape, a
// reshape, and a concat of 4-bit tensors.
// RUN: quant4-ref gen %t/c7.npy --dtype uint8 --shape 7 --values 1,2,3,4,5,6,15
// RUN: quant4-ref gen %t/c33.npy --dtype uint8 --shape 3x3 --values 0,1,2,3,4,5,6,7,8
// RUN: quant4-run %s --entry codes --input %t/c7.npy --input %t/c33.npy --output-dir %t/codes --print | FileCheck %s --check-prefix=CODES
// RUN: cmp %t/codes/result0.npy %t/c7.npy
// RUN: cmp %t/codes/result2.npy %t/c33.npy
// CODES: result0: tensor<7x!quant4.int<4>>
// CODES-NEXT: [1, 2, 3, 4, 5, 6, 15]
// CODES: result1: tensor<2x2x!quant4.uint<4>>
// CODES-NEXT: {{\[\[}}4, 5], [7, 8]]
// CODES: result2: tensor<?x3x!quant4.uint<4>>
// CODES-NEXT: {{\[\[}}0, 1, 2], [3, 4, 5], [6, 7, 8]]
// CODES: result3: tensor<9x!quant4.uint<4>>
// CODES-NEXT: [0, 1, 2, 3, 4, 5, 6, 7, 8]
// CODES: result4: tensor<16x!quant4.uint<4>>
// CODES-NEXT: [0, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 15]
func.func @codes(%c: tensor<7x!quant4.int<4>>, %d: tensor<3x3x!quant4.uint<4>>)
    -> (tensor<7x!quant4.int<4>>, tensor<2x2x!quant4.uint<4>>, tensor<?x3x!quant4.uint<4>>, tensor<9x!quant4.uint<4>>, tensor<16x!quant4.uint<4>>) {
  %s = tensor.extract_slice %d[1, 1] [2, 2] [1, 1] : tensor<3x3x!quant4.uint<4>> to tensor<2x2x!quant4.uint<4>>
  %dyn = tensor.cast %d : tensor<3x3x!quant4.uint<4>> to tensor<?x3x!quant4.uint<4>>
  %flat = tensor.collapse_shape %d [[0, 1]] : tensor<3x3x!quant4.uint<4>> into tensor<9x!quant4.uint<4>>
  %cu = quant4.constant dense<[1, 2, 3, 4, 5, 6, 15]> : tensor<7xui8> -> tensor<7x!quant4.uint<4>>
  %cat = tensor.concat dim(0) %flat, %cu : (tensor<9x!quant4.uint<4>>, tensor<7x!quant4.uint<4>>) -> tensor<16x!quant4.uint<4>>
  return %c, %s, %dyn, %flat, %cat : tensor<7x!quant4.int<4>>, tensor<2x2x!quant4.uint<4>>, tensor<?x3x!quant4.uint<4>>, tensor<9x!quant4.uint<4>>, tensor<16x!quant4.uint<4>>
}

// Dynamic shapes keep byte storage; a dynamic quantize feeds a GEMM with a
// packed static operand.
// RUN: quant4-ref gen %t/xd.npy --dtype float32 --shape 5x13 --random 3 --lo -2 --hi 2
// RUN: quant4-run %s --entry dynamic --input %t/xd.npy --input %t/w.npy --input %t/sx.npy --input %t/sw.npy --output-dir %t/d1
// RUN: quant4-run %s --entry dynamic --input %t/xd.npy --input %t/w.npy --input %t/sx.npy --input %t/sw.npy --output-dir %t/d2 --threads 2
// RUN: quant4-ref quantize %t/xd.npy %t/sx.npy %t/xdq.npy --format int4 --rounding nearest
// RUN: quant4-ref quantize %t/w.npy %t/sw.npy %t/wq2.npy --format int4 --rounding nearest
// RUN: cmp %t/d1/result0.npy %t/xdq.npy
// RUN: quant4-ref matmul %t/xdq.npy %t/wq2.npy %t/sx.npy %t/sw.npy %t/yd.npy --lhs-format int4 --rhs-format int4 --acc exact
// RUN: cmp %t/d1/result1.npy %t/yd.npy
// RUN: cmp %t/d1/result1.npy %t/d2/result1.npy
func.func @dynamic(%x: tensor<?x13xf32>, %w: tensor<13x5xf32>, %sx: tensor<f32>, %sw: tensor<f32>)
    -> (tensor<?x13x!quant4.int<4>>, tensor<?x5xf32>) {
  %xq = quant4.quantize %x, %sx rounding<nearest> : tensor<?x13xf32>, tensor<f32> -> tensor<?x13x!quant4.int<4>>
  %wq = quant4.quantize %w, %sw rounding<nearest> : tensor<13x5xf32>, tensor<f32> -> tensor<13x5x!quant4.int<4>>
  %y = quant4.matmul %xq, %wq scales(%sx, %sw) acc<exact> : tensor<?x13x!quant4.int<4>>, tensor<13x5x!quant4.int<4>>, tensor<f32>, tensor<f32> -> tensor<?x5xf32>
  return %xq, %y : tensor<?x13x!quant4.int<4>>, tensor<?x5xf32>
}
