// SAWB of a tensor larger than the scratchpad (docs/ISA.md §6.2, ISA 1.2):
// sawb.acc gathers its statistics chunk by chunk (each chunk a multiple of
// 16 elements, so each starts in lane 0), sawb.fin computes the scale; the
// bits equal the CPU pipeline's num::sawbScale over the whole tensor. The
// same function with a scratchpad that holds the tensor uses ssawb.
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/w.npy --dtype float32 --shape 50x41 --random 11 --lo -0.7 --hi 0.9
// RUN: quant4-run %s --entry sawb --input %t/w.npy --output-dir %t/cpu
// RUN: quant4-opt %s --convert-quant4-to-q4a="entry=sawb sp-size=4096" --q4a-hoist-loads --q4a-synchronize -o %t/small.mlir
// RUN: FileCheck %s --input-file %t/small.mlir
// RUN: quant4-translate --q4a-to-bin %t/small.mlir -o %t/small.q4a
// RUN: quant4-sim %t/small.q4a --strict-sync --input %t/w.npy --output-dir %t/sim
// RUN: cmp %t/cpu/result0.npy %t/sim/result0.npy
// RUN: cmp %t/cpu/result1.npy %t/sim/result1.npy
// RUN: quant4-opt %s --convert-quant4-to-q4a=entry=sawb --q4a-synchronize | FileCheck %s --check-prefix=WHOLE
// (The op gets half of the 4096-byte scratchpad: chunks of 496 elements.)
// CHECK: q4a.sawb_acc s = {{.*}}, n = 496, lane = 0, init = 1
// CHECK-COUNT-3: q4a.sawb_acc s = {{.*}}, n = 496, lane = 0, init = 0
// CHECK: q4a.sawb_acc s = {{.*}}, n = 66, lane = 0, init = 0
// CHECK: q4a.sawb_fin fd = f2, fmt = !quant4.int<4>
// WHOLE: q4a.ssawb fd = f2, fmt = !quant4.int<4>, s = {{.*}}, n = 2050
// WHOLE-NOT: q4a.sawb_acc
func.func @sawb(%w: tensor<50x41xf32>) -> (tensor<f32>, tensor<50x41x!quant4.int<4>>) {
  %s = quant4.scale #quant4.sawb %w for !quant4.int<4> : tensor<50x41xf32> -> tensor<f32>
  %q = quant4.quantize %w, %s rounding<nearest> : tensor<50x41xf32>, tensor<f32> -> tensor<50x41x!quant4.int<4>>
  return %s, %q : tensor<f32>, tensor<50x41x!quant4.int<4>>
}
