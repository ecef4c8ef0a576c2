// --seed S reaches stochastic rounding: the key seed is (seed operand + S),
// checked against quant4-ref; different S give different codes. quant4-run
// also runs IR already lowered to the LLVM dialect by quant4-cpu-pipeline
// (it reads the quant4.signature attribute), with identical results.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 16x16 --random 3 --lo -5 --hi 5
// RUN: quant4-ref gen %t/s.npy --dtype float32 --values 0.5
// RUN: quant4-run %s --entry sr --input %t/x.npy --input %t/s.npy --output-dir %t/s0
// RUN: quant4-run %s --entry sr --input %t/x.npy --input %t/s.npy --output-dir %t/s8 --seed 8
// RUN: quant4-ref quantize %t/x.npy %t/s.npy %t/r0.npy --format int4 --rounding stochastic --seed 42 --stream 6
// RUN: quant4-ref quantize %t/x.npy %t/s.npy %t/r8.npy --format int4 --rounding stochastic --seed 50 --stream 6
// RUN: cmp %t/s0/result0.npy %t/r0.npy
// RUN: cmp %t/s8/result0.npy %t/r8.npy
// RUN: not cmp -s %t/s0/result0.npy %t/s8/result0.npy
//
// RUN: quant4-opt %s --quant4-cpu-pipeline -o %t/lowered.mlir
// RUN: quant4-run %t/lowered.mlir --entry sr --input %t/x.npy --input %t/s.npy --output-dir %t/l8 --seed 8 --print | FileCheck %s
// RUN: cmp %t/s8/result0.npy %t/l8/result0.npy
// CHECK: result0: tensor<16x16x!quant4.int<4>>
// CHECK-NEXT: {{^\[\[[0-9]+, }}
func.func @sr(%x: tensor<16x16xf32>, %s: tensor<f32>) -> tensor<16x16x!quant4.int<4>> {
  %seed = arith.constant 42 : i64
  %q = quant4.quantize %x, %s seed %seed rounding<stochastic> {stream = 6} : tensor<16x16xf32>, tensor<f32> -> tensor<16x16x!quant4.int<4>>
  return %q : tensor<16x16x!quant4.int<4>>
}
