// RUN: quant4-opt %s -split-input-file --quant4-cpu-buffer-dealloc=allow-fallback=false -verify-diagnostics
// With allow-fallback=false, the first construct the straight-line placement
// cannot handle is an error (by default upstream's pipeline handles it:
// buffer-dealloc-fallback.mlir), without error for each of these cases:
// RUN: quant4-opt %s -split-input-file --quant4-cpu-buffer-dealloc -o /dev/null

// expected-error@+1 {{quant4-cpu-buffer-dealloc: cannot place deallocations in straight-line order: function body has more than one block}}
func.func @multi_block(%c: i1) {
  cf.cond_br %c, ^bb1, ^bb2
^bb1:
  return
^bb2:
  return
}

// -----

func.func @if_yield(%c: i1) {
  %a = memref.alloc() : memref<f32>
  %b = memref.alloc() : memref<f32>
  %r = scf.if %c -> memref<f32> {
    // expected-error@+1 {{cannot place deallocations in straight-line order: a memref is defined inside a region}}
    %v = memref.cast %a : memref<f32> to memref<f32>
    scf.yield %v : memref<f32>
  } else {
    scf.yield %b : memref<f32>
  }
  return
}

// -----

func.func @if_result(%c: i1) {
  %a = memref.alloc() : memref<f32>
  %b = memref.alloc() : memref<f32>
  // expected-error@+1 {{cannot place deallocations in straight-line order: an op that the placement does not model defines a memref}}
  %r = scf.if %c -> memref<f32> {
    scf.yield %a : memref<f32>
  } else {
    scf.yield %b : memref<f32>
  }
  return
}

// -----

func.func @iter_arg(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<f32>
  // expected-error@+1 {{cannot place deallocations in straight-line order: a region has a memref argument}}
  scf.for %i = %c0 to %n step %c1 iter_args(%m = %a) -> memref<f32> {
    scf.yield %m : memref<f32>
  }
  return
}

// -----

func.func @realloc() {
  %a = memref.alloc() : memref<4xf32>
  // expected-error@+1 {{cannot place deallocations in straight-line order: an op that the placement does not model defines a memref}}
  %b = memref.realloc %a : memref<4xf32> to memref<8xf32>
  return
}

// -----

func.func @has_dealloc() {
  %a = memref.alloc() : memref<4xf32>
  // expected-error@+1 {{cannot place deallocations in straight-line order: the module already contains deallocations}}
  memref.dealloc %a : memref<4xf32>
  return
}

// -----

func.func private @make() -> memref<4xf32>

func.func @external_result() {
  // expected-error@+1 {{cannot place deallocations in straight-line order: a memref is returned by a function that is not defined in the module}}
  %a = func.call @make() : () -> memref<4xf32>
  return
}

// -----

func.func @escape() -> index {
  %a = memref.alloc() : memref<4xf32>
  // expected-error@+1 {{cannot place deallocations in straight-line order: a memref escapes into a non-memref value}}
  %p = memref.extract_aligned_pointer_as_index %a : memref<4xf32> -> index
  return %p : index
}

// -----

func.func @to_tensor() -> tensor<4xf32> {
  %a = memref.alloc() : memref<4xf32>
  // expected-error@+1 {{cannot place deallocations in straight-line order: a memref escapes into a non-memref value}}
  %t = bufferization.to_tensor %a : memref<4xf32> to tensor<4xf32>
  return %t : tensor<4xf32>
}

// -----

func.func @store_memref(%slot: memref<memref<4xf32>>) {
  %a = memref.alloc() : memref<4xf32>
  // expected-error@+1 {{cannot place deallocations in straight-line order: a memref is stored into memory}}
  memref.store %a, %slot[] : memref<memref<4xf32>>
  return
}

// -----

func.func @to_buffer(%t: tensor<4xf32>) {
  // expected-error@+1 {{cannot place deallocations in straight-line order: an op that the placement does not model defines a memref}}
  %m = bufferization.to_buffer %t : tensor<4xf32> to memref<4xf32>
  return
}

// -----

module {
  // expected-error@+1 {{cannot place deallocations in straight-line order: an op other than func.func holds regions in the module}}
  module @inner {
    func.func @f() {
      return
    }
  }
}
