// Bad input to quant4-run: a clear message on stderr, a non-zero exit, and no
// output file.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/x.npy --dtype float32 --shape 4x8 --random 1
// RUN: quant4-ref gen %t/s.npy --dtype float32 --values 0.5
// RUN: quant4-ref gen %t/xi.npy --dtype int32 --shape 4x8 --random 1
// RUN: quant4-ref gen %t/x48.npy --dtype float32 --shape 8x4 --random 1
// RUN: quant4-ref gen %t/c.npy --dtype uint8 --shape 4x8 --codes 1 --bits 5
// RUN: quant4-ref gen %t/c4.npy --dtype uint8 --shape 4x8 --codes 1 --bits 4
// RUN: echo "not an npy file" > %t/garbage.npy
// RUN: head -c 164 %t/x.npy > %t/trunc.npy
//
// Sanity: the good call works and writes both results.
// RUN: quant4-run %s --entry main --input %t/x.npy --input %t/s.npy --output-dir %t/ok
// RUN: ls %t/ok/result0.npy %t/ok/result1.npy
//
// RUN: not quant4-run %s --entry main --input %t/x.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=COUNT
// RUN: not ls %t/out/result0.npy
// COUNT: quant4-run: error: @main takes 2 argument(s) (tensor<4x8xf32>, tensor<f32>), got 1 --input/--scalar value(s)
//
// RUN: not quant4-run %s --entry main --input %t/xi.npy --input %t/s.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=DTYPE
// RUN: not ls %t/out/result0.npy
// DTYPE: quant4-run: error: input 0 ({{.*}}xi.npy): expected tensor<4x8xf32>, got int32 array of shape (4, 8)
//
// RUN: not quant4-run %s --entry main --input %t/x48.npy --input %t/s.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not ls %t/out/result0.npy
// SHAPE: quant4-run: error: input 0 ({{.*}}x48.npy): expected tensor<4x8xf32>, got float32 array of shape (8, 4)
//
// RUN: not quant4-run %s --entry main --input %t/x.npy --input %t/x.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=RANK0
// RUN: not ls %t/out/result0.npy
// RANK0: quant4-run: error: input 1 ({{.*}}x.npy): expected tensor<f32>, got float32 array of shape (4, 8)
//
// RUN: not quant4-run %s --entry codes --input %t/x.npy --input %t/s.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=QDTYPE
// RUN: not ls %t/out/result0.npy
// QDTYPE: quant4-run: error: input 0 ({{.*}}x.npy): expected tensor<4x8x!quant4.int<4>> (uint8 codes), got float32 array of shape (4, 8)
//
// RUN: not quant4-run %s --entry codes --input %t/c.npy --input %t/s.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=CODE
// RUN: not ls %t/out/result0.npy
// CODE: quant4-run: error: input 0 ({{.*}}c.npy): code {{[0-9]+}} at index {{[0-9]+}} does not fit the 4-bit format !quant4.int<4>
//
// RUN: not quant4-run %s --entry main --input %t/missing.npy --input %t/s.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not ls %t/out/result0.npy
// MISSING: quant4-run: error: input 0 ({{.*}}missing.npy): cannot open: No such file or directory
//
// RUN: not quant4-run %s --entry main --input %t/garbage.npy --input %t/s.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=MAGIC
// RUN: not ls %t/out/result0.npy
// MAGIC: quant4-run: error: input 0 ({{.*}}garbage.npy): not a .npy file (bad magic string)
//
// RUN: not quant4-run %s --entry main --input %t/trunc.npy --input %t/s.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=TRUNC
// RUN: not ls %t/out/result0.npy
// TRUNC: quant4-run: error: input 0 ({{.*}}trunc.npy): data size mismatch: shape (4, 8) of float32 needs 128 bytes, the file has 36
//
// RUN: not quant4-run %s --entry nope --input %t/x.npy --input %t/s.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=ENTRY
// RUN: not ls %t/out/result0.npy
// ENTRY: quant4-run: error: no function @nope in '{{.*}}errors.mlir' (functions: @main, @codes)
//
// RUN: not quant4-run %S/Inputs/parse-error.mlir --entry main --input %t/x.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=PARSE
// RUN: not ls %t/out/result0.npy
// PARSE: parse-error.mlir:2:8: error: custom op 'quant4.bogus' is unknown
// PARSE: quant4-run: error: '{{.*}}parse-error.mlir' does not parse or verify
//
// An output directory that cannot take a file is refused before anything
// runs (a file is created and removed there first; root is not stopped by
// permissions, /proc refuses it).
// RUN: not quant4-run %s --entry main --input %t/x.npy --input %t/s.npy --output-dir /proc 2>&1 | FileCheck %s --check-prefix=OUTDIR
// OUTDIR: quant4-run: error: cannot write to output directory '/proc': cannot create a file in directory '/proc': {{.+}}
// RUN: touch %t/file
// RUN: not quant4-run %s --entry main --input %t/x.npy --input %t/s.npy --output-dir %t/file/out 2>&1 | FileCheck %s --check-prefix=OUTFILE
// OUTFILE: quant4-run: error: cannot create output directory '{{.*}}file/out': {{.+}}
//
// RUN: not quant4-run %S/Inputs/verify-error.mlir --entry main --input %t/x.npy --input %t/s.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=VERIFY
// RUN: not ls %t/out/result0.npy
// VERIFY: verify-error.mlir:2:8: error: 'quant4.quantize' op rounding 'stochastic' needs a 'seed' operand
// VERIFY: quant4-run: error: '{{.*}}verify-error.mlir' does not parse or verify
//
// RUN: not quant4-run %S/Inputs/lower-error.mlir --entry main --input %t/c4.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=LOWER
// RUN: not ls %t/out/result0.npy
// LOWER: lower-error.mlir:{{[0-9]+}}:{{[0-9]+}}: error: failed to legalize operation 'linalg.copy'
// LOWER: quant4-run: error: lowering '{{.*}}lower-error.mlir' with quant4-cpu-pipeline failed
//
// RUN: not quant4-run %s --input %t/x.npy 2>&1 | FileCheck %s --check-prefix=USAGE
// USAGE: quant4-run: error: no --entry function
// USAGE: usage: quant4-run FILE.mlir --entry NAME
//
// RUN: not quant4-run %s --entry main --threads 0 --input %t/x.npy --input %t/s.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=THREADS
// RUN: not ls %t/out/result0.npy
// THREADS: quant4-run: error: --threads must be between 1 and 1024, got 0

func.func @main(%x: tensor<4x8xf32>, %s: tensor<f32>) -> (tensor<4x8x!quant4.int<4>>, tensor<4x8xf32>) {
  %q = quant4.quantize %x, %s rounding<nearest> : tensor<4x8xf32>, tensor<f32> -> tensor<4x8x!quant4.int<4>>
  %d = quant4.dequantize %q, %s : tensor<4x8x!quant4.int<4>>, tensor<f32> -> tensor<4x8xf32>
  return %q, %d : tensor<4x8x!quant4.int<4>>, tensor<4x8xf32>
}

func.func @codes(%q: tensor<4x8x!quant4.int<4>>, %s: tensor<f32>) -> tensor<4x8xf32> {
  %d = quant4.dequantize %q, %s : tensor<4x8x!quant4.int<4>>, tensor<f32> -> tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}
