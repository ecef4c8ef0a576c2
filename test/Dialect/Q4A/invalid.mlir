// RUN: quant4-opt %s --split-input-file --verify-diagnostics

// Every rule of the q4a verifier (docs/ISA.md §6, labels Q3..Q23).

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{mma: field 'tile' = 8 is out of range [0, 7] (Q4)}}
  q4a.mma tile = 8, accum = 0, ta = 0, tb = 0, m = 1, n = 1, k = 1, a = 0x0, b = 0x0, lda = 1, ldb = 1
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{dma.ld: field 'rows' = 0 is out of range [1, 4095] (Q4)}}
  q4a.dma_ld sp = 0x0, dram = 0x0, rows = 0, bytes = 4, dstride = 0x4, sstride = 0x4
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{sdly: field 'margin' = 200 is out of range [-128, 127] (Q4)}}
  q4a.sdly fd = f1, fs = f2, fmt = f8E4M3FN, pow2 = 0, margin = 200, h = 1, hist = 0x0
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{vop: field 'fn' = 63 is not a function code (Q4)}}
  "q4a.vop"() {fn = 63 : i64, n = 1 : i64, d = 0 : i64, a = 0 : i64, b = 0 : i64, c = 0 : i64, ra = 0 : i64, rb = 0 : i64, rc = 0 : i64} : () -> ()
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{li: field 'xd' writes x0, which is hard-wired (Q5)}}
  q4a.li xd = x0, imm = 1
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{samax: field 'fd' writes f0, which is hard-wired (Q5)}}
  q4a.samax fd = f0, fa = f1, fmt = !quant4.int<4>, pow2 = 0
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{field 'fmt' must be a format type, got i32}}
  q4a.samax fd = f1, fa = f1, fmt = i32, pow2 = 0
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{fld: access [0x7fffe, 0x80002) exceeds the 524288-byte scratchpad (Q6)}}
  q4a.fld fd = f1, addr = 0x7fffe
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{vop: function 'neg' takes 1 operand(s): field 'b' and 'rb' must be 0 (Q7)}}
  q4a.vop fn = neg, n = 4, d = 0x0, a = 0x10, b = 0x20, c = 0x0, ra = 0, rb = 0, rc = 0
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{vop: field 'a' names an f register (ra = 1) but is > 31 (Q7)}}
  q4a.vop fn = add, n = 4, d = 0x0, a = 0x20, b = 0x0, c = 0x0, ra = 1, rb = 0, rc = 0
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{fop: unary function 'exp' needs fb = f0 (Q7)}}
  q4a.fop fn = exp, fd = f1, fa = f2, fb = f3
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{fop: 'sel' needs three operands and is VOP-only (Q7)}}
  q4a.fop fn = sel, fd = f1, fa = f2, fb = f3
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{dma.st: sstride 8 is smaller than the row size 16 (rows would overlap) (Q8)}}
  q4a.dma_st sp = 0x0, dram = 0x0, rows = 2, bytes = 16, dstride = 0x10, sstride = 0x8
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{mcfg: field 'fa': e8m0 is not an MXU operand format (Q9)}}
  q4a.mcfg fa = f8E8M0FNU, fb = !quant4.int<4>, acc = f32, chunk = 0
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{mcfg: f16_chunked accumulation needs chunk >= 1, got 0 (Q9)}}
  q4a.mcfg fa = !quant4.int<4>, fb = !quant4.int<4>, acc = f16_chunked, chunk = 0
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{mcfg: chunk is only meaningful for f16_chunked accumulation; f16 needs chunk 0, got 8 (Q9)}}
  q4a.mcfg fa = !quant4.int<4>, fb = !quant4.int<4>, acc = f16, chunk = 8
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{mcfg: exact accumulation needs log, int, uint, e2m1, e4m3 or e5m2 operands, but operand A is f16 (Q9)}}
  q4a.mcfg fa = f16, fb = !quant4.int<4>, acc = exact, chunk = 0
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{mma: m = 33 exceeds the 32-row MXU array (Q10)}}
  q4a.mma tile = 0, accum = 0, ta = 0, tb = 0, m = 33, n = 1, k = 1, a = 0x0, b = 0x0, lda = 1, ldb = 1
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{mma: lda = 8 is smaller than the stored row length 16 (Q10)}}
  q4a.mma tile = 0, accum = 0, ta = 0, tb = 0, m = 4, n = 4, k = 16, a = 0x0, b = 0x0, lda = 8, ldb = 4
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{mst: ldc = 4 is smaller than n = 8 (Q10)}}
  q4a.mst tile = 0, m = 4, n = 8, d = 0x0, ldc = 4, sam = 0, sa = 0x0, sbm = 0, sb = 0x0, ts = f0
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{vtr: source and destination overlap (Q11)}}
  q4a.vtr esz = 2, rows = 4, cols = 4, d = 0x20, s = 0x0
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{quant: f32 is not a quantized storage format (Q12)}}
  q4a.quant fmt = f32, rnd = nearest, n = 1, d = 0x0, s = 0x0, sc = 0x0, key = x0, grp = x0, ts = f0
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{quant: rounding 'nearest_log' needs a log format, got int4 (Q12)}}
  q4a.quant fmt = !quant4.int<4>, rnd = nearest_log, n = 1, d = 0x0, s = 0x0, sc = 0x0, key = x0, grp = x0, ts = f0
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{quant: stochastic rounding needs a key register pair x1..x30 (seed, stream) (Q12)}}
  q4a.quant fmt = !quant4.int<4>, rnd = stochastic, n = 1, d = 0x0, s = 0x0, sc = 0x0, key = x0, grp = x0, ts = f0
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{quant: deterministic rounding takes no key: key must be x0 (Q12)}}
  q4a.quant fmt = !quant4.int<4>, rnd = nearest, n = 1, d = 0x0, s = 0x0, sc = 0x0, key = x5, grp = x0, ts = f0
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{deq: grp names a register pair and must be x0..x30 (Q12)}}
  q4a.deq fmt = !quant4.int<4>, n = 1, d = 0x0, s = 0x0, sc = 0x0, grp = x31, ts = f0
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{ssawb: SAWB needs int2/3/4/5/8, got int6 (Q12)}}
  q4a.ssawb fd = f1, fmt = !quant4.int<6>, s = 0x0, n = 4
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{spact: PACT needs an unsigned int format, got int4 (Q12)}}
  q4a.spact fd = f1, fa = f2, fmt = !quant4.int<4>
}
// -----

// An MMA needs a preceding MCFG (the operand extents depend on it).
q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{instruction 0: mma: no mcfg precedes it (Q23)}}
  q4a.mma tile = 0, accum = 0, ta = 0, tb = 0, m = 1, n = 1, k = 1, a = 0x0, b = 0x0, lda = 1, ldb = 1
}

// -----

// MMA operand extent under the MCFG formats (f32: 4 bytes per element).
q4a.program @p dram(4096) inputs([]) outputs([]) {
  q4a.mcfg fa = f32, fb = f32, acc = f32, chunk = 0
  // expected-error@+1 {{instruction 1: mma: operand b [0x7f000, 0x81000) exceeds the 524288-byte scratchpad (Q6)}}
  q4a.mma tile = 0, accum = 0, ta = 0, tb = 0, m = 1, n = 32, k = 64, a = 0x0, b = 0x7f000, lda = 64, ldb = 32
}

// -----

// DMA beyond the program's DRAM.
q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{instruction 0: dma.ld: DRAM region [0xff0, 0x1010) exceeds the program's DRAM size 0x1000 (Q21)}}
  q4a.dma_ld sp = 0x0, dram = 0xff0, rows = 1, bytes = 32, dstride = 0x20, sstride = 0x20
}

// -----

// expected-error@+1 {{tensor name 'x' is used twice (Q20)}}
q4a.program @p dram(4096) inputs([#q4a.tensor<"x", 0, tensor<4xf32>>]) outputs([#q4a.tensor<"x", 64, tensor<4xf32>>]) {
}

// -----

// expected-error@+1 {{output 'y' overlaps input 'x' in DRAM (Q22)}}
q4a.program @p dram(4096) inputs([#q4a.tensor<"x", 0, tensor<4xf32>>]) outputs([#q4a.tensor<"y", 8, tensor<4xf32>>]) {
}

// -----

// expected-error@+1 {{data segment 0 [0xffe, 0x1002) exceeds the program's DRAM size 0x1000 (Q21)}}
q4a.program @p dram(4096) inputs([]) outputs([]) data([#q4a.segment<4094, dense<[1, 2, 3, 4]> : tensor<4xui8>>]) {
}

// -----

// expected-error@+1 {{has no Q4A dtype}}
q4a.program @p dram(4096) inputs([#q4a.tensor<"x", 0, tensor<4xf64>>]) outputs([]) {
}

// -----

// expected-error@+1 {{segment bytes must be a 1-D tensor of ui8}}
q4a.program @p dram(4096) inputs([]) outputs([]) data([#q4a.segment<0, dense<[1, 2]> : tensor<2xi32>>]) {
}

// -----

// expected-error@+1 {{MXU array must be between 1x1 and 63x63, got 64x32}}
q4a.program @p dram(4096) inputs([]) outputs([]) attributes {array_rows = 64 : i64} {
}

// -----

func.func @f() {
  // expected-error@+1 {{'q4a.halt' op expects parent op to be one of 'q4a.program, q4a.loop'}}
  q4a.halt
  return
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{field 'xd' expects a register x0..x31}}
  q4a.li xd = f1, imm = 0
}

// -----

// Loops (ISA 1.5, Q27/Q28).
q4a.program @p dram(4096) inputs([]) outputs([]) {
  q4a.loop count = 2 {
    // expected-error@+1 {{field 'rows' cannot step (Q28)}}
    q4a.dma_ld sp = 0x0, dram = 0x0, rows = 1 + 1 * i0, bytes = 16, dstride = 0x10, sstride = 0x10
  }
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  q4a.loop count = 2 {
    // expected-error@+1 {{field 'sp': expected a step 'STEP * iK' (K < 4)}}
    q4a.dma_ld sp = 0x0 + 0x10 * i4, dram = 0x0, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  }
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  q4a.loop count = 2 {
    // expected-error@+1 {{inside 1 loop(s) it needs as many step words, it has 2 (Q28)}}
    q4a.dma_ld sp = 0x0 + 0x10 * i1, dram = 0x0, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  }
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  q4a.loop count = 2 {
    // expected-error@+1 {{halt: inside a loop (Q27)}}
    q4a.halt
  }
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  q4a.loop count = 2 {
    q4a.loop count = 2 {
      q4a.loop count = 2 {
        q4a.loop count = 2 {
          // expected-error@+1 {{loops nest deeper than 4 (Q27)}}
          q4a.loop count = 2 {
            q4a.nop
          }
        }
      }
    }
  }
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  q4a.loop count = 3 {
    // expected-error@+1 {{field 'sp' leaves its range [0x0, 0xfffff] in the iteration (2) (Q28)}}
    q4a.dma_ld sp = 0x10 - 0x10 * i0, dram = 0x0, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  }
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  q4a.loop count = 3 {
    // expected-error@+1 {{exceeds the program's DRAM size 0x1000 (Q21) (in the iteration (2))}}
    q4a.dma_ld sp = 0x0, dram = 0xfe0 + 0x10 * i0, rows = 1, bytes = 16, dstride = 0x10, sstride = 0x10
  }
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{'q4a.loop' op attribute 'count' failed to satisfy constraint}}
  q4a.loop count = 0 {
    q4a.nop
  }
}

// -----

q4a.program @p dram(4096) inputs([]) outputs([]) {
  // expected-error@+1 {{'q4a.loop' op needs an instruction in its body (Q27)}}
  q4a.loop count = 2 {
  }
}
