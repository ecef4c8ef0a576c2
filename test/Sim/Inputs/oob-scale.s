; quant's per-axis scale index comes from x3/x4 at run time: sigma = 200000
; puts the scale at SP 0x40 + 4 * 200000, outside the 512 KiB scratchpad.
.program oob_scale
.dram 0x100
.input x f32[4] @0x0
.input s f32[1] @0x20
.output q code<int4>[4] @0x40
.text
  dma.ld sp=0x0, dram=0x0, rows=1, bytes=16, dstride=0x0, sstride=0x0
  dma.ld sp=0x40, dram=0x20, rows=1, bytes=4, dstride=0x0, sstride=0x0
  sync mask=0x2
  li xd=x3, imm=4503599627370497
  li xd=x4, imm=200000
  quant fmt=int4, rnd=nearest, n=4, d=0x80, s=0x0, sc=0x40, key=x0, grp=x3, ts=f0
  sync mask=0x10
  dma.st sp=0x80, dram=0x40, rows=1, bytes=4, dstride=0x0, sstride=0x0
  halt
