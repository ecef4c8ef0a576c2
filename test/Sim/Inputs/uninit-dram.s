; Loads DRAM bytes that are neither an input, a data segment nor written.
.program uninit_dram
.dram 0x200
.input x f32[4] @0x0
.output y f32[4] @0x40
.text
  dma.ld sp=0x0, dram=0x0, rows=2, bytes=16, dstride=0x100, sstride=0x10
  sync mask=0x2
  dma.st sp=0x0, dram=0x40, rows=1, bytes=16, dstride=0x0, sstride=0x0
  halt
