// RUN: quant4-opt %s --pass-pipeline='builtin.module(func.func(convert-linalg-to-loops-linear))' | FileCheck %s
// The same IR as upstream's convert-linalg-to-loops:
// RUN: quant4-opt %s --pass-pipeline='builtin.module(func.func(convert-linalg-to-loops-linear))' > %t.quant4
// RUN: quant4-opt %s --pass-pipeline='builtin.module(func.func(convert-linalg-to-loops))' > %t.upstream
// RUN: diff %t.upstream %t.quant4
// The old name is an alias:
// RUN: quant4-opt %s --quant4-cpu-linalg-to-loops > %t.alias
// RUN: diff %t.quant4 %t.alias

#id = affine_map<(d0, d1) -> (d0, d1)>

// An element-wise generic on buffers: a 4x8 loop nest, the body inlined.
// CHECK-LABEL: func.func @relu
// CHECK-DAG:     %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %[[C4]]
// CHECK:           scf.for %[[J:.*]] = %{{.*}} to %[[C8]]
// CHECK:             %[[X:.*]] = memref.load %arg0[%[[I]], %[[J]]]
// CHECK:             %[[R:.*]] = arith.maximumf %[[X]], %[[Z]] : f32
// CHECK:             memref.store %[[R]], %arg1[%[[I]], %[[J]]]
// CHECK-NOT:     linalg.
func.func @relu(%a: memref<4x8xf32>, %b: memref<4x8xf32>) {
  %z = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<4x8xf32>) outs(%b : memref<4x8xf32>) {
    ^bb0(%x: f32, %o: f32):
      %r = arith.maximumf %x, %z : f32
      linalg.yield %r : f32
  }
  return
}

// A dynamic size: the loop bound is the folded memref.dim.
// CHECK-LABEL: func.func @mm
// CHECK:         %[[D:.*]] = memref.dim %arg0, %{{.*}} : memref<?x8xf32>
// CHECK:         scf.for %{{.*}} = %{{.*}} to %[[D]]
// CHECK:           scf.for
// CHECK:             scf.for
// CHECK:               arith.mulf
// CHECK:               arith.addf
// CHECK-NOT:     linalg.
func.func @mm(%a: memref<?x8xf32>, %b: memref<8x3xf32>, %c: memref<?x3xf32>) {
  linalg.matmul ins(%a, %b : memref<?x8xf32>, memref<8x3xf32>) outs(%c : memref<?x3xf32>)
  return
}

// Linalg on tensors is left for bufferization.
// CHECK-LABEL: func.func @tensors
// CHECK:         linalg.copy
func.func @tensors(%a: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.copy ins(%a : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}
