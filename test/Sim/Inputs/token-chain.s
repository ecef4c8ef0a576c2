; race.s ordered by a chain of tokens: DMA -> SFU -> VPU. The vop never
; waits for the DMA directly; what the SFU knows of the DMA travels with
; its token (docs/ISA.md §2.4).
.program chain
.dram 0x100
.input x f32[4] @0x0
.output y f32[4] @0x40
.text
  dma.ld sp=0x0, dram=0x0, rows=1, bytes=16, dstride=0x0, sstride=0x0
  dep.signal unit=dma, peer=sfu
  dep.wait unit=sfu, peer=dma
  fop fn=mov, fd=f1, fa=f0, fb=f0
  dep.signal unit=sfu, peer=vpu
  dep.wait unit=vpu, peer=sfu
  vop fn=neg, n=4, d=0x100, a=0x0, b=0x0, c=0x0, ra=0, rb=0, rc=0
  dep.signal unit=vpu, peer=dma
  dep.wait unit=dma, peer=vpu
  dma.st sp=0x100, dram=0x40, rows=1, bytes=16, dstride=0x0, sstride=0x0
  halt
