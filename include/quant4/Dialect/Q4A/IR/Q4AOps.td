//===- Q4AOps.td - q4a operations (Q4A instructions) -------*- tablegen -*-===//
#ifndef Q4A_OPS_TD
#define Q4A_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"
include "quant4/Dialect/Q4A/IR/Q4ADialect.td"
include "quant4/Dialect/Q4A/IR/Q4AAttrs.td"

//===----------------------------------------------------------------------===//
// q4a.program
//===----------------------------------------------------------------------===//

def Q4A_ProgramOp : Q4A_Op<"program", [Symbol, NoTerminator, SingleBlock,
                                       IsolatedFromAbove]> {
  let summary = "A Q4A program: code, DRAM layout, inputs, outputs, data";
  let description = [{
    The unit that `quant4-translate` turns into one Q4A binary. Its body is
    a straight-line list of instruction ops, executed in order. `inputs`
    and `outputs` name the DRAM tensors the host writes before and reads
    after the run (`#q4a.tensor`); `segments` are constant bytes placed in
    DRAM before the run. `dram_size` is the DRAM the program needs;
    `sp_size`, `array_rows` and `array_cols` are the architecture
    parameters it was compiled for (docs/ISA.md §1). Tensor and segment
    ranges must lie inside DRAM and be pairwise disjoint; names are unique.

    ```mlir
    q4a.program @copy dram(128)
        inputs([#q4a.tensor<"x", 0, tensor<16xf32>>])
        outputs([#q4a.tensor<"y", 64, tensor<16xf32>>]) {
      q4a.dma_ld sp = 0x0, dram = 0x0, rows = 1, bytes = 64, dstride = 0x40, sstride = 0x40
      q4a.sync mask = 0x2
      q4a.dma_st sp = 0x0, dram = 0x40, rows = 1, bytes = 64, dstride = 0x40, sstride = 0x40
      q4a.halt
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, I64Attr:$dram_size,
                       TypedArrayAttrBase<Q4A_TensorAttr, "tensors">:$inputs,
                       TypedArrayAttrBase<Q4A_TensorAttr, "tensors">:$outputs,
                       DefaultValuedAttr<TypedArrayAttrBase<Q4A_SegmentAttr,
                           "segments">, "{}">:$segments,
                       DefaultValuedAttr<I64Attr, "524288">:$sp_size,
                       DefaultValuedAttr<I64Attr, "32">:$array_rows,
                       DefaultValuedAttr<I64Attr, "32">:$array_cols);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name `dram` `(` $dram_size `)` `inputs` `(` $inputs `)`
    `outputs` `(` $outputs `)` (`data` `(` $segments^ `)`)?
    attr-dict-with-keyword $body
  }];
  let hasRegionVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [OpBuilder<(ins "::llvm::StringRef":$name)>];
}

//===----------------------------------------------------------------------===//
// q4a.loop
//===----------------------------------------------------------------------===//

def Q4A_LoopOp : Q4A_Op<"loop", [NoTerminator, SingleBlock,
                                 ParentOneOf<["ProgramOp", "LoopOp"]>]> {
  let summary = "A hardware loop (opcode 0x05): its body `count` times";
  let description = [{
    The `loop` instruction (docs/ISA.md §2.5): the instructions of its body
    execute `count` times in order. An instruction inside loops may step an
    address, a stride or `li`'s immediate per iteration of each loop around
    it: `dram = 0x800 + 0x20 * i0` is 0x800 in the first iteration of the
    outermost loop (`i0`), 0x820 in the second, and so on (`i1` is the next
    loop inside). Loops nest at most 4 deep; `halt` is not allowed inside.
    `q4a-materialize-loops` makes them from straight-line code.

    ```mlir
    q4a.loop count = 4 {
      q4a.dma_ld sp = 0x0, dram = 0x800 + 0x20 * i0, rows = 1, bytes = 32,
          dstride = 0x20, sstride = 0x20
      q4a.vop fn = add, n = 8, d = 0x100 + 0x20 * i0, a = 0x0, b = 0x40, ...
    }
    ```
  }];
  let arguments = (ins ConfinedAttr<I64Attr, [IntMinValue<1>]>:$count);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "`count` `=` $count attr-dict-with-keyword $body";
}

//===----------------------------------------------------------------------===//
// Instructions
//===----------------------------------------------------------------------===//

// Every instruction shares one syntax, one verifier (the ISA table's rules,
// docs/ISA.md) and one conversion to/from the encoder's Instr.
class Q4A_InstrOp<string mnemonic, list<Trait> traits = []>
    : Q4A_Op<mnemonic, traits # [ParentOneOf<["ProgramOp", "LoopOp"]>]> {
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDefinition = [{
    ::mlir::ParseResult $cppClass::parse(::mlir::OpAsmParser &parser,
                                         ::mlir::OperationState &result) {
      return ::mlir::q4a::parseInstrOp(parser, result);
    }
    void $cppClass::print(::mlir::OpAsmPrinter &p) {
      ::mlir::q4a::printInstrOp(p, getOperation());
    }
    ::llvm::LogicalResult $cppClass::verify() {
      return ::mlir::q4a::verifyInstrOp(getOperation());
    }
  }];
}

def Q4A_NopOp : Q4A_InstrOp<"nop"> {
  let summary = "No operation (opcode 0x00)";
  let description = [{
    Does nothing for one cycle.

    ```mlir
    q4a.nop
    ```
  }];
}

def Q4A_HaltOp : Q4A_InstrOp<"halt"> {
  let summary = "End of program (opcode 0x01)";
  let description = [{
    Waits for every unit to drain and stops the machine. Execution also
    stops after the last instruction.

    ```mlir
    q4a.halt
    ```
  }];
}

def Q4A_SyncOp : Q4A_InstrOp<"sync"> {
  let summary = "Wait for units to finish (opcode 0x02)";
  let description = [{
    Issue stalls until every instruction issued earlier to a unit whose bit
    is set in `mask` (bit 0 scalar, 1 DMA, 2 MXU, 3 VPU, 4 SFU) has
    completed. Units do not check hazards between each other; a program
    places `sync` between a producer on one unit and a consumer on another
    (docs/ISA.md §2.3).

    ```mlir
    q4a.sync mask = 0x2
    ```
  }];
  let arguments = (ins I64Attr:$mask);
}

def Q4A_DepSignalOp : Q4A_InstrOp<"dep_signal"> {
  let summary = "Push a dependency token to another unit (opcode 0x03)";
  let description = [{
    Enters the queue of `unit` (1 DMA, 2 MXU, 3 VPU, 4 SFU): once every
    earlier instruction of `unit` has completed, pushes a token onto the
    queue from `unit` to `peer`, and takes no unit time. Issue does not
    stall. A later `dep.wait` in `peer`'s queue pops it: the point-to-point
    alternative to a global `sync` (docs/ISA.md §2.4).

    ```mlir
    q4a.dep_signal unit = 1, peer = 2   // DMA -> MXU: the tile is loaded
    ```
  }];
  let arguments = (ins I64Attr:$unit, I64Attr:$peer);
}

def Q4A_DepWaitOp : Q4A_InstrOp<"dep_wait"> {
  let summary = "Wait for a dependency token from another unit (opcode 0x04)";
  let description = [{
    Enters the queue of `unit`: pops the oldest token `peer` pushed to
    `unit`; the later instructions of `unit` start no earlier than the
    token was pushed. The token's `dep.signal` comes earlier in program
    order (docs/ISA.md §2.4).

    ```mlir
    q4a.dep_wait unit = 2, peer = 1     // the MXU waits for the DMA's token
    ```
  }];
  let arguments = (ins I64Attr:$unit, I64Attr:$peer);
}

def Q4A_LiOp : Q4A_InstrOp<"li"> {
  let summary = "Load a 64-bit immediate into an x register (opcode 0x08)";
  let description = [{
    `xd = imm`. `xd` must not be `x0` (hard-wired zero).

    ```mlir
    q4a.li xd = x1, imm = 42
    ```
  }];
  let arguments = (ins I64Attr:$xd, I64Attr:$imm);
}

def Q4A_LifOp : Q4A_InstrOp<"lif"> {
  let summary = "Load a binary32 immediate into an f register (opcode 0x09)";
  let description = [{
    `fd = bitcast<f32>(imm)`. `fd` must not be `f0` (hard-wired 1.0).

    ```mlir
    q4a.lif fd = f1, imm = 0x3f800000
    ```
  }];
  let arguments = (ins I64Attr:$fd, I64Attr:$imm);
}

def Q4A_XldOp : Q4A_InstrOp<"xld"> {
  let summary = "Load an x register from the scratchpad (opcode 0x0A)";
  let description = [{
    `xd = SP[addr .. addr+8)` as a little-endian 64-bit integer.

    ```mlir
    q4a.xld xd = x1, addr = 0x100
    ```
  }];
  let arguments = (ins I64Attr:$xd, I64Attr:$addr);
}

def Q4A_FldOp : Q4A_InstrOp<"fld"> {
  let summary = "Load an f register from the scratchpad (opcode 0x0B)";
  let description = [{
    `fd = SP[addr .. addr+4)` as binary32.

    ```mlir
    q4a.fld fd = f2, addr = 0x100
    ```
  }];
  let arguments = (ins I64Attr:$fd, I64Attr:$addr);
}

def Q4A_FstOp : Q4A_InstrOp<"fst"> {
  let summary = "Store an f register to the scratchpad (opcode 0x0C)";
  let description = [{
    `SP[addr .. addr+4) = fs`.

    ```mlir
    q4a.fst fs = f2, addr = 0x100
    ```
  }];
  let arguments = (ins I64Attr:$fs, I64Attr:$addr);
}

def Q4A_FopOp : Q4A_InstrOp<"fop"> {
  let summary = "Scalar float function on f registers (opcode 0x0D)";
  let description = [{
    `fd = fn(fa, fb)` with the functions of `q4a.vop` (unary ones ignore
    `fb`, which must be `f0`; `sel` is not available).

    ```mlir
    q4a.fop fn = mul, fd = f3, fa = f1, fb = f2
    ```
  }];
  let arguments = (ins I64Attr:$fn, I64Attr:$fd, I64Attr:$fa, I64Attr:$fb);
}

def Q4A_DmaLdOp : Q4A_InstrOp<"dma_ld"> {
  let summary = "Strided DMA from DRAM to the scratchpad (opcode 0x10)";
  let description = [{
    For r in 0 .. rows-1: copy `bytes` bytes from DRAM `dram + r*dstride`
    to SP `sp + r*sstride`.

    ```mlir
    q4a.dma_ld sp = 0x0, dram = 0x1000, rows = 8, bytes = 64, dstride = 0x80, sstride = 0x40
    ```
  }];
  let arguments = (ins I64Attr:$sp, I64Attr:$dram, I64Attr:$rows,
                       I64Attr:$bytes, I64Attr:$dstride, I64Attr:$sstride);
}

def Q4A_DmaStOp : Q4A_InstrOp<"dma_st"> {
  let summary = "Strided DMA from the scratchpad to DRAM (opcode 0x11)";
  let description = [{
    For r in 0 .. rows-1: copy `bytes` bytes from SP `sp + r*sstride` to
    DRAM `dram + r*dstride`.

    ```mlir
    q4a.dma_st sp = 0x0, dram = 0x1000, rows = 8, bytes = 64, dstride = 0x80, sstride = 0x40
    ```
  }];
  let arguments = (ins I64Attr:$sp, I64Attr:$dram, I64Attr:$rows,
                       I64Attr:$bytes, I64Attr:$dstride, I64Attr:$sstride);
}

def Q4A_DmaLdpOp : Q4A_InstrOp<"dma_ldp"> {
  let summary = "DMA of packed 4-bit codes from DRAM to the scratchpad "
                "(opcode 0x12)";
  let description = [{
    For r in 0 .. rows-1 and i in 0 .. bytes-1: SP byte
    `sp + r*sstride + i` gets the 4-bit code at DRAM nibble
    `dram + r*dstride + i` (two codes per DRAM byte, low nibble first:
    `dram` and `dstride` count nibbles).

    ```mlir
    q4a.dma_ldp sp = 0x0, dram = 0x2001, rows = 8, bytes = 25, dstride = 0x80, sstride = 0x20
    ```
  }];
  let arguments = (ins I64Attr:$sp, I64Attr:$dram, I64Attr:$rows,
                       I64Attr:$bytes, I64Attr:$dstride, I64Attr:$sstride);
}

def Q4A_DmaStpOp : Q4A_InstrOp<"dma_stp"> {
  let summary = "DMA of 4-bit codes from the scratchpad to DRAM, packed "
                "(opcode 0x13)";
  let description = [{
    For r in 0 .. rows-1 and i in 0 .. bytes-1: the code in SP byte
    `sp + r*sstride + i` (at most 15) goes to DRAM nibble
    `dram + r*dstride + i`; the other nibble of each DRAM byte is kept.

    ```mlir
    q4a.dma_stp sp = 0x0, dram = 0x2000, rows = 1, bytes = 64, dstride = 0x0, sstride = 0x0
    ```
  }];
  let arguments = (ins I64Attr:$sp, I64Attr:$dram, I64Attr:$rows,
                       I64Attr:$bytes, I64Attr:$dstride, I64Attr:$sstride);
}

def Q4A_McfgOp : Q4A_InstrOp<"mcfg"> {
  let summary = "Configure the matrix unit (opcode 0x20)";
  let description = [{
    Sets the formats of the A and B operands of later `q4a.mma`s and the
    accumulation mode (`f32`, `f16`, `f16_chunked` with `chunk` >= 1,
    `exact`; the semantics of `#quant4.acc`). `exact` is legal only for
    operand pairs whose product grid fits the 128-bit accumulator.

    ```mlir
    q4a.mcfg fa = !quant4.log<4, 3, 0>, fb = !quant4.int<4>, acc = f16, chunk = 0
    ```
  }];
  let arguments = (ins TypeAttr:$fa, TypeAttr:$fb, I64Attr:$acc,
                       I64Attr:$chunk);
}

def Q4A_MmaOp : Q4A_InstrOp<"mma"> {
  let summary = "Matrix multiply-accumulate on codes (opcode 0x21)";
  let description = [{
    For i < m, j < n: the accumulator entry ACC[tile][i][j] (reset first
    when `accum` = 0) takes the products A(i,k)·B(k,j), k = 0 .. k-1 in
    increasing order, under the MCFG accumulation mode. A(i,k) is the code
    at SP `a + (i*lda + k)*esz` (`ta` = 0) or `a + (k*lda + i)*esz`
    (`ta` = 1); B(k,j) at `b + (k*ldb + j)*esz` (`tb` = 0) or
    `b + (j*ldb + k)*esz`. `m` <= array rows, `n` <= array columns.

    ```mlir
    q4a.mma tile = 0, accum = 0, ta = 0, tb = 0, m = 32, n = 32, k = 64, a = 0x0, b = 0x800, lda = 64, ldb = 32
    ```
  }];
  let arguments = (ins I64Attr:$tile, I64Attr:$accum, I64Attr:$ta,
                       I64Attr:$tb, I64Attr:$m, I64Attr:$n, I64Attr:$k,
                       I64Attr:$a, I64Attr:$b, I64Attr:$lda, I64Attr:$ldb);
}

def Q4A_MstOp : Q4A_InstrOp<"mst"> {
  let summary = "Scale and store an accumulator tile (opcode 0x22)";
  let description = [{
    SP f32 `d[i*ldc + j] = (dot(i,j) * (SA(i) * SB(j))) * ts` — the rule of
    `num::referenceGemm`. SA(i) is the f32 at `sa + 4*i` (`sam` = 1, per
    row) or at `sa` (`sam` = 0); SB likewise per column; a scale that is not
    positive and finite gives NaN.

    ```mlir
    q4a.mst tile = 0, m = 32, n = 32, d = 0x1000, ldc = 32, sam = 0, sa = 0x2000, sbm = 0, sb = 0x2004, ts = f0
    ```
  }];
  let arguments = (ins I64Attr:$tile, I64Attr:$m, I64Attr:$n, I64Attr:$d,
                       I64Attr:$ldc, I64Attr:$sam, I64Attr:$sa, I64Attr:$sbm,
                       I64Attr:$sb, I64Attr:$ts);
}

def Q4A_VopOp : Q4A_InstrOp<"vop"> {
  let summary = "Elementwise vector function on f32 (opcode 0x30)";
  let description = [{
    For i < n: `d[i] = fn(A(i), B(i), C(i))` where an operand is the f32 at
    SP `a + 4*i` or, when its `r` bit is set, the f register numbered by the
    field (broadcast). Unused operands of unary/binary functions must be 0.
    Functions: mov neg abs exp log sqrt rsqrt recip tanh floor ceil add sub
    mul div max min maxnum minnum cmp.eq cmp.ne cmp.gt cmp.ge cmp.lt cmp.le
    (1.0/0.0 results) sel (A != 0 ? B : C).

    ```mlir
    q4a.vop fn = max, n = 256, d = 0x400, a = 0x0, b = 0x1, c = 0x0, ra = 0, rb = 1, rc = 0
    ```
  }];
  let arguments = (ins I64Attr:$fn, I64Attr:$n, I64Attr:$d, I64Attr:$a,
                       I64Attr:$b, I64Attr:$c, I64Attr:$ra, I64Attr:$rb,
                       I64Attr:$rc);
}

def Q4A_VredOp : Q4A_InstrOp<"vred"> {
  let summary = "Reduction of an f32 matrix (opcode 0x31)";
  let description = [{
    Reduces the row-major `rows` x `cols` f32 matrix at `s` with `red`
    (sum, max, min, amax) over everything (`axis = all`, one result), each
    row (`row`, `rows` results) or each column (`col`, `cols` results),
    sequentially in increasing index, starting from the value already at
    `d` (`init` = 1) or from the identity (`init` = 0).

    ```mlir
    q4a.vred red = sum, axis = all, init = 1, rows = 8, cols = 4, d = 0x100, s = 0x0
    ```
  }];
  let arguments = (ins I64Attr:$red, I64Attr:$axis, I64Attr:$init,
                       I64Attr:$rows, I64Attr:$cols, I64Attr:$d, I64Attr:$s);
}

def Q4A_VtrOp : Q4A_InstrOp<"vtr"> {
  let summary = "Matrix transpose in the scratchpad (opcode 0x32)";
  let description = [{
    Writes the transpose (cols x rows) of the row-major rows x cols matrix
    of 2^esz-byte elements at `s` to `d`; the regions must not overlap.

    ```mlir
    q4a.vtr esz = 2, rows = 8, cols = 32, d = 0x400, s = 0x0
    ```
  }];
  let arguments = (ins I64Attr:$esz, I64Attr:$rows, I64Attr:$cols,
                       I64Attr:$d, I64Attr:$s);
}

def Q4A_QuantOp : Q4A_InstrOp<"quant"> {
  let summary = "Quantize f32 to codes (opcode 0x40)";
  let description = [{
    For i < n, with g = base + i: `d[i] = num::quantize(fmt, s[i],
    SC(g) * ts, rnd, {seed, stream}, g)`. `key` names the register pair
    (seed, stream) of stochastic rounding (x0 for deterministic rounding);
    `grp` names the pair (x[grp] = inner | len << 32, x[grp+1] = base)
    giving the scale index ((g / inner) mod len) — x0 means one scale and
    base 0. Codes are one byte each (two for 16-bit formats).

    ```mlir
    q4a.quant fmt = !quant4.log<4, 3, 0>, rnd = stochastic, n = 256, d = 0x400, s = 0x0, sc = 0x800, key = x2, grp = x0, ts = f0
    ```
  }];
  let arguments = (ins TypeAttr:$fmt, I64Attr:$rnd, I64Attr:$n, I64Attr:$d,
                       I64Attr:$s, I64Attr:$sc, I64Attr:$key, I64Attr:$grp,
                       I64Attr:$ts);
}

def Q4A_DeqOp : Q4A_InstrOp<"deq"> {
  let summary = "Dequantize codes to f32 (opcode 0x41)";
  let description = [{
    For i < n, with g = base + i: `d[i] = num::dequantize(fmt, s[i], SC(g))
    * ts` (scale indexing as `q4a.quant`).

    ```mlir
    q4a.deq fmt = !quant4.int<4>, n = 256, d = 0x400, s = 0x0, sc = 0x800, grp = x0, ts = f0
    ```
  }];
  let arguments = (ins TypeAttr:$fmt, I64Attr:$n, I64Attr:$d, I64Attr:$s,
                       I64Attr:$sc, I64Attr:$grp, I64Attr:$ts);
}

def Q4A_SamaxOp : Q4A_InstrOp<"samax"> {
  let summary = "amax scale policy (opcode 0x48)";
  let description = [{
    `fd = num::amaxScale(fmt, fa, pow2)` where `fa` holds the amax.

    ```mlir
    q4a.samax fd = f2, fa = f1, fmt = !quant4.int<4>, pow2 = 0
    ```
  }];
  let arguments = (ins I64Attr:$fd, I64Attr:$fa, TypeAttr:$fmt,
                       I64Attr:$pow2);
}

def Q4A_SgradOp : Q4A_InstrOp<"sgrad"> {
  let summary = "GradScale update (opcode 0x49)";
  let description = [{
    `fd = num::gradScaleUpdate(fmt, fs, fa)`: the previous scale `fs` is
    doubled or halved (once) so that amax `fa` / scale stays in
    (max/2, max].

    ```mlir
    q4a.sgrad fd = f3, fs = f2, fa = f1, fmt = !quant4.log<4, 3, 0>
    ```
  }];
  let arguments = (ins I64Attr:$fd, I64Attr:$fs, I64Attr:$fa, TypeAttr:$fmt);
}

def Q4A_SdlyOp : Q4A_InstrOp<"sdly"> {
  let summary = "Delayed-scaling scale from an amax history (opcode 0x4A)";
  let description = [{
    `fd = num::delayedScale(fmt, SP f32[hist .. hist+4h), h, margin, fs,
    pow2)`.

    ```mlir
    q4a.sdly fd = f3, fs = f2, fmt = f8E4M3FN, pow2 = 0, margin = 0, h = 16, hist = 0x100
    ```
  }];
  let arguments = (ins I64Attr:$fd, I64Attr:$fs, TypeAttr:$fmt,
                       I64Attr:$pow2, I64Attr:$margin, I64Attr:$h,
                       I64Attr:$hist);
}

def Q4A_HpushOp : Q4A_InstrOp<"hpush"> {
  let summary = "Push an amax into a history (opcode 0x4B)";
  let description = [{
    If `fa` is finite: hist[h-1..1] = hist[h-2..0], hist[0] = fa (most
    recent first); otherwise the history is unchanged.

    ```mlir
    q4a.hpush fa = f1, h = 16, hist = 0x100
    ```
  }];
  let arguments = (ins I64Attr:$fa, I64Attr:$h, I64Attr:$hist);
}

def Q4A_SsawbOp : Q4A_InstrOp<"ssawb"> {
  let summary = "SAWB scale of a tensor (opcode 0x4C)";
  let description = [{
    `fd = num::sawbScale(SP f32[s .. s+4n), n, bits(fmt))`; `fmt` is int2,
    3, 4, 5 or 8.

    ```mlir
    q4a.ssawb fd = f2, fmt = !quant4.int<4>, s = 0x0, n = 512
    ```
  }];
  let arguments = (ins I64Attr:$fd, TypeAttr:$fmt, I64Attr:$s, I64Attr:$n);
}

def Q4A_SpactOp : Q4A_InstrOp<"spact"> {
  let summary = "PACT scale from the clip alpha (opcode 0x4D)";
  let description = [{
    `fd = num::pactScale(fa, bits(fmt))`; `fmt` is an unsigned integer
    format.

    ```mlir
    q4a.spact fd = f2, fa = f1, fmt = !quant4.uint<4>
    ```
  }];
  let arguments = (ins I64Attr:$fd, I64Attr:$fa, TypeAttr:$fmt);
}

def Q4A_SawbAccOp : Q4A_InstrOp<"sawb_acc"> {
  let summary = "Gather SAWB statistics of a tensor chunk (opcode 0x4E, ISA 1.2)";
  let description = [{
    Adds SP f32[s .. s+4n) to the SFU's SAWB statistics as consecutive
    elements of one tensor, element i into lane (lane + i) mod 16
    (`num::SawbAccumulator`); with `init = 1` the statistics are reset
    first. A tensor larger than the scratchpad gets its SAWB scale from
    chunks: `sawb_acc` per chunk, then `sawb_fin`.

    ```mlir
    q4a.sawb_acc s = 0x30, n = 65536, lane = 0, init = 1
    ```
  }];
  let arguments = (ins I64Attr:$s, I64Attr:$n, I64Attr:$lane, I64Attr:$init);
}

def Q4A_SawbFinOp : Q4A_InstrOp<"sawb_fin"> {
  let summary = "SAWB scale of the gathered statistics (opcode 0x4F, ISA 1.2)";
  let description = [{
    `fd` = the SAWB scale (`num::SawbAccumulator::scale(bits(fmt))`) of
    everything `sawb_acc` added since its last `init`: the bits of
    `num::sawbScale` over the whole tensor. `fmt` is int2, 3, 4, 5 or 8.

    ```mlir
    q4a.sawb_fin fd = f2, fmt = !quant4.int<4>
    ```
  }];
  let arguments = (ins I64Attr:$fd, TypeAttr:$fmt);
}

#endif // Q4A_OPS_TD
