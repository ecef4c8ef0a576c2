// quant4.quantize through quant4-cpu-pipeline and the runtime, compared byte
// for byte with quant4-ref (the Numerics library called directly). One
// function per format; one result per rounding mode the format allows.
//
// RUN: rm -rf %t && mkdir -p %t
// x: uniform in [-9, 9]; xl: random sign, magnitude 2^[-12, 8]; both start
// with the specials 0, -0, +Inf, -Inf, NaN, 1e-30, -1e30.
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 6x10 --random 1 --lo -9 --hi 9 --specials
// RUN: quant4-ref gen %t/xl.npy --dtype float32 --shape 6x10 --logrand 2 --lo -12 --hi 8 --specials
// RUN: quant4-ref gen %t/s1.npy --dtype float32 --values 1.0
// RUN: quant4-ref gen %t/s2.npy --dtype float32 --values 0.03
//
// RUN: quant4-run %s --entry log430 --input %t/xl.npy --input %t/s2.npy --output-dir %t/log430
// RUN: quant4-ref quantize %t/xl.npy %t/s2.npy %t/r.npy --format "log<4,3,0>" --rounding nearest
// RUN: cmp %t/log430/result0.npy %t/r.npy
// RUN: quant4-ref quantize %t/xl.npy %t/s2.npy %t/r.npy --format "log<4,3,0>" --rounding nearest_log
// RUN: cmp %t/log430/result1.npy %t/r.npy
// RUN: quant4-ref quantize %t/xl.npy %t/s2.npy %t/r.npy --format "log<4,3,0>" --rounding nearest_even
// RUN: cmp %t/log430/result2.npy %t/r.npy
// RUN: quant4-ref quantize %t/xl.npy %t/s2.npy %t/r.npy --format "log<4,3,0>" --rounding stochastic --seed 42 --stream 1
// RUN: cmp %t/log430/result3.npy %t/r.npy
// RUN: quant4-ref quantize %t/xl.npy %t/s2.npy %t/r.npy --format "log<4,3,0>" --rounding stochastic_underflow --seed 42 --stream 2
// RUN: cmp %t/log430/result4.npy %t/r.npy
func.func @log430(%x: tensor<6x10xf32>, %s: tensor<f32>)
    -> (tensor<6x10x!quant4.log<4, 3, 0>>, tensor<6x10x!quant4.log<4, 3, 0>>,
        tensor<6x10x!quant4.log<4, 3, 0>>, tensor<6x10x!quant4.log<4, 3, 0>>,
        tensor<6x10x!quant4.log<4, 3, 0>>) {
  %seed = arith.constant 42 : i64
  %0 = quant4.quantize %x, %s rounding<nearest> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.log<4, 3, 0>>
  %1 = quant4.quantize %x, %s rounding<nearest_log> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.log<4, 3, 0>>
  %2 = quant4.quantize %x, %s rounding<nearest_even> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.log<4, 3, 0>>
  %3 = quant4.quantize %x, %s seed %seed rounding<stochastic> {stream = 1} : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.log<4, 3, 0>>
  %4 = quant4.quantize %x, %s seed %seed rounding<stochastic_underflow> {stream = 2} : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.log<4, 3, 0>>
  return %0, %1, %2, %3, %4 : tensor<6x10x!quant4.log<4, 3, 0>>, tensor<6x10x!quant4.log<4, 3, 0>>, tensor<6x10x!quant4.log<4, 3, 0>>, tensor<6x10x!quant4.log<4, 3, 0>>, tensor<6x10x!quant4.log<4, 3, 0>>
}

// The second Two-Phase-Rounding grid, and LUQ's radix-2 format.
// RUN: quant4-run %s --entry log_other --input %t/xl.npy --input %t/s2.npy --output-dir %t/logo
// RUN: quant4-ref quantize %t/xl.npy %t/s2.npy %t/r.npy --format "log<4,3,1>" --rounding nearest
// RUN: cmp %t/logo/result0.npy %t/r.npy
// RUN: quant4-ref quantize %t/xl.npy %t/s2.npy %t/r.npy --format "log<4,3,1>" --rounding nearest_log
// RUN: cmp %t/logo/result1.npy %t/r.npy
// RUN: quant4-ref quantize %t/xl.npy %t/s2.npy %t/r.npy --format "log<2,3,0>" --rounding stochastic_underflow --seed 7 --stream 5
// RUN: cmp %t/logo/result2.npy %t/r.npy
// RUN: quant4-ref quantize %t/xl.npy %t/s2.npy %t/r.npy --format "log<16,2,1>" --rounding nearest_even
// RUN: cmp %t/logo/result3.npy %t/r.npy
func.func @log_other(%x: tensor<6x10xf32>, %s: tensor<f32>)
    -> (tensor<6x10x!quant4.log<4, 3, 1>>, tensor<6x10x!quant4.log<4, 3, 1>>,
        tensor<6x10x!quant4.log<2, 3, 0>>, tensor<6x10x!quant4.log<16, 2, 1>>) {
  %seed = arith.constant 7 : i64
  %0 = quant4.quantize %x, %s rounding<nearest> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.log<4, 3, 1>>
  %1 = quant4.quantize %x, %s rounding<nearest_log> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.log<4, 3, 1>>
  %2 = quant4.quantize %x, %s seed %seed rounding<stochastic_underflow> {stream = 5} : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.log<2, 3, 0>>
  %3 = quant4.quantize %x, %s rounding<nearest_even> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.log<16, 2, 1>>
  return %0, %1, %2, %3 : tensor<6x10x!quant4.log<4, 3, 1>>, tensor<6x10x!quant4.log<4, 3, 1>>, tensor<6x10x!quant4.log<2, 3, 0>>, tensor<6x10x!quant4.log<16, 2, 1>>
}

// RUN: quant4-run %s --entry ints --input %t/x.npy --input %t/s1.npy --output-dir %t/ints
// RUN: quant4-ref quantize %t/x.npy %t/s1.npy %t/r.npy --format int4 --rounding nearest
// RUN: cmp %t/ints/result0.npy %t/r.npy
// RUN: quant4-ref quantize %t/x.npy %t/s1.npy %t/r.npy --format int4 --rounding nearest_even
// RUN: cmp %t/ints/result1.npy %t/r.npy
// RUN: quant4-ref quantize %t/x.npy %t/s1.npy %t/r.npy --format int4 --rounding stochastic --seed 3 --stream 9
// RUN: cmp %t/ints/result2.npy %t/r.npy
// RUN: quant4-ref quantize %t/x.npy %t/s1.npy %t/r.npy --format uint4 --rounding nearest
// RUN: cmp %t/ints/result3.npy %t/r.npy
// RUN: quant4-ref quantize %t/x.npy %t/s1.npy %t/r.npy --format uint4 --rounding nearest_even
// RUN: cmp %t/ints/result4.npy %t/r.npy
// RUN: quant4-ref quantize %t/x.npy %t/s1.npy %t/r.npy --format uint4 --rounding stochastic --seed 3 --stream 10
// RUN: cmp %t/ints/result5.npy %t/r.npy
// RUN: quant4-ref quantize %t/x.npy %t/s1.npy %t/r.npy --format int2 --rounding nearest
// RUN: cmp %t/ints/result6.npy %t/r.npy
// RUN: quant4-ref quantize %t/x.npy %t/s1.npy %t/r.npy --format uint8 --rounding nearest_even
// RUN: cmp %t/ints/result7.npy %t/r.npy
func.func @ints(%x: tensor<6x10xf32>, %s: tensor<f32>)
    -> (tensor<6x10x!quant4.int<4>>, tensor<6x10x!quant4.int<4>>,
        tensor<6x10x!quant4.int<4>>, tensor<6x10x!quant4.uint<4>>,
        tensor<6x10x!quant4.uint<4>>, tensor<6x10x!quant4.uint<4>>,
        tensor<6x10x!quant4.int<2>>, tensor<6x10x!quant4.uint<8>>) {
  %seed = arith.constant 3 : i64
  %0 = quant4.quantize %x, %s rounding<nearest> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.int<4>>
  %1 = quant4.quantize %x, %s rounding<nearest_even> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.int<4>>
  %2 = quant4.quantize %x, %s seed %seed rounding<stochastic> {stream = 9} : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.int<4>>
  %3 = quant4.quantize %x, %s rounding<nearest> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.uint<4>>
  %4 = quant4.quantize %x, %s rounding<nearest_even> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.uint<4>>
  %5 = quant4.quantize %x, %s seed %seed rounding<stochastic> {stream = 10} : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.uint<4>>
  %6 = quant4.quantize %x, %s rounding<nearest> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.int<2>>
  %7 = quant4.quantize %x, %s rounding<nearest_even> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10x!quant4.uint<8>>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<6x10x!quant4.int<4>>, tensor<6x10x!quant4.int<4>>, tensor<6x10x!quant4.int<4>>, tensor<6x10x!quant4.uint<4>>, tensor<6x10x!quant4.uint<4>>, tensor<6x10x!quant4.uint<4>>, tensor<6x10x!quant4.int<2>>, tensor<6x10x!quant4.uint<8>>
}

// RUN: quant4-run %s --entry fps --input %t/x.npy --input %t/s1.npy --output-dir %t/fps
// RUN: quant4-ref quantize %t/x.npy %t/s1.npy %t/r.npy --format e2m1 --rounding nearest
// RUN: cmp %t/fps/result0.npy %t/r.npy
// RUN: quant4-ref quantize %t/x.npy %t/s1.npy %t/r.npy --format e2m1 --rounding nearest_even
// RUN: cmp %t/fps/result1.npy %t/r.npy
// RUN: quant4-ref quantize %t/x.npy %t/s1.npy %t/r.npy --format e2m1 --rounding stochastic --seed 11 --stream 0
// RUN: cmp %t/fps/result2.npy %t/r.npy
// RUN: quant4-ref quantize %t/x.npy %t/s1.npy %t/r.npy --format e4m3 --rounding nearest_even
// RUN: cmp %t/fps/result3.npy %t/r.npy
// RUN: quant4-ref quantize %t/x.npy %t/s1.npy %t/r.npy --format e4m3 --rounding stochastic --seed 11 --stream 4
// RUN: cmp %t/fps/result4.npy %t/r.npy
// RUN: quant4-ref quantize %t/x.npy %t/s1.npy %t/r.npy --format e5m2 --rounding nearest
// RUN: cmp %t/fps/result5.npy %t/r.npy
// RUN: quant4-ref quantize %t/x.npy %t/s1.npy %t/r.npy --format e5m2 --rounding nearest_even
// RUN: cmp %t/fps/result6.npy %t/r.npy
func.func @fps(%x: tensor<6x10xf32>, %s: tensor<f32>)
    -> (tensor<6x10xf4E2M1FN>, tensor<6x10xf4E2M1FN>, tensor<6x10xf4E2M1FN>,
        tensor<6x10xf8E4M3FN>, tensor<6x10xf8E4M3FN>, tensor<6x10xf8E5M2>,
        tensor<6x10xf8E5M2>) {
  %seed = arith.constant 11 : i64
  %0 = quant4.quantize %x, %s rounding<nearest> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10xf4E2M1FN>
  %1 = quant4.quantize %x, %s rounding<nearest_even> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10xf4E2M1FN>
  %2 = quant4.quantize %x, %s seed %seed rounding<stochastic> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10xf4E2M1FN>
  %3 = quant4.quantize %x, %s rounding<nearest_even> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10xf8E4M3FN>
  %4 = quant4.quantize %x, %s seed %seed rounding<stochastic> {stream = 4} : tensor<6x10xf32>, tensor<f32> -> tensor<6x10xf8E4M3FN>
  %5 = quant4.quantize %x, %s rounding<nearest> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10xf8E5M2>
  %6 = quant4.quantize %x, %s rounding<nearest_even> : tensor<6x10xf32>, tensor<f32> -> tensor<6x10xf8E5M2>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<6x10xf4E2M1FN>, tensor<6x10xf4E2M1FN>, tensor<6x10xf4E2M1FN>, tensor<6x10xf8E4M3FN>, tensor<6x10xf8E4M3FN>, tensor<6x10xf8E5M2>, tensor<6x10xf8E5M2>
}
