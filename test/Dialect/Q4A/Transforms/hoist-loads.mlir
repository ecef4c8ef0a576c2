// RUN: quant4-opt %s --split-input-file --q4a-hoist-loads | FileCheck %s
// RUN: quant4-opt %s --split-input-file --q4a-hoist-loads=window=1 | FileCheck %s --check-prefix=W1
// RUN: quant4-opt %s --split-input-file --q4a-hoist-loads --q4a-synchronize | quant4-translate --q4a-to-bin -o %t.q4a
// RUN: quant4-sim %t.q4a --random-inputs 1 --strict-sync --stats | FileCheck %s --check-prefix=SIM

// The next op's load (into 0x200) reads DRAM the store does not write and
// writes SP nothing earlier touches: it moves to the front. The load into
// 0x0 again would overwrite the vop's source: it moves up to just after the
// vop. The load of what the store wrote stays after the store. The syncs of
// the input are dropped.
// CHECK-LABEL: q4a.program @next_op
// CHECK:      q4a.dma_ld sp = 0x200, dram = 0x80,
// CHECK-NEXT: q4a.dma_ld sp = 0x0, dram = 0x0,
// CHECK-NEXT: q4a.vop fn = neg
// CHECK-NEXT: q4a.dma_ld sp = 0x0, dram = 0xc0,
// CHECK-NEXT: q4a.dma_st sp = 0x100, dram = 0x40,
// CHECK-NEXT: q4a.dma_ld sp = 0x300, dram = 0x40,
// CHECK-NEXT: q4a.vop fn = neg, n = 4, d = 0x400
// CHECK-NEXT: q4a.dma_st sp = 0x400
// CHECK-NEXT: q4a.halt
// With a window of 1 each load moves at most one place among those before it.
// W1-LABEL: q4a.program @next_op
// W1:      q4a.dma_ld sp = 0x0, dram = 0x0,
// W1-NEXT: q4a.vop fn = neg
// W1-NEXT: q4a.dma_st sp = 0x100
// W1-NEXT: q4a.dma_ld sp = 0x200, dram = 0x80,
// W1-NEXT: q4a.dma_ld sp = 0x0, dram = 0xc0,
// W1-NEXT: q4a.dma_ld sp = 0x300, dram = 0x40,
// SIM: hazards: 0
q4a.program @next_op dram(4096)
    inputs([#q4a.tensor<"x", 0, tensor<64xf32>>])
    outputs([#q4a.tensor<"y", 1024, tensor<4xf32>>]) {
  q4a.dma_ld sp = 0x0, dram = 0x0, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.sync mask = 0x1f
  q4a.vop fn = neg, n = 4, d = 0x100, a = 0x0, b = 0x0, c = 0x0, ra = 0, rb = 0, rc = 0
  q4a.sync mask = 0x1f
  q4a.dma_st sp = 0x100, dram = 0x40, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.dma_ld sp = 0x300, dram = 0x40, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.dma_ld sp = 0x200, dram = 0x80, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.dma_ld sp = 0x0, dram = 0xc0, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.vop fn = neg, n = 4, d = 0x400, a = 0x200, b = 0x0, c = 0x0, ra = 0, rb = 0, rc = 0
  q4a.dma_st sp = 0x400, dram = 0x400, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.halt
}
