; C = (A·B) scaled per row / column, A log<4,3,0> 8x40, B int4 40x6, K split
; 24 + 16 over two mma: f16 accumulation (c1); exact accumulation on a
; vtr-transposed copy of B (tb = 1, c2); f16_chunked with chunk 7, whose
; chunks straddle the two mma (c3).
.program gemm
.arch sp=524288 rows=32 cols=32
.dram 0x1000
.input a code<log<4,3,0,4>>[8,40] @0x0
.input b code<int4>[40,6] @0x200
.input sa f32[8] @0x300
.input sb f32[6] @0x340
.output c1 f32[8,6] @0x400
.output c2 f32[8,6] @0x500
.output c3 f32[8,6] @0x600
.text
  dma.ld sp=0x0, dram=0x0, rows=1, bytes=320, dstride=0x0, sstride=0x0
  dma.ld sp=0x200, dram=0x200, rows=1, bytes=240, dstride=0x0, sstride=0x0
  dma.ld sp=0x600, dram=0x300, rows=1, bytes=32, dstride=0x0, sstride=0x0
  dma.ld sp=0x640, dram=0x340, rows=1, bytes=24, dstride=0x0, sstride=0x0
  sync mask=0x2
  vtr esz=0, rows=40, cols=6, d=0x400, s=0x200
  mcfg fa=log<4,3,0,4>, fb=int4, acc=f16, chunk=0
  sync mask=0x8
  mma tile=0, accum=0, ta=0, tb=0, m=8, n=6, k=24, a=0x0, b=0x200, lda=40, ldb=6
  mma tile=0, accum=1, ta=0, tb=0, m=8, n=6, k=16, a=0x18, b=0x290, lda=40, ldb=6
  mst tile=0, m=8, n=6, d=0x700, ldc=6, sam=1, sa=0x600, sbm=1, sb=0x640, ts=f0
  mcfg fa=log<4,3,0,4>, fb=int4, acc=exact, chunk=0
  mma tile=5, accum=0, ta=0, tb=1, m=8, n=6, k=24, a=0x0, b=0x400, lda=40, ldb=40
  mma tile=5, accum=1, ta=0, tb=1, m=8, n=6, k=16, a=0x18, b=0x418, lda=40, ldb=40
  mst tile=5, m=8, n=6, d=0x800, ldc=6, sam=1, sa=0x600, sbm=1, sb=0x640, ts=f0
  mcfg fa=log<4,3,0,4>, fb=int4, acc=f16_chunked, chunk=7
  mma tile=1, accum=0, ta=0, tb=0, m=8, n=6, k=24, a=0x0, b=0x200, lda=40, ldb=6
  mma tile=1, accum=1, ta=0, tb=0, m=8, n=6, k=16, a=0x18, b=0x290, lda=40, ldb=6
  mst tile=1, m=8, n=6, d=0x900, ldc=6, sam=1, sa=0x600, sbm=1, sb=0x640, ts=f0
  sync mask=0x4
  dma.st sp=0x700, dram=0x400, rows=1, bytes=192, dstride=0x0, sstride=0x0
  dma.st sp=0x800, dram=0x500, rows=1, bytes=192, dstride=0x0, sstride=0x0
  dma.st sp=0x900, dram=0x600, rows=1, bytes=192, dstride=0x0, sstride=0x0
  sync mask=0x2
  halt
