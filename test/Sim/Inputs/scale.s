; The scale policies of the SFU after a chunked vred amax (40 + 24 elements,
; init = 0 then 1): amax (int4), amax rounded to a power of two (e4m3),
; gradscale (log<4,3,0>), sawb (int4), pact (uint4), delayed (e4m3, margin 1,
; 8-entry history) and the history push.
.program scale
.arch sp=524288 rows=32 cols=32
.dram 0x1000
.input x f32[64] @0x0
.input g f32[] @0x100
.input alpha f32[] @0x110
.input hist f32[8] @0x120
.input old f32[] @0x140
.output amax f32[] @0x200
.output amax2 f32[] @0x210
.output grad f32[] @0x220
.output sawb f32[] @0x230
.output pact f32[] @0x240
.output dly f32[] @0x250
.output hist2 f32[8] @0x260
.text
  dma.ld sp=0x100, dram=0x0, rows=1, bytes=256, dstride=0x0, sstride=0x0
  dma.ld sp=0x10, dram=0x100, rows=1, bytes=4, dstride=0x0, sstride=0x0
  dma.ld sp=0x14, dram=0x110, rows=1, bytes=4, dstride=0x0, sstride=0x0
  dma.ld sp=0x40, dram=0x120, rows=1, bytes=32, dstride=0x0, sstride=0x0
  dma.ld sp=0x18, dram=0x140, rows=1, bytes=4, dstride=0x0, sstride=0x0
  sync mask=0x2
  vred red=amax, axis=all, init=0, rows=1, cols=40, d=0x0, s=0x100
  vred red=amax, axis=all, init=1, rows=1, cols=24, d=0x0, s=0x1a0
  sync mask=0x8
  fld fd=f1, addr=0x0
  fld fd=f2, addr=0x10
  fld fd=f3, addr=0x14
  fld fd=f4, addr=0x18
  samax fd=f5, fa=f1, fmt=int4, pow2=0
  samax fd=f6, fa=f1, fmt=e4m3, pow2=1
  sgrad fd=f7, fs=f2, fa=f1, fmt=log<4,3,0,4>
  ssawb fd=f8, fmt=int4, s=0x100, n=64
  spact fd=f9, fa=f3, fmt=uint4
  sdly fd=f10, fs=f4, fmt=e4m3, pow2=0, margin=1, h=8, hist=0x40
  hpush fa=f1, h=8, hist=0x40
  sync mask=0x10
  fst fs=f5, addr=0x400
  fst fs=f6, addr=0x410
  fst fs=f7, addr=0x420
  fst fs=f8, addr=0x430
  fst fs=f9, addr=0x440
  fst fs=f10, addr=0x450
  dma.st sp=0x400, dram=0x200, rows=6, bytes=4, dstride=0x10, sstride=0x10
  dma.st sp=0x40, dram=0x260, rows=1, bytes=32, dstride=0x0, sstride=0x0
  sync mask=0x2
  halt
