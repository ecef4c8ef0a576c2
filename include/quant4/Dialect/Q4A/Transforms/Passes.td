//===- Passes.td - Q4A back-end passes ---------------------*- tablegen -*-===//
//
// The passes of the Q4A back end that work on q4a.program ops, after
// instruction selection (convert-quant4-to-q4a). docs/Q4ACompiler.md shows
// the pipeline and the IR after each stage.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_DIALECT_Q4A_TRANSFORMS_PASSES_TD
#define QUANT4_DIALECT_Q4A_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def Q4AHoistLoads : Pass<"q4a-hoist-loads", "::mlir::q4a::ProgramOp"> {
  let summary = "Move DMA loads of a sequential Q4A program as early as their dependencies allow";
  let description = [{
    Takes a `q4a.program` in sequential order (any `sync`, `dep.signal` and
    `dep.wait` are dropped: run `q4a-synchronize` afterwards) and moves every
    `dma.ld` up to `window` instructions earlier, to just after the last
    instruction whose footprint conflicts with it (it reads DRAM bytes that
    instruction writes, or writes SP bytes it reads or writes). The other
    instructions keep their order, so the sequential result is the same.
    Units execute their own instructions in order: a load placed before the
    stores of earlier work lets the DMA fetch the next op's operands, or the
    next chunk, while the other units still compute.

    ```mlir
    // quant4-opt --convert-quant4-to-q4a --q4a-hoist-loads --q4a-synchronize
    ```
  }];
  let options = [
    Option<"window", "window", "unsigned", "256",
           "How many instructions a load may move up at most">,
  ];
}

def Q4ASynchronize : Pass<"q4a-synchronize", "::mlir::q4a::ProgramOp"> {
  let summary = "Order the units of a Q4A program with syncs or dependency tokens";
  let description = [{
    Takes a `q4a.program` whose instructions are in sequential order
    (docs/ISA.md §2.2; any `sync`, `dep.signal` and `dep.wait` it has are
    dropped first) and makes it well synchronised (§2.3):

    * `mode=tokens` (default): for every instruction, the last instruction
      of each other unit that touches the same state (scratchpad or DRAM
      bytes, registers, accumulator tiles; read after write, write after
      read, write after write) gets a `dep.signal` right after it and the
      instruction a `dep.wait` right before it (§2.4), unless the two are
      already ordered, directly or through a chain of tokens. The scalar
      unit has no token queue: a scalar instruction that depends on
      outstanding work gets a `sync` of just those units, and `halt` a
      `sync` of every unit with work outstanding. A token queue never holds
      more than 16 tokens (the signal moves later, or a `sync` stands in).
      Independent work of the DMA, MXU, VPU and SFU overlaps.
    * `mode=serial`: a `sync` of every unit with outstanding work whenever
      the next instruction goes to another unit or is a scalar instruction;
      units never overlap (the schedule of quant4 before the tokens).

    What an instruction touches comes from its fields and, for scale
    tables indexed through an `x` register, the value the last `li` put
    there (`quant4::q4a::footprint`); the order of the other instructions
    and every result bit are unchanged.

    ```mlir
    // quant4-opt --convert-quant4-to-q4a --q4a-synchronize step.mlir
    q4a.dma.ld sp = 0x0, dram = 0x0, ...
    q4a.dep_signal unit = dma, peer = mxu
    q4a.dep_wait unit = mxu, peer = dma
    q4a.mma ...
    ```
  }];
  let options = [
    Option<"mode", "mode", "std::string", "\"tokens\"",
           "tokens (dependency tokens between dependent units) or serial "
           "(a sync at every change of unit)">,
  ];
}

def Q4AMaterializeLoops : Pass<"q4a-materialize-loops", "::mlir::q4a::ProgramOp"> {
  let summary = "Roll the repeating runs of a straight-line Q4A program into hardware loops";
  let description = [{
    The last stage before the binary (docs/Q4ACompiler.md): takes a
    scheduled, straight-line `q4a.program` (after `q4a-synchronize`) and
    rewrites every run of instructions that repeats with addresses, strides
    or `li` immediates advancing by a constant — the tiles of an op, the
    chunks of a large tensor, the images of a batch — as a `q4a.loop` whose
    body is one period, each stepped field written `BASE + STEP * iK`
    (docs/ISA.md §2.5). Instructions repeat only with the same opcode,
    source location and every other field; a run rolls when it saves code
    words (each instruction inside loops pays a step word per loop); bodies
    are rolled again inside (nested loops, at most 4 deep). The program
    executes the same instructions in the same order, so every result bit
    is unchanged; each executed `loop` takes one scalar issue cycle.

    ```mlir
    // quant4-opt --convert-quant4-to-q4a --q4a-hoist-loads --q4a-synchronize
    //            --q4a-materialize-loops
    q4a.loop count = 18 {
      q4a.dma_ldp sp = 0x4210 + 0x20 * i0, dram = 0x1000 + 0x30 * i0, ...
      ...
    }
    ```
  }];
  let options = [
    Option<"maxBody", "max-body", "unsigned", "4096",
           "The longest loop body searched for, in instructions">,
  ];
}

#endif // QUANT4_DIALECT_Q4A_TRANSFORMS_PASSES_TD
