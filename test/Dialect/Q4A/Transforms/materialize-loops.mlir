// RUN: quant4-opt %s --split-input-file --q4a-materialize-loops | FileCheck %s
// RUN: quant4-opt %s --split-input-file --q4a-materialize-loops | quant4-opt --split-input-file | FileCheck %s
// RUN: not quant4-opt %s --split-input-file --q4a-materialize-loops --q4a-materialize-loops -o /dev/null 2>&1 | FileCheck %s --check-prefix=TWICE
// RUN: not quant4-opt %s --split-input-file --q4a-materialize-loops --q4a-synchronize -o /dev/null 2>&1 | FileCheck %s --check-prefix=SYNC
// (Executed, rolled programs give the same bytes as straight-line ones:
// test/Sim/crosscheck-lenet.test, crosscheck-onnx.test; unit tests
// Q4ALoops.*, SimLoops.*.)

// Four 64-byte blocks, each loaded, negated and stored: one loop of four
// iterations whose addresses step by the block size.
// CHECK-LABEL: q4a.program @blocks
// CHECK-NEXT:  q4a.loop count = 4 {
// CHECK-NEXT:    q4a.dma_ld sp = 0x0 + 0x40 * i0, dram = 0x0 + 0x40 * i0, rows = 1, bytes = 64,
// CHECK-NEXT:    q4a.vop fn = neg, n = 16, d = 0x400 + 0x40 * i0, a = 0x0 + 0x40 * i0, b = 0x0,
// CHECK-NEXT:    q4a.dma_st sp = 0x400 + 0x40 * i0, dram = 0x100 + 0x40 * i0, rows = 1, bytes = 64,
// CHECK-NEXT:  }
// CHECK-NEXT:  q4a.halt
q4a.program @blocks dram(512)
    inputs([#q4a.tensor<"x", 0, tensor<64xf32>>])
    outputs([#q4a.tensor<"y", 256, tensor<64xf32>>]) {
  q4a.dma_ld sp = 0x0, dram = 0x0, rows = 1, bytes = 64, dstride = 0x40, sstride = 0x40
  q4a.vop fn = neg, n = 16, d = 0x400, a = 0x0, b = 0x0, c = 0x0, ra = 0, rb = 0, rc = 0
  q4a.dma_st sp = 0x400, dram = 0x100, rows = 1, bytes = 64, dstride = 0x40, sstride = 0x40
  q4a.dma_ld sp = 0x40, dram = 0x40, rows = 1, bytes = 64, dstride = 0x40, sstride = 0x40
  q4a.vop fn = neg, n = 16, d = 0x440, a = 0x40, b = 0x0, c = 0x0, ra = 0, rb = 0, rc = 0
  q4a.dma_st sp = 0x440, dram = 0x140, rows = 1, bytes = 64, dstride = 0x40, sstride = 0x40
  q4a.dma_ld sp = 0x80, dram = 0x80, rows = 1, bytes = 64, dstride = 0x40, sstride = 0x40
  q4a.vop fn = neg, n = 16, d = 0x480, a = 0x80, b = 0x0, c = 0x0, ra = 0, rb = 0, rc = 0
  q4a.dma_st sp = 0x480, dram = 0x180, rows = 1, bytes = 64, dstride = 0x40, sstride = 0x40
  q4a.dma_ld sp = 0xc0, dram = 0xc0, rows = 1, bytes = 64, dstride = 0x40, sstride = 0x40
  q4a.vop fn = neg, n = 16, d = 0x4c0, a = 0xc0, b = 0x0, c = 0x0, ra = 0, rb = 0, rc = 0
  q4a.dma_st sp = 0x4c0, dram = 0x1c0, rows = 1, bytes = 64, dstride = 0x40, sstride = 0x40
  q4a.halt
}

// -----

// A 2 x 4 walk: the inner loop steps the column, the outer one the row;
// the first instruction is not part of the pattern and stays out.
// CHECK-LABEL: q4a.program @walk
// CHECK-NEXT:  q4a.li xd = x1, imm = 7
// CHECK-NEXT:  q4a.loop count = 2 {
// CHECK-NEXT:    q4a.loop count = 4 {
// CHECK-NEXT:      q4a.dma_ld sp = 0x0 + 0x100 * i0 + 0x10 * i1, dram = 0x0 + 0x40 * i0 + 0x10 * i1, rows = 1, bytes = 16,
// CHECK-NEXT:    }
// CHECK-NEXT:  }
// CHECK-NEXT:  q4a.halt
q4a.program @walk dram(512)
    inputs([#q4a.tensor<"x", 0, tensor<32xf32>>])
    outputs([]) {
  q4a.li xd = x1, imm = 7
  q4a.dma_ld sp = 0x0, dram = 0x0, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.dma_ld sp = 0x10, dram = 0x10, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.dma_ld sp = 0x20, dram = 0x20, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.dma_ld sp = 0x30, dram = 0x30, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.dma_ld sp = 0x100, dram = 0x40, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.dma_ld sp = 0x110, dram = 0x50, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.dma_ld sp = 0x120, dram = 0x60, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.dma_ld sp = 0x130, dram = 0x70, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.halt
}

// The pass takes straight-line code only, and so do the scheduling passes.
// TWICE: error: 'q4a.loop' op q4a-materialize-loops takes straight-line code; the program already has loops
// SYNC: error: 'q4a.loop' op the scheduling passes work on straight-line code: run q4a-materialize-loops after them
