//===- Passes.td - quant4 conversion passes ----------------*- tablegen -*-===//
#ifndef QUANT4_CONVERSION_PASSES_TD
#define QUANT4_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

// All of quant4's conversion passes, registered together
// (registerQuant4ConversionPasses, include/quant4/Conversion/Passes.h).
// Naming: a pass that changes the dialect of the IR is `convert-<a>-to-<b>`;
// quant4's linear-time variants of upstream conversions carry upstream's
// name plus `-linear`; passes that rewrite within the CPU flow are
// `quant4-cpu-<verb>` (docs/Lowering.md, "Pass names").

//===----------------------------------------------------------------------===//
// Quant4ToCPU
//===----------------------------------------------------------------------===//

def ConvertQuant4ToCPU : Pass<"convert-quant4-to-cpu", "ModuleOp"> {
  let summary = "Lower quant4 ops to calls into the quant4 CPU runtime";
  let description = [{
    Runs on tensors, before bufferization. Every tensor whose element type is
    a quantized format (`!quant4.log`, `!quant4.int`, `!quant4.uint`,
    `f4E2M1FN`, `f8E4M3FN`, `f8E5M2`) or an FP8 scale type (`f8E8M0FNU`)
    becomes a tensor of `i8` codes, in function signatures, calls, returns,
    `scf` control flow and region-less `tensor` ops alike: statically shaped
    tensors of formats of at most 4 bits are *packed*, two codes per byte,
    as a 1-D `tensor<ceil(n/2) x i8>` (element i in byte i/2, low nibble
    first); all others keep their shape with one code per `i8` (the code in
    the low bits).

    * `quant4.constant` becomes an `arith.constant` of its (packed) codes;
    * `quant4.quantize`, `dequantize`, `fake_quant`, `scale`, `matmul` and
      `conv2d` become `func.call`s to `quant4_rt_*` functions of the runtime
      library (lib/Runtime). Operands are passed as unranked memrefs
      (`bufferization.to_buffer ... read_only` + `memref.cast`), results are
      written into fresh `memref.alloc` buffers that re-enter the tensor world
      through `bufferization.to_tensor ... restrict writable`, which One-Shot
      Bufferize understands. Formats, rounding, accumulation and granularity
      travel as integer constants and constant `memref.global`s.

    FP8 scale tensors (`f8E8M0FNU`, `f8E4M3FN`) are decoded to f32 by the
    runtime before use. All numerics happen in the runtime, which calls the
    quant4 Numerics library. See docs/Lowering.md.

    ```mlir
    %q = quant4.quantize %x, %s rounding<nearest>
        : tensor<4x8xf32>, tensor<f32> -> tensor<4x8x!quant4.int<4>>
    // becomes
    %q = ... func.call @quant4_rt_quantize_f32(...) ...
         bufferization.to_tensor %buf restrict writable
           : memref<4x8xi8> to tensor<4x8xi8>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::tensor::TensorDialect"];
}

def Quant4CPUBlasMatmul : Pass<"quant4-cpu-blas-matmul", "ModuleOp"> {
  let summary = "Run f32 linalg.matmul on OpenBLAS through the quant4 runtime";
  let description = [{
    Rewrites every `linalg.matmul` on ranked 2-D tensors whose operands and
    result are all `f32` into a call of the runtime entry point
    `quant4_rt_matmul_f32`, which runs OpenBLAS `cblas_sgemm` (or a plain
    loop when the runtime was built without OpenBLAS). Handled forms: the
    default indexing maps, the transposed-operand maps
    (`affine_map<(m, n, k) -> (k, m)>` for A, `(m, n, k) -> (n, k)` for B),
    and an operand produced by a 2-D `linalg.transpose` (permutation
    `[1, 0]`), which is read in place as a transposed operand. An init
    produced by `linalg.fill` of `+0.0` is not read (beta = 0); any other
    init is accumulated into, as `linalg.matmul` does. Other matmuls (other
    element types, broadcast maps, buffers) are left alone.

    FP32 results may differ in the last bits from the naive loop of
    `convert-linalg-to-loops` (BLAS sums in its own order, with FMAs); plain
    f32 GEMMs carry no bit-exactness contract (docs/Lowering.md). quant4's
    quantized GEMMs are not affected.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::tensor::TensorDialect"];
}
def Quant4CPUBlasConv : Pass<"quant4-cpu-blas-conv", "ModuleOp"> {
  let summary = "Run f32 linalg.conv_2d_nhwc_hwcf as im2col + OpenBLAS "
                "through the quant4 runtime";
  let description = [{
    Rewrites every `linalg.conv_2d_nhwc_hwcf` on statically shaped `f32`
    tensors (input NHWC, filter HWCF, result NHWF; any strides and
    dilations) into a call of `quant4_rt_conv2d_f32`, which gathers the
    input windows into a matrix (im2col, reduction order kh, kw, c) and
    multiplies it by the filter with the GEMM of `quant4_rt_matmul_f32`
    (OpenBLAS `cblas_sgemm`, or a plain loop without OpenBLAS), on fixed
    row blocks so that results do not depend on the thread count. An init
    produced by `linalg.fill` of `+0.0` is not read; any other init is
    accumulated into. The training step's forward, data-gradient and
    weight-gradient convolutions are all of this form; other convolutions
    are left alone.

    As for `quant4-cpu-blas-matmul`, FP32 results may differ in the last
    bits from the loop of `convert-linalg-to-loops`; quant4's quantized
    convolutions (`quant4.conv2d`) are not affected.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}


def Quant4CPUExportSignatures : Pass<"quant4-cpu-export-signatures",
                                     "ModuleOp"> {
  let summary = "Mark public functions for C-interface calls and record "
                "their tensor signature";
  let description = [{
    Adds `llvm.emit_c_interface` to every public `func.func` definition and
    records its original (tensor-level) function type in a
    `quant4.signature` type attribute, which survives the lowering to the
    LLVM dialect. `quant4-run` reads it to check `.npy` inputs against the
    entry function's argument types when it is given already-lowered IR.
  }];
  // quant4 declares quant4.signature; loaded, its OpAsmDialectInterface
  // also names the big LLVM structs of a step's packed results when the
  // lowered module is printed (aliases, docs/Lowering.md).
  let dependentDialects = ["::mlir::quant4::Quant4Dialect"];
}

def Quant4CPUBufferDealloc : Pass<"quant4-cpu-buffer-dealloc", "ModuleOp"> {
  let summary = "Free the buffers of straight-line functions right after "
                "their last use (upstream buffer-deallocation-pipeline "
                "otherwise)";
  let description = [{
    Inserts `memref.dealloc` for every buffer allocated by a bufferized
    module, in time linear in the number of ops. Upstream's
    `buffer-deallocation-pipeline` handles arbitrary control flow, but its
    `buffer-deallocation-simplification` is quadratic in the number of
    buffers live in one block: a training step of 256 layers, one single
    block, spent more than 5 s there.

    The pass handles a module when **every** function definition in it is
    *straight-line manageable*:

    * its body is a single block ending in `func.return`;
    * every op of that block that produces a memref is one of: `memref.alloc`,
      `bufferization.clone`, a `func.call` of a function defined in the
      module (*owned* buffers, to be freed); `memref.alloca`,
      `memref.get_global` (never freed, like the function's arguments); an
      op implementing `ViewLikeOpInterface` (`memref.cast`, `subview`,
      `collapse_shape`, `expand_shape`, `reinterpret_cast`, `transpose`,
      `view`, ...), an alias of its source;
    * no op nested in a region (e.g. the body of a `linalg.generic` or of an
      `scf.for`) produces a memref, and no region has memref arguments;
    * the module contains no `memref.dealloc` or `bufferization.dealloc`
      yet, and no op that turns a memref into something else that could
      outlive it (`memref.extract_aligned_pointer_as_index`,
      `builtin.unrealized_conversion_cast`, a tensor result such as
      `bufferization.to_tensor`) or stores a memref into memory.

    Then, per function: each returned value that is not an owned buffer
    returned directly, for the first time, in this `func.return` (a function
    argument, a global, a view, the same buffer returned a second time) is
    replaced by a fresh copy (`memref.alloc` + `memref.copy` for a
    statically shaped identity-layout memref, else `bufferization.clone`),
    so callers always receive a fresh buffer they own; returned buffers are not freed; every other owned
    buffer gets a `memref.dealloc` right after the op of the block that
    last uses it or any of its (transitive) aliases. A use inside the
    regions of an op counts as a use by that op; a buffer that is never
    used is freed right after its allocation. External functions
    (declarations, e.g. the runtime) are assumed not to retain their memref
    arguments, and every op is assumed to finish with its operands when it
    returns. Buffers are thus freed as early as possible, which also lowers
    the peak memory of a step (upstream frees them at the end of the block).

    Any other module (several blocks, memrefs yielded by `scf.if`, unknown
    memref producers, ...) is handed to upstream's
    `buffer-deallocation-pipeline`, run from inside this pass, unless
    `allow-fallback=false`, which makes the pass fail with an error at the
    first op it cannot handle. In `quant4-cpu-pipeline` it is followed by
    `cse` and `canonicalize` (which the upstream pipeline runs at its end).

    ```mlir
    %a = memref.alloc() : memref<4xf32>
    %v = memref.subview %a[0] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1]>>
    linalg.fill ins(%x : f32) outs(%a : memref<4xf32>)
    memref.copy %v, %out : memref<2xf32, strided<[1]>> to memref<2xf32>
    // memref.dealloc %a : memref<4xf32>   (inserted here)
    func.call @f(%out) : (memref<2xf32>) -> ()
    ```
  }];
  let options = [
    Option<"allowFallback", "allow-fallback", "bool", /*default=*/"true",
           "Run upstream's buffer-deallocation-pipeline on modules the "
           "straight-line placement cannot handle (false: fail with an "
           "error there instead)">
  ];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect"];
}

def ConvertSCFToCFLinear : Pass<"convert-scf-to-cf-linear", "func::FuncOp"> {
  let summary = "convert-scf-to-cf in time linear in the number of loops of "
                "a block";
  let description = [{
    Lowers `scf` ops (`for`, `if`, `while`, `parallel`, `forall`,
    `index_switch`, `execute_region`) to `cf` branches with upstream's
    patterns (`populateSCFToControlFlowConversionPatterns`), producing the
    same IR as `convert-scf-to-cf`. Each lowering splits the block around
    the op and moves every op after it into the new block; upstream
    converts a block's ops first to last, so a block holding n loops (a
    bufferized training step holds thousands) costs O(n^2) moves. This pass
    converts the top-level ops of the function's blocks last to first
    instead, so each split moves only the ops up to the next loop, which is
    already converted: O(n) in total. Nested `scf` ops are converted with
    their top-level ancestor, as upstream does. `quant4-cpu-pipeline` runs
    it instead of `convert-scf-to-cf`. (Formerly `quant4-cpu-scf-to-cf`, which
    remains an alias.)
  }];
  let dependentDialects = ["::mlir::cf::ControlFlowDialect"];
}

def ConvertLinalgToLoopsLinear : Pass<"convert-linalg-to-loops-linear",
                                       "func::FuncOp"> {
  let summary = "convert-linalg-to-loops without whole-function region "
                "simplification";
  let description = [{
    Lowers every linalg op with buffer semantics to a nest of `scf.for`
    loops (upstream's `linalg::linalgOpToLoops`, the same loops as
    `convert-linalg-to-loops`), then folds what the lowering leaves —
    constants, `affine.apply` of trivial maps, `memref.dim` /
    `tensor.dim` of static shapes — with the greedy rewriter, like
    upstream's pass. Upstream's greedy run also simplifies the regions
    (dead-block removal and block merging over the whole function) after
    every round; on a training step of hundreds of layers in one function
    that walk grew faster than the step. This pass does not: it produces
    the same IR on the project's pipelines (checked by comparing the
    lowered 64- and 256-layer benchmark steps) in time linear in the step.
    (Formerly `quant4-cpu-linalg-to-loops`, which remains an alias.)

    It also lowers a statically shaped `memref.copy` whose source or
    target is not contiguous (a strided subview, as max-pool backward
    scatters into its window taps) to the loops of a `linalg.copy`: the
    LLVM lowering would otherwise call the C runner utilities'
    `memrefCopy`, which computes an index per element. Contiguous copies
    stay `memref.copy` (a `memcpy`).

    It inlines `memref.alloca_scope` ops that hold no allocation (upstream's
    canonicalization; `convert-scf-to-openmp` wraps each parallel loop body
    in one).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::affine::AffineDialect"];
}

def Quant4CPUParallelLoops : Pass<"quant4-cpu-parallel-loops",
                                   "func::FuncOp"> {
  let summary = "Lower the large linalg ops of a function to loops whose "
                "outermost dimension is an scf.parallel";
  let description = [{
    For the CPU pipeline's threads (lowered with upstream's
    `convert-scf-to-openmp` onto the OpenMP runtime, the pool the kernels
    use). A linalg op on buffers, at the top level of its function, with
    static loop ranges, qualifies when

    - its first loop is `parallel` and every output indexes that loop
      (each output element is written under one value of it: the
      iterations touch disjoint parts of the outputs),
    - the loop has at least 2 iterations and the whole nest at least
      `min-work`.

    Such an op becomes the loops of `convert-linalg-to-loops` with the
    outermost `scf.for` replaced by an `scf.parallel` over the same range.
    Every output element is still computed by one thread, by the same
    scalar operations in the same order (reductions stay inner `scf.for`
    loops), so the results do not depend on the thread count. Other linalg
    ops are left to `convert-linalg-to-loops-linear`. A reduction whose
    first loop is the reduced one (e.g. a sum over the batch) stays serial.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"32768",
           "Smallest loop nest (iterations) run in parallel">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::affine::AffineDialect"];
}

def Quant4CPUCopyKernels : Pass<"quant4-cpu-copy-kernels", "ModuleOp"> {
  let summary = "Run large transposes and reindexing copies on buffers as "
                "the runtime's blocked strided copy";
  let description = [{
    A `linalg.transpose` lowered to loops visits the output in order and
    reads the input at the stride of the permuted dimension: one element
    per cache line (transposing a 512x512x3x3 weight ran at 0.7 GB/s). This
    pass rewrites, at the top level of a function, on statically shaped
    buffers of at least `min-elements` elements of 1, 2, 4 or 8 bytes,

    - every `linalg.transpose`, and
    - every `linalg.generic` that only copies its one input to its one
      output (identity output map, the body yields the input element)
      through an input map whose results are each `±d + c`, every loop
      used once: a permutation that may reverse dimensions, e.g. the
      flipped and transposed filter of a convolution's data gradient,
      over an input with a static layout,

    into a call of the runtime's copy on a view of the input in the
    output's index order (`memref.transpose`, or `memref.reinterpret_cast`
    with negative strides for reversed dimensions):

    ```mlir
    %view = memref.transpose %in (d0, d1, d2, d3) -> (d3, d0, d1, d2)
        : memref<512x3x3x512xf32> to memref<512x512x3x3xf32, strided<...>>
    func.call @quant4_rt_copy_f32(%view_unranked, %out_unranked)
    ```

    The runtime's copy (`kernels::stridedCopy`) works in blocks so that
    reads and writes both use whole cache lines, on the thread pool. A copy
    moves bits, so nothing computed changes, at any thread count.
    `quant4-cpu-pipeline` runs the pass after bufferization
    (`copy-min-elements`, 0: off).
  }];
  let options = [
    Option<"minElements", "min-elements", "int64_t", /*default=*/"4096",
           "Smallest copy (elements) given to the runtime">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def Quant4CPUInnermostOutputDim
    : Pass<"quant4-cpu-innermost-output-dim", "func::FuncOp"> {
  let summary = "Make the output's contiguous dimension the innermost loop "
                "of a reduction (pooling windows, arg-max) on buffers";
  let description = [{
    `linalg.pooling_nhwc_*` and the reductions derived from them (max-pool
    backward's arg-max) have their window loops innermost: loops
    `(n, oh, ow, c, kh, kw)` over an NHWC output, so the innermost loop
    runs over a 2x2 or 3x3 window and cannot be vectorised, and every
    output element is loaded and stored once per tap. This pass moves the
    loop that indexes the output's innermost (contiguous) dimension to the
    innermost position, `(n, oh, ow, kh, kw, c)`, generalising named ops
    first.

    Each output element is still reduced over the same window taps in the
    same order (the reduction loops keep their relative order), so every
    result has the same bits; only the order in which different output
    elements advance changes. It applies to linalg ops on buffers at the
    top level of a function whose last loop is a reduction and whose one
    output's innermost dimension is indexed by a parallel loop
    (`test/Conversion/Quant4ToCPU/innermost-output-dim.mlir`).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def Quant4CPUStaticArena : Pass<"quant4-cpu-static-arena", "ModuleOp"> {
  let summary = "Place the temporaries of straight-line functions in one "
                "static buffer per function, planned at compile time";
  let description = [{
    A training step allocates and frees the same temporaries at every call.
    This pass plans them once, at compile time: in a function whose body is
    one block, every `memref.alloc` of a static shape and identity layout
    in that block that is freed by exactly one `memref.dealloc` in the same
    block (what `quant4-cpu-buffer-dealloc` produces for every buffer that
    is not returned) is live from its allocation to its deallocation. The
    pass walks the block once, simulating a first-fit allocator over those
    intervals (64-byte aligned, freed ranges merged with their neighbours),
    and so gives every buffer an offset in one arena whose size is the
    step's planned peak. Then

    ```mlir
    %a = memref.alloc() {alignment = 64 : i64} : memref<64x10xf32>
    ...
    memref.dealloc %a : memref<64x10xf32>
    ```

    becomes

    ```mlir
    memref.global "private" @__quant4_arena_step : memref<2621440xi8> {alignment = 64 : i64}
    %arena = memref.get_global @__quant4_arena_step : memref<2621440xi8>
    %a = memref.view %arena[%c1048576][] : memref<2621440xi8> to memref<64x10xf32>
    ...
    ```

    The arena is a global of the compiled module (zero pages until first
    touched), allocated once and reused by every later call: a step makes
    no `malloc`/`free` for its temporaries. Returned buffers, dynamically
    shaped ones, buffers in nested regions and every buffer of a function
    that may call itself (through functions defined in the module) keep
    `memref.alloc`.

    A function with an arena is not reentrant: two threads must not run it
    at the same time (`quant4-run` calls each function from one thread).
    `quant4-cpu-pipeline{static-arena=false}` keeps every allocation.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def Quant4CPUProfileRegions : Pass<"quant4-cpu-profile-regions",
                                   "ModuleOp"> {
  let summary = "Time every linalg op, memref.copy and runtime call on "
                "buffers, by class and op by op (quant4-run train --profile)";
  let description = [{
    Brackets every `linalg` op with buffer semantics, every `memref.copy`
    and every call of a `quant4_rt_*` runtime entry point in a function body
    with two runtime calls,

    ```mlir
    %t0 = func.call @quant4_rt_profile_begin() : () -> i64
    linalg.generic ... // the op, unchanged
    func.call @quant4_rt_profile_end(%class, %region, %t0)
        : (i32, i32, i64) -> ()
    ```

    so that the profile of `quant4-run train --profile` splits the
    JIT-compiled part of a step by what it does, and lists the ops that
    took longest. The class is decided from the op's structure, not its
    name:

    | class | ops |
    |---|---|
    | element-wise | `linalg.generic` with only parallel loops that computes something |
    | reductions | any op with a reduction loop but no contraction (`linalg.generic` sums, `linalg.pooling_*`) |
    | data movement | `linalg.fill`, `linalg.copy`, `linalg.transpose`, `linalg.broadcast`, `memref.copy`, and parallel `linalg.generic`s whose body only yields block arguments |
    | f32 GEMM/conv (loops) | contractions and convolutions left to loops (`blas=false`) |
    | -1 (none) | runtime calls: the runtime adds them to their own class |

    `%region` numbers the timed ops of the module in order; the module's
    `quant4.profile_regions` attribute says what each one is: the op's name,
    the shape of what it writes and its location (an ONNX node's name, or
    `file:line`), e.g. `"linalg.transpose 64x16x16x128xf32 (layer2.0.conv1)"`.
    The calls cost two clock reads per op and do not change any result
    (they take no operand of the op). `quant4-cpu-pipeline{profile=true}`
    runs the pass after bufferization; without it the lowered code has no
    profiling calls.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
}

def Quant4CPUUntieInits : Pass<"quant4-cpu-untie-inits", "func::FuncOp"> {
  let summary = "Give every destination-style op its own empty/filled init "
                "tensor before bufferization";
  let description = [{
    A training step often uses one `tensor.empty` (or one zero
    `linalg.fill` of it) as the init of many linalg ops. One-shot
    bufferization then has to analyse the conflicts between all writers of
    that one tensor, which grows quadratically with the size of the step
    (hundreds of layers took minutes). This pass clones such a cheap init —
    `tensor.empty`, or `linalg.fill` of a scalar into `tensor.empty` — for
    every use after the first, so each op writes its own buffer. It changes
    no value computed. It runs right before bufferization in
    `quant4-cpu-pipeline` (CSE would merge the clones again).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def Quant4CPUWidenMath : Pass<"quant4-cpu-widen-math", "func::FuncOp"> {
  let summary = "Compute f32 exp, log and tanh as the double functions "
                "rounded once to f32";
  let description = [{
    Rewrites `math.exp`, `math.log` and `math.tanh` on `f32` into
    `arith.truncf(math.op(arith.extf(x) : f64))`: the value
    float(exp(double(x))) that the Q4A ISA defines for these functions
    (docs/ISA.md §5.1), so that the CPU emulation and `quant4-sim` agree bit
    for bit on softmax cross-entropy. (The f32 libm functions are not
    correctly rounded and differ from it on some inputs.)
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

//===----------------------------------------------------------------------===//
// Quant4ToQ4A
//===----------------------------------------------------------------------===//

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
    * tensors of codes of at most 4 bits that the program computes are
      packed two per byte in DRAM (`dma.ldp` / `dma.stp` move them, one
      code per scratchpad byte; option `pack-codes`); inputs and outputs
      keep one code per byte (the host's `.npy` convention);
    * each op works in one half of the scratchpad, the halves alternating
      from op to op (an op that does not fit half gets all of it), so that
      consecutive ops can overlap once scheduled;
    * the instructions are in sequential order (docs/ISA.md §2.2), with no
      `sync` or dependency token: `q4a-hoist-loads` and `q4a-synchronize`
      schedule them afterwards (a program is run only once it is well
      synchronised; docs/Q4ACompiler.md).

    An op outside this set, a tile that cannot fit the scratchpad, tensors
    beyond `dram-size`, or an unsupported attribute (block scales, FP8
    scale tensors, per-axis scale policies) is a diagnostic naming the op;
    no program is produced.

    ```mlir
    // quant4-opt --convert-quant4-to-q4a --q4a-synchronize step.mlir
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
    Option<"packCodes", "pack-codes", "bool", "true",
           "Keep computed 4-bit codes two per DRAM byte (dma.ldp / "
           "dma.stp); false: one per byte">,
  ];
  let dependentDialects = ["::mlir::q4a::Q4ADialect"];
}

#endif // QUANT4_CONVERSION_PASSES_TD
