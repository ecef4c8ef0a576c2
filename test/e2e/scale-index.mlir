// The runtime maps elements to scales two ways: Granularity::scaleIndex per
// element (dequantize, fake_quant, the kernel runs of quantize) and the
// odometer Granularity::scaleIndices (quantize with runs shorter than 8
// elements, the scale groups of quant4.scale). On a 3-D tensor with ragged
// blocks and per-axis scales on the middle and innermost axes, both are
// compared with quant4-ref's independent mapping and with each other:
// fake_quant (scaleIndex) equals dequantize(quantize) (scaleIndices, then
// scaleIndex) byte for byte.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 3x4x6 --logrand 11 --lo -6 --hi 4
// RUN: quant4-run %s --entry index --input %t/x.npy --output-dir %t/o
//
// Block 2x3x4 (ragged in every dimension): amax scales over the groups.
// RUN: quant4-ref scale %t/x.npy %t/bs.npy --policy amax --format int4 --granularity block:2,3,4
// RUN: cmp %t/o/result0.npy %t/bs.npy
// RUN: quant4-ref quantize %t/x.npy %t/bs.npy %t/r.npy --format int4 --rounding nearest_even --granularity block:2,3,4
// RUN: cmp %t/o/result1.npy %t/r.npy
// RUN: quant4-ref dequantize %t/r.npy %t/bs.npy %t/r2.npy --format int4 --granularity block:2,3,4
// RUN: cmp %t/o/result2.npy %t/r2.npy
// RUN: quant4-ref fake_quant %t/x.npy %t/bs.npy %t/r3.npy --format int4 --rounding nearest_even --granularity block:2,3,4
// RUN: cmp %t/o/result3.npy %t/r3.npy
// RUN: cmp %t/o/result2.npy %t/o/result3.npy
//
// Per-axis, middle axis (runs of 6) and innermost axis (runs of 1).
// RUN: quant4-ref scale %t/x.npy %t/a1.npy --policy amax --format int4 --granularity axis:1
// RUN: cmp %t/o/result4.npy %t/a1.npy
// RUN: quant4-ref quantize %t/x.npy %t/a1.npy %t/r.npy --format int4 --rounding nearest_even --granularity axis:1
// RUN: cmp %t/o/result5.npy %t/r.npy
// RUN: quant4-ref fake_quant %t/x.npy %t/a1.npy %t/r3.npy --format int4 --rounding nearest_even --granularity axis:1
// RUN: cmp %t/o/result7.npy %t/r3.npy
// RUN: cmp %t/o/result6.npy %t/o/result7.npy
// RUN: quant4-ref scale %t/x.npy %t/a2.npy --policy amax --format int4 --granularity axis:2
// RUN: cmp %t/o/result8.npy %t/a2.npy
// RUN: quant4-ref quantize %t/x.npy %t/a2.npy %t/r.npy --format int4 --rounding nearest_even --granularity axis:2
// RUN: cmp %t/o/result9.npy %t/r.npy
// RUN: quant4-ref fake_quant %t/x.npy %t/a2.npy %t/r3.npy --format int4 --rounding nearest_even --granularity axis:2
// RUN: cmp %t/o/result11.npy %t/r3.npy
// RUN: cmp %t/o/result10.npy %t/o/result11.npy
func.func @index(%x: tensor<3x4x6xf32>)
    -> (tensor<2x2x2xf32>, tensor<3x4x6x!quant4.int<4>>, tensor<3x4x6xf32>, tensor<3x4x6xf32>,
        tensor<4xf32>, tensor<3x4x6x!quant4.int<4>>, tensor<3x4x6xf32>, tensor<3x4x6xf32>,
        tensor<6xf32>, tensor<3x4x6x!quant4.int<4>>, tensor<3x4x6xf32>, tensor<3x4x6xf32>) {
  %bs = quant4.scale #quant4.amax %x for !quant4.int<4> granularity<block = [2, 3, 4]> : tensor<3x4x6xf32> -> tensor<2x2x2xf32>
  %bq = quant4.quantize %x, %bs rounding<nearest_even> granularity<block = [2, 3, 4]> : tensor<3x4x6xf32>, tensor<2x2x2xf32> -> tensor<3x4x6x!quant4.int<4>>
  %bd = quant4.dequantize %bq, %bs granularity<block = [2, 3, 4]> : tensor<3x4x6x!quant4.int<4>>, tensor<2x2x2xf32> -> tensor<3x4x6xf32>
  %bf = quant4.fake_quant %x, %bs to !quant4.int<4> rounding<nearest_even> granularity<block = [2, 3, 4]> : tensor<3x4x6xf32>, tensor<2x2x2xf32>
  %s1 = quant4.scale #quant4.amax %x for !quant4.int<4> granularity<axis = 1> : tensor<3x4x6xf32> -> tensor<4xf32>
  %q1 = quant4.quantize %x, %s1 rounding<nearest_even> granularity<axis = 1> : tensor<3x4x6xf32>, tensor<4xf32> -> tensor<3x4x6x!quant4.int<4>>
  %d1 = quant4.dequantize %q1, %s1 granularity<axis = 1> : tensor<3x4x6x!quant4.int<4>>, tensor<4xf32> -> tensor<3x4x6xf32>
  %f1 = quant4.fake_quant %x, %s1 to !quant4.int<4> rounding<nearest_even> granularity<axis = 1> : tensor<3x4x6xf32>, tensor<4xf32>
  %s2 = quant4.scale #quant4.amax %x for !quant4.int<4> granularity<axis = 2> : tensor<3x4x6xf32> -> tensor<6xf32>
  %q2 = quant4.quantize %x, %s2 rounding<nearest_even> granularity<axis = 2> : tensor<3x4x6xf32>, tensor<6xf32> -> tensor<3x4x6x!quant4.int<4>>
  %d2 = quant4.dequantize %q2, %s2 granularity<axis = 2> : tensor<3x4x6x!quant4.int<4>>, tensor<6xf32> -> tensor<3x4x6xf32>
  %f2 = quant4.fake_quant %x, %s2 to !quant4.int<4> rounding<nearest_even> granularity<axis = 2> : tensor<3x4x6xf32>, tensor<6xf32>
  return %bs, %bq, %bd, %bf, %s1, %q1, %d1, %f1, %s2, %q2, %d2, %f2
    : tensor<2x2x2xf32>, tensor<3x4x6x!quant4.int<4>>, tensor<3x4x6xf32>, tensor<3x4x6xf32>,
      tensor<4xf32>, tensor<3x4x6x!quant4.int<4>>, tensor<3x4x6xf32>, tensor<3x4x6xf32>,
      tensor<6xf32>, tensor<3x4x6x!quant4.int<4>>, tensor<3x4x6xf32>, tensor<3x4x6xf32>
}
