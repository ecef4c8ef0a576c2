// RUN: quant4-opt %s --split-input-file --q4a-synchronize | FileCheck %s
// RUN: quant4-opt %s --split-input-file --q4a-synchronize=mode=serial | FileCheck %s --check-prefix=SERIAL
// RUN: not quant4-opt %s --split-input-file --q4a-synchronize=mode=fast 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: q4a-synchronize: unknown mode 'fast' (expected 'tokens' or 'serial')

// A load, a vector op on what it loaded and a store of the result: one
// token from the DMA to the VPU (read after write), one back (the store reads
// the vop's result), the second load into an unrelated SP range needs none,
// halt syncs the DMA (its last instruction is ordered after the vop).
// CHECK-LABEL: q4a.program @chain
// CHECK:      q4a.dma_ld sp = 0x0,
// CHECK-NEXT: q4a.dep_signal unit = 1, peer = 3
// CHECK-NEXT: q4a.dma_ld sp = 0x400,
// CHECK-NEXT: q4a.dep_wait unit = 3, peer = 1
// CHECK-NEXT: q4a.vop fn = neg
// CHECK-NEXT: q4a.dep_signal unit = 3, peer = 1
// CHECK-NEXT: q4a.dep_wait unit = 1, peer = 3
// CHECK-NEXT: q4a.dma_st
// CHECK-NEXT: q4a.sync mask = 0x2
// CHECK-NEXT: q4a.halt
// SERIAL-LABEL: q4a.program @chain
// SERIAL:      q4a.dma_ld sp = 0x0,
// SERIAL-NEXT: q4a.dma_ld sp = 0x400,
// SERIAL-NEXT: q4a.sync mask = 0x2
// SERIAL-NEXT: q4a.vop fn = neg
// SERIAL-NEXT: q4a.sync mask = 0x8
// SERIAL-NEXT: q4a.dma_st
// SERIAL-NEXT: q4a.sync mask = 0x2
// SERIAL-NEXT: q4a.halt
q4a.program @chain dram(4096)
    inputs([#q4a.tensor<"x", 0, tensor<4xf32>>])
    outputs([#q4a.tensor<"y", 64, tensor<4xf32>>]) {
  q4a.dma_ld sp = 0x0, dram = 0x0, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.dma_ld sp = 0x400, dram = 0x0, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.vop fn = neg, n = 4, d = 0x100, a = 0x0, b = 0x0, c = 0x0, ra = 0, rb = 0, rc = 0
  q4a.dma_st sp = 0x100, dram = 0x40, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.halt
}

// -----

// The synchronisation already there is replaced: the syncs go; the vop
// waits only for the load it reads (its token follows the first load); a
// scalar load of the vop's result gets a sync of the VPU alone, halt one of
// the DMA (its second load is still unordered).
// CHECK-LABEL: q4a.program @resync
// CHECK:      q4a.dma_ld sp = 0x0,
// CHECK-NEXT: q4a.dep_signal unit = 1, peer = 3
// CHECK-NEXT: q4a.dma_ld sp = 0x10,
// CHECK-NEXT: q4a.dep_wait unit = 3, peer = 1
// CHECK-NEXT: q4a.vop fn = neg
// CHECK-NEXT: q4a.sync mask = 0x8
// CHECK-NEXT: q4a.fld fd = f1, addr = 0x100
// CHECK-NEXT: q4a.sync mask = 0x2
// CHECK-NEXT: q4a.halt
q4a.program @resync dram(4096)
    inputs([#q4a.tensor<"x", 0, tensor<4xf32>>]) outputs([]) {
  q4a.dma_ld sp = 0x0, dram = 0x0, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.sync mask = 0x1f
  q4a.dma_ld sp = 0x10, dram = 0x0, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  q4a.sync mask = 0x1f
  q4a.vop fn = neg, n = 4, d = 0x100, a = 0x0, b = 0x0, c = 0x0, ra = 0, rb = 0, rc = 0
  q4a.sync mask = 0x1f
  q4a.fld fd = f1, addr = 0x100
  q4a.halt
}
