; The vop reads what the dma.ld writes with no sync between the DMA and the
; VPU: not well synchronised (docs/ISA.md §2.3).
.program race
.dram 0x100
.input x f32[4] @0x0
.output y f32[4] @0x40
.text
  dma.ld sp=0x0, dram=0x0, rows=1, bytes=16, dstride=0x0, sstride=0x0
  vop fn=neg, n=4, d=0x100, a=0x0, b=0x0, c=0x0, ra=0, rb=0, rc=0
  sync mask=0x8
  dma.st sp=0x100, dram=0x40, rows=1, bytes=16, dstride=0x0, sstride=0x0
  sync mask=0x2
  halt
