; timing.s with a source map (.source labels, docs/ISA.md §7): the loads,
; the GEMM and the store; what each label costs is worked out in stats.test.
; A 32x32x64 int4 GEMM, serialised by syncs; cycles worked out by hand in
; stats.test.
.program timing
.arch sp=524288 rows=32 cols=32
.dram 0x2000
.input a code<int4>[32,64] @0x0
.input b code<int4>[64,32] @0x800
.output c f32[32,32] @0x1000
.text
.source "load"
  dma.ld sp=0x0, dram=0x0, rows=1, bytes=2048, dstride=0x0, sstride=0x0
  dma.ld sp=0x800, dram=0x800, rows=1, bytes=2048, dstride=0x0, sstride=0x0
  mcfg fa=int4, fb=int4, acc=exact, chunk=0
.source "gemm (layer fc)"
  fst fs=f0, addr=0x1000
  sync mask=0x2
  mma tile=0, accum=0, ta=0, tb=0, m=32, n=32, k=64, a=0x0, b=0x800, lda=64, ldb=32
  sync mask=0x4
  mst tile=0, m=32, n=32, d=0x2000, ldc=32, sam=0, sa=0x1000, sbm=0, sb=0x1000, ts=f0
  sync mask=0x4
.source "store"
  dma.st sp=0x2000, dram=0x1000, rows=1, bytes=4096, dstride=0x0, sstride=0x0
  sync mask=0x2
  halt
