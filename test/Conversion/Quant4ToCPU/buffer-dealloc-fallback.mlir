// RUN: quant4-opt %s -split-input-file --quant4-cpu-buffer-dealloc | FileCheck %s

// Modules the straight-line placement does not handle go through upstream's
// buffer-deallocation-pipeline (ownership-based deallocation, lowered to
// memref.dealloc): here a function of several blocks, where upstream guards
// the deallocations with ownership conditions.
// CHECK-LABEL: func.func @multi_block
// CHECK:      %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK:      cf.cond_br
// CHECK:      %[[B:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: memref.copy %[[A]], %[[B]]
// CHECK-NEXT: scf.if
// CHECK-NEXT:   memref.dealloc %[[A]] : memref<4xf32>
// CHECK:      return %[[B]]
// CHECK:      scf.if
// CHECK:        bufferization.clone %[[A]]
// CHECK:      memref.extract_aligned_pointer_as_index %[[A]]
// CHECK:      scf.if
// CHECK-NEXT:   memref.dealloc %[[A]] : memref<4xf32>
// CHECK:      return
func.func @multi_block(%c: i1, %x: f32) -> memref<4xf32> {
  %a = memref.alloc() : memref<4xf32>
  linalg.fill ins(%x : f32) outs(%a : memref<4xf32>)
  cf.cond_br %c, ^bb1, ^bb2
^bb1:
  %b = memref.alloc() : memref<4xf32>
  memref.copy %a, %b : memref<4xf32> to memref<4xf32>
  return %b : memref<4xf32>
^bb2:
  return %a : memref<4xf32>
}

// -----

// A memref yielded by scf.if (which upstream's canonicalization turns into a
// select): upstream frees both buffers at the end of the block.
// CHECK-LABEL: func.func @if_yield
// CHECK:      %[[A:.*]] = memref.alloc() : memref<f32>
// CHECK-NEXT: %[[B:.*]] = memref.alloc() : memref<f32>
// CHECK-NEXT: %[[R:.*]] = arith.select %{{.*}}, %[[A]], %[[B]]
// CHECK-NEXT: memref.store %{{.*}}, %[[R]][]
// CHECK-NEXT: %[[V:.*]] = memref.load %[[A]][]
// CHECK-NEXT: memref.dealloc %[[A]] : memref<f32>
// CHECK-NEXT: memref.dealloc %[[B]] : memref<f32>
// CHECK-NEXT: return %[[V]]
func.func @if_yield(%c: i1, %x: f32) -> f32 {
  %a = memref.alloc() : memref<f32>
  %b = memref.alloc() : memref<f32>
  %r = scf.if %c -> memref<f32> {
    scf.yield %a : memref<f32>
  } else {
    scf.yield %b : memref<f32>
  }
  memref.store %x, %r[] : memref<f32>
  %v = memref.load %a[] : memref<f32>
  return %v : f32
}
