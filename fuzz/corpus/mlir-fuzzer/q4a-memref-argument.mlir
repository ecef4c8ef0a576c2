func.func @store_memref(%slot: memref<memref<4xf32>>) {
  %a = memref.alloc() : memref<4xf32>
  memref.store %a, %slot[] : memref<memref<4xf32>>
  return
}
