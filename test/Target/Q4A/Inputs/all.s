; Every Q4A instruction once (docs/ISA.md), with distinctive field values.
.program all
.arch sp=524288 rows=32 cols=32
.dram 0x2000
.input x f32[4,8] @0x0
.input seed i64[] @0x80
.output y code<log<4,3,1,4>>[4,8] @0x100
.output loss f32[] @0x140
.data @0x1000 size=6
.hex 0000803f0102
.text
  nop
  sync mask=0x1f
  li xd=x31, imm=-2
  lif fd=f5, imm=0x3f800000
  xld xd=x1, addr=0x7fff8
  fld fd=f2, addr=0x100
  fst fs=f2, addr=0x104
  fop fn=mul, fd=f3, fa=f1, fb=f2
  dma.ld sp=0x100, dram=0x0, rows=3, bytes=16, dstride=0x800, sstride=0x20
  dma.st sp=0x40, dram=0x100, rows=2, bytes=16, dstride=0x20, sstride=0x10
  mcfg fa=log<4,3,0,4>, fb=uint4, acc=f16_chunked, chunk=64
  mma tile=7, accum=1, ta=1, tb=0, m=32, n=17, k=1000, a=0x10, b=0x8000, lda=32, ldb=17
  mst tile=3, m=5, n=6, d=0x200, ldc=6, sam=1, sa=0x300, sbm=0, sb=0x400, ts=f31
  vop fn=sel, n=131072, d=0x0, a=0x1, b=0x2, c=0x3, ra=1, rb=1, rc=1
  vred red=amax, axis=col, init=1, rows=8, cols=4, d=0x80, s=0x0
  vtr esz=2, rows=8, cols=4, d=0x100, s=0x0
  quant fmt=log<16,3,1,4>, rnd=stochastic_underflow, n=32, d=0x400, s=0x0, sc=0x480, key=x30, grp=x3, ts=f1
  deq fmt=e2m1, n=32, d=0x0, s=0x400, sc=0x480, grp=x0, ts=f0
  samax fd=f4, fa=f3, fmt=e4m3, pow2=1
  sgrad fd=f4, fs=f4, fa=f3, fmt=log<4,3,0,-2>
  sdly fd=f6, fs=f5, fmt=e5m2, pow2=0, margin=-3, h=16, hist=0x800
  hpush fa=f3, h=16, hist=0x800
  ssawb fd=f7, fmt=int4, s=0x0, n=32
  spact fd=f8, fa=f7, fmt=uint8
  loop count=2, len=4
    li xd=x2, imm=5+3*i0
    loop count=3, len=2
      dma.ld sp=0x100+0x40*i0-0x10*i1, dram=0x0+0x20*i1, rows=1, bytes=16, dstride=0x10, sstride=0x10
      mst tile=0+1*i1, m=4, n=8, d=0x400, ldc=8, sam=0, sa=0x0, sbm=0, sb=0x0, ts=f0
  halt
