// RUN: quant4-opt %s --split-input-file --quant4-cpu-static-arena | FileCheck %s
// RUN: quant4-opt %s --split-input-file --quant4-cpu-static-arena | FileCheck %s --check-prefix=NOREC

// Three temporaries: %a (1024 B) and %b (256 B) overlap in time; %c (1024 B)
// is allocated after %a is freed and takes its place. The arena is the
// planned peak, 1280 bytes; no allocation or free is left.
// CHECK: memref.global "private" @__quant4_arena_f : memref<1280xi8> {alignment = 64 : i64}
// CHECK-LABEL: func.func @f
// CHECK:         %[[G:.*]] = memref.get_global @__quant4_arena_f : memref<1280xi8>
// CHECK:         %[[O0:.*]] = arith.constant 0 : index
// CHECK:         %[[A:.*]] = memref.view %[[G]][%[[O0]]][] : memref<1280xi8> to memref<16x16xf32>
// CHECK:         %[[O1:.*]] = arith.constant 1024 : index
// CHECK:         %[[B:.*]] = memref.view %[[G]][%[[O1]]][] : memref<1280xi8> to memref<64xi32>
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[A]]
// CHECK:         %[[O2:.*]] = arith.constant 0 : index
// CHECK:         %[[C:.*]] = memref.view %[[G]][%[[O2]]][] : memref<1280xi8> to memref<256xf32>
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     memref.dealloc
// CHECK:         return
func.func @f(%x: f32, %out: memref<256xf32>) {
  %a = memref.alloc() {alignment = 64 : i64} : memref<16x16xf32>
  %b = memref.alloc() : memref<64xi32>
  linalg.fill ins(%x : f32) outs(%a : memref<16x16xf32>)
  %i = arith.constant 1 : i32
  linalg.fill ins(%i : i32) outs(%b : memref<64xi32>)
  memref.dealloc %a : memref<16x16xf32>
  %c = memref.alloc() : memref<256xf32>
  linalg.fill ins(%x : f32) outs(%c : memref<256xf32>)
  memref.copy %c, %out : memref<256xf32> to memref<256xf32>
  memref.dealloc %c : memref<256xf32>
  memref.dealloc %b : memref<64xi32>
  return
}

// -----

// Sizes round up to 64 bytes; a freed range merges with its neighbours:
// after %a and %b are freed, %c (128 B) fits at offset 0.
// CHECK: memref.global "private" @__quant4_arena_merge : memref<128xi8>
// CHECK-LABEL: func.func @merge
// CHECK:         arith.constant 0 : index
// CHECK:         memref.view {{.*}} to memref<3xf32>
// CHECK:         arith.constant 64 : index
// CHECK:         memref.view {{.*}} to memref<2xf32>
// CHECK:         arith.constant 0 : index
// CHECK:         memref.view {{.*}} to memref<32xf32>
func.func @merge(%x: f32) {
  %a = memref.alloc() : memref<3xf32>
  %b = memref.alloc() : memref<2xf32>
  linalg.fill ins(%x : f32) outs(%a : memref<3xf32>)
  linalg.fill ins(%x : f32) outs(%b : memref<2xf32>)
  memref.dealloc %b : memref<2xf32>
  memref.dealloc %a : memref<3xf32>
  %c = memref.alloc() : memref<32xf32>
  linalg.fill ins(%x : f32) outs(%c : memref<32xf32>)
  memref.dealloc %c : memref<32xf32>
  return
}

// -----

// Kept as allocations: a returned buffer (no dealloc), a dynamic shape, i1
// elements, an allocation in a nested region, and every buffer of a
// function with several blocks. No arena when nothing qualifies.
// CHECK-NOT: memref.global
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-3: memref.alloc
// CHECK:         scf.for
// CHECK:           memref.alloc
// CHECK-LABEL: func.func @blocks
// CHECK:         memref.alloc
func.func @kept(%n: index, %x: f32) -> memref<4xf32> {
  %r = memref.alloc() : memref<4xf32>
  linalg.fill ins(%x : f32) outs(%r : memref<4xf32>)
  %d = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %d : memref<?xf32>
  %m = memref.alloc() : memref<8xi1>
  memref.dealloc %m : memref<8xi1>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %t = memref.alloc() : memref<4xf32>
    memref.dealloc %t : memref<4xf32>
  }
  return %r : memref<4xf32>
}
func.func @blocks(%x: f32) {
  %a = memref.alloc() : memref<4xf32>
  cf.br ^bb1
^bb1:
  memref.dealloc %a : memref<4xf32>
  return
}

// -----

// A taken name: the arena's symbol is made unique.
// CHECK: memref.global "private" @__quant4_arena_g : memref<4xf32>
// CHECK: memref.global "private" @__quant4_arena_g_0 : memref<64xi8>
// CHECK-LABEL: func.func @g
// CHECK: memref.get_global @__quant4_arena_g_0
memref.global "private" @__quant4_arena_g : memref<4xf32>
func.func @g(%x: f32) {
  %a = memref.alloc() : memref<4xf32>
  linalg.fill ins(%x : f32) outs(%a : memref<4xf32>)
  memref.dealloc %a : memref<4xf32>
  return
}

// -----

// A function that may call itself (here through @r2) keeps its
// allocations: a second activation would share the arena. @leaf, which
// only is called, gets one.
// NOREC-NOT: @__quant4_arena_r
// CHECK-LABEL: func.func @r1
// CHECK:         memref.alloc
// CHECK-LABEL: func.func @r2
// CHECK:         memref.alloc
// CHECK:       memref.global "private" @__quant4_arena_leaf
// CHECK-LABEL: func.func @leaf
// CHECK:         memref.view
func.func @r1(%x: f32) {
  %a = memref.alloc() : memref<4xf32>
  linalg.fill ins(%x : f32) outs(%a : memref<4xf32>)
  func.call @r2(%x) : (f32) -> ()
  func.call @leaf(%x) : (f32) -> ()
  memref.dealloc %a : memref<4xf32>
  return
}
func.func @r2(%x: f32) {
  %a = memref.alloc() : memref<4xf32>
  func.call @r1(%x) : (f32) -> ()
  memref.dealloc %a : memref<4xf32>
  return
}
func.func @leaf(%x: f32) {
  %a = memref.alloc() : memref<4xf32>
  linalg.fill ins(%x : f32) outs(%a : memref<4xf32>)
  memref.dealloc %a : memref<4xf32>
  return
}
