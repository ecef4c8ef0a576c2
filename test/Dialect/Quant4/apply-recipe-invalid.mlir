// Bad options and unclassifiable graphs are diagnostics; nothing is printed.
// RUN: not quant4-opt %s --quant4-apply-recipe=recipe=int3 2>&1 | FileCheck %s --check-prefix=RECIPE
// RUN: not quant4-opt %s --quant4-apply-recipe="recipe=ultralow4 edge-recipe=bf16" 2>&1 | FileCheck %s --check-prefix=EDGE
// RUN: not quant4-opt %s --quant4-apply-recipe="overrides=fc" 2>&1 | FileCheck %s --check-prefix=ENTRY
// RUN: not quant4-opt %s --quant4-apply-recipe="overrides=fc:int2" 2>&1 | FileCheck %s --check-prefix=ENTRY2
// RUN: not quant4-opt %s --quant4-apply-recipe="overrides=conv9:fp8" 2>&1 | FileCheck %s --check-prefix=NOLAYER
// RUN: not quant4-opt %s --quant4-apply-recipe="overrides=3:fp8" 2>&1 | FileCheck %s --check-prefix=NOLAYER3
// RUN: not quant4-opt %s --quant4-apply-recipe="accumulation=f64" 2>&1 | FileCheck %s --check-prefix=ACC
// RUN: not quant4-opt %s --quant4-apply-recipe="accumulation=f32:8" 2>&1 | FileCheck %s --check-prefix=ACCCHUNK
// RUN: not quant4-opt %s --quant4-apply-recipe="grad-rounding=up" 2>&1 | FileCheck %s --check-prefix=GRADR
// RUN: not quant4-opt %s --quant4-quantize-by-recipe="grad-rounding=up" 2>&1 | FileCheck %s --check-prefix=GRADR
// RUN: not quant4-opt %s --quant4-thread-recipe-state="grad-rounding=up" 2>&1 | FileCheck %s --check-prefix=GRADR
// RUN: not quant4-opt %s --quant4-apply-recipe="grad-radix=3" 2>&1 | FileCheck %s --check-prefix=RADIX
// RUN: not quant4-opt %s --quant4-quantize-by-recipe="grad-radix=8 tpr=false" 2>&1 | FileCheck %s --check-prefix=RADIX8
// RUN: not quant4-opt %s --quant4-apply-recipe="grad-radix=2" 2>&1 | FileCheck %s --check-prefix=RADIXTPR
// RUN: not quant4-opt %s --quant4-thread-recipe-state="grad-radix=2" 2>&1 | FileCheck %s --check-prefix=RADIXTPR
// RUN: not quant4-opt %s --quant4-apply-recipe="wgrad-grad=fp32" 2>&1 | FileCheck %s --check-prefix=WGRAD
// RUN: not quant4-opt %s --quant4-thread-recipe-state="wgrad-grad=fp4" 2>&1 | FileCheck %s --check-prefix=WGRAD4
// RUN: not quant4-opt %s --quant4-quantize-by-recipe="wgrad-grad=mxfp4" 2>&1 | FileCheck %s --check-prefix=WGRADMX
// RUN: not quant4-opt %s --quant4-apply-recipe="accumulation=f16_chunked:0" 2>&1 | FileCheck %s --check-prefix=ACCZERO
// RUN: not quant4-opt %s --quant4-apply-recipe="recipe=fp8 keep-first=0 keep-last=0 accumulation=f16_chunked" 2>&1 | FileCheck %s --check-prefix=ACCFP8
// RUN: not quant4-opt %s --quant4-apply-recipe="dgrad-phase=2" 2>&1 | FileCheck %s --check-prefix=PHASE
// RUN: not quant4-opt %s --quant4-apply-recipe="pact-update=adam" 2>&1 | FileCheck %s --check-prefix=PACT
// RUN: not quant4-opt %s --quant4-apply-recipe="seed=random" 2>&1 | FileCheck %s --check-prefix=SEED
// RUN: not quant4-opt %s --quant4-apply-recipe="bogus-option=1" 2>&1 | FileCheck %s --check-prefix=OPT
// RUN: not quant4-opt %S/Inputs/unclassifiable.mlir --quant4-apply-recipe 2>&1 | FileCheck %s --check-prefix=GRAPH

// RECIPE: error: option 'recipe': unknown recipe 'int3' (expected one of ultralow4, luq, mxfp4, nvfp4, fp8, fp32)
// RECIPE-NOT: func.func @step(%arg0
// EDGE: error: option 'edge-recipe': unknown recipe 'bf16'
// ENTRY: error: option 'overrides': bad entry 'fc' (expected LAYER:RECIPE
// ENTRY2: error: option 'overrides': bad entry 'fc:int2'
// NOLAYER: error: option 'overrides': function @step has no layer 'conv9' (layers: 0=fc)
// NOLAYER-NOT: func.func @step(%arg0
// NOLAYER3: error: option 'overrides': function @step has no layer '3' (layers: 0=fc)
// ACC: error: option 'accumulation': unknown accumulation 'f64' (expected f32, f16, f16_chunked, f16_chunked:<N> or exact)
// GRADR: error: option 'grad-rounding': unknown rounding 'up' (expected nearest, nearest_log, nearest_even, stochastic or stochastic_underflow)
// GRADR-NOT: func.func
// RADIX: error: option 'grad-radix': must be 2 or 4 (0: the recipe's), got 3
// RADIX-NOT: func.func
// RADIX8: error: option 'grad-radix': must be 2 or 4 (0: the recipe's), got 8
// RADIXTPR: error: option 'grad-radix': radix 2 has no second grid for Two-Phase Rounding (the two phases of radix 4 together are the radix-2 grid); add tpr=false
// RADIXTPR-NOT: func.func
// WGRAD: error: option 'wgrad-grad': expected a recipe with per-tensor gradient scales (ultralow4, luq or fp8), got 'fp32'
// WGRAD-NOT: func.func
// WGRAD4: error: option 'wgrad-grad': expected a recipe with per-tensor gradient scales (ultralow4, luq or fp8), got 'fp4'
// WGRADMX: error: option 'wgrad-grad': expected a recipe with per-tensor gradient scales (ultralow4, luq or fp8), got 'mxfp4'
// ACCCHUNK: error: option 'accumulation': only f16_chunked takes a chunk length, got 'f32:8'
// ACCZERO: error: option 'accumulation': the chunk length of f16_chunked:<N> must be positive (f16_chunked alone picks the overflow-free chunk)
// ACCFP8: error: 'linalg.matmul' op f16_chunked accumulation: no FP16 chunk is free of overflow for 'f8E4M3FN' x 'f8E4M3FN' (one product can exceed 65504); use f32 or an explicit f16_chunked:<N>
// PHASE: error: option 'dgrad-phase': must be 0 or 1, got 2
// PACT: error: option 'pact-update': expected 'sgd' or 'grad', got 'adam'
// SEED: error: option 'seed': expected 'arg' or an integer, got 'random'
// OPT: error: <Pass-Options-Parser>: no such option bogus-option
// GRAPH: unclassifiable.mlir:3:{{[0-9]+}}: error: 'linalg.matmul' op cannot be classified as forward, dgrad or wgrad
// GRAPH-NOT: func.func @attention_scores(%arg0

func.func @step(%w: tensor<16x4xf32> {quant4.param = "fc"}, %x: tensor<8x16xf32>) -> tensor<8x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<8x16xf32>, tensor<16x4xf32>) outs(%z : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}
