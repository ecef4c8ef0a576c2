// quant4.dropout on the CPU (the runtime's quant4_rt_dropout_f32), compared
// byte for byte with quant4-ref (Numerics' num::dropout called directly),
// on 1 and 2 threads; the seed is an i64 argument.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 3x5x7 --random 11 --specials
// RUN: quant4-ref gen %t/seed.npy --dtype int64 --values 12345
//
// RUN: quant4-run %s --entry drop --input %t/x.npy --input %t/seed.npy --output-dir %t/o1
// RUN: quant4-run %s --entry drop --input %t/x.npy --input %t/seed.npy --output-dir %t/o2 --threads 2
// RUN: quant4-ref dropout %t/x.npy %t/r0.npy --ratio 0.25 --seed 12345 --stream 7
// RUN: cmp %t/o1/result0.npy %t/r0.npy
// RUN: cmp %t/o2/result0.npy %t/r0.npy
// RUN: quant4-ref dropout %t/x.npy %t/r1.npy --ratio 0.5 --seed 12345 --stream 1099511627776
// RUN: cmp %t/o1/result1.npy %t/r1.npy
//
// The values: every element is 0 (dropped) or x / (1 - 0.5) = 2x (kept), and
// about half are dropped.
// RUN: quant4-ref gen %t/ones.npy --dtype float32 --shape 64x64 --random 1 --lo 1 --hi 1
// RUN: quant4-run %s --entry half --input %t/ones.npy --input %t/seed.npy --output-dir %t/h
// RUN: quant4-ref print %t/h/result0.npy | sort | uniq -c | FileCheck %s --check-prefix=HALF
// HALF: {{^ *(19[5-9][0-9]|20[0-9][0-9]|21[0-4][0-9]) 0$}}
// HALF-NEXT: {{^ *(19[5-9][0-9]|20[0-9][0-9]|21[0-4][0-9]) 2$}}
func.func @drop(%x: tensor<3x5x7xf32>, %seed: i64) -> (tensor<3x5x7xf32>, tensor<3x5x7xf32>) {
  %0 = quant4.dropout %x seed %seed ratio 2.500000e-01 {stream = 7 : i64} : tensor<3x5x7xf32>
  %1 = quant4.dropout %x seed %seed ratio 5.000000e-01 {stream = 1099511627776 : i64} : tensor<3x5x7xf32>
  return %0, %1 : tensor<3x5x7xf32>, tensor<3x5x7xf32>
}

func.func @half(%x: tensor<64x64xf32>, %seed: i64) -> tensor<64x64xf32> {
  %0 = quant4.dropout %x seed %seed ratio 5.000000e-01 : tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}
