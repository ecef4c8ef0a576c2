.program small
.arch sp=524288 rows=32 cols=32
.dram 0x2000
.input a code<int4>[32,16] @0x0
.input b code<int4>[16,32] @0x200
.output c f32[32,32] @0x400
.text
  mcfg fa=int4, fb=int4, acc=exact, chunk=0
  mma tile=0, accum=0, ta=0, tb=0, m=32, n=32, k=16, a=0x0, b=0x200, lda=16, ldb=32
  halt
