// quant4.dequantize and quant4.fake_quant on the CPU, compared byte for byte
// with quant4-ref (Numerics called directly). Quantized arguments are passed
// as uint8 .npy files of codes.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/c4.npy --dtype uint8 --shape 5x8 --codes 1 --bits 4
// RUN: quant4-ref gen %t/c8.npy --dtype uint8 --shape 5x8 --codes 2 --bits 8
// RUN: quant4-ref gen %t/s.npy --dtype float32 --values 0.375
//
// RUN: quant4-run %s --entry deq4 --input %t/c4.npy --input %t/c4.npy --input %t/c4.npy --input %t/c4.npy --input %t/c4.npy --input %t/s.npy --output-dir %t/d4
// RUN: quant4-ref dequantize %t/c4.npy %t/s.npy %t/r.npy --format "log<4,3,0>"
// RUN: cmp %t/d4/result0.npy %t/r.npy
// RUN: quant4-ref dequantize %t/c4.npy %t/s.npy %t/r.npy --format "log<4,3,1>"
// RUN: cmp %t/d4/result1.npy %t/r.npy
// RUN: quant4-ref dequantize %t/c4.npy %t/s.npy %t/r.npy --format int4
// RUN: cmp %t/d4/result2.npy %t/r.npy
// RUN: quant4-ref dequantize %t/c4.npy %t/s.npy %t/r.npy --format uint4
// RUN: cmp %t/d4/result3.npy %t/r.npy
// RUN: quant4-ref dequantize %t/c4.npy %t/s.npy %t/r.npy --format e2m1
// RUN: cmp %t/d4/result4.npy %t/r.npy
// RUN: quant4-ref dequantize %t/c4.npy %t/s.npy %t/r.npy --format e2m1 --dtype float16
// RUN: cmp %t/d4/result5.npy %t/r.npy
func.func @deq4(%a: tensor<5x8x!quant4.log<4, 3, 0>>,
                %b: tensor<5x8x!quant4.log<4, 3, 1>>,
                %c: tensor<5x8x!quant4.int<4>>, %d: tensor<5x8x!quant4.uint<4>>,
                %e: tensor<5x8xf4E2M1FN>, %s: tensor<f32>)
    -> (tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32>,
        tensor<5x8xf32>, tensor<5x8xf16>) {
  %0 = quant4.dequantize %a, %s : tensor<5x8x!quant4.log<4, 3, 0>>, tensor<f32> -> tensor<5x8xf32>
  %1 = quant4.dequantize %b, %s : tensor<5x8x!quant4.log<4, 3, 1>>, tensor<f32> -> tensor<5x8xf32>
  %2 = quant4.dequantize %c, %s : tensor<5x8x!quant4.int<4>>, tensor<f32> -> tensor<5x8xf32>
  %3 = quant4.dequantize %d, %s : tensor<5x8x!quant4.uint<4>>, tensor<f32> -> tensor<5x8xf32>
  %4 = quant4.dequantize %e, %s : tensor<5x8xf4E2M1FN>, tensor<f32> -> tensor<5x8xf32>
  %5 = quant4.dequantize %e, %s : tensor<5x8xf4E2M1FN>, tensor<f32> -> tensor<5x8xf16>
  return %0, %1, %2, %3, %4, %5 : tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf16>
}

// 8-bit codes: FP8 formats (every code, NaN included) and int8.
// RUN: quant4-run %s --entry deq8 --input %t/c8.npy --input %t/c8.npy --input %t/s.npy --output-dir %t/d8
// RUN: quant4-ref dequantize %t/c8.npy %t/s.npy %t/r.npy --format e4m3
// RUN: cmp %t/d8/result0.npy %t/r.npy
// RUN: quant4-ref dequantize %t/c8.npy %t/s.npy %t/r.npy --format e5m2
// RUN: cmp %t/d8/result1.npy %t/r.npy
func.func @deq8(%a: tensor<5x8xf8E4M3FN>, %b: tensor<5x8xf8E5M2>, %s: tensor<f32>)
    -> (tensor<5x8xf32>, tensor<5x8xf32>) {
  %0 = quant4.dequantize %a, %s : tensor<5x8xf8E4M3FN>, tensor<f32> -> tensor<5x8xf32>
  %1 = quant4.dequantize %b, %s : tensor<5x8xf8E5M2>, tensor<f32> -> tensor<5x8xf32>
  return %0, %1 : tensor<5x8xf32>, tensor<5x8xf32>
}

// fake_quant: f32 and f16 inputs, deterministic and stochastic rounding.
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 5x8 --logrand 3 --lo -6 --hi 3 --specials
// RUN: quant4-ref gen %t/xh.npy --dtype float16 --shape 5x8 --random 4 --lo -3 --hi 3
// RUN: quant4-run %s --entry fq --input %t/x.npy --input %t/xh.npy --input %t/s.npy --output-dir %t/fq
// RUN: quant4-ref fake_quant %t/x.npy %t/s.npy %t/r.npy --format "log<4,3,0>" --rounding nearest
// RUN: cmp %t/fq/result0.npy %t/r.npy
// RUN: quant4-ref fake_quant %t/x.npy %t/s.npy %t/r.npy --format "log<2,3,0>" --rounding stochastic_underflow --seed 5 --stream 3
// RUN: cmp %t/fq/result1.npy %t/r.npy
// RUN: quant4-ref fake_quant %t/x.npy %t/s.npy %t/r.npy --format int4 --rounding stochastic --seed 5 --stream 0
// RUN: cmp %t/fq/result2.npy %t/r.npy
// RUN: quant4-ref fake_quant %t/xh.npy %t/s.npy %t/r.npy --format e2m1 --rounding nearest_even
// RUN: cmp %t/fq/result3.npy %t/r.npy
func.func @fq(%x: tensor<5x8xf32>, %xh: tensor<5x8xf16>, %s: tensor<f32>)
    -> (tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf16>) {
  %seed = arith.constant 5 : i64
  %0 = quant4.fake_quant %x, %s to !quant4.log<4, 3, 0> rounding<nearest> : tensor<5x8xf32>, tensor<f32>
  %1 = quant4.fake_quant %x, %s seed %seed to !quant4.log<2, 3, 0> rounding<stochastic_underflow> {stream = 3} : tensor<5x8xf32>, tensor<f32>
  %2 = quant4.fake_quant %x, %s seed %seed to !quant4.int<4> rounding<stochastic> : tensor<5x8xf32>, tensor<f32>
  %3 = quant4.fake_quant %xh, %s to f4E2M1FN rounding<nearest_even> : tensor<5x8xf16>, tensor<f32>
  return %0, %1, %2, %3 : tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32>, tensor<5x8xf16>
}
