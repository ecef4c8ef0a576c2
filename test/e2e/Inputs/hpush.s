; HPUSH of an amax read from DRAM into a 4-entry history loaded from DRAM
; (sim-hpush.test also runs it with a 3-entry input: then HPUSH reads
; entries 0..2 only and the store reads the unwritten entry 3).
.program hpush
.dram 0x100
.input a f32[] @0x0
.input h f32[4] @0x10
.output y f32[4] @0x40
.text
  dma.ld sp=0x10, dram=0x0, rows=1, bytes=4, dstride=0x0, sstride=0x0
  dma.ld sp=0x40, dram=0x10, rows=1, bytes=16, dstride=0x0, sstride=0x0
  sync mask=0x2
  fld fd=f1, addr=0x10
  hpush fa=f1, h=4, hist=0x40
  sync mask=0x10
  dma.st sp=0x40, dram=0x40, rows=1, bytes=16, dstride=0x0, sstride=0x0
  sync mask=0x2
  halt
