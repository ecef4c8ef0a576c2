; quant / deq with per-row scales (grp: inner 8, len 4), nearest_log to
; log<4,3,0> and stochastic rounding to int4 keyed by (seed input, stream 3).
.program quant
.arch sp=524288 rows=32 cols=32
.dram 0x1000
.input x f32[4,8] @0x0
.input s f32[4] @0x80
.input seed i64[] @0x90
.output q code<log<4,3,0,4>>[4,8] @0x100
.output qs code<int4>[4,8] @0x140
.output y f32[4,8] @0x200
.text
  dma.ld sp=0x0, dram=0x0, rows=1, bytes=128, dstride=0x0, sstride=0x0
  dma.ld sp=0x80, dram=0x80, rows=1, bytes=16, dstride=0x0, sstride=0x0
  dma.ld sp=0x90, dram=0x90, rows=1, bytes=8, dstride=0x0, sstride=0x0
  sync mask=0x2
  xld xd=x1, addr=0x90
  li xd=x2, imm=3
  li xd=x3, imm=17179869192
  li xd=x4, imm=0
  quant fmt=log<4,3,0,4>, rnd=nearest_log, n=32, d=0x400, s=0x0, sc=0x80, key=x0, grp=x3, ts=f0
  quant fmt=int4, rnd=stochastic, n=32, d=0x440, s=0x0, sc=0x80, key=x1, grp=x3, ts=f0
  deq fmt=log<4,3,0,4>, n=32, d=0x500, s=0x400, sc=0x80, grp=x3, ts=f0
  sync mask=0x10
  dma.st sp=0x400, dram=0x100, rows=1, bytes=32, dstride=0x0, sstride=0x0
  dma.st sp=0x440, dram=0x140, rows=1, bytes=32, dstride=0x0, sstride=0x0
  dma.st sp=0x500, dram=0x200, rows=1, bytes=128, dstride=0x0, sstride=0x0
  sync mask=0x2
  halt
