// RUN: quant4-opt %s --pass-pipeline='builtin.module(func.func(quant4-cpu-parallel-loops{min-work=64},canonicalize))' | FileCheck %s
// min-work=0 turns the pass off:
// RUN: quant4-opt %s --pass-pipeline='builtin.module(func.func(quant4-cpu-parallel-loops{min-work=0}))' | FileCheck %s --check-prefix=OFF
// Through OpenMP to the LLVM dialect (the CPU pipeline's order):
// RUN: quant4-opt %s --pass-pipeline='builtin.module(func.func(quant4-cpu-parallel-loops{min-work=64}),convert-scf-to-openmp,func.func(convert-linalg-to-loops-linear))' | FileCheck %s --check-prefix=OMP

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// Element-wise, 16x8 = 128 iterations: the outer loop is parallel, the
// inner one an scf.for with the body as convert-linalg-to-loops makes it.
// CHECK-LABEL: func.func @relu
// CHECK:         scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK-NEXT:      scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:        %[[X:.*]] = memref.load %arg0[%[[I]], %[[J]]]
// CHECK-NEXT:        %[[R:.*]] = arith.maximumf %[[X]], %{{.*}} : f32
// CHECK-NEXT:        memref.store %[[R]], %arg1[%[[I]], %[[J]]]
// CHECK-NOT:     linalg.
// OFF-LABEL: func.func @relu
// OFF:         linalg.generic
// OMP-LABEL: func.func @relu
// OMP:         omp.parallel {
// OMP-NEXT:      omp.wsloop {
// OMP-NEXT:        omp.loop_nest
// OMP-NOT:     memref.alloca_scope
// OMP:           scf.for
func.func @relu(%a: memref<16x8xf32>, %b: memref<16x8xf32>) {
  %z = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<16x8xf32>) outs(%b : memref<16x8xf32>) {
    ^bb0(%x: f32, %o: f32):
      %r = arith.maximumf %x, %z : f32
      linalg.yield %r : f32
  }
  return
}

// A row sum (reduction inner): rows in parallel, each row's sum in order.
// CHECK-LABEL: func.func @row_sum
// CHECK:         scf.parallel (%[[I:.*]]) =
// CHECK-NEXT:      scf.for %[[J:.*]] =
// CHECK:             memref.load %arg1[%[[I]]]
// CHECK:             arith.addf
// CHECK:             memref.store {{.*}}, %arg1[%[[I]]]
func.func @row_sum(%a: memref<16x8xf32>, %s: memref<16xf32>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<16x8xf32>) outs(%s : memref<16xf32>) {
    ^bb0(%x: f32, %acc: f32):
      %r = arith.addf %acc, %x : f32
      linalg.yield %r : f32
  }
  return
}

// Stays a linalg op (the serial lowering takes it):
// - the first loop is a reduction (a column sum over the rows);
// CHECK-LABEL: func.func @col_sum
// CHECK-NOT:     scf.parallel
// CHECK:         linalg.generic
func.func @col_sum(%a: memref<16x8xf32>, %s: memref<8xf32>) {
  linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<16x8xf32>) outs(%s : memref<8xf32>) {
    ^bb0(%x: f32, %acc: f32):
      %r = arith.addf %acc, %x : f32
      linalg.yield %r : f32
  }
  return
}

// - an output that does not index the first loop (iterations of it would
//   write the same elements);
// CHECK-LABEL: func.func @not_indexed
// CHECK-NOT:     scf.parallel
// CHECK:         linalg.generic
func.func @not_indexed(%a: memref<16x8xf32>, %s: memref<8xf32>) {
  linalg.generic {indexing_maps = [#id, #col], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<16x8xf32>) outs(%s : memref<8xf32>) {
    ^bb0(%x: f32, %o: f32):
      linalg.yield %x : f32
  }
  return
}

// - fewer than min-work iterations (4x8 = 32);
// CHECK-LABEL: func.func @small
// CHECK-NOT:     scf.parallel
// CHECK:         linalg.generic
func.func @small(%a: memref<4x8xf32>, %b: memref<4x8xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<4x8xf32>) outs(%b : memref<4x8xf32>) {
    ^bb0(%x: f32, %o: f32):
      %r = arith.negf %x : f32
      linalg.yield %r : f32
  }
  return
}

// - a first loop of one iteration;
// CHECK-LABEL: func.func @one_row
// CHECK-NOT:     scf.parallel
// CHECK:         linalg.generic
func.func @one_row(%a: memref<1x128xf32>, %b: memref<1x128xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<1x128xf32>) outs(%b : memref<1x128xf32>) {
    ^bb0(%x: f32, %o: f32):
      %r = arith.negf %x : f32
      linalg.yield %r : f32
  }
  return
}

// - an op inside a loop (only top-level ops: no nested teams);
// CHECK-LABEL: func.func @in_loop
// CHECK:         scf.for
// CHECK-NOT:       scf.parallel
// CHECK:           linalg.generic
func.func @in_loop(%a: memref<16x8xf32>, %b: memref<16x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  scf.for %k = %c0 to %c2 step %c1 {
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%a : memref<16x8xf32>) outs(%b : memref<16x8xf32>) {
      ^bb0(%x: f32, %o: f32):
        %r = arith.negf %x : f32
        linalg.yield %r : f32
    }
  }
  return
}

// - an op on tensors (not bufferized).
// CHECK-LABEL: func.func @on_tensors
// CHECK-NOT:     scf.parallel
// CHECK:         linalg.generic
func.func @on_tensors(%a: tensor<16x8xf32>) -> tensor<16x8xf32> {
  %e = tensor.empty() : tensor<16x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<16x8xf32>) outs(%e : tensor<16x8xf32>) {
    ^bb0(%x: f32, %o: f32):
      %n = arith.negf %x : f32
      linalg.yield %n : f32
  } -> tensor<16x8xf32>
  return %r : tensor<16x8xf32>
}
