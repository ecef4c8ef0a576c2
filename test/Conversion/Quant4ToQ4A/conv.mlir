// Convolutions, pooling, slices, 4-D transposes, index/argmax bodies and
// i32 inputs/outputs lower to Q4A (docs/ISA.md §9).
// RUN: quant4-opt %s --split-input-file --convert-quant4-to-q4a | FileCheck %s

// quant4.conv2d: im2col by strided DMA (one dma.ld per output position:
// 3 kernel rows of 3*1 contiguous (kw, c) one-byte codes),
// the filter as a K x F matrix, one mma per output tile, per-channel scales.
// CHECK-LABEL: q4a.program @qconv
// CHECK: q4a.mcfg fa = !quant4.uint<4>, fb = !quant4.int<4>, acc = f16, chunk = 0
// CHECK: q4a.dma_ld sp = 0x{{[0-9a-f]+}}, dram = 0x{{[0-9a-f]+}}, rows = 3, bytes = 3, dstride = 0x4, sstride = 0x3
// CHECK: q4a.mma tile = 0, accum = 0, ta = 0, tb = 0, m = 4, n = 2, k = 9
// CHECK: q4a.mst tile = 0, m = 4, n = 2, d = {{.*}}, ldc = 2, sam = 0, sa = {{.*}}, sbm = 1
func.func @qconv(%x: tensor<1x4x4x1x!quant4.uint<4>>, %k: tensor<3x3x1x2x!quant4.int<4>>,
                 %s: tensor<f32>, %sk: tensor<2xf32>) -> tensor<1x2x2x2xf32> {
  %y = quant4.conv2d %x, %k scales(%s, %sk) acc<f16> {filter_granularity = #quant4.granularity<axis = 3>}
      : tensor<1x4x4x1x!quant4.uint<4>>, tensor<3x3x1x2x!quant4.int<4>>,
        tensor<f32>, tensor<2xf32> -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// f32 linalg convolution with stride 2: per output position, 3 kernel rows
// of (kw, c) = 6 floats.
// CHECK-LABEL: q4a.program @fconv
// CHECK: q4a.mcfg fa = f32, fb = f32, acc = f32
// CHECK: q4a.dma_ld {{.*}} rows = 3, bytes = 24, dstride = 0x28, sstride = 0x18
// CHECK: q4a.mma tile = 0, accum = 0, ta = 0, tb = 0, m = 4, n = 3, k = 18
func.func @fconv(%x: tensor<1x5x5x2xf32>, %k: tensor<3x3x2x3xf32>) -> tensor<1x2x2x3xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x2x3xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %k : tensor<1x5x5x2xf32>, tensor<3x3x2x3xf32>) outs(%z : tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  return %y : tensor<1x2x2x3xf32>
}

// -----

// Max pooling: the window offsets are the rows of a column reduction.
// CHECK-LABEL: q4a.program @pool
// CHECK: q4a.vred red = max, axis = col, init = 1, rows = 4, cols = 16
func.func @pool(%x: tensor<2x4x4x2xf32>) -> tensor<2x2x2x2xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %w = tensor.empty() : tensor<2x2xf32>
  %e = tensor.empty() : tensor<2x2x2x2xf32>
  %m = linalg.fill ins(%ninf : f32) outs(%e : tensor<2x2x2x2xf32>) -> tensor<2x2x2x2xf32>
  %p = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<2x4x4x2xf32>, tensor<2x2xf32>) outs(%m : tensor<2x2x2x2xf32>) -> tensor<2x2x2x2xf32>
  return %p : tensor<2x2x2x2xf32>
}

// -----

// Strided slices and a 4-D transpose move data with strided DMA only.
// CHECK-LABEL: q4a.program @slices
// CHECK: q4a.dma_ld {{.*}} rows = 4, bytes = 8, dstride = 0x10, sstride = 0x8
// CHECK: q4a.dma_st {{.*}} rows = 4, bytes = 8, dstride = 0x10, sstride = 0x8
// CHECK: q4a.dma_ld {{.*}} rows = 4, bytes = 4, dstride = 0x4, sstride = 0x18
func.func @slices(%x: tensor<2x4x2xf32>, %y: tensor<2x3x4xf32>) -> (tensor<2x2x2xf32>, tensor<2x4x2xf32>, tensor<4x3x2xf32>) {
  %s = tensor.extract_slice %x[0, 1, 0] [2, 2, 2] [1, 2, 1] : tensor<2x4x2xf32> to tensor<2x2x2xf32>
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x2xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x4x2xf32>) -> tensor<2x4x2xf32>
  %i = tensor.insert_slice %s into %z[0, 0, 0] [2, 2, 2] [1, 2, 1] : tensor<2x2x2xf32> into tensor<2x4x2xf32>
  %et = tensor.empty() : tensor<4x3x2xf32>
  %t = linalg.transpose ins(%y : tensor<2x3x4xf32>) outs(%et : tensor<4x3x2xf32>) permutation = [2, 1, 0]
  return %s, %i, %t : tensor<2x2x2xf32>, tensor<2x4x2xf32>, tensor<4x3x2xf32>
}

// -----

// Argmax with linalg.index and an i32 result; i32 labels in, count out.
// i32 tensors are exact f32 values inside the program: converted at the
// boundary by two exact power-of-two products (2^126 * 2^23 in, the
// inverse out).
// CHECK-LABEL: q4a.program @argmax
// CHECK: q4a.lif fd = f1, imm = 0x7e800000
// CHECK-NEXT: q4a.lif fd = f2, imm = 0x4b000000
// The iota of linalg.index 1 is a data segment, broadcast over the rows.
// CHECK: q4a.dma_ld {{.*}} rows = 4, bytes = 12, dstride = 0x0, sstride = 0xc
// CHECK: q4a.vred red = min, axis = row, init = 1, rows = 4, cols = 3
// CHECK: q4a.vred red = sum, axis = all, init = 1, rows = 1, cols = 4
// CHECK: q4a.lif fd = f1, imm = 0x34000000
// CHECK-NEXT: q4a.lif fd = f2, imm = 0x800000
#m2 = affine_map<(d0, d1) -> (d0, d1)>
#r2 = affine_map<(d0, d1) -> (d0)>
#id = affine_map<(d0) -> (d0)>
#sc = affine_map<(d0) -> ()>
func.func @argmax(%z: tensor<4x3xf32>, %mx: tensor<4xf32>, %t: tensor<4xi32>) -> tensor<i32> {
  %c3 = arith.constant 3 : i32
  %e = tensor.empty() : tensor<4xi32>
  %f = linalg.fill ins(%c3 : i32) outs(%e : tensor<4xi32>) -> tensor<4xi32>
  %p = linalg.generic {indexing_maps = [#m2, #r2, #r2], iterator_types = ["parallel", "reduction"]}
      ins(%z, %mx : tensor<4x3xf32>, tensor<4xf32>) outs(%f : tensor<4xi32>) {
    ^bb0(%a: f32, %m: f32, %o: i32):
      %c = arith.cmpf oeq, %a, %m : f32
      %j = linalg.index 1 : index
      %ji = arith.index_cast %j : index to i32
      %s = arith.select %c, %ji, %o : i32
      %r = arith.minsi %o, %s : i32
      linalg.yield %r : i32
  } -> tensor<4xi32>
  %c0 = arith.constant 0 : i32
  %e0 = tensor.empty() : tensor<i32>
  %f0 = linalg.fill ins(%c0 : i32) outs(%e0 : tensor<i32>) -> tensor<i32>
  %n = linalg.generic {indexing_maps = [#id, #id, #sc], iterator_types = ["reduction"]}
      ins(%p, %t : tensor<4xi32>, tensor<4xi32>) outs(%f0 : tensor<i32>) {
    ^bb0(%a: i32, %b: i32, %o: i32):
      %c = arith.cmpi eq, %a, %b : i32
      %x = arith.extui %c : i1 to i32
      %r = arith.addi %o, %x : i32
      linalg.yield %r : i32
  } -> tensor<i32>
  return %n : tensor<i32>
}
