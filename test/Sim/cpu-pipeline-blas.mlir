// The CPU side of the simulator cross-checks (docs/Simulator.md): option
// `blas=<bool>` of quant4-cpu-pipeline (default true) and its quant4-run
// spelling --no-blas. With blas=false, quant4-cpu-blas-matmul is skipped and
// an f32 linalg.matmul becomes k-ascending loops of separate f32 multiplies
// and adds (the Q4A MXU's f32 accumulation, ISA.md §4.2) instead of a call
// of quant4_rt_matmul_f32 (OpenBLAS, docs/Lowering.md).
//
// RUN: quant4-opt %s --quant4-cpu-pipeline | FileCheck %s --check-prefix=BLAS
// RUN: quant4-opt %s --pass-pipeline='builtin.module(quant4-cpu-pipeline{blas=true})' | FileCheck %s --check-prefix=BLAS
// RUN: quant4-opt %s --pass-pipeline='builtin.module(quant4-cpu-pipeline{blas=false})' | FileCheck %s --check-prefix=LOOPS
// RUN: quant4-opt %s --quant4-cpu-pipeline=blas=false | FileCheck %s --check-prefix=LOOPS
// BLAS: llvm.call @quant4_rt_matmul_f32(
// LOOPS-NOT: quant4_rt_matmul_f32
// LOOPS: llvm.fmul {{.*}} : f32
// LOOPS-NEXT: llvm.fadd {{.*}} : f32
// LOOPS-NOT: quant4_rt_matmul_f32
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/a.npy --dtype float32 --shape 3x5 --values 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
// RUN: quant4-ref gen %t/b.npy --dtype float32 --shape 5x4 --values 1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1,1,1,1,1
// RUN: quant4-run %s --entry f --no-blas --input %t/a.npy --input %t/b.npy --print | FileCheck %s --check-prefix=OUT
// RUN: quant4-run %s --entry f --input %t/a.npy --input %t/b.npy --print | FileCheck %s --check-prefix=OUT
// OUT: result0: tensor<3x4xf32>
// OUT-NEXT: {{\[\[}}6, 7, 8, 9], [16, 17, 18, 19], [26, 27, 28, 29]]
//
// RUN: not quant4-run %s --entry f --no-blas=1 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: quant4-run --help | FileCheck %s --check-prefix=HELP
// ERR: quant4-run: error: unknown option '--no-blas=1'
// HELP: --no-blas
func.func @f(%a: tensor<3x5xf32>, %b: tensor<5x4xf32>) -> tensor<3x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
  %c = linalg.matmul ins(%a, %b : tensor<3x5xf32>, tensor<5x4xf32>)
                     outs(%z : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %c : tensor<3x4xf32>
}
