// Scalar arguments and results of quant4-run (docs/Lowering.md): f32, f64,
// i1, i32, i64 and index arguments come from 0-d .npy files of dtype
// float32, float64, bool, int32, int64, int64 (in argument order, like
// tensors) or from --scalar VALUE; scalar results are written as 0-d .npy
// files. A scalar input of another dtype or shape fails before anything runs,
// naming the argument, and leaves no output file.
//
// @step: an SGD update w - lr * g with an f32 learning rate, the updated
// weight quantized to int4 by stochastic rounding keyed by the i64 seed
// argument (bit for bit as quant4-ref with that seed), and the scalar
// results lr * lr (f32) and seed + 1 (i64).
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/w.npy --dtype float32 --shape 2x2 --values 1.5,-2.25,0.75,3.0
// RUN: quant4-ref gen %t/g.npy --dtype float32 --shape 2x2 --values 0.5,1.0,-2.0,0.25
// RUN: quant4-ref gen %t/s.npy --dtype float32 --values 0.25
// RUN: quant4-ref gen %t/lr.npy --dtype float32 --values 0.1
// RUN: quant4-ref gen %t/seed.npy --dtype int64 --values 1234567890123
// RUN: quant4-run %s --entry step --input %t/w.npy --input %t/g.npy --input %t/s.npy --input %t/lr.npy --input %t/seed.npy --output-dir %t/npy --print | FileCheck %s --check-prefix=STEP
// STEP:      result0: tensor<2x2xf32>
// STEP-NEXT: {{^\[\[}}1.45000005, -2.3499999], [0.949999988, 2.9749999{{\]\]$}}
// STEP-NEXT: result1: tensor<2x2x!quant4.int<4>>
// STEP-NEXT: {{^\[\[[0-9]+, [0-9]+\], \[[0-9]+, [0-9]+\]\]$}}
// STEP-NEXT: result2: f32
// STEP-NEXT: {{^}}0.0100000007{{$}}
// STEP-NEXT: result3: i64
// STEP-NEXT: {{^}}1234567890124{{$}}
// RUN: quant4-ref quantize %t/npy/result0.npy %t/s.npy %t/ref.npy --format int4 --rounding stochastic --seed 1234567890123 --stream 6
// RUN: cmp %t/npy/result1.npy %t/ref.npy
// The scalar results are 0-d .npy files: f32 0.0100000007 is 0x3c23d70b.
// RUN: head -c 128 %t/npy/result2.npy | FileCheck %s --check-prefix=HDR2
// HDR2: {'descr': '<f4', 'fortran_order': False, 'shape': (), }
// RUN: tail -c 4 %t/npy/result2.npy | od -A n -t x1 | FileCheck %s --check-prefix=BYTES2
// BYTES2: {{^}} 0b d7 23 3c{{$}}
// RUN: head -c 128 %t/npy/result3.npy | FileCheck %s --check-prefix=HDR3
// HDR3: {'descr': '<i8', 'fortran_order': False, 'shape': (), }
// RUN: tail -c 8 %t/npy/result3.npy | od -A n -t d8 | FileCheck %s --check-prefix=BYTES3
// BYTES3: {{^ *}}1234567890124{{$}}
// The same with --scalar (also for the 0-d tensor scale), and on IR already
// lowered to the LLVM dialect.
// RUN: quant4-run %s --entry step --input %t/w.npy --input %t/g.npy --scalar 0.25 --scalar 0.1 --scalar 1234567890123 --output-dir %t/lit
// RUN: cmp %t/npy/result0.npy %t/lit/result0.npy
// RUN: cmp %t/npy/result1.npy %t/lit/result1.npy
// RUN: cmp %t/npy/result2.npy %t/lit/result2.npy
// RUN: cmp %t/npy/result3.npy %t/lit/result3.npy
// RUN: quant4-opt %s --quant4-cpu-pipeline -o %t/lowered.mlir
// RUN: quant4-run %t/lowered.mlir --entry step --input %t/w.npy --input %t/g.npy --input %t/s.npy --input %t/lr.npy --input %t/seed.npy --output-dir %t/low
// RUN: cmp %t/npy/result1.npy %t/low/result1.npy
// RUN: cmp %t/npy/result2.npy %t/low/result2.npy
func.func @step(%w: tensor<2x2xf32>, %g: tensor<2x2xf32>, %s: tensor<f32>,
                %lr: f32, %seed: i64)
    -> (tensor<2x2xf32>, tensor<2x2x!quant4.int<4>>, f32, i64) {
  %e = tensor.empty() : tensor<2x2xf32>
  %u = linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>,
                       affine_map<(i, j) -> (i, j)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%w, %g : tensor<2x2xf32>, tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.mulf %lr, %b : f32
    %r = arith.subf %a, %d : f32
    linalg.yield %r : f32
  } -> tensor<2x2xf32>
  %q = quant4.quantize %u, %s seed %seed rounding<stochastic> {stream = 6} : tensor<2x2xf32>, tensor<f32> -> tensor<2x2x!quant4.int<4>>
  %lr2 = arith.mulf %lr, %lr : f32
  %one = arith.constant 1 : i64
  %next = arith.addi %seed, %one : i64
  return %u, %q, %lr2, %next : tensor<2x2xf32>, tensor<2x2x!quant4.int<4>>, f32, i64
}

// @sr: the seed argument keys the rounding, all 64 bits of it: two seeds that
// differ only above bit 32 give other codes, each as quant4-ref's.
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 16x16 --random 3 --lo -5 --hi 5
// RUN: quant4-run %s --entry sr --input %t/x.npy --input %t/s.npy --scalar 4294967303 --output-dir %t/sr1
// RUN: quant4-run %s --entry sr --input %t/x.npy --input %t/s.npy --scalar 8589934599 --output-dir %t/sr2
// RUN: quant4-ref quantize %t/x.npy %t/s.npy %t/sr1.npy --format int4 --rounding stochastic --seed 4294967303 --stream 6
// RUN: quant4-ref quantize %t/x.npy %t/s.npy %t/sr2.npy --format int4 --rounding stochastic --seed 8589934599 --stream 6
// RUN: cmp %t/sr1/result0.npy %t/sr1.npy
// RUN: cmp %t/sr2/result0.npy %t/sr2.npy
// RUN: not cmp -s %t/sr1.npy %t/sr2.npy
func.func @sr(%x: tensor<16x16xf32>, %s: tensor<f32>, %seed: i64) -> tensor<16x16x!quant4.int<4>> {
  %q = quant4.quantize %x, %s seed %seed rounding<stochastic> {stream = 6} : tensor<16x16xf32>, tensor<f32> -> tensor<16x16x!quant4.int<4>>
  return %q : tensor<16x16x!quant4.int<4>>
}

// @kinds: the other scalar kinds, and a single scalar result (returned by
// value by the C interface, not through the result struct).
// RUN: quant4-ref gen %t/x64.npy --dtype float64 --values 0.1
// RUN: quant4-ref gen %t/t.npy --dtype bool --values 1
// RUN: quant4-run %s --entry kinds --input %t/x64.npy --input %t/t.npy --scalar -7 --scalar 40 --print --output-dir %t/kinds | FileCheck %s --check-prefix=KINDS
// KINDS:      result0: f64
// KINDS-NEXT: {{^}}0.20000000000000001{{$}}
// KINDS-NEXT: result1: i1
// KINDS-NEXT: {{^}}false{{$}}
// KINDS-NEXT: result2: i32
// KINDS-NEXT: {{^}}-14{{$}}
// KINDS-NEXT: result3: index
// KINDS-NEXT: {{^}}41{{$}}
// RUN: head -c 128 %t/kinds/result1.npy | FileCheck %s --check-prefix=HDRB
// HDRB: {'descr': '|b1', 'fortran_order': False, 'shape': (), }
// RUN: quant4-run %s --entry one --scalar false --print | FileCheck %s --check-prefix=ONE
// ONE:      result0: f32
// ONE-NEXT: {{^}}2.5{{$}}
func.func @kinds(%x: f64, %b: i1, %k: i32, %i: index) -> (f64, i1, i32, index) {
  %x2 = arith.addf %x, %x : f64
  %t = arith.constant true
  %nb = arith.xori %b, %t : i1
  %k2 = arith.addi %k, %k : i32
  %c1 = arith.constant 1 : index
  %i1 = arith.addi %i, %c1 : index
  return %x2, %nb, %k2, %i1 : f64, i1, i32, index
}
func.func @one(%b: i1) -> f32 {
  %a = arith.constant 2.5 : f32
  %c = arith.constant -1.0 : f32
  %r = arith.select %b, %c, %a : f32
  return %r : f32
}

// Bad scalar inputs: a clear message naming the argument, exit status 1, no
// output file.
// RUN: quant4-ref gen %t/lr64.npy --dtype float64 --values 0.1
// RUN: quant4-ref gen %t/lr1.npy --dtype float32 --shape 1 --values 0.1
// RUN: quant4-ref gen %t/seed32.npy --dtype int32 --values 5
// RUN: not quant4-run %s --entry step --input %t/w.npy --input %t/g.npy --input %t/s.npy --input %t/lr64.npy --input %t/seed.npy --output-dir %t/bad 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: quant4-run: error: input 3 ({{.*}}lr64.npy): argument 3 is a scalar f32 and takes a 0-d float32 array, got float64 array of shape (){{$}}
// RUN: not quant4-run %s --entry step --input %t/w.npy --input %t/g.npy --input %t/s.npy --input %t/lr1.npy --input %t/seed.npy --output-dir %t/bad 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: quant4-run: error: input 3 ({{.*}}lr1.npy): argument 3 is a scalar f32 and takes a 0-d float32 array, got float32 array of shape (1,){{$}}
// RUN: not quant4-run %s --entry step --input %t/w.npy --input %t/g.npy --input %t/s.npy --input %t/lr.npy --input %t/seed32.npy --output-dir %t/bad 2>&1 | FileCheck %s --check-prefix=SEED
// SEED: quant4-run: error: input 4 ({{.*}}seed32.npy): argument 4 is a scalar i64 and takes a 0-d int64 array, got int32 array of shape (){{$}}
// RUN: not quant4-run %s --entry step --input %t/w.npy --input %t/g.npy --input %t/s.npy --scalar 1e40 --scalar 1 --output-dir %t/bad 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: quant4-run: error: input 3: argument 3 (f32): cannot parse --scalar '1e40' as float32{{$}}
// RUN: not quant4-run %s --entry step --input %t/w.npy --input %t/g.npy --input %t/s.npy --scalar 0.1 --scalar 1.5 --output-dir %t/bad 2>&1 | FileCheck %s --check-prefix=INT
// INT: quant4-run: error: input 4: argument 4 (i64): cannot parse --scalar '1.5' as int64{{$}}
// RUN: not quant4-run %s --entry kinds --scalar 0.1 --scalar 2 --scalar 1 --scalar 1 --output-dir %t/bad 2>&1 | FileCheck %s --check-prefix=BOOL
// BOOL: quant4-run: error: input 1: argument 1 (i1): cannot parse --scalar '2' as bool (true, false, 1 or 0){{$}}
// RUN: not quant4-run %s --entry kinds --scalar 0.1 --scalar 1 --scalar 2147483648 --scalar 1 --output-dir %t/bad 2>&1 | FileCheck %s --check-prefix=I32
// I32: quant4-run: error: input 2: argument 2 (i32): cannot parse --scalar '2147483648' as int32{{$}}
// RUN: not quant4-run %s --entry step --scalar 1 --input %t/g.npy --input %t/s.npy --input %t/lr.npy --input %t/seed.npy --output-dir %t/bad 2>&1 | FileCheck %s --check-prefix=TENSOR
// TENSOR: quant4-run: error: input 0: argument 0 has type tensor<2x2xf32>; --scalar gives f32, f64, i1, i32, i64 and index scalars and 0-d tensors of them{{$}}
// RUN: not ls %t/bad
// An unsupported scalar type is refused by name.
// RUN: not quant4-run %s --entry half --scalar 1 2>&1 | FileCheck %s --check-prefix=F16
// F16: quant4-run: error: @half: argument 0 has type f16; quant4-run passes ranked tensors and f32, f64, i1, i32, i64 and index scalars only{{$}}
func.func @half(%h: f16) -> f16 {
  return %h : f16
}
