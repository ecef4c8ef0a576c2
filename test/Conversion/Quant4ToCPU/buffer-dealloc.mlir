// RUN: quant4-opt %s -split-input-file --quant4-cpu-buffer-dealloc | FileCheck %s
// Every function here is straight-line: the same output without the fallback.
// RUN: quant4-opt %s -split-input-file --quant4-cpu-buffer-dealloc=allow-fallback=false | FileCheck %s

func.func private @consume(memref<*xf32>)

// Each buffer is freed right after the op that last uses it (here %b through
// a cast passed to an external function, which does not retain it), not at
// the end of the block.
// CHECK-LABEL: func.func @last_use
// CHECK:      %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: %[[B:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[A]] : memref<4xf32>)
// CHECK-NEXT: memref.copy %[[A]], %[[B]]
// CHECK-NEXT: memref.dealloc %[[A]] : memref<4xf32>
// CHECK-NEXT: %[[CB:.*]] = memref.cast %[[B]]
// CHECK-NEXT: call @consume(%[[CB]])
// CHECK-NEXT: memref.dealloc %[[B]] : memref<4xf32>
// CHECK-NEXT: memref.copy %arg1, %arg1
// CHECK-NEXT: return
func.func @last_use(%x: f32, %out: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  linalg.fill ins(%x : f32) outs(%a : memref<4xf32>)
  memref.copy %a, %b : memref<4xf32> to memref<4xf32>
  %cb = memref.cast %b : memref<4xf32> to memref<*xf32>
  func.call @consume(%cb) : (memref<*xf32>) -> ()
  memref.copy %out, %out : memref<4xf32> to memref<4xf32>
  return
}

// -----

// A view keeps its source alive, and so does a view of a view: %a is freed
// after the copy that reads the subview of its collapse_shape.
// CHECK-LABEL: func.func @alias
// CHECK:      %[[A:.*]] = memref.alloc() : memref<2x2xf32>
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: %[[FLAT:.*]] = memref.collapse_shape %[[A]]
// CHECK-NEXT: %[[V:.*]] = memref.subview %[[FLAT]]
// CHECK-NEXT: %[[B:.*]] = memref.alloc() : memref<2xf32>
// CHECK-NEXT: memref.copy %[[V]], %arg1
// CHECK-NEXT: memref.dealloc %[[A]] : memref<2x2xf32>
// CHECK-NEXT: memref.copy %arg1, %[[B]]
// CHECK-NEXT: memref.dealloc %[[B]] : memref<2xf32>
// CHECK-NEXT: return
func.func @alias(%x: f32, %out: memref<2xf32>) {
  %a = memref.alloc() : memref<2x2xf32>
  linalg.fill ins(%x : f32) outs(%a : memref<2x2xf32>)
  %flat = memref.collapse_shape %a [[0, 1]] : memref<2x2xf32> into memref<4xf32>
  %v = memref.subview %flat[2] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1], offset: 2>>
  %b = memref.alloc() : memref<2xf32>
  memref.copy %v, %out : memref<2xf32, strided<[1], offset: 2>> to memref<2xf32>
  memref.copy %out, %b : memref<2xf32> to memref<2xf32>
  return
}

// -----

#id = affine_map<(d0) -> (d0)>
// A use inside a region (a linalg.generic body, an scf.for body) counts as a
// use by the op that holds it: the buffer is freed after that op.
// CHECK-LABEL: func.func @nested
// CHECK:      %[[S:.*]] = memref.alloc() : memref<f32>
// CHECK-NEXT: %[[T:.*]] = memref.alloc() : memref<4xf32>
// CHECK:      linalg.generic
// CHECK:        memref.load %[[S]][]
// CHECK:        linalg.yield
// CHECK-NEXT: }
// CHECK-NEXT: memref.dealloc %[[S]] : memref<f32>
// CHECK-NEXT: scf.for
// CHECK-NEXT:   memref.store %{{.*}}, %[[T]]
// CHECK-NEXT: }
// CHECK-NEXT: memref.dealloc %[[T]] : memref<4xf32>
// CHECK-NEXT: memref.copy %arg1, %arg1
// CHECK-NEXT: return
func.func @nested(%x: memref<4xf32>, %out: memref<4xf32>) {
  %s = memref.alloc() : memref<f32>
  %t = memref.alloc() : memref<4xf32>
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  memref.store %one, %s[] : memref<f32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<4xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %sv = memref.load %s[] : memref<f32>
    %m = arith.mulf %in, %sv : f32
    linalg.yield %m : f32
  }
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %one, %t[%i] : memref<4xf32>
  }
  memref.copy %out, %out : memref<4xf32> to memref<4xf32>
  return
}

// -----

// Returned values. %a, returned directly, goes to the caller (not freed);
// its second return, the argument and the view are copied into fresh
// buffers (memref.alloc + memref.copy: static shapes, layouts equal to the
// identity — the view's strided<[1]> is), so the caller owns every result;
// %b (aliased by the returned view) is freed after its copy; the unused
// buffer right after its allocation. A returned global is copied.
// CHECK-LABEL: func.func @returns
// CHECK-SAME:  (%[[ARG:.*]]: memref<4xf32>, %{{.*}}: f32)
// CHECK:      %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: %[[B:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: %[[U:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT: memref.dealloc %[[U]] : memref<8xf32>
// CHECK-NEXT: linalg.fill {{.*}} outs(%[[A]]
// CHECK-NEXT: linalg.fill {{.*}} outs(%[[B]]
// CHECK-NEXT: %[[V:.*]] = memref.subview %[[B]]
// CHECK-NEXT: %[[A2:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: memref.copy %[[A]], %[[A2]] : memref<4xf32> to memref<4xf32>
// CHECK-NEXT: %[[ARG2:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: memref.copy %[[ARG]], %[[ARG2]] : memref<4xf32> to memref<4xf32>
// CHECK-NEXT: %[[V2:.*]] = memref.alloc() : memref<2xf32, strided<[1]>>
// CHECK-NEXT: memref.copy %[[V]], %[[V2]]
// CHECK-NEXT: memref.dealloc %[[B]] : memref<4xf32>
// CHECK-NEXT: %[[A3:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: memref.copy %[[A]], %[[A3]] : memref<4xf32> to memref<4xf32>
// CHECK-NEXT: return %[[A]], %[[A2]], %[[ARG2]], %[[V2]], %[[A3]] :
// CHECK-NOT:  memref.dealloc %[[A]]
// CHECK-LABEL: func.func @globals
// CHECK-NEXT: %[[G:.*]] = memref.get_global @g : memref<f32>
// CHECK-NEXT: %[[G2:.*]] = memref.alloc() : memref<f32>
// CHECK-NEXT: memref.copy %[[G]], %[[G2]] : memref<f32> to memref<f32>
// CHECK-NEXT: return %[[G2]] : memref<f32>
// A dynamic shape or a layout other than the identity: bufferization.clone.
// CHECK-LABEL: func.func @clones
// CHECK-SAME:  (%[[D:.*]]: memref<?xf32>, %[[M:.*]]: memref<4x4xf32>)
// CHECK-NEXT: %[[COL:.*]] = memref.subview %[[M]]
// CHECK-NEXT: %[[D2:.*]] = bufferization.clone %[[D]] : memref<?xf32> to memref<?xf32>
// CHECK-NEXT: %[[COL2:.*]] = bufferization.clone %[[COL]] : memref<4xf32, strided<[4]>>
// CHECK-NEXT: return %[[D2]], %[[COL2]]
func.func @returns(%arg: memref<4xf32>, %x: f32) -> (memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<2xf32, strided<[1]>>, memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  %unused = memref.alloc() : memref<8xf32>
  linalg.fill ins(%x : f32) outs(%a : memref<4xf32>)
  linalg.fill ins(%x : f32) outs(%b : memref<4xf32>)
  %v = memref.subview %b[0] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1]>>
  return %a, %a, %arg, %v, %a : memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<2xf32, strided<[1]>>, memref<4xf32>
}

func.func @globals() -> memref<f32> {
  %g = memref.get_global @g : memref<f32>
  return %g : memref<f32>
}

func.func @clones(%d: memref<?xf32>, %m: memref<4x4xf32>) -> (memref<?xf32>, memref<4xf32, strided<[4]>>) {
  %col = memref.subview %m[0, 0] [4, 1] [1, 1] : memref<4x4xf32> to memref<4xf32, strided<[4]>>
  return %d, %col : memref<?xf32>, memref<4xf32, strided<[4]>>
}
memref.global "private" constant @g : memref<f32> = dense<1.0>

// The results of a call of a function of the module are fresh buffers owned
// by the caller: freed after their last use unless returned; the argument
// after the call.
// CHECK-LABEL: func.func @caller
// CHECK:      %[[ARG:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: %[[R:.*]]:5 = call @returns(%[[ARG]], %{{.*}})
// CHECK-NEXT: memref.dealloc %[[ARG]] : memref<4xf32>
// CHECK-NEXT: memref.dealloc %[[R]]#0 : memref<4xf32>
// CHECK-NEXT: memref.dealloc %[[R]]#2 : memref<4xf32>
// CHECK-NEXT: memref.dealloc %[[R]]#3 : memref<2xf32, strided<[1]>>
// CHECK-NEXT: memref.dealloc %[[R]]#4 : memref<4xf32>
// CHECK-NEXT: return %[[R]]#1 : memref<4xf32>
func.func @caller(%x: f32) -> memref<4xf32> {
  %arg = memref.alloc() : memref<4xf32>
  %r:5 = func.call @returns(%arg, %x) : (memref<4xf32>, f32) -> (memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<2xf32, strided<[1]>>, memref<4xf32>)
  return %r#1 : memref<4xf32>
}
