// tensor.pad on Q4A (docs/ISA.md §9): the result is filled with the padding
// value (a constant, or a scalar argument), then the source is scattered
// into its interior by strided DMA; the bytes equal the CPU pipeline's.
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 2x5x7x3 --random 3 --lo -2 --hi 2
// RUN: quant4-ref gen %t/v.npy --dtype float32 --values -1.5
// RUN: quant4-run %s --entry pads --input %t/x.npy --input %t/v.npy --output-dir %t/cpu
// RUN: quant4-opt %s --convert-quant4-to-q4a=entry=pads --q4a-hoist-loads --q4a-synchronize | quant4-translate --q4a-to-bin -o %t/p.q4a
// RUN: quant4-sim %t/p.q4a --strict-sync --input %t/x.npy --input %t/v.npy --output-dir %t/sim
// RUN: cmp %t/cpu/result0.npy %t/sim/result0.npy
// RUN: cmp %t/cpu/result1.npy %t/sim/result1.npy
// RUN: quant4-opt %s --convert-quant4-to-q4a=entry=pads | FileCheck %s
// CHECK: q4a.lif fd = f1, imm = 0x0
// CHECK-NEXT: q4a.vop fn = mov, n = 540, d = 0x10, a = 0x1, b = 0x0, c = 0x0, ra = 1
// CHECK: q4a.dma_st sp = 0x10, dram = {{.*}}, rows = 1, bytes = 2160
// CHECK: q4a.fld fd = f1
// CHECK-NEXT: q4a.vop fn = mov, n = 340
// RUN: not quant4-opt %s --convert-quant4-to-q4a=entry=computed -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: 'tensor.pad' op the padding value must be a constant or a value defined outside the pad to be lowered to Q4A
func.func @pads(%x: tensor<2x5x7x3xf32>, %v: tensor<f32>)
    -> (tensor<2x9x10x3xf32>, tensor<2x5x17x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 2, 1, 0] high[0, 2, 2, 0] {
    ^bb0(%a: index, %b: index, %c: index, %d: index):
      tensor.yield %zero : f32
  } : tensor<2x5x7x3xf32> to tensor<2x9x10x3xf32>
  %s = tensor.extract %v[] : tensor<f32>
  %e = tensor.extract_slice %x[0, 0, 0, 1] [2, 5, 7, 2] [1, 1, 1, 1]
      : tensor<2x5x7x3xf32> to tensor<2x5x7x2xf32>
  %q = tensor.pad %e low[0, 0, 10, 0] high[0, 0, 0, 0] {
    ^bb0(%a: index, %b: index, %c: index, %d: index):
      tensor.yield %s : f32
  } : tensor<2x5x7x2xf32> to tensor<2x5x17x2xf32>
  return %p, %q : tensor<2x9x10x3xf32>, tensor<2x5x17x2xf32>
}
func.func private @computed(%x: tensor<2x4xf32>, %v: f32) -> tensor<2x6xf32> {
  %p = tensor.pad %x low[0, 1] high[0, 1] {
    ^bb0(%a: index, %b: index):
      %w = arith.addf %v, %v : f32
      tensor.yield %w : f32
  } : tensor<2x4xf32> to tensor<2x6xf32>
  return %p : tensor<2x6xf32>
}
