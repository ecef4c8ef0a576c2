// quant4.pact_calibrate run on the CPU (num::pactCalibrate), against values
// worked by hand (unittests/Numerics/ScaleTest.cpp works the same cases):
// - 1..15: alpha = 15 puts every element on the grid (error 0);
// - 10,000 ones and one 64 (candidates k/2): alpha = 16, error 2348.4
//   (16/15 steps: each one off by 1/15; 64 clipped to 16), against 2401 at
//   15 and 2356.25 at 16.5;
// - nothing positive (-1, 0, -3): the fallback, 10;
// - 2-bit codes (levels 0..3): the ramp 1, 2, 3 is exact at alpha = 3.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/ramp.npy --dtype float32 --shape 15 --values 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
// RUN: quant4-ref gen %t/neg.npy --dtype float32 --shape 3 --values -1,0,-3
// RUN: quant4-ref gen %t/ramp3.npy --dtype float32 --shape 3 --values 1,2,3
// RUN: quant4-ref gen %t/fallback.npy --dtype float32 --values 10
// RUN: quant4-run %s --entry calibrate --input %t/ramp.npy --input %t/neg.npy --input %t/ramp3.npy --input %t/fallback.npy --output-dir %t/out
// RUN: quant4-ref print %t/out/result0.npy | FileCheck %s --check-prefix=RAMP
// RUN: quant4-ref print %t/out/result1.npy | FileCheck %s --check-prefix=OUTLIER
// RUN: quant4-ref print %t/out/result2.npy | FileCheck %s --check-prefix=NONE
// RUN: quant4-ref print %t/out/result3.npy | FileCheck %s --check-prefix=TWOBIT
// RAMP: {{^}}15{{$}}
// OUTLIER: {{^}}16{{$}}
// NONE: {{^}}10{{$}}
// TWOBIT: {{^}}3{{$}}
func.func @calibrate(%ramp: tensor<15xf32>, %neg: tensor<3xf32>,
                     %ramp3: tensor<3xf32>, %fallback: tensor<f32>)
    -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>) {
  %ones = arith.constant dense<1.0> : tensor<10001xf32>
  %big = arith.constant 64.0 : f32
  %last = arith.constant 10000 : index
  %outlier = tensor.insert %big into %ones[%last] : tensor<10001xf32>
  %0 = quant4.pact_calibrate %ramp, %fallback for !quant4.uint<4> : tensor<15xf32>
  %1 = quant4.pact_calibrate %outlier, %fallback for !quant4.uint<4> : tensor<10001xf32>
  %2 = quant4.pact_calibrate %neg, %fallback for !quant4.uint<4> : tensor<3xf32>
  %3 = quant4.pact_calibrate %ramp3, %fallback for !quant4.uint<2> : tensor<3xf32>
  return %0, %1, %2, %3 : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>
}
