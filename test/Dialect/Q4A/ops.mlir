// RUN: quant4-opt %s | quant4-opt | FileCheck %s
// RUN: quant4-opt %s --mlir-print-op-generic | quant4-opt | FileCheck %s

// CHECK-LABEL: q4a.program @ops dram(8192)
// CHECK-SAME: inputs([#q4a.tensor<"x", 0, tensor<4x8xf32>>, #q4a.tensor<"seed", 128, tensor<i64>>])
// CHECK-SAME: outputs([#q4a.tensor<"y", 256, tensor<4x8x!quant4.log<4, 3, 1>>>])
// CHECK-SAME: data([#q4a.segment<4096, dense<[0, 0, 128, 63]> : tensor<4xui8>>])
// CHECK-SAME: attributes {array_cols = 16 : i64}
q4a.program @ops dram(8192)
    inputs([#q4a.tensor<"x", 0, tensor<4x8xf32>>, #q4a.tensor<"seed", 128, tensor<i64>>])
    outputs([#q4a.tensor<"y", 256, tensor<4x8x!quant4.log<4, 3, 1>>>])
    data([#q4a.segment<4096, dense<[0, 0, 128, 63]> : tensor<4xui8>>])
    attributes {array_cols = 16 : i64} {
  // CHECK: q4a.nop
  q4a.nop
  // CHECK-NEXT: q4a.sync mask = 0x1f
  q4a.sync mask = 0x1f
  // CHECK-NEXT: q4a.li xd = x31, imm = -2
  q4a.li xd = x31, imm = -2
  // CHECK-NEXT: q4a.lif fd = f5, imm = 0x3f800000
  q4a.lif fd = f5, imm = 0x3f800000
  // CHECK-NEXT: q4a.xld xd = x1, addr = 0x100
  q4a.xld xd = x1, addr = 0x100
  // CHECK-NEXT: q4a.fld fd = f2, addr = 0x100
  q4a.fld fd = f2, addr = 0x100
  // CHECK-NEXT: q4a.fst fs = f2, addr = 0x104
  q4a.fst fs = f2, addr = 0x104
  // CHECK-NEXT: q4a.fop fn = mul, fd = f3, fa = f1, fb = f2
  q4a.fop fn = mul, fd = f3, fa = f1, fb = f2
  // CHECK-NEXT: q4a.dma_ld sp = 0x100, dram = 0x0, rows = 4, bytes = 32, dstride = 0x20, sstride = 0x20
  q4a.dma_ld sp = 0x100, dram = 0x0, rows = 4, bytes = 32, dstride = 0x20, sstride = 0x20
  // CHECK-NEXT: q4a.dma_st sp = 0x100, dram = 0x100, rows = 1, bytes = 32, dstride = 0x20, sstride = 0x20
  q4a.dma_st sp = 0x100, dram = 0x100, rows = 1, bytes = 32, dstride = 0x20, sstride = 0x20
  // CHECK-NEXT: q4a.mcfg fa = !quant4.log<4, 3, 0>, fb = !quant4.uint<4>, acc = f16_chunked, chunk = 64
  q4a.mcfg fa = !quant4.log<4, 3, 0>, fb = !quant4.uint<4>, acc = f16_chunked, chunk = 64
  // CHECK-NEXT: q4a.mma tile = 7, accum = 1, ta = 1, tb = 0, m = 32, n = 16, k = 100, a = 0x10, b = 0x8000, lda = 32, ldb = 16
  q4a.mma tile = 7, accum = 1, ta = 1, tb = 0, m = 32, n = 16, k = 100, a = 0x10, b = 0x8000, lda = 32, ldb = 16
  // CHECK-NEXT: q4a.mst tile = 3, m = 5, n = 6, d = 0x200, ldc = 6, sam = 1, sa = 0x300, sbm = 0, sb = 0x400, ts = f31
  q4a.mst tile = 3, m = 5, n = 6, d = 0x200, ldc = 6, sam = 1, sa = 0x300, sbm = 0, sb = 0x400, ts = f31
  // CHECK-NEXT: q4a.vop fn = sel, n = 64, d = 0x0, a = 0x1, b = 0x2, c = 0x3, ra = 1, rb = 1, rc = 1
  q4a.vop fn = sel, n = 64, d = 0x0, a = 0x1, b = 0x2, c = 0x3, ra = 1, rb = 1, rc = 1
  // CHECK-NEXT: q4a.vred red = amax, axis = col, init = 1, rows = 8, cols = 4, d = 0x80, s = 0x0
  q4a.vred red = amax, axis = col, init = 1, rows = 8, cols = 4, d = 0x80, s = 0x0
  // CHECK-NEXT: q4a.vtr esz = 2, rows = 8, cols = 4, d = 0x100, s = 0x0
  q4a.vtr esz = 2, rows = 8, cols = 4, d = 0x100, s = 0x0
  // CHECK-NEXT: q4a.quant fmt = !quant4.log<16, 3, 1>, rnd = stochastic_underflow, n = 32, d = 0x400, s = 0x0, sc = 0x480, key = x30, grp = x3, ts = f1
  q4a.quant fmt = !quant4.log<16, 3, 1>, rnd = stochastic_underflow, n = 32, d = 0x400, s = 0x0, sc = 0x480, key = x30, grp = x3, ts = f1
  // CHECK-NEXT: q4a.deq fmt = f4E2M1FN, n = 32, d = 0x0, s = 0x400, sc = 0x480, grp = x0, ts = f0
  q4a.deq fmt = f4E2M1FN, n = 32, d = 0x0, s = 0x400, sc = 0x480, grp = x0, ts = f0
  // CHECK-NEXT: q4a.samax fd = f4, fa = f3, fmt = f8E4M3FN, pow2 = 1
  q4a.samax fd = f4, fa = f3, fmt = f8E4M3FN, pow2 = 1
  // CHECK-NEXT: q4a.sgrad fd = f4, fs = f4, fa = f3, fmt = !quant4.log<4, 3, 0, -2>
  q4a.sgrad fd = f4, fs = f4, fa = f3, fmt = !quant4.log<4, 3, 0, -2>
  // CHECK-NEXT: q4a.sdly fd = f6, fs = f5, fmt = f8E5M2, pow2 = 0, margin = -3, h = 16, hist = 0x800
  q4a.sdly fd = f6, fs = f5, fmt = f8E5M2, pow2 = 0, margin = -3, h = 16, hist = 0x800
  // CHECK-NEXT: q4a.hpush fa = f3, h = 16, hist = 0x800
  q4a.hpush fa = f3, h = 16, hist = 0x800
  // CHECK-NEXT: q4a.ssawb fd = f7, fmt = !quant4.int<4>, s = 0x0, n = 32
  q4a.ssawb fd = f7, fmt = !quant4.int<4>, s = 0x0, n = 32
  // CHECK-NEXT: q4a.spact fd = f8, fa = f7, fmt = !quant4.uint<8>
  q4a.spact fd = f8, fa = f7, fmt = !quant4.uint<8>
  // Loops (ISA 1.5): steps per enclosing loop, i0 the outermost; li's
  // immediate and the accumulator tile step too.
  // CHECK-NEXT: q4a.loop count = 2 {
  // CHECK-NEXT:   q4a.li xd = x2, imm = 5 + 3 * i0
  // CHECK-NEXT:   q4a.loop count = 3 {
  // CHECK-NEXT:     q4a.dma_ld sp = 0x100 + 0x40 * i0 - 0x10 * i1, dram = 0x0 + 0x20 * i1, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  // CHECK-NEXT:     q4a.mst tile = 0 + 1 * i1, m = 4, n = 8, d = 0x400, ldc = 8, sam = 0, sa = 0x0, sbm = 0, sb = 0x0, ts = f0
  // CHECK-NEXT:   }
  // CHECK-NEXT: }
  q4a.loop count = 2 {
    q4a.li xd = x2, imm = 5 + 3 * i0
    q4a.loop count = 3 {
      q4a.dma_ld sp = 0x100 + 0x40 * i0 - 0x10 * i1, dram = 0x0 + 0x20 * i1, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
      q4a.mst tile = 0 + 1 * i1, m = 4, n = 8, d = 0x400, ldc = 8, sam = 0, sa = 0x0, sbm = 0, sb = 0x0, ts = f0
    }
  }
  // CHECK-NEXT: q4a.halt
  q4a.halt
}
