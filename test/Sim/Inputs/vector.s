; VPU functions, reductions and a transpose on x = [[1, -2, 3.5], [-0.5, 0, 4]]
; (values worked out by hand in vector.test).
.program vector
.arch sp=524288 rows=32 cols=32
.dram 0x400
.input x f32[2,3] @0x0
.output sum f32[2,3] @0x100
.output mx f32[2,3] @0x120
.output sel f32[2,3] @0x140
.output rows f32[2] @0x160
.output cols f32[3] @0x170
.output all f32[] @0x180
.output t f32[3,2] @0x190
.text
  dma.ld sp=0x0, dram=0x0, rows=1, bytes=24, dstride=0x0, sstride=0x0
  lif fd=f1, imm=0x3fc00000
  lif fd=f2, imm=0x0
  sync mask=0x2
  vop fn=add, n=6, d=0x100, a=0x0, b=0x1, c=0x0, ra=0, rb=1, rc=0
  vop fn=neg, n=6, d=0x200, a=0x0, b=0x0, c=0x0, ra=0, rb=0, rc=0
  vop fn=max, n=6, d=0x120, a=0x0, b=0x200, c=0x0, ra=0, rb=0, rc=0
  vop fn=cmp.gt, n=6, d=0x240, a=0x0, b=0x2, c=0x0, ra=0, rb=1, rc=0
  vop fn=sel, n=6, d=0x140, a=0x240, b=0x0, c=0x2, ra=0, rb=0, rc=1
  vred red=sum, axis=row, init=0, rows=2, cols=3, d=0x160, s=0x0
  vred red=max, axis=col, init=0, rows=2, cols=3, d=0x170, s=0x0
  vred red=amax, axis=all, init=0, rows=2, cols=3, d=0x180, s=0x0
  vtr esz=2, rows=2, cols=3, d=0x190, s=0x0
  sync mask=0x8
  dma.st sp=0x100, dram=0x100, rows=1, bytes=24, dstride=0x0, sstride=0x0
  dma.st sp=0x120, dram=0x120, rows=1, bytes=24, dstride=0x0, sstride=0x0
  dma.st sp=0x140, dram=0x140, rows=1, bytes=24, dstride=0x0, sstride=0x0
  dma.st sp=0x160, dram=0x160, rows=1, bytes=8, dstride=0x0, sstride=0x0
  dma.st sp=0x170, dram=0x170, rows=1, bytes=12, dstride=0x0, sstride=0x0
  dma.st sp=0x180, dram=0x180, rows=1, bytes=4, dstride=0x0, sstride=0x0
  dma.st sp=0x190, dram=0x190, rows=1, bytes=24, dstride=0x0, sstride=0x0
  sync mask=0x2
  halt
