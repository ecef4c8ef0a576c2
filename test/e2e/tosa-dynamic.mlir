// A TOSA op (through tosa-to-linalg) feeding quant4 on a dynamically shaped
// tensor; hand-checkable values: |x| / 0.5 rounded to nearest (ties away from
// zero) in int4: 1.5 -> 3, 2 -> 4, 0.25 -> 0.5 -> 1, 3 -> 6, 9 -> 7 (saturated).
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 1x5 --values -1.5,2,-0.25,3,-9
// RUN: quant4-ref gen %t/s.npy --dtype float32 --values 0.5
// RUN: quant4-run %s --entry f --input %t/x.npy --input %t/s.npy --print | FileCheck %s
// CHECK: result0: tensor<?x5xf32>
// CHECK-NEXT: {{^\[}}[1.5, 2, 0.25, 3, 9]]
// CHECK-NEXT: result1: tensor<?x5x!quant4.int<4>>
// CHECK-NEXT: {{^\[}}[3, 4, 1, 6, 7]]
func.func @f(%x: tensor<?x5xf32>, %s: tensor<f32>) -> (tensor<?x5xf32>, tensor<?x5x!quant4.int<4>>) {
  %y = tosa.abs %x : (tensor<?x5xf32>) -> tensor<?x5xf32>
  %q = quant4.quantize %y, %s rounding<nearest> : tensor<?x5xf32>, tensor<f32> -> tensor<?x5x!quant4.int<4>>
  return %y, %q : tensor<?x5xf32>, tensor<?x5x!quant4.int<4>>
}
