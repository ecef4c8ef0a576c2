// Per-axis amax and SAWB scales on Q4A (docs/ISA.md §9): one strided DMA
// gathers the elements sharing an index of the axis (row-major, as the CPU
// runtime groups them), vred amax + samax or ssawb (sawb.acc chunks when the
// group does not fit half the scratchpad) gives each scale. The bytes equal
// the CPU pipeline's, for an inner axis, the last axis and the first, with
// whole groups and in chunks.
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 6x5x36 --random 21 --lo -2 --hi 3
// RUN: quant4-run %s --entry axes --input %t/x.npy --output-dir %t/cpu
// RUN: for sp in 4096 1024; do quant4-opt %s --convert-quant4-to-q4a="entry=axes sp-size=$sp" --q4a-hoist-loads --q4a-synchronize | quant4-translate --q4a-to-bin -o %t/q$sp.q4a; done
// RUN: for sp in 4096 1024; do quant4-sim %t/q$sp.q4a --strict-sync --input %t/x.npy --output-dir %t/sim$sp; done
// RUN: for sp in 4096 1024; do for i in 0 1 2 3; do cmp %t/cpu/result$i.npy %t/sim$sp/result$i.npy; done; done
// RUN: quant4-opt %s --convert-quant4-to-q4a="entry=axes sp-size=4096" | FileCheck %s
// RUN: quant4-opt %s --convert-quant4-to-q4a="entry=axes sp-size=1024" | FileCheck %s --check-prefix=CHUNKS
// Axis 1 (5 groups of 6 runs of 36): one gather per group.
// CHECK: q4a.dma_ld sp = {{.*}}, rows = 6, bytes = 144, dstride = 0x2d0, sstride = 0x90
// CHECK-NEXT: q4a.vred red = amax, axis = all, init = 0, rows = 1, cols = 216
// CHECK-NEXT: q4a.fld fd = f1
// CHECK-NEXT: q4a.samax fd = f2, fa = f1, fmt = !quant4.log<4, 3, 0>, pow2 = 1
// Axis 2 (36 groups of 30 single elements), SAWB of the whole group.
// CHECK: q4a.dma_ld sp = {{.*}}, dram = 0x0, rows = 30, bytes = 4, dstride = 0x90, sstride = 0x4
// CHECK-NEXT: q4a.ssawb fd = f2, fmt = !quant4.int<4>, s = {{.*}}, n = 30
// With half of 1 KiB an axis-1 group (864 bytes) comes three runs of 36 at
// a time: vred with init = 1 after the first; sawb.acc in the lane of each
// chunk's first element (108 mod 16 = 12).
// CHUNKS: q4a.vred red = amax, axis = all, init = 0, rows = 1, cols = 108
// CHUNKS-NEXT: q4a.dma_ld
// CHUNKS-NEXT: q4a.vred red = amax, axis = all, init = 1, rows = 1, cols = 108
// CHUNKS: q4a.sawb_acc s = {{.*}}, n = 108, lane = 0, init = 1
// CHUNKS-NEXT: q4a.dma_ld
// CHUNKS-NEXT: q4a.sawb_acc s = {{.*}}, n = 108, lane = 12, init = 0
// CHUNKS-NEXT: q4a.sawb_fin fd = f2, fmt = !quant4.int<4>
func.func @axes(%x: tensor<6x5x36xf32>)
    -> (tensor<5xf32>, tensor<36xf32>, tensor<6xf32>, tensor<5xf32>) {
  %a1 = quant4.scale #quant4.amax<pow2> %x for !quant4.log<4, 3, 0> granularity<axis = 1>
      : tensor<6x5x36xf32> -> tensor<5xf32>
  %s2 = quant4.scale #quant4.sawb %x for !quant4.int<4> granularity<axis = 2>
      : tensor<6x5x36xf32> -> tensor<36xf32>
  %a0 = quant4.scale #quant4.amax %x for !quant4.uint<4> granularity<axis = 0>
      : tensor<6x5x36xf32> -> tensor<6xf32>
  %s1 = quant4.scale #quant4.sawb %x for !quant4.int<4> granularity<axis = 1>
      : tensor<6x5x36xf32> -> tensor<5xf32>
  return %a1, %s2, %a0, %s1 : tensor<5xf32>, tensor<36xf32>, tensor<6xf32>, tensor<5xf32>
}
