// RUN: quant4-opt %s --quant4-cpu-copy-kernels=min-elements=64 | FileCheck %s
// RUN: quant4-opt %s --quant4-cpu-copy-kernels=min-elements=0 | FileCheck %s --check-prefix=OFF

// A transpose of at least min-elements elements becomes the runtime's copy
// of a transposed view of its input (output dimension i = input dimension
// permutation[i]); one declaration per element type.
// CHECK-DAG: func.func private @quant4_rt_copy_f32(memref<*xf32>, memref<*xf32>)
// CHECK-DAG: func.func private @quant4_rt_copy_i8(memref<*xi8>, memref<*xi8>)
// CHECK-LABEL: func.func @weights
// CHECK:      %[[V:.*]] = memref.transpose %arg0 (d0, d1, d2, d3) -> (d3, d0, d1, d2) : memref<8x3x3x4xf32> to memref<4x8x3x3xf32, strided<[1, 36, 12, 4]>>
// CHECK-NEXT: %[[IN:.*]] = memref.cast %[[V]] : memref<4x8x3x3xf32, strided<[1, 36, 12, 4]>> to memref<*xf32>
// CHECK-NEXT: %[[OUT:.*]] = memref.cast %arg1 : memref<4x8x3x3xf32> to memref<*xf32>
// CHECK-NEXT: call @quant4_rt_copy_f32(%[[IN]], %[[OUT]])
// CHECK-NOT:  linalg.transpose
// CHECK:      return
// OFF-LABEL: func.func @weights
// OFF: linalg.transpose
func.func @weights(%w: memref<8x3x3x4xf32>, %t: memref<4x8x3x3xf32>) {
  linalg.transpose ins(%w : memref<8x3x3x4xf32>) outs(%t : memref<4x8x3x3xf32>) permutation = [3, 0, 1, 2]
  return
}

// A strided input (a subview) keeps its layout under the view; codes (i8)
// have their own entry point.
// CHECK-LABEL: func.func @codes
// CHECK:      memref.transpose %{{.*}} (d0, d1) -> (d1, d0) : memref<16x8xi8, strided<[10, 1], offset: 2>> to memref<8x16xi8, strided<[1, 10], offset: 2>>
// CHECK:      call @quant4_rt_copy_i8
func.func @codes(%c: memref<16x10xi8>, %t: memref<8x16xi8>) {
  %s = memref.subview %c[0, 2] [16, 8] [1, 1] : memref<16x10xi8> to memref<16x8xi8, strided<[10, 1], offset: 2>>
  linalg.transpose ins(%s : memref<16x8xi8, strided<[10, 1], offset: 2>>) outs(%t : memref<8x16xi8>) permutation = [1, 0]
  return
}

// A linalg.generic that only copies, through a map whose results are each
// +-d + c with every loop used once (a data gradient's flipped and
// transposed filter), reads a reinterpret_cast view of its input: offset
// 2·384 + 2·128, the reversed dimensions with negative strides.
// CHECK-LABEL: func.func @flipped
// CHECK:      %[[V:.*]] = memref.reinterpret_cast %arg0 to offset: [1024], sizes: [3, 3, 16, 8], strides: [-384, -128, 1, 16] : memref<3x3x8x16xf32> to memref<3x3x16x8xf32, strided<[-384, -128, 1, 16], offset: 1024>>
// CHECK-NEXT: %[[IN:.*]] = memref.cast %[[V]]
// CHECK-NEXT: %[[OUT:.*]] = memref.cast %arg1
// CHECK-NEXT: call @quant4_rt_copy_f32(%[[IN]], %[[OUT]])
// CHECK-NOT:  linalg.generic
// CHECK:      return
func.func @flipped(%w: memref<3x3x8x16xf32>, %f: memref<3x3x16x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (-d0 + 2, -d1 + 2, d3, d2)>,
                                   affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%w : memref<3x3x8x16xf32>) outs(%f : memref<3x3x16x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
  }
  return
}

// Generics left to loops: a broadcast (a loop the input does not use), a
// body that computes, a map that scales a loop.
// CHECK-LABEL: func.func @generics_kept
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: quant4_rt_copy
// CHECK: return
func.func @generics_kept(%v: memref<16xf32>, %m: memref<8x16xf32>, %big: memref<16x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%v : memref<16xf32>) outs(%m : memref<8x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%big : memref<16x16xf32>) outs(%big : memref<16x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      %n = arith.negf %in : f32
      linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0 * 2, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%big : memref<16x16xf32>) outs(%m : memref<8x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
  }
  return
}

// Left to loops: fewer elements than min-elements, tensors (before
// bufferization), dynamic shapes, i1, transposes inside loops.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-5: linalg.transpose
// CHECK-NOT: quant4_rt_copy
// CHECK: return
func.func @kept(%small: memref<4x4xf32>, %small_t: memref<4x4xf32>,
                %x: tensor<16x8xf32>, %d: memref<?x8xf32>, %dt: memref<8x?xf32>,
                %b: memref<16x8xi1>, %bt: memref<8x16xi1>,
                %f: memref<16x8xf32>, %ft: memref<8x16xf32>) -> tensor<8x16xf32> {
  linalg.transpose ins(%small : memref<4x4xf32>) outs(%small_t : memref<4x4xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<8x16xf32>
  %r = linalg.transpose ins(%x : tensor<16x8xf32>) outs(%e : tensor<8x16xf32>) permutation = [1, 0]
  linalg.transpose ins(%d : memref<?x8xf32>) outs(%dt : memref<8x?xf32>) permutation = [1, 0]
  linalg.transpose ins(%b : memref<16x8xi1>) outs(%bt : memref<8x16xi1>) permutation = [1, 0]
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %c2 step %c1 {
    linalg.transpose ins(%f : memref<16x8xf32>) outs(%ft : memref<8x16xf32>) permutation = [1, 0]
  }
  return %r : tensor<8x16xf32>
}
