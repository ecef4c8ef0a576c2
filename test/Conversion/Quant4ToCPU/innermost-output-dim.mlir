// RUN: quant4-opt %s --pass-pipeline='builtin.module(func.func(quant4-cpu-innermost-output-dim))' | FileCheck %s

// Max pooling over NHWC: loops (n, oh, ow, c, kh, kw) become
// (n, oh, ow, kh, kw, c), the channel (the output's contiguous dimension)
// innermost; the window loops keep their order.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 2 + d3, d2 * 2 + d4, d5)>
// CHECK-DAG: #[[WIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d4)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>
// CHECK-DAG: #[[KH:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3)>
// CHECK-DAG: #[[KW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4)>
// CHECK-LABEL: func.func @pool
// CHECK:       linalg.generic {indexing_maps = [#[[IN]], #[[WIN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
// CHECK:         arith.maximumf
func.func @pool(%x: memref<2x8x8x16xf32>, %w: memref<2x2xf32>, %y: memref<2x4x4x16xf32>) {
  linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : memref<2x8x8x16xf32>, memref<2x2xf32>) outs(%y : memref<2x4x4x16xf32>)
  return
}

// An arg-max over the window (max-pool backward) reads linalg.index of the
// window loops: their indices follow them to their new positions (an
// affine.apply of the new indices picking loop 3 and loop 4).
// CHECK-LABEL: func.func @argmax
// CHECK:       iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]
// CHECK:         %[[H:.*]] = affine.apply #[[KH]](
// CHECK:         %[[W:.*]] = affine.apply #[[KW]](
// CHECK-NEXT:    %[[R:.*]] = arith.muli %[[H]]
// CHECK-NEXT:    arith.addi %[[R]], %[[W]]
func.func @argmax(%x: memref<2x8x8x16xf32>, %m: memref<2x4x4x16xf32>, %w: memref<2x2xf32>, %i: memref<2x4x4x16xi32>) {
  %c2 = arith.constant 2 : index
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 2 + d4, d2 * 2 + d5, d3)>,
                                   affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>,
                                   affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>,
                                   affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %m, %w : memref<2x8x8x16xf32>, memref<2x4x4x16xf32>, memref<2x2xf32>) outs(%i : memref<2x4x4x16xi32>) {
  ^bb0(%in: f32, %mx: f32, %unused: f32, %out: i32):
    %kh = linalg.index 4 : index
    %kw = linalg.index 5 : index
    %r = arith.muli %kh, %c2 : index
    %t = arith.addi %r, %kw : index
    %ti = arith.index_cast %t : index to i32
    %eq = arith.cmpf oeq, %in, %mx : f32
    %s = arith.select %eq, %ti, %out : i32
    %mn = arith.minsi %out, %s : i32
    linalg.yield %mn : i32
  }
  return
}

// Left as they are: an element-wise op (no reduction), a row sum (its input
// is contiguous along the reduced loop: moving the row loop inside would
// read across rows), ops on tensors.
// CHECK-LABEL: func.func @kept
// CHECK:       linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK:       linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK:       linalg.pooling_nhwc_max {{.*}} -> tensor<2x4x4x16xf32>
func.func @kept(%a: memref<4x8xf32>, %b: memref<4x8xf32>, %s: memref<4xf32>,
                %x: tensor<2x8x8x16xf32>, %w: tensor<2x2xf32>, %y: tensor<2x4x4x16xf32>) -> tensor<2x4x4x16xf32> {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<4x8xf32>) outs(%b : memref<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<4x8xf32>) outs(%s : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  }
  %r = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<2x8x8x16xf32>, tensor<2x2xf32>) outs(%y : tensor<2x4x4x16xf32>) -> tensor<2x4x4x16xf32>
  return %r : tensor<2x4x4x16xf32>
}
