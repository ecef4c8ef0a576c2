// RUN: quant4-opt %s --pass-pipeline='builtin.module(func.func(convert-linalg-to-loops-linear))' | FileCheck %s

// A copy into a strided window (max-pool backward's scatter) becomes a loop
// nest with a unit-stride inner loop, not a call of the runner utilities'
// element-by-element memrefCopy.
// CHECK-LABEL: func.func @scatter
// CHECK:         %[[SV:.*]] = memref.subview %arg1
// CHECK:         scf.for %[[I:.*]] =
// CHECK:           scf.for %[[J:.*]] =
// CHECK:             %[[X:.*]] = memref.load %arg0[%[[I]], %[[J]]]
// CHECK:             memref.store %[[X]], %[[SV]][%[[I]], %[[J]]]
// CHECK-NOT:     memref.copy
func.func @scatter(%a: memref<4x3xf32>, %b: memref<8x6xf32>) {
  %sv = memref.subview %b[0, 0] [4, 3] [2, 2] : memref<8x6xf32> to memref<4x3xf32, strided<[12, 2]>>
  memref.copy %a, %sv : memref<4x3xf32> to memref<4x3xf32, strided<[12, 2]>>
  return
}

// Contiguous copies stay memref.copy (a memcpy in LLVM), also into a
// contiguous subview.
// CHECK-LABEL: func.func @contiguous
// CHECK:         memref.copy %arg0, %arg1
// CHECK:         memref.copy %arg0, %{{.*}} : memref<2x6xf32> to memref<2x6xf32, strided<[6, 1], offset: 12>>
// CHECK-NOT:     scf.for
func.func @contiguous(%a: memref<2x6xf32>, %b: memref<2x6xf32>, %c: memref<8x6xf32>) {
  memref.copy %a, %b : memref<2x6xf32> to memref<2x6xf32>
  %sv = memref.subview %c[2, 0] [2, 6] [1, 1] : memref<8x6xf32> to memref<2x6xf32, strided<[6, 1], offset: 12>>
  memref.copy %a, %sv : memref<2x6xf32> to memref<2x6xf32, strided<[6, 1], offset: 12>>
  return
}

// Dynamic shapes are left to the runtime copy.
// CHECK-LABEL: func.func @dynamic
// CHECK:         memref.copy
func.func @dynamic(%a: memref<?xf32, strided<[2]>>, %b: memref<?xf32>) {
  memref.copy %a, %b : memref<?xf32, strided<[2]>> to memref<?xf32>
  return
}
