//===- Passes.td - quant4 -> q4a conversion ----------------*- tablegen -*-===//
#ifndef QUANT4_CONVERSION_QUANT4TOQ4A_PASSES_TD
#define QUANT4_CONVERSION_QUANT4TOQ4A_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertQuant4ToQ4A : Pass<"convert-quant4-to-q4a", "ModuleOp"> {
  let summary = "Compile a quantized training step to a Q4A program";
  let description = [{
    Replaces the entry `func.func` (option `entry`; by default the only
    public function definition) with a `q4a.program` of the same name that
    computes it on the Q4A accelerator (docs/ISA.md):

    * every tensor lives in DRAM: arguments become the program's inputs
      (`arg0`, `arg1`, ...), results its outputs (`result0`, ...), dense
      constants and `quant4.constant` codes become data segments, other
      values get DRAM scratch space;
    * each op streams its operands through the scratchpad in tiles that fit
      it: `quant4.matmul` and f32 `linalg.matmul` in array-sized output
      tiles with K chunks (`mma` / `mst`), `quant4.conv2d` and f32
      `linalg.conv_2d_nhwc_hwcf` the same way on im2col blocks gathered by
      strided DMA, `quant4.quantize` /
      `dequantize` / `fake_quant` in element chunks (`quant` / `deq`),
      `quant4.scale` (amax, gradscale, delayed, sawb, pact; per tensor) on
      the special-function unit, elementwise `linalg` ops and
      `linalg.generic`s (operands through maps linear in the loop indices,
      gathered by strided DMA; arith/math bodies; `linalg.index`; i32 as
      exact f32 values), reductions over any dimensions (incl.
      `linalg.pooling_nhwc_max` and first-index argmax) on the vector unit,
      2-D `linalg.transpose` with `vtr`, static `tensor.extract_slice` /
      `insert_slice` by strided DMA;
    * the schedule is simple and safe: a `sync` on every change of unit.

    An op outside this set, a tile that cannot fit the scratchpad, tensors
    beyond `dram-size`, or an unsupported attribute (block scales, FP8
    scale tensors, per-axis scale policies) is a diagnostic naming the op;
    no program is produced.

    ```mlir
    // quant4-opt --convert-quant4-to-q4a step.mlir
    q4a.program @train_step dram(...) inputs([...]) outputs([...]) { ... }
    ```
  }];
  let options = [
    Option<"entry", "entry", "std::string", "\"\"",
           "Function to compile (default: the only public function)">,
    Option<"spSize", "sp-size", "unsigned", "524288",
           "Scratchpad bytes of the target">,
    Option<"arrayRows", "array-rows", "unsigned", "32",
           "MXU array rows of the target">,
    Option<"arrayCols", "array-cols", "unsigned", "32",
           "MXU array columns of the target">,
    Option<"dramSize", "dram-size", "uint64_t", "0",
           "DRAM bytes of the target (0: the ISA's 4 GiB address space)">,
  ];
  let dependentDialects = ["::mlir::q4a::Q4ADialect"];
}

#endif // QUANT4_CONVERSION_QUANT4TOQ4A_PASSES_TD
